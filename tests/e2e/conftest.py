"""End-to-end fixtures: a real emulator on loopback, and the CLI run in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pstokens.cli.main import main
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator

API_KEY = "e2e-test-api-key-3f9c1a77"


@dataclass
class Emulator:
    url: str
    store: EmulatorStore
    org: str = "acme"

    def stats(self) -> dict[str, Any]:
        return httpx.get(self.url.removesuffix("/v1") + "/_emulator/stats").json()

    def reset_stats(self) -> None:
        httpx.post(self.url.removesuffix("/v1") + "/_emulator/stats/reset")

    def calls(self, route: str) -> int:
        """Requests made to `METHOD /template`, e.g. 'POST .../access'."""
        by_route: dict[str, dict[str, int]] = self.stats()["by_route"]
        return sum(sum(c.values()) for key, c in by_route.items() if key.endswith(route))

    def tokens(self) -> list[dict[str, Any]]:
        return self.store.tokens(self.org)

    def by_name(self, name: str) -> list[dict[str, Any]]:
        return [t for t in self.tokens() if t["name"] == name]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    store = EmulatorStore()
    with running_emulator(EmulatorSettings(), store) as url:
        yield Emulator(url, store)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    return tmp_path


class Cli:
    """Runs `pstokens ARGS` in-process, as a user would from the shell."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                 url: str | None) -> None:
        self._capsys = capsys
        self._monkeypatch = monkeypatch
        self.transcript: list[str] = []
        if url is not None:
            monkeypatch.setenv("PLANETSCALE_API_URL", url)
            monkeypatch.setenv("PLANETSCALE_API_KEY", API_KEY)
        monkeypatch.setenv("PSTOKENS_RATE_LIMIT", "0")

    def __call__(self, *args: str, stdin: str = "") -> Result:
        import io
        import sys

        self._capsys.readouterr()
        self._monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = self._capsys.readouterr()
        self.transcript += [captured.out, captured.err]
        return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(emulator: Emulator, workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch, emulator.url)


def write_config(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def secrets_in(root: Path) -> dict[str, str]:
    """Key -> secret of every .env file delivered under `root`."""
    found = {}
    for env_file in root.rglob("*.env"):
        for line in env_file.read_text().splitlines():
            if line.startswith("PLANETSCALE_SERVICE_TOKEN="):
                found[env_file.stem] = line.split("=", 1)[1]
    return found


def files_containing(root: Path, needles: list[str], *, skip: Path | None = None) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        if not path.is_file() or (skip is not None and skip in path.parents):
            continue
        data = path.read_bytes()
        if any(n.encode() in data for n in needles):
            hits.append(path)
    return hits
