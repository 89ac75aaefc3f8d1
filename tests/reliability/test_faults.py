"""Seeded fault injection: apply against an emulator that fails, drops and throttles.

Each seed draws a config, an organization that already holds tokens (some of
them bearing the very names pstokens will create), fault rates and a rate
limit. Apply runs again and again until it succeeds, then the organization is
checked through a second, fault-free server over the same data: one live
token per key, no orphan, exact accesses, working delivered secrets, nobody
else's token touched, and an empty plan. The config then changes (keys
dropped and added, accesses and ttls changed) and the same is asked again.

The emulator's rate-limit window runs on a clock 60 times faster than the
wall, and the client's backoff is scaled down likewise, so a limit of N a
minute behaves like N a second without minutes of waiting. A few seeds run
again with the state in S3 (moto's server), written after every step as a
file would be.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pstokens.api.retry import RetryPolicy
from pstokens.emulator import EmulatorSettings, running_emulator
from pstokens.state import FileStateStore
from tests.e2e.conftest import Result
from tests.reliability.conftest import (
    SECRETS,
    GuardedCli,
    LeakGuard,
    RecordingStore,
    Verdict,
    check_organization,
    mirror_s3_state,
    pstokens_command,
    remember_delivered_secrets,
    run_pstokens,
    subprocess_env,
)
from tests.reliability.scenarios import Scenario, evolve, random_scenario
from tests.s3server import S3

QUICK_SEEDS = 12
LONG_SEEDS = 200
QUICK_S3_SEEDS = 2
LONG_S3_SEEDS = 20
MAX_RERUNS = 40
CLOCK_SPEED = 60.0  # emulator rate-limit window: one minute lasts one second
BACKOFF_SCALE = 0.1


@dataclass
class Figures:
    seeds: int = 0
    applies: int = 0  # converged applies (two per seed)
    reruns: int = 0  # failed applies that had to be run again
    max_reruns: int = 0
    failed: int = 0  # 500s injected
    lost: int = 0  # writes performed whose answer was dropped
    rate_limited: int = 0  # 429s
    requests: int = 0
    duplicates: int = 0
    orphans: int = 0
    wrong_accesses: int = 0
    foreign_deleted: int = 0
    missing: int = 0
    undelivered: int = 0
    early_deletes: int = 0
    retiring: int = 0  # replaced tokens kept working by `overlap` at the end of an apply
    problems: list[str] = field(default_factory=list)

    def add(self, verdict: Verdict, label: str) -> None:
        for kind in ("duplicates", "orphans", "wrong_accesses", "foreign_deleted", "missing",
                     "undelivered", "early_deletes", "retiring"):
            setattr(self, kind, getattr(self, kind) + getattr(verdict, kind))
        self.problems += [f"{label}: {p}" for p in verdict.problems]

    def line(self) -> str:
        return (
            f"fault injection: {self.seeds} seeds, {self.applies} converged applies, "
            f"{self.reruns} re-runs (at most {self.max_reruns} for one apply); injected "
            f"{self.failed} 500s, {self.lost} lost answers, {self.rate_limited} 429s in "
            f"{self.requests} requests; {self.duplicates} duplicates, {self.orphans} orphans, "
            f"{self.wrong_accesses} wrong accesses, {self.foreign_deleted} foreign tokens "
            f"deleted, {self.missing} missing, {self.undelivered} undelivered, "
            f"{self.retiring} replaced tokens kept by overlap, {self.early_deletes} deleted early"
        )


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    real = RetryPolicy.delay

    def delay(self: RetryPolicy, attempt: int, **options: Any) -> float:
        return real(self, attempt, **options) * BACKOFF_SCALE

    monkeypatch.setattr(RetryPolicy, "delay", delay)


def fast_clock() -> Callable[[], float]:
    start = time.monotonic()
    return lambda: (time.monotonic() - start) * CLOCK_SPEED


def populate(rng: random.Random, store: RecordingStore, scenario: Scenario) -> set[str]:
    """Tokens made by hand before pstokens ran; some share a name pstokens will use."""
    made: set[str] = set()
    now = datetime.now(UTC)
    names = [f"legacy-{i}" for i in range(rng.randint(0, 3))]
    names += rng.sample(sorted(scenario.tokens), rng.randint(0, min(2, len(scenario.tokens))))
    for name in names:
        age = rng.choice([timedelta(days=40), timedelta(minutes=2), timedelta(seconds=5)])
        token, _ = store.create_token(scenario.org, name, created_at=now - age)
        if rng.random() < 0.5:
            store.grant(scenario.org, token["id"], ["read_branch"], "app-prod")
        made.add(token["id"])
    return made


def stats_of(url: str) -> dict[str, Any]:
    return httpx.get(url.removesuffix("/v1") + "/_emulator/stats").json()


@dataclass
class Where:
    """Where a seed's state lives: its file, and the S3 object it is mirrored from, if any."""

    state_path: Path
    guard: LeakGuard
    remote: S3 | None = None
    key: str = ""

    def fetch(self) -> None:
        if self.remote is not None:
            mirror_s3_state(self.remote, self.key, self.state_path, self.guard)


