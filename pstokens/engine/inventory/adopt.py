"""Adoption: recording tokens that already exist in state, as `import` and `export --adopt` do.

The one place that decides which live token a key may take and what state
records for it, so that the next plan compares like with like (its ttl from
its timestamps, its accesses as read) and shows no change for an adopted
token. The functions are pure: callers read the organization and save state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pstokens.config.model import Config
from pstokens.defaults import PATH_SEGMENT
from pstokens.engine.inventory.export import observed_ttl
from pstokens.engine.rules.live import LiveToken
from pstokens.errors import StateEditRefused, UsageError
from pstokens.quoting import quote
from pstokens.state.model import State, TokenRecord


@dataclass(frozen=True)
class Adoption:
    """The new state, and what happened to each key considered."""

    state: State
    adopted: tuple[tuple[str, str], ...] = ()  # (key, token ID)
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (key, IDs sharing its name)


def record_for(token: LiveToken, key: str, *, prevent_destroy: bool = False) -> TokenRecord:
    """What state records for `token` adopted as `key`: what the planner compares."""
    return TokenRecord(
        id=token.id,
        name=token.name or key,
        created_at=token.created_at,
        expires_at=token.expires_at,
        ttl=observed_ttl(token.created_at, token.expires_at),
        accesses=dict(token.accesses or {}),
        prevent_destroy=prevent_destroy,
    )


def adopt_one(state: State, config: Config, key: str, token: LiveToken) -> Adoption:
    """`import KEY TOKEN_ID`: `token` becomes `key`, if neither is taken."""
    check_importable(state, config, key, token.id)
    spec = config.tokens[key]
    record = record_for(token, key, prevent_destroy=spec.prevent_destroy)
    return Adoption(state.with_token(key, record), adopted=((key, token.id),))


def check_importable(state: State, config: Config, key: str, token_id: str) -> None:
    """Refuse, before any API call, an import that would make two keys of one token,
    or one of an ID the API could not have given (it would go into a URL)."""
    if PATH_SEGMENT.fullmatch(token_id) is None:
        raise UsageError(f"{quote(token_id)} is not a token ID",
                         hint="a token ID is letters, digits, '.', '_' and '-', "
                              "like txhc257pxjuc")
    if key not in config.tokens:
        raise UsageError(f"{key!r} is not in {config.path}", hint="add it to the config first")
    record = state.tokens.get(key)
    if record is not None and record.id:
        raise StateEditRefused(f"{key!r} is already in state as {record.id}",
                               hint=f"`pstokens state rm {key}` first to import another token")
    owner = _owner(state, token_id)
    if owner is not None:
        raise StateEditRefused(f"token {token_id} is already managed as {owner!r}",
                               hint="`pstokens state list` shows each key and its token")


def adopt_by_name(state: State, config: Config, live: Mapping[str, LiveToken]) -> Adoption:
    """`import --by-name`: every config key not in state whose name is exactly
    that of one live token nobody manages. A shared name adopts nothing."""
    managed = state.managed_ids()
    by_name: dict[str, list[LiveToken]] = {}
    for token in live.values():
        if token.id not in managed and token.name:
            by_name.setdefault(token.name, []).append(token)
    adopted: list[tuple[str, str]] = []
    ambiguous: list[tuple[str, tuple[str, ...]]] = []
    for key in sorted(config.tokens):
        if key in state.tokens:
            continue
        matches = by_name.get(key, [])
        if len(matches) == 1:
            token = matches[0]
            spec = config.tokens[key]
            state = state.with_token(
                key, record_for(token, key, prevent_destroy=spec.prevent_destroy)
            )
            adopted.append((key, token.id))
        elif matches:
            ambiguous.append((key, tuple(sorted(t.id for t in matches))))
    return Adoption(state, tuple(adopted), tuple(ambiguous))


def check_adoptable(state: State, source: str) -> None:
    """`export --adopt` starts management from nothing: keys already in state
    would be planned for deletion, or hold the same token twice."""
    if state.tokens:
        count = len(state.tokens)
        raise StateEditRefused(
            f"{source} already records {count} key{'s' if count != 1 else ''}; "
            "export --adopt only starts an empty state",
            hint="use `pstokens import KEY TOKEN_ID` to add tokens, or another --state",
        )


def adopt_exported(
    state: State, keys: Mapping[str, LiveToken], source: str = "the state"
) -> Adoption:
    """`export --adopt`: every exported key records the token it was made from."""
    check_adoptable(state, source)
    adopted = []
    for key, token in keys.items():
        state = state.with_token(key, record_for(token, key))
        adopted.append((key, token.id))
    return Adoption(state, tuple(adopted))


def _owner(state: State, token_id: str) -> str | None:
    for key, record in sorted(state.tokens.items()):
        if record.id == token_id or token_id in record.retiring:
            return key
    return None
