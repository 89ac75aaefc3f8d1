"""Acts: `pstokens exec`'s leases: made, recorded, handed to COMMAND, deleted.

Which tokens are leases and what a plan does about them is pure
(`planning/leaseplan.py`, `rules/leaseview.py`); here the lease is created and
verified (`lease`), its state written under the lock (`leasebook`), and
COMMAND run with it (`execute`, `child`).
"""
