"""What every state store offers, wherever the JSON lives (a file, an S3 object).

Commands see only this protocol; `cli/context.py` picks the store from the
`--state` value. `LockHolder` is what a lock says about whoever holds it, so
a refused run can name the holder and `state unlock` can check the ID.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from pstokens import clock
from pstokens.errors import DamagedState, StateError
from pstokens.fileread import size_words
from pstokens.state.model import State

MAX_STATE_BYTES = 64 * 1024 * 1024


class StateStore(Protocol):
    """One state: read it, write new versions of it, lock it."""

    @property
    def location(self) -> str:
        """Where the state lives, as the user named it (a path, or s3://BUCKET/KEY)."""
        ...

    def exists(self) -> bool:
        """Whether any state has been written there yet."""
        ...

    def load(self, organization: str) -> State:
        """The stored state, or a new empty one when there is none yet; refused when
        it is another organization's ("" takes whichever organization it names)."""
        ...

    def save(self, state: State) -> State:
        """Write `state` with the next serial; returns what was written. Refuses
        (StateError) to overwrite a version written since the last `load`."""
        ...

    def locked(self, timeout: float = 0.0) -> AbstractContextManager[None]:
        """Hold the lock for the duration; fail at once (or after `timeout` s) if held."""
        ...

    def unlock(self, lock_id: str) -> LockHolder:
        """Remove a lock left by a killed run, only if its ID is `lock_id`; returns
        who held it."""
        ...


def decode_state(raw: bytes, organization: str, *, source: str, backup: str | None) -> State:
    """The state in `raw` (read from `source`), refused if damaged or another organization's;
    `backup` is where a copy of the previous version is, None when there is none."""
    if len(raw) > MAX_STATE_BYTES:
        raise too_large(source, backup)
    try:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise DamagedState(f"{source} is not valid JSON ({exc})") from None
        state = State.from_json(data, source=source)
    except DamagedState as exc:
        raise DamagedState(exc.message, hint=restore_hint(backup)) from None
    if organization and state.organization != organization:
        raise StateError(
            f"{source} belongs to organization {state.organization!r}, not {organization!r}",
            hint="pass --state with the right state, or check --org / PLANETSCALE_ORG",
        )
    return state


def too_large(source: str, backup: str | None) -> DamagedState:
    """The error for a state larger than any pstokens writes (`MAX_STATE_BYTES`)."""
    return DamagedState(f"{source} is too large to be a pstokens state (more than "
                        f"{size_words(MAX_STATE_BYTES)})", hint=restore_hint(backup))


def restore_hint(backup: str | None) -> str:
    """How to put a good copy in place of a state that cannot be read: never a
    backup that is not there."""
    if backup is None:
        return "there is no backup of it: put back a good copy of it, if you keep one"
    if backup.startswith("s3://"):
        return (f"if the backup is good, `pstokens state pull --state {backup} > good.json`, "
                "then `pstokens state push --force good.json` replaces the damaged one")
    return f"if {backup} is good, `pstokens state push --force {backup}` puts it back"


def encode_state(state: State) -> bytes:
    return json.dumps(state.to_json(), indent=2, sort_keys=False).encode() + b"\n"


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock, for what, since when: stored in the lock itself."""

    id: str
    who: str
    operation: str
    since: str
    run: str | None = None

    @classmethod
    def now(cls, operation: str, env: Mapping[str, str] | None = None) -> LockHolder:
        env = os.environ if env is None else env
        return cls(
            id=str(uuid.uuid4()),
            who=f"{_user()}@{socket.gethostname()}",
            operation=operation,
            since=clock.stamp(),
            run=ci_run_url(env),
        )

    def dumps(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode() + b"\n"

    @classmethod
    def loads(cls, raw: bytes) -> LockHolder | None:
        """The holder a lock records, or None when it is not one of ours."""
        try:
            data: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        fields = ("id", "who", "operation", "since")
        if not all(isinstance(data.get(f), str) for f in fields):
            return None
        run = data.get("run")
        return cls(id=data["id"], who=data["who"], operation=data["operation"],
                   since=data["since"], run=run if isinstance(run, str) else None)

    def describe(self) -> str:
        where = f", run {self.run}" if self.run else ""
        return f"{self.who} ({self.operation}, since {self.since}{where}), lock ID {self.id}"


def ci_run_url(env: Mapping[str, str]) -> str | None:
    """The GitHub Actions run this process belongs to, when it is one."""
    parts = [env.get(v, "") for v in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts):
        return None
    server, repository, run_id = parts
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "unknown"
