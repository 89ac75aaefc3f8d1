"""State in an S3 (or S3-compatible) object, shared by laptops and CI runners.

The lock is an object `KEY.lock` created with `If-None-Match: *`, so exactly
one run can create it; it records who holds it. The state is written with
`If-Match` on the ETag read under the lock, so a write based on an old read
fails instead of overwriting; once that write succeeded, the version it
replaced is kept as `KEY.backup`. The lock is released with a delete
conditional on the ETag it was created with (`If-Match`): a lock removed by
`state unlock` and taken by another run meanwhile stays theirs.

Only this module imports obstore, and only an `s3://` state imports this
module: a local state pays nothing for it. Credentials, region and endpoint
come from the usual AWS_* variables, read by obstore itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import obstore
from obstore.exceptions import AlreadyExistsError, BaseError, PreconditionError
from obstore.store import S3Store

from pstokens.defaults import lock_timeout
from pstokens.errors import LockHeld, StateError, UsageError
from pstokens.expected import expect
from pstokens.state.base import LockHolder, decode_state, encode_state
from pstokens.state.model import State
from pstokens.state.s3errors import explain

if TYPE_CHECKING:
    from obstore import PutMode
    from obstore.store import ClientConfig, RetryConfig

SCHEME = "s3://"
LOCK_POLL_SECONDS = 1.0
RETRIES = 3  # for 5xx answers and lost connections, with backoff
MAX_LOCK_BYTES = 64 * 1024
MAX_VANISHED = 5  # a lock seen taken, then gone, this many times in a row: stop asking
logger = logging.getLogger("pstokens.state.s3")
# What obstore raises: its own errors, and some built-in ones (FileNotFoundError...).
S3_FAILURES = (BaseError, OSError, ValueError, RuntimeError)


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of `s3://BUCKET/KEY`, or a PstokensError saying what is wrong."""
    bucket, _, key = url.removeprefix(SCHEME).partition("/")
    if not url.startswith(SCHEME) or not bucket or not key or key.endswith("/"):
        raise UsageError(
            f"--state {url} is not an S3 object URL",
            hint="write it as s3://BUCKET/KEY, for example s3://acme-infra/pstokens/acme.json",
        )
    return bucket, key


