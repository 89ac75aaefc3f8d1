"""Acts: reading the organization through the API port, then planning.

`ports` says what the engine needs of the API; `observe` and `leaks` read the
tokens and the audit log into plain data; `fresh` reads and plans;
`reviews` reads for `report` and `who-can`.
"""
