"""Acts: carrying out a plan: calls, verification, delivery, state writes, locks.

`apply` runs the phases, `createstep` and `deliverstep` the steps of a new
token, `verify` the call made as it, `statewriter` keeps state on disk in
step, `locks` holds the state lock from async code, `stateedits` is the
engine service's lock and its state edits (import, export --adopt, state
rm|mv|push|unlock), `writeguard` runs the adapters' writes under that lock,
and `notifier` is the port through which runs are told to whoever listens.
"""
