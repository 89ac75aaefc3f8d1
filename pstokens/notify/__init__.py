"""Telling people what a run found: webhooks named under `notify:`.

`message` holds what is said (plain values, no HTTP), `events` decides which
events a plan or an apply raises, and `send` posts them with httpx: signed,
retried, bounded in time, never while state is being changed. Nothing here is
imported until a config has a `notify:` entry and a run has something to say.
"""
