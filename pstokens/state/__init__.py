"""The local state file: config keys mapped to token IDs, never secrets."""

from pstokens.state.model import State, TokenRecord
from pstokens.state.store import StateStore

__all__ = ["State", "StateStore", "TokenRecord"]
