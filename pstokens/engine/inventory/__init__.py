"""Pure: what the live tokens are and hold, for people and for import.

The access review (`report`), who can perform an operation (`whocan`), what
falls due (`due`), escalation paths, the keys an export gives (`export`) and
what adoption records (`adopt`). Plain data in, values out.
"""