class S3StateStore:
    """One state object in S3: load it, save new versions of it, lock it."""

    def __init__(self, url: str, *, operation: str = "pstokens") -> None:
        expect(url, str, "S3StateStore url", "an s3:// URL, such as \"s3://bucket/acme.json\"")
        self.bucket, self.key = parse_s3_url(url)
        self.lock_key = self.key + ".lock"
        self.backup_key = self.key + ".backup"
        self.operation = operation
        self._env = os.environ  # obstore reads the same variables itself
        self._store = _connect(self.bucket, self._env)
        # What the last load or save saw: the next save must replace exactly it.
        self._etag: str | None = None
        self._seen: bytes | None = None

    @property
    def location(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"

    def exists(self) -> bool:
        return self._get(self.key, "read") is not None

    def load(self, organization: str) -> State:
        found = self._get(self.key, "read")
        if found is None:
            self._etag = self._seen = None
            return State.new(organization)
        self._seen, self._etag = found
        return decode_state(
            self._seen, organization, source=f"state {self.location}",
            backup=f"{SCHEME}{self.bucket}/{self.backup_key}",
        )

    def save(self, state: State) -> State:
        written = replace(state, serial=state.serial + 1)
        payload = encode_state(written)
        replaced = self._seen
        mode: PutMode = "create" if self._etag is None else {"e_tag": self._etag}
        try:
            result = obstore.put(self._store, self.key, payload, mode=mode)
        except (AlreadyExistsError, PreconditionError):
            current = self._get(self.key, "read")
            if current is None or current[0] != payload:
                raise StateError(
                    f"state {self.location} was changed by another run since this one read "
                    "it; nothing was overwritten",
                    hint="run the command again: it will start from the new state",
                ) from None
            # Our own write, whose answer was lost and whose retry met itself.
            etag: str | None = current[1]
        except S3_FAILURES as exc:
            raise self._explain(exc, "write") from None
        else:
            # Some S3-compatible services answer a PUT without an ETag: ask for it.
            etag = result["e_tag"] or self._head_etag()
        self._seen, self._etag = payload, etag
        # Only now: a refused write must leave the backup of the version it did not replace.
        if replaced is not None:
            self._put(self.backup_key, replaced, "overwrite", "write the backup of")
        return written

    @contextlib.contextmanager
    def locked(self, timeout: float = 0.0) -> Iterator[None]:
        timeout = lock_timeout(timeout)
        mine = LockHolder.now(self.operation, self._env)
        deadline = time.monotonic() + timeout
        vanished = 0
        etag: str | None = None  # of the lock object, for the conditional delete
        while True:
            try:
                taken = obstore.put(self._store, self.lock_key, mine.dumps(), mode="create")
                etag = taken["e_tag"]
                break
            except AlreadyExistsError:
                found = self._get(self.lock_key, "read the lock of")
                vanished += found is None
                if found is None and vanished <= MAX_VANISHED:
                    continue  # released just now: ask again at once
                holder = None if found is None else _holder_in(found[0])
                if holder is not None and holder.id == mine.id and found is not None:
                    etag = found[1]
                    break  # our create went through; its retry found it
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._held(holder) from None
                time.sleep(min(LOCK_POLL_SECONDS, left))
            except S3_FAILURES as exc:
                raise self._explain(exc, "lock") from None
        try:
            yield
        finally:
            self._release(mine, etag)

    def unlock(self, lock_id: str) -> LockHolder:
        found = self._get(self.lock_key, "read the lock of")
        if found is None:
            raise StateError(f"state {self.location} is not locked: there is nothing to unlock")
        holder = _holder_in(found[0])
        if holder is None or holder.id != lock_id:
            named = holder.describe() if holder else "a lock pstokens cannot read"
            raise StateError(
                f"state {self.location} is locked by {named}, not by lock ID {lock_id}",
                hint="copy the lock ID from the message that named the holder",
            )
        self._delete(self.lock_key)
        return holder

    # -- the calls, each failure made one sentence -----------------------------

    def _get(self, path: str, doing: str) -> tuple[bytes, str | None] | None:
        try:
            answer = obstore.get(self._store, path)
            data = bytes(answer.bytes())
        except FileNotFoundError as exc:
            if "NoSuchBucket" in str(exc):
                raise self._explain(exc, doing) from None
            return None
        except S3_FAILURES as exc:
            raise self._explain(exc, doing) from None
        return data, answer.meta["e_tag"]

    def _head_etag(self) -> str | None:
        try:
            return obstore.head(self._store, self.key)["e_tag"]
        except S3_FAILURES as exc:
            raise self._explain(exc, "read") from None

    def _put(self, path: str, payload: bytes, mode: PutMode, doing: str) -> None:
        try:
            obstore.put(self._store, path, payload, mode=mode)
        except S3_FAILURES as exc:
            raise self._explain(exc, doing) from None

    def _delete(self, path: str) -> None:
        try:
            obstore.delete(self._store, path)
        except S3_FAILURES as exc:
            raise self._explain(exc, "remove the lock of") from None

    def _explain(self, exc: Exception, doing: str) -> StateError:
        logger.debug("S3 call to %s %s failed: %s", doing, self.location,
                     str(exc).split("\n", 1)[0])
        return explain(exc, doing=doing, bucket=self.bucket, key=self.key, env=self._env)

    def _holder(self) -> LockHolder | None:
        found = self._get(self.lock_key, "read the lock of")
        return None if found is None else _holder_in(found[0])

    def _held(self, holder: LockHolder | None) -> LockHeld:
        if holder is None:
            return LockHeld(
                f"state {self.location} is locked (by a lock pstokens cannot read: "
                f"{SCHEME}{self.bucket}/{self.lock_key})",
                hint="if no run holds it, remove that object by hand",
            )
        return LockHeld(
            f"state {self.location} is locked by {holder.describe()}",
            hint="wait for that run, or pass --lock-timeout SECONDS to wait; if it was "
            f"killed, `pstokens state unlock {holder.id}` removes its lock",
        )

    def _release(self, mine: LockHolder, etag: str | None) -> None:
        # A lock someone removed with `state unlock` and another run then took
        # is theirs now, and stays. Read it first (some S3-compatible services
        # ignore If-Match on DeleteObject), then delete it only while it is the
        # object this run created (If-Match on its ETag): no window between.
        try:
            holder = self._holder()
            released = holder is not None and holder.id == mine.id
            if released:
                conditional = None if etag is None else delete_if_match(
                    self._store, self.lock_key, etag)
                if conditional is None:  # no ETag, or no conditional deletes there
                    self._delete(self.lock_key)
                released = conditional is not False
            if not released:
                logger.warning("the lock on %s was no longer this run's; left it alone",
                               self.location)
        except StateError as exc:
            logger.warning("could not release the lock on %s: %s", self.location, exc)


def delete_if_match(store: S3Store, path: str, etag: str) -> bool | None:
    """Delete `path` only while its ETag is `etag` (DeleteObject with If-Match):
    True when deleted, False when it is another object now or gone, None when
    the service cannot say (it does not implement the condition, or the call
    failed): the caller then deletes it as it is.

    obstore (0.12) sends no condition on a delete, so the request is signed by
    obstore (a presigned URL, valid a minute) and sent with the header here.
    Neither the URL (it holds a signature) nor the answer's body is shown."""
    try:
        url = obstore.sign(store, "DELETE", path, timedelta(minutes=1))
        answer = httpx.delete(url, headers={"If-Match": etag}, timeout=30)
    except (*S3_FAILURES, httpx.HTTPError) as exc:
        logger.debug("conditional delete of %s not sent (%s)", path, type(exc).__name__)
        return None
    if answer.status_code in (200, 204):
        return True
    if answer.status_code in (404, 412):
        return False
    logger.debug("conditional delete of %s answered HTTP %s", path, answer.status_code)
    return None


def _holder_in(raw: bytes) -> LockHolder | None:
    return None if len(raw) > MAX_LOCK_BYTES else LockHolder.loads(raw)


def _connect(bucket: str, env: Mapping[str, str]) -> S3Store:
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or ""
    # An http:// endpoint is named by the user (MinIO, moto, a local gateway).
    client: ClientConfig = {"connect_timeout": timedelta(seconds=5),
                            "timeout": timedelta(seconds=30),
                            "allow_http": endpoint.startswith("http://")}
    retry: RetryConfig = {"max_retries": RETRIES, "retry_timeout": timedelta(seconds=20)}
    try:
        return S3Store(bucket, client_options=client, retry_config=retry)
    except S3_FAILURES as exc:
        raise StateError(
            f"the S3 settings for bucket {bucket} are not usable ({type(exc).__name__})",
            hint="check AWS_ENDPOINT_URL, AWS_REGION and the other AWS_* variables",
        ) from None
