"""Rotation never breaks a consumer: the promise, tested from the consumers' side.

Consumers (tests/reliability/consumers.py) read their destination every 10 ms
and list a database's branches with what they read, while pstokens rotates
their tokens: `--replace`, `rotate_after`, leaks, `overlap` 0 and 1h,
`retire_when_unused`, one to three destinations, 1 and 50 tokens an apply,
with injected faults (500s, lost answers, 429s) and with new tokens that
PlanetScale refuses. Not one of their calls may fail. The regular suite runs
each scenario once with few rounds; `--long` runs them all in full and
prints the figures (rotations, calls, failures by scenario).
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pstokens.emulator import EmulatorSettings
from tests.reliability import verification
from tests.reliability.conftest import GuardedCli, KeptAliveEmulator, LeakGuard, serving
from tests.reliability.consumers import (
    FIGURES,
    Consumer,
    Destination,
    Tally,
    write_store_program,
)

ORG = "acme"
DATABASE = "app-prod"
CALL = f"/organizations/{ORG}/databases/{DATABASE}/branches"  # list_branches
WATCHED = 5  # tokens with consumers in a case of many tokens
MAX_RERUNS = 8  # applies a faulty emulator may need before one succeeds


@dataclass(frozen=True)
class Case:
    name: str
    trigger: str  # replace | rotate_after | leak
    tokens: int = 1
    kinds: tuple[str, ...] = ("dir",)
    overlap: str | None = None
    retire_when_unused: str | None = None
    rounds: int = 3
    long_rounds: int = 8
    faults: bool = False
    refused_rounds: int = 0  # rounds whose new tokens PlanetScale refuses

    def token_keys(self) -> list[str]:
        return [f"svc-{i:02d}" for i in range(self.tokens)]


CASES = [
    Case("replace, overlap 0, one folder", "replace", rounds=3, long_rounds=30),
    Case("replace, overlap 1h, three destinations", "replace", kinds=("dir", "env", "json"),
         overlap="1h", rounds=3, long_rounds=20),
    Case("rotate_after, 50 tokens, two destinations", "rotate_after", tokens=50,
         kinds=("dir", "env"), rounds=1, long_rounds=2),
    Case("replace, 50 tokens, faults", "replace", tokens=50, faults=True, rounds=1,
         long_rounds=2),
    Case("leaks, overlap 1h and retire_when_unused", "leak", tokens=3, kinds=("json",),
         overlap="1h", retire_when_unused="30m", rounds=2, long_rounds=8),
    Case("replace, retire_when_unused, two destinations", "replace", tokens=2,
         kinds=("dir", "json"), retire_when_unused="30m", rounds=2, long_rounds=8),
    Case("replace, new tokens refused, then accepted", "replace", kinds=("dir", "env"),
         refused_rounds=1, rounds=2, long_rounds=6),
]


@dataclass
class Rig:
    case: Case
    emulator: KeptAliveEmulator
    cli: GuardedCli
    workdir: Path
    tally: Tally
    consumers: list[Consumer] = field(default_factory=list)

    @property
    def admin(self) -> str:
        return self.emulator.url.removesuffix("/v1") + "/_emulator"

    def destinations(self, key: str) -> list[Destination]:
        out = []
        for index, kind in enumerate(self.case.kinds):
            if kind == "dir":
                out.append(Destination(kind, self.workdir / f"folder-{index}", ORG, key))
            else:
                path = self.workdir / f"store-{index}" / f"{key}.{kind}"
                out.append(Destination(kind, path, ORG, key))
        return out

    def write_config(self) -> None:
        program = write_store_program(self.workdir / "bin")
        for index, kind in enumerate(self.case.kinds):
            if kind != "dir":
                (self.workdir / f"store-{index}").mkdir(exist_ok=True)
        tokens: dict[str, Any] = {}
        for key in self.case.token_keys():
            body: dict[str, Any] = {
                "deliver": [d.config(program) for d in self.destinations(key)],
                "accesses": {"databases": {DATABASE: ["read_branch"]}},
            }
            if self.case.overlap:
                body["overlap"] = self.case.overlap
            if self.case.retire_when_unused:
                body["retire_when_unused"] = self.case.retire_when_unused
            if self.case.trigger == "rotate_after":
                body["rotate_after"] = "30d"
            tokens[key] = body
        document = {"organization": ORG, "safety": {"max_delete_percent": 100},
                    "tokens": tokens}
        (self.workdir / "pstokens.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    def state_ids(self) -> dict[str, str]:
        tokens = json.loads((self.workdir / "state" / f"{ORG}.json").read_text())["tokens"]
        return {k: v["id"] for k, v in tokens.items() if v.get("id")}

    def apply(self, *args: str, expect_refusal: bool = False) -> None:
        for _ in range(MAX_RERUNS if self.case.faults else 1):
            result = self.cli("apply", "--auto-approve", *args)
            assert "Traceback" not in result.both and "internal error" not in result.err
            if result.code == 0 or expect_refusal:
                if expect_refusal:
                    assert result.code == 1, result.both
                return
            assert self.case.faults, result.both
        raise AssertionError(f"{self.case.name}: apply did not converge")

    def watch(self) -> None:
        for key in self.case.token_keys()[:WATCHED]:
            for destination in self.destinations(key):
                consumer = Consumer(self.emulator.url, destination, CALL).start()
                self.consumers.append(consumer)

    def trigger(self) -> None:
        """Make every token due for replacement the way the case does it."""
        if self.case.trigger == "rotate_after":
            old = datetime.now(UTC) - timedelta(days=31)
            for token_id in self.state_ids().values():
                self.emulator.store.set_times(ORG, token_id, created_at=old)
        elif self.case.trigger == "leak":
            for key, token_id in self.state_ids().items():
                answer = httpx.post(
                    f"{self.admin}/organizations/{ORG}/audit-log",
                    json={"audit_action": "service_token.token_leaked", "target_id": token_id,
                          "target_type": "ServiceToken", "target_display_name": key},
                )
                assert answer.status_code < 300, answer.text

    def rotate(self, *, refused: bool) -> None:
        before = self.state_ids()
        self.trigger()
        args = [a for k in self.case.token_keys() for a in ("--replace", k)]
        if self.case.trigger != "replace":
            args = []
        if refused:
            for key in self.case.token_keys():
                self._refuse(key, True)
        self.apply(*args, expect_refusal=refused)
        if refused:
            for key in self.case.token_keys():
                self._refuse(key, False)
            assert self.state_ids() == before  # nothing replaced, nothing delivered
            for consumer in self.consumers:
                consumer.wait_for_call_with(before[consumer.destination.key])
            return
        after = self.state_ids()
        rotated = [k for k in before if after.get(k) != before[k]]
        assert sorted(rotated) == sorted(before), (before, after)
        self.tally.rotations += len(rotated)
        if self.case.trigger == "leak":  # gone in the same apply, overlap or not
            live = {t["id"] for t in self.emulator.store.tokens(ORG)}
            assert live.isdisjoint(before.values()), "a leaked token outlived its apply"
        for consumer in self.consumers:
            consumer.wait_for_call_with(after[consumer.destination.key])

    def _refuse(self, name: str, refused: bool) -> None:
        answer = httpx.post(f"{self.admin}/refuse", json={"name": name, "refused": refused})
        assert answer.status_code == 200, answer.text

    def retire_quietly(self) -> None:
        """Once consumers moved on, PlanetScale saw the old tokens last used long ago:
        the next apply deletes them (and only them)."""
        if not self.case.retire_when_unused or self.case.trigger == "leak":
            return
        live = {t["id"] for t in self.emulator.store.tokens(ORG)}
        current = set(self.state_ids().values())
        old = live - current
        assert old, "retire_when_unused kept no old token"
        long_ago = datetime.now(UTC) - timedelta(hours=2)
        for token_id in old:
            self.emulator.store.set_times(ORG, token_id, last_used_at=long_ago)
        if self.case.overlap:
            return  # the overlap (1h) has not passed: they stay, as the plan says
        self.apply()
        assert {t["id"] for t in self.emulator.store.tokens(ORG)} == current


@contextlib.contextmanager
def rig(case: Case, seed: int, workdir: Path, leak_guard: LeakGuard,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    settings = EmulatorSettings(databases=(DATABASE,))
    if case.faults:
        settings = EmulatorSettings(databases=(DATABASE,), fail_rate=0.05, lose_rate=0.05,
                                    rate_limit=3000, seed=seed)
    with serving(settings) as emulator:
        cli = GuardedCli(leak_guard, capsys, monkeypatch, emulator.url)
        built = Rig(case, emulator, cli, workdir, FIGURES.setdefault(case.name, Tally()))
        try:
            yield built
        finally:
            for consumer in built.consumers:
                consumer.stop()
            built.tally.add(built.consumers)
            for consumer in built.consumers:
                leak_guard.allow(consumer.destination.file.parent)


def run_case(case: Case, rounds: int, seed: int, workdir: Path, leak_guard: LeakGuard,
             capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    verification.make_quick(monkeypatch)
    rng = random.Random(seed)
    with rig(case, seed, workdir, leak_guard, capsys, monkeypatch) as built:
        built.write_config()
        built.apply()
        built.watch()
        for consumer in built.consumers:
            consumer.wait_for_call_with(built.state_ids()[consumer.destination.key])
        refused = set(rng.sample(range(rounds), min(case.refused_rounds, rounds)))
        for number in range(rounds):
            built.rotate(refused=number in refused)
        built.retire_quietly()
        failures = [f for c in built.consumers for f in c.failed]
    assert failures == [], failures


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_consumers_never_fail_while_tokens_rotate(
    case: Case, workdir: Path, leak_guard: LeakGuard,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_case(case, case.rounds, 1, workdir, leak_guard, capsys, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_consumers_never_fail_through_many_rotations(
    case: Case, workdir: Path, leak_guard: LeakGuard,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_case(case, case.long_rounds, 7, workdir, leak_guard, capsys, monkeypatch)