def apply_until_it_succeeds(
    cli: GuardedCli, where: Where, org: str, figures: Figures, label: str
) -> None:
    for attempt in range(MAX_RERUNS + 1):
        result = cli("apply", "--auto-approve")
        assert "Traceback" not in result.both, result.both
        where.fetch()
        FileStateStore(where.state_path).load(org)  # valid after every run, failed or not
        if result.code == 0:
            figures.max_reruns = max(figures.max_reruns, attempt)
            return
        assert result.code == 1, result.both
        assert "error" in result.err.lower(), result.both
        assert "internal error" not in result.err, result.both
        figures.reruns += 1
    raise AssertionError(f"{label}: apply did not succeed in {MAX_RERUNS} re-runs")


def one_seed(
    seed: int, store: RecordingStore, clean_url: str, base: Path,
    cli_for: Callable[[str], GuardedCli], monkeypatch: pytest.MonkeyPatch, figures: Figures,
    where: Where,
) -> None:
    rng = random.Random(seed)
    org = f"fault{seed}"
    work = base / org
    work.mkdir()
    monkeypatch.chdir(work)
    settings = EmulatorSettings(
        fail_rate=rng.choice([0.0, 0.05, 0.1, 0.2]),
        lose_rate=rng.choice([0.05, 0.1, 0.2, 0.3]),
        rate_limit=rng.choice([0, 10, 20, 40]),
        seed=seed,
    )
    first = random_scenario(rng, org)
    foreign = populate(rng, store, first)
    second = evolve(rng, first)
    config = work / "pstokens.yaml"
    state_path = where.state_path = work / "state" / f"{org}.json"
    if where.remote is not None:
        where.key = f"{org}.json"
        monkeypatch.setenv("PSTOKENS_STATE", where.remote.url(where.key))
    with running_emulator(settings, store, clock=fast_clock()) as faulty_url:
        cli = cli_for(faulty_url)
        for phase, scenario in enumerate((first, second)):
            label = f"seed {seed} phase {phase} ({settings})"
            config.write_text(scenario.yaml())
            apply_until_it_succeeds(cli, where, org, figures, label)
            figures.applies += 1
            verdict = check_organization(
                store, org, config, state_path,
                managed_names=set(first.tokens) | set(second.tokens), foreign=foreign,
                secrets_dir=work / ".pstokens" / "secrets",
            )
            figures.add(verdict, label)
            plan = cli("plan", "--format", "json", "--api-url", clean_url)
            assert plan.code == 0, plan.both
            changes = json.loads(plan.out)["changes"]
            if changes:
                figures.problems.append(f"{label}: next plan not empty: {changes}")
        stats = stats_of(faulty_url)
    figures.seeds += 1
    figures.failed += stats["failed"]
    figures.lost += stats["lost"]
    figures.rate_limited += stats["rate_limited"]
    figures.requests += stats["total"]


def run_seeds(
    seeds: range, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, guard: LeakGuard, remote: S3 | None = None,
) -> Figures:
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    figures = Figures()
    store = RecordingStore(seed=seeds.start)

    def cli_for(url: str) -> GuardedCli:
        return GuardedCli(guard, capsys, monkeypatch, url)

    with running_emulator(EmulatorSettings(), store) as clean_url:
        for seed in seeds:
            where = Where(tmp_path, guard, remote)
            one_seed(seed, store, clean_url, tmp_path, cli_for, monkeypatch, figures, where)
            assert figures.problems == [], "\n".join(figures.problems)
    with capsys.disabled():
        print("\n" + figures.line() + (" (S3 state)" if remote else ""))
    return figures


