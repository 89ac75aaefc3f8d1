"""`--emulator` processes side by side on one data file lose none of each other's writes.

Each process runs the emulator in-process on `.pstokens/emulator.json`; every
change is a read-modify-write of that file under its lock. Before it was, 12
parallel `exec`s each said "deleted" and 7 of their leases stayed live.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import httpx

from pstokens.cli.context import CommandContext
from pstokens.cli.settings import EMULATOR_DATA, resolve
from pstokens.emulator import EmulatorStore
from tests.e2e.conftest import write_config
from tests.e2e.test_serve_lock import SERVE_TOKEN, TOKENS, serving

PARALLEL = 12
WAIT = 120.0  # the longest the whole batch may take; reaching it fails the test
CONFIG = """\
organization: acme
tokens:
  ci-deploy:
    accesses:
      databases:
        app-prod: [read_branch]
  web:
    accesses:
      organization: [read_organization]
"""


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}


def pstokens(workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pstokens", "--emulator", *args], cwd=workdir,
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def names_in(workdir: Path) -> list[str]:
    """The token names the shared data file holds, read as a fresh process would."""
    return sorted(str(t["name"]) for t in EmulatorStore(workdir / EMULATOR_DATA).tokens("acme"))


def test_parallel_execs_delete_every_lease_they_made(workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    execs = [pstokens(workdir, "exec", "ci-deploy", "--", "true") for _ in range(PARALLEL)]
    outcomes = [(p.wait(WAIT), *p.communicate()) for p in execs]

    assert [code for code, _, _ in outcomes] == [0] * PARALLEL, outcomes
    names = names_in(workdir)
    assert [n for n in names if "+lease-" in n] == []
    # The demo organization the first run seeds, seeded once although 12 runs were first.
    assert len(names) == len(set(names)) == 3, names


async def test_serve_beside_cli_applies_loses_no_write(workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    session = CommandContext(dataclasses.replace(resolve({}, env={}), emulator=True))
    headers = {"Authorization": f"Bearer {SERVE_TOKEN}"}
    async with serving(session) as servers, httpx.AsyncClient(
            base_url=servers.url("REST"), headers=headers) as rest:
        first = await rest.post(TOKENS, json={"name": "via-serve-1"})
        apply = await asyncio.to_thread(
            lambda: pstokens(workdir, "apply", "--auto-approve").communicate(timeout=WAIT))
        second = await rest.post(TOKENS, json={"name": "via-serve-2"})
        listed = await rest.get(TOKENS, params={"per_page": 100})

    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    made = {"ci-deploy", "web", "via-serve-1", "via-serve-2"}
    assert made <= set(names_in(workdir)), apply  # the file holds every process's writes
    assert made <= {t["name"] for t in listed.json()["data"]}  # and serve sees the CLI's
