"""Shared machinery for the suites that try to break pstokens.

Every emulator here runs on a `RecordingStore`, which remembers each secret it
hands out (the token's, and the `plain_text_refresh_token` it puts in every
create answer); every test ends by searching all it produced (CLI output,
logs, state, backups, plans, emulator data) for any of them. Helpers check the
promises after a run: one live token per key, no orphan, accesses exact.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pstokens.config import TokenSpec, load_config
from pstokens.destinations import DirDestination
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from pstokens.emulator.store import REFRESH_PREFIX, SECRET_PREFIX
from pstokens.state import FileStateStore
from tests import plan_documents
from tests.e2e import conftest as e2e_conftest
from tests.e2e.conftest import (
    API_KEY,
    Cli,
    Emulator,
    Result,
)
from tests.reliability.consumers import summary_lines as consumer_summary
from tests.s3server import S3, moto_endpoint, s3

__all__ = ["moto_endpoint", "s3"]  # fixtures for the suites' runs on S3 state

ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT = 120.0

# Every secret any RecordingStore created in this session, and how many were searched for.
SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
FIGURES: dict[str, int] = {"files_searched": 0, "texts_searched": 0}

WriteHook = Callable[[str, str], None]  # (operation, "before" | "after")


class RecordingStore(EmulatorStore):
    """An emulator store that records every secret it creates (refresh tokens
    too: it issues one with every token) and can run a hook around each write
    (the kill -9 tests use it to kill a client mid-call)."""

    def __init__(self, data_path: Path | None = None, *, seed: int | None = None) -> None:
        super().__init__(data_path, seed=seed, refresh_tokens=True)
        self.hook: WriteHook | None = None
        self.writes = 0

    def _around(self, operation: str, phase: str) -> None:
        if phase == "before":
            self.writes += 1
        if self.hook is not None:
            self.hook(operation, phase)

    def create_token(
        self, org: str, name: str | None = None, ttl: int | None = None,
        *, created_at: datetime | None = None,
    ) -> tuple[dict[str, Any], str]:
        self._around("create", "before")
        token, secret = super().create_token(org, name, ttl, created_at=created_at)
        with _SECRETS_LOCK:
            SECRETS.add(secret)
            SECRETS.add(token["plain_text_refresh_token"])
        self._around("create", "after")
        return token, secret

    def delete_token(self, org: str, token_id: str) -> None:
        self._around("delete", "before")
        super().delete_token(org, token_id)
        self._around("delete", "after")

    def grant(self, org: str, token_id: str, accesses: Any, database: str | None = None) -> None:
        self._around("grant", "before")
        super().grant(org, token_id, accesses, database)
        self._around("grant", "after")

    def revoke(self, org: str, token_id: str, accesses: Any, database: str | None = None) -> None:
        self._around("revoke", "before")
        super().revoke(org, token_id, accesses, database)
        self._around("revoke", "after")


def remember_delivered_secrets(root: Path) -> int:
    """Add the secrets of every `.env` under `root` to the ledger (for emulators run as
    processes, whose store this process cannot wrap); returns how many were found."""
    found = 0
    for env_file in root.rglob("*.env"):
        for line in env_file.read_text().splitlines():
            if line.startswith("PLANETSCALE_SERVICE_TOKEN="):
                with _SECRETS_LOCK:
                    SECRETS.add(line.split("=", 1)[1])
                found += 1
    return found


# -- the leak guard -----------------------------------------------------------


def _needles() -> list[bytes]:
    with _SECRETS_LOCK:
        found = sorted(SECRETS)
    needles = [SECRET_PREFIX.encode(), REFRESH_PREFIX.encode(), API_KEY.encode()]
    needles += [s.removeprefix(SECRET_PREFIX).removeprefix(REFRESH_PREFIX).encode() for s in found]
    return needles


def leaks_in_text(text: str | bytes) -> list[str]:
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    return [n.decode()[:16] + "..." for n in _needles() if n in data]


@dataclass
class LeakGuard:
    """What one test produced, searched for secrets when the test ends.

    Delivered `.env` files and files the test names with `allow` are the only
    places a secret may be.
    """

    roots: list[Path] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    allowed: list[Path] = field(default_factory=list)

    def text(self, label: str, value: str) -> None:
        self.texts.append((label, value))

    def allow(self, path: Path) -> None:
        self.allowed.append(path.resolve())

    def _allowed(self, path: Path) -> bool:
        resolved = path.resolve()
        # A delivered secret, or the temporary file of one a kill -9 interrupted (its
        # token stays undelivered, so the next apply replaces and deletes it).
        delivery = path.suffix == ".env" or (path.name.startswith(".") and path.suffix == ".tmp")
        if delivery and "secrets" in {p.name for p in path.parents}:
            return True
        return any(resolved == a or a in resolved.parents for a in self.allowed)

    def check(self) -> None:
        needles = _needles()
        hits: list[str] = []
        for label, value in self.texts:
            FIGURES["texts_searched"] += 1
            data = value.encode("utf-8", "surrogateescape")
            if any(n in data for n in needles):
                hits.append(label)
        for root in self.roots:
            for path in root.rglob("*"):
                if not path.is_file() or path.is_symlink() or self._allowed(path):
                    continue
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                FIGURES["files_searched"] += 1
                if any(n in data for n in needles):
                    hits.append(str(path))
        assert hits == [], f"a secret or the API key leaked into: {hits}"


@pytest.fixture(autouse=True)
def leak_guard(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[LeakGuard]:
    guard = LeakGuard(roots=[tmp_path])
    yield guard
    guard.text("log records", caplog.text)
    guard.check()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in consumer_summary():
        terminalreporter.write_line(line)
    if FIGURES["texts_searched"] or FIGURES["files_searched"]:
        terminalreporter.write_line(
            f"reliability leak guard: {len(SECRETS)} secrets searched for in "
            f"{FIGURES['texts_searched']} outputs and {FIGURES['files_searched']} files"
        )


# -- emulators and the CLI ----------------------------------------------------


class KeptAliveEmulator(Emulator):
    """Reads the emulator's counters over one kept-alive connection (a fresh httpx
    client per read costs tens of milliseconds, which adds up over many cases)."""

    def __init__(self, url: str, store: EmulatorStore, admin: httpx.Client) -> None:
        super().__init__(url, store)
        self.admin = admin

    def stats(self) -> dict[str, Any]:
        answer = self.admin.get(self.url.removesuffix("/v1") + "/_emulator/stats")
        data: dict[str, Any] = answer.json()
        return data

    def reset_stats(self) -> None:
        self.admin.post(self.url.removesuffix("/v1") + "/_emulator/stats/reset")


@contextlib.contextmanager
def serving(settings: EmulatorSettings | None = None) -> Iterator[KeptAliveEmulator]:
    store = RecordingStore()
    with running_emulator(settings or EmulatorSettings(), store) as url, httpx.Client() as admin:
        yield KeptAliveEmulator(url, store, admin)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with serving() as served:
        yield served


workdir = e2e_conftest.workdir  # the same fixture: a clean folder and environment


class GuardedCli(Cli):
    """The e2e in-process CLI, with every output handed to the leak guard."""

    def __init__(self, guard: LeakGuard, *args: Any) -> None:
        super().__init__(*args)
        self._guard = guard

    def __call__(self, *args: str, stdin: str = "") -> Result:
        result = super().__call__(*args, stdin=stdin)
        self._guard.text(f"pstokens {' '.join(args)}", result.out + result.err)
        return result


@pytest.fixture
def cli(emulator: Emulator, workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard) -> GuardedCli:
    return GuardedCli(leak_guard, capsys, monkeypatch, emulator.url)


def subprocess_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}
    env.update(
        PLANETSCALE_API_URL=url, PLANETSCALE_API_KEY=API_KEY, PSTOKENS_RATE_LIMIT="0",
        PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def pstokens_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pstokens", *args]


def run_pstokens(
    guard: LeakGuard, cwd: Path, env: dict[str, str], *args: str,
    timeout: float = SUBPROCESS_TIMEOUT,
) -> Result:
    """`pstokens ARGS` as a real process; its output goes to the leak guard."""
    done = subprocess.run(
        pstokens_command(*args), cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    guard.text(f"subprocess pstokens {' '.join(args)}", done.stdout + done.stderr)
    if done.returncode in (0, 2):  # the plan it printed or saved fits the plan schema
        plan_documents.check_output(args, done.stdout, cwd)
    return Result(done.returncode, done.stdout, done.stderr)


# -- answers lost on the way back ---------------------------------------------

LosePredicate = Callable[[httpx.Request], bool]


@dataclass
class Losses:
    """Which answers the client loses: each rule is (predicate, how many times)."""

    rules: list[list[Any]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def add(self, predicate: LosePredicate, times: int = 1, how: str = "drop") -> None:
        """Lose matching answers: `drop` (connection cut), `timeout`, `reset`, or a
        status such as `502` (a proxy failing after the API did the work)."""
        self.rules.append([predicate, times, how])

    def decide(self, request: httpx.Request) -> str | None:
        for rule in self.rules:
            if rule[1] > 0 and rule[0](request):
                rule[1] -= 1
                self.lost.append(f"{request.method} {request.url.path}")
                how: str = rule[2]
                return how
        return None


def is_create(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/service-tokens")


def is_delete(request: httpx.Request) -> bool:
    return request.method == "DELETE" and not request.url.path.endswith("/access")


def is_grant(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/access")


@pytest.fixture
def losses(monkeypatch: pytest.MonkeyPatch) -> Losses:
    """The request reaches the emulator and takes effect; its answer never comes back."""
    rules = Losses()
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def lossy(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        response = await real(self, request)
        how = rules.decide(request)
        if how is None:
            return response
        await response.aread()
        await response.aclose()
        if how == "timeout":
            raise httpx.ReadTimeout("timed out (test)", request=request)
        if how == "reset":
            raise httpx.ReadError("connection reset by peer (test)", request=request)
        if how.isdigit():
            return httpx.Response(int(how), text="<html>Bad Gateway</html>", request=request)
        raise httpx.RemoteProtocolError("peer closed connection (test)", request=request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", lossy)
    return rules


# -- what must hold after a run -----------------------------------------------


def live_accesses(token: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {
        (a["resource_name"] if a["resource_type"] == "Database" else None, a["access"])
        for a in token["service_token_accesses"]
    }


def wanted_accesses(config_path: Path, key: str) -> set[tuple[str | None, str]]:
    spec = load_config(config_path).tokens[key]
    return {(db, name) for db, names in spec.accesses.items() for name in names}


@dataclass
class Verdict:
    duplicates: int = 0
    orphans: int = 0
    wrong_accesses: int = 0
    missing: int = 0
    foreign_deleted: int = 0
    undelivered: int = 0
    early_deletes: int = 0  # replaced tokens deleted before their overlap ended
    retiring: int = 0  # replaced tokens still live inside their overlap (not a problem)
    problems: list[str] = field(default_factory=list)

    def note(self, kind: str, message: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.problems.append(message)


def check_organization(
    store: EmulatorStore,
    org: str,
    config_path: Path,
    state_path: Path,
    *,
    managed_names: set[str],
    foreign: set[str] = frozenset(),  # type: ignore[assignment]
    secrets_dir: Path | None = None,
) -> Verdict:
    """Compare the organization with the config and state once a run has converged.

    `managed_names` are all keys ever in the config; `foreign` the IDs of tokens
    that existed before pstokens ran (they must survive, whatever their name).
    """
    verdict = Verdict()
    config = load_config(config_path)
    state = FileStateStore(state_path).load(org)
    live = {t["id"]: t for t in store.tokens(org)}
    for token_id in sorted(foreign):
        if token_id not in live:
            verdict.note("foreign_deleted", f"pre-existing token {token_id} was deleted")
    recorded = {r.id for r in state.tokens.values() if r.id}
    # Replaced tokens kept working by `overlap`: live until their time, recorded in state.
    now = datetime.now(UTC)
    retiring = {i for r in state.tokens.values() for i, t in r.retire_at.items() if t > now}
    verdict.retiring = len(retiring & set(live))
    for record in state.tokens.values():
        for token_id, until in sorted(record.retire_at.items()):
            if until > now and token_id not in live:
                verdict.note("early_deletes", f"{token_id} deleted before its overlap ended")
    for key in sorted(config.tokens):
        mine = [t for t in live.values()
                if t["name"] == key and t["id"] not in foreign and t["id"] not in retiring]
        record = state.tokens.get(key)
        if not mine:
            verdict.note("missing", f"{key}: no live token")
            continue
        if len(mine) > 1:
            verdict.note("duplicates", f"{key}: {len(mine)} live tokens {[t['id'] for t in mine]}")
        if record is None or record.id not in {t["id"] for t in mine}:
            verdict.note("missing", f"{key}: state does not record its live token")
            continue
        if record.pending_since is not None:
            verdict.note("orphans", f"{key}: state still has a create intent")
        # A retiring ID no longer live is harmless (IDs are never reused); a live one
        # that is not the key's token is an orphan, counted below.
        if not record.delivered:
            verdict.note("undelivered", f"{key}: secret not delivered")
        token = live[record.id]
        have = live_accesses(token)
        if have != wanted_accesses(config_path, key):
            verdict.note("wrong_accesses", f"{key}: accesses {sorted(map(str, have))}")
        if secrets_dir is not None:
            env_file = _delivered_dir(config.tokens[key], secrets_dir) / org / f"{key}.env"
            secret = _secret_in(env_file)
            if secret is None or not store.secret_matches(org, record.id, secret):
                verdict.note("undelivered", f"{key}: {env_file} does not hold the live secret")
    for token in live.values():
        if token["id"] in foreign or token["id"] in recorded or token["id"] in retiring:
            continue
        if token["name"] in managed_names:
            verdict.note("orphans", f"orphan {token['id']} named {token['name']!r}")
    for key in set(state.tokens) - set(config.tokens):
        verdict.note("orphans", f"state still holds removed key {key}")
    return verdict


def _delivered_dir(spec: TokenSpec, default: Path) -> Path:
    """Where a key's .env file is: its own `- dir:` entry, or the flags' folder."""
    for destination in spec.deliver or ():
        if isinstance(destination, DirDestination):
            return Path(destination.path)
    return default


def _secret_in(env_file: Path) -> str | None:
    try:
        lines = env_file.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("PLANETSCALE_SERVICE_TOKEN="):
            return line.split("=", 1)[1]
    return None


def mirror_s3_state(remote: S3, key: str, state_path: Path, guard: LeakGuard) -> None:
    """Copy an S3 state (and its backup) to `state_path`, so the file checks read it;
    each object also goes to the leak guard."""
    for name, path in ((key, state_path), (key + ".backup", state_path.with_name(
            state_path.name + ".backup"))):
        body = remote.get(name)
        if body is None:
            path.unlink(missing_ok=True)
            continue
        guard.text(f"s3 object {name}", body.decode("utf-8", "surrogateescape"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def state_is_valid(state_path: Path, org: str) -> bool:
    """The state file (if any) loads; so does its backup (if any)."""
    store = FileStateStore(state_path)
    store.load(org)
    if store.backup_path.exists():
        json.loads(store.backup_path.read_text())
    return True
