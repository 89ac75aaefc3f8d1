"""The knobs of one emulator instance, checked once when they are made.

The CLI flags map one to one onto these fields, so tests, benchmarks and
`pstokens emulator` all describe an emulator the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmulatorSettings:
    """What the emulated account holds and how badly the emulated API behaves.

    `organizations` and `databases` empty means any name is accepted.
    `rate_limit` is requests per rolling minute per caller (0 turns it off);
    `fail_rate` and `lose_rate` are shares between 0 and 1; `seed` makes the
    faults reproducible. `refresh_tokens` puts a one-time
    `plain_text_refresh_token` in each create answer (else it is null).
    """

    organizations: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    latency_ms: float = 0.0
    rate_limit: int = 0
    fail_rate: float = 0.0
    lose_rate: float = 0.0
    seed: int | None = None
    data_path: Path | None = None
    require_auth: str | None = None
    refresh_tokens: bool = False

    def __post_init__(self) -> None:
        # Lists from click or callers become tuples so the settings stay hashable.
        object.__setattr__(self, "organizations", tuple(self.organizations))
        object.__setattr__(self, "databases", tuple(self.databases))
        if self.data_path is not None:
            object.__setattr__(self, "data_path", Path(self.data_path))
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be 0 or more")
        if self.rate_limit < 0:
            raise ValueError("rate_limit must be 0 (off) or more")
        for name in ("fail_rate", "lose_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.require_auth is not None and not self.require_auth.strip():
            raise ValueError("require_auth must not be empty")