def assert_clean(figures: Figures) -> None:
    assert figures.problems == []
    assert (figures.duplicates, figures.orphans, figures.wrong_accesses) == (0, 0, 0)
    assert figures.foreign_deleted == figures.missing == figures.undelivered == 0
    assert figures.early_deletes == 0
    assert figures.lost > 0 and figures.failed > 0 and figures.rate_limited > 0


def test_seeded_faults_converge_without_duplicates_or_orphans(
    fast_backoff: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    figures = run_seeds(range(1, 1 + QUICK_SEEDS), tmp_path, capsys, monkeypatch, leak_guard)
    assert figures.applies == 2 * QUICK_SEEDS
    assert_clean(figures)


@pytest.mark.slow
def test_two_hundred_seeds_of_faults_converge_without_duplicates_or_orphans(
    fast_backoff: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard,
) -> None:
    figures = run_seeds(range(1000, 1000 + LONG_SEEDS), tmp_path, capsys, monkeypatch, leak_guard)
    assert figures.seeds == LONG_SEEDS
    assert_clean(figures)


def test_seeded_faults_with_s3_state_converge_without_duplicates_or_orphans(
    fast_backoff: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard, s3: S3,
) -> None:
    figures = run_seeds(range(500, 500 + QUICK_S3_SEEDS), tmp_path, capsys, monkeypatch,
                        leak_guard, s3)
    assert figures.applies == 2 * QUICK_S3_SEEDS
    assert figures.problems == []
    assert (figures.duplicates, figures.orphans, figures.wrong_accesses) == (0, 0, 0)


@pytest.mark.slow
def test_twenty_seeds_of_faults_with_s3_state_converge(
    fast_backoff: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard, s3: S3,
) -> None:
    figures = run_seeds(range(5000, 5000 + LONG_S3_SEEDS), tmp_path, capsys, monkeypatch,
                        leak_guard, s3)
    assert figures.seeds == LONG_S3_SEEDS
    assert_clean(figures)


# -- the same, end to end: `pstokens emulator --fail-rate ...` and `pstokens apply` ---------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        pstokens_command(
            "emulator", "--port", str(port), "--data", str(tmp_path / "emulator.json"),
            "--fail-rate", "0.15", "--lose-rate", "0.25", "--seed", "42",
        ),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(base + "/_emulator/stats", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the emulator did not start"
                assert process.poll() is None, "the emulator exited"
                time.sleep(0.05)
        yield base + "/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


CLI_CONFIG = """\
organization: acme
unmanaged:
  policy: ignore
tokens:
  ci-deploy:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
  reporter:
    ttl: 30d
    accesses:
      databases:
        analytics: [read_branch]
  auditor:
    accesses:
      organization: [read_audit_logs]
"""


def read_tokens(url: str) -> list[dict[str, Any]]:
    """The organization's tokens, asked again while the emulator injects a 500."""
    for _ in range(50):
        answer = httpx.get(url + "/organizations/acme/service-tokens",
                           params={"per_page": 100}, headers={"Authorization": "Bearer x"})
        if answer.status_code == 200:
            data: list[dict[str, Any]] = answer.json()["data"]
            return data
    raise AssertionError("the emulator failed 50 reads in a row")


def test_pstokens_emulator_with_fault_flags_and_a_real_apply_process(
    emulator_process: str, tmp_path: Path, leak_guard: LeakGuard
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "pstokens.yaml").write_text(CLI_CONFIG)
    env = subprocess_env(emulator_process)
    runs: list[Result] = []
    while not runs or runs[-1].code != 0:
        assert len(runs) < MAX_RERUNS, runs[-1].both
        runs.append(run_pstokens(leak_guard, work, env, "apply", "--auto-approve"))
        assert runs[-1].code in (0, 1) and "Traceback" not in runs[-1].both
    remember_delivered_secrets(work)

    stats = stats_of(emulator_process)
    assert stats["failed"] + stats["lost"] > 0
    tokens = read_tokens(emulator_process)
    names = sorted(t["name"] for t in tokens)
    assert names == ["auditor", "ci-deploy", "reporter"]
    state = json.loads((work / "state" / "acme.json").read_text())
    assert {k: r["id"] for k, r in state["tokens"].items()} == {t["name"]: t["id"] for t in tokens}
    assert SECRETS
    final = run_pstokens(leak_guard, work, env, "plan", "--detailed-exitcode")
    # Faults still fire on reads, but reads are retried: the plan is clean.
    assert final.code == 0, final.both
