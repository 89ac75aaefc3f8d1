"""Benchmarks of pstokens against a real emulator server: `python benchmarks/run.py`.

They measure what costs a user time, API calls and the waiting around them,
and print each figure beside the lower bound that the calls alone impose.
"""
