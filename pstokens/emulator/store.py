"""The emulator's data and the rules every write obeys, with or without HTTP.

Routes call it, and tests call it directly to change the emulated account
behind pstokens' back (drift). It accepts any organization or database name:
which names exist is the app's business (see `EmulatorSettings`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import string
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pstokens.emulator import auditlog, shapes
from pstokens.emulator.grants import InvalidParams, check_accesses
from pstokens.emulator.records import Access, Token, truncate
from pstokens.emulator.storecore import NotFound, StoreCore

__all__ = ["MAX_TTL", "REFRESH_PREFIX", "SECRET_PREFIX", "EmulatorStore", "NotFound"]

SECRET_PREFIX = "pscale_tkn_"  # noqa: S105 - the public prefix, not a secret
# The emulator's own prefix for refresh tokens (PlanetScale's is not published).
REFRESH_PREFIX = "pscale_rtkn_"
_SECRET_ALPHABET = string.ascii_letters + string.digits
# The API publishes no upper bound; past this an expiry is not a date Python can hold.
MAX_TTL = 1000 * 365 * 86400
_SECRET_LENGTH = 43


class EmulatorStore(StoreCore):
    """Organizations, their tokens and accesses; thread-safe, saved after each write.

    With `data_path` the store loads that file and rewrites it after every
    write that changes something; without it, data lives in memory only. Its
    data, file and shared helpers are `StoreCore`'s (storecore.py).
    """

    # -- reads -----------------------------------------------------------------

    def tokens(self, org: str) -> list[dict[str, Any]]:
        """Every token of `org` in creation order, API-shaped, without secrets."""
        with self._lock:
            return [self._token_json(org, t) for t in self._org_tokens(org).values()]

    def token_count(self, org: str) -> int:
        with self._lock:
            return len(self._org_tokens(org))

    def page(self, org: str, page: int, per_page: int) -> tuple[list[bytes], int]:
        """One page of `org`'s tokens (1-based), each as JSON, and the total count."""
        with self._lock:
            tokens = self._org_tokens(org)
            start = (page - 1) * per_page
            if start >= len(tokens):  # also a page number too large for islice
                return [], len(tokens)
            chunk = itertools.islice(tokens.values(), start, start + per_page)
            return [self._rendered_json(org, t) for t in chunk], len(tokens)

    def token(self, org: str, token_id: str) -> dict[str, Any]:
        """One token as get shows it, with `oauth_accesses_by_resource`."""
        with self._lock:
            token = self._find(org, token_id)
            return shapes.token_json(token, lambda a: self._resource_of(org, a), detail_in=org)

    def accesses(self, org: str, token_id: str) -> list[dict[str, Any]]:
        """The token's accesses as `GET .../access` lists them."""
        with self._lock:
            token = self._find(org, token_id)
            return [shapes.access_json(a, self._resource_of(org, a)) for a in token.accesses]

    def grants(self, org: str, token_id: str) -> list[dict[str, Any]]:
        """The token's accesses grouped by resource, as `GET .../grants` lists them."""
        with self._lock:
            token = self._find(org, token_id)
            return shapes.grants_json(token, lambda a: self._resource_of(org, a))

    def secret_matches(self, org: str, token_id: str, secret: str) -> bool:
        """Whether `secret` is the token's secret (the store keeps only its hash)."""
        with self._lock:
            return self._find(org, token_id).secret_sha256 == _hash(secret)

    def authenticate(self, token_id: str, secret: str) -> bool | None:
        """Whether `token_id:secret` are a live token's credentials, as the API
        checks them: None when the emulator never made a token with that ID;
        False when the secret is wrong, or the token expired or was deleted
        (since this store was loaded). A use is noted in `last_used_at`, kept
        in memory and saved with the next write."""
        with self._lock:
            token = next(
                (t[token_id] for t in self._data.tokens.values() if token_id in t), None
            )
            if token is None:
                return False if token_id in self._taken else None
            now = self._clock()
            if token_id in self._refused:
                return False
            if not hmac.compare_digest(token.secret_sha256, _hash(secret)) or (
                token.expires_at is not None and token.expires_at <= now
            ):
                return False
            token.last_used_at = now
            self._rendered.pop(token.id, None)
            return True

    def holder(self, token_id: str) -> tuple[str, dict[str | None, frozenset[str]]] | None:
        """The organization of one of the emulator's live tokens and the accesses it
        holds there (database -> names; None: the organization); None for an ID
        the emulator did not make or no longer holds."""
        with self._lock:
            for org, tokens in self._data.tokens.items():
                token = tokens.get(token_id)
                if token is not None:
                    held: dict[str | None, set[str]] = {}
                    for access in token.accesses:
                        held.setdefault(access.database, set()).add(access.access)
                    return org, {scope: frozenset(names) for scope, names in held.items()}
            return None

    # -- writes ----------------------------------------------------------------

    def create_token(
        self,
        org: str,
        name: str | None = None,
        ttl: int | None = None,
        *,
        created_at: datetime | None = None,
    ) -> tuple[dict[str, Any], str]:
        """Create a token; returns its JSON (secrets included) and the secret.

        The refresh token, if made, is in the JSON only: like the answer, it is
        never kept."""
        if name is not None and not isinstance(name, str):
            raise InvalidParams("name must be a string")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
            raise InvalidParams("ttl must be a positive whole number of seconds")
        if ttl is not None and ttl > MAX_TTL:
            raise InvalidParams(f"ttl must be at most {MAX_TTL} seconds (about 1,000 years)")
        secret = _new_secret(SECRET_PREFIX)
        refresh = _new_secret(REFRESH_PREFIX) if self.refresh_tokens else None
        with self._lock:
            now = truncate(created_at) if created_at else self._clock()
            token = Token(
                id=self._new_id(),
                name=name,
                secret_sha256=_hash(secret),
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(seconds=ttl) if ttl else None,
            )
            self._org_resource(org, now)  # no older than the organization's first token
            self._data.tokens.setdefault(org, {})[token.id] = token
            self._audit(org, auditlog.CREATED, token)
            if name in self._refused_names:
                self._refused.add(token.id)
            self._commit()
            shown = shapes.token_json(
                token, lambda a: self._resource_of(org, a), secret, refresh_token=refresh
            )
            return shown, secret

    def delete_token(self, org: str, token_id: str) -> None:
        with self._lock:
            self._audit(org, auditlog.DELETED, self._find(org, token_id))
            del self._data.tokens[org][token_id]
            self._changed(token_id)

    def grant(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None = None
    ) -> None:
        """Grant accesses on `database` (None: the organization); held ones are skipped."""
        names, database = check_accesses(accesses, database)
        with self._lock:
            token = self._find(org, token_id)
            fresh = [n for n in names if not token.holds(n, database)]
            if not fresh:
                return
            if database is not None:
                self._database_resource(database)
            now = self._clock()
            token.accesses.extend(Access(self._new_id(), n, database, now) for n in fresh)
            token.updated_at = now
            self._audit(org, auditlog.ACCESS_CHANGED, token,
                        {"database": database, "granted": fresh})
            self._changed(token_id)

    def revoke(
        self, org: str, token_id: str, accesses: Sequence[str], database: str | None = None
    ) -> None:
        """Revoke accesses on `database` (None: the organization); ones not held are skipped."""
        names, database = check_accesses(accesses, database)
        with self._lock:
            token = self._find(org, token_id)
            kept = [a for a in token.accesses if not (a.database == database and a.access in names)]
            if len(kept) == len(token.accesses):
                return
            revoked = sorted({a.access for a in token.accesses} - {a.access for a in kept})
            token.accesses = kept
            token.updated_at = self._clock()
            self._audit(org, auditlog.ACCESS_CHANGED, token,
                        {"database": database, "revoked": revoked})
            self._changed(token_id)

    def set_times(
        self,
        org: str,
        token_id: str,
        *,
        created_at: datetime | None = None,
        expires_at: datetime | None = None,
        last_used_at: datetime | None = None,
    ) -> None:
        """Back-date, expire or mark a token used, as drift tests and stale-token demos
        need; None leaves a time as it is."""
        with self._lock:
            token = self._find(org, token_id)
            if created_at is not None:
                token.created_at = truncate(created_at)
            if expires_at is not None:
                token.expires_at = truncate(expires_at)
            if last_used_at is not None:
                token.last_used_at = truncate(last_used_at)
            self._changed(token_id)

    def refuse(self, token_id: str | None = None, name: str | None = None,
               *, refused: bool = True) -> None:
        """From now on, answer 401 to the credentials of token `token_id`, and of
        every token named `name` created from now on (a test's broken token);
        `refused=False` accepts them again."""
        with self._lock:
            for wanted, table in ((token_id, self._refused), (name, self._refused_names)):
                if wanted is not None:
                    (table.add if refused else table.discard)(wanted)

    def add_audit_event(
        self, org: str, audit_action: str, *, created_at: datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Add an event to `org`'s audit log as PlanetScale would (a leak it found:
        `service_token.token_leaked` with `target_id`); returns it as the API shows it."""
        with self._lock:
            target = self._org_tokens(org).get(fields.get("target_id") or "")
            record = auditlog.record(self._data.audit.setdefault(org, []), audit_action,
                                     self._clock(), created_at, target, **fields)
            self._commit()
            return auditlog.event_json(record, org)

    def audit_page(
        self, org: str, *, limit: int, starting_after: str | None = None,
        ending_before: str | None = None, actions: Sequence[str] = (),
    ) -> dict[str, Any]:
        """One page of `org`'s audit log in the API's cursor envelope, newest first."""
        with self._lock:
            items, has_next, has_prev = auditlog.page(
                self._data.audit.get(org, []), limit=limit, starting_after=starting_after,
                ending_before=ending_before, actions=actions,
            )
            return auditlog.list_json(items, org, has_next, has_prev)

    def organizations_of(self, token_id: str | None) -> list[dict[str, Any]]:
        """What `GET /organizations` lists: a token's own organization, or (for
        any other caller: an API key, credentials the emulator did not make)
        every organization that has tokens."""
        with self._lock:
            names = [org for org, tokens in self._data.tokens.items() if token_id in tokens]
            names = names or list(self._data.tokens)
            return [shapes.organization_json(self._org_resource(org)) for org in sorted(names)]

def _new_secret(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LENGTH))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
