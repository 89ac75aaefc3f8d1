"""Where pstokens keeps state: config keys mapped to token IDs, never secrets.

`StateStore` is what commands use; `FileStateStore` keeps it in a local file,
`pstokens.state.s3.S3StateStore` in an S3 object (imported only for s3:// state).
"""

from pstokens.state.base import LockHolder, StateStore
from pstokens.state.model import State, TokenRecord
from pstokens.state.store import FileStateStore

__all__ = ["FileStateStore", "LockHolder", "State", "StateStore", "TokenRecord"]
