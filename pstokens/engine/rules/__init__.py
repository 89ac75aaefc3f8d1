"""Pure: rules over plain data that every other part of the engine uses.

What was read (`live`), what a grant allows (`reach`), how a new token is
verified (`verifyplan`), the `rules:` guardrails, a replaced token while it
retires (`rotation`), and the typed findings. No I/O: tested with plain values.
"""
