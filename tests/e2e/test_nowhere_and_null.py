"""A new token must never go live with nobody holding it, against the emulator.

The second trial's H3 and M5: a library caller asked for no destination at all
(`default_deliver=()`), and a destination holding a null character passed
`validate` then crashed apply mid-way, each leaving a live token no state
knew (or an old token deleted for a new one that went nowhere).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pstokens import (
    AllSinks,
    CommandSink,
    Credentials,
    DirDestination,
    FileStateStore,
    InvalidDestination,
    PlanetScaleClient,
    PlanOptions,
    SecretSink,
    UsageError,
    Workspace,
    load_config,
)
from tests.e2e.conftest import API_KEY, Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  app:
    accesses:
      databases:
        app: [read_branch]
"""


@pytest.fixture
def applied(cli: Cli, emulator: Emulator, workdir: Path) -> Path:
    """`app` applied once: its token live, its .env file in .pstokens/secrets."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0
    return workdir / ".pstokens" / "secrets" / "acme" / "app.env"


def workspace(emulator: Emulator, workdir: Path) -> Workspace:
    return Workspace("acme", FileStateStore(workdir / "state" / "acme.json"),
                     connect=lambda: PlanetScaleClient(emulator.url,
                                                       Credentials.bearer(API_KEY)),
                     config=load_config(workdir / "pstokens.yaml"))


def ids(emulator: Emulator) -> list[str]:
    return sorted(t["id"] for t in emulator.tokens())


def test_the_library_cannot_replace_a_token_into_no_destination(
    cli: Cli, emulator: Emulator, workdir: Path, applied: Path
) -> None:
    before, env = ids(emulator), applied.read_text()
    with pytest.raises(UsageError, match="no destination"):
        PlanOptions(replace=frozenset({"app"}), default_deliver=())
    options = PlanOptions(replace=frozenset({"app"}))
    object.__setattr__(options, "default_deliver", ())  # got past the constructor
    with pytest.raises(UsageError, match="no destination"):
        asyncio.run(workspace(emulator, workdir).apply(options))
    with pytest.raises(UsageError, match="no destination"):
        asyncio.run(workspace(emulator, workdir).plan(options))
    assert ids(emulator) == before and applied.read_text() == env
    assert "No changes." in cli("plan").out


@pytest.mark.parametrize("sink", [AllSinks([]), CommandSink("cat\0x")],
                         ids=["no-destination", "null-in-command"])
def test_a_sink_that_delivers_nowhere_or_raises_leaves_the_old_token_as_it_was(
    sink: SecretSink, cli: Cli, emulator: Emulator, workdir: Path, applied: Path
) -> None:
    before, env = ids(emulator), applied.read_text()
    for _ in range(2):  # no run leaves another live token behind
        _, result = asyncio.run(workspace(emulator, workdir).apply(
            PlanOptions(replace=frozenset({"app"})), sink=sink))
        assert result is not None and result.errors
        assert ids(emulator) == before and applied.read_text() == env
    assert "No changes." in cli("plan").out


def test_a_null_character_in_a_destination_is_a_config_error_before_any_token(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml",
                 CONFIG + '    deliver: [{command: "cat\\u0000x"}, {dir: "a\\u0000b"}]\n')
    for args in (("validate",), ("apply", "--auto-approve")):
        result = cli(*args)
        assert result.code == 1 and "internal error" not in result.err
        assert "pstokens.yaml:7:25: bad command" in result.err
        assert "pstokens.yaml:7:46: bad folder" in result.err
        assert "null character" in result.err
    assert emulator.tokens() == []


@pytest.mark.parametrize("make", [lambda: DirDestination("a\0b"), lambda: DirDestination(""),
                                  lambda: DirDestination("  ")])
def test_a_destination_that_could_never_deliver_is_refused_when_made(make: object) -> None:
    with pytest.raises(InvalidDestination):
        make()  # type: ignore[operator]


def test_an_empty_secrets_dir_is_refused_like_an_empty_secrets_command(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    for flag in ("--secrets-dir", "--secrets-command"):
        result = cli("apply", "--auto-approve", flag, "")
        assert result.code == 1 and f"{flag} is empty" in result.err
    assert emulator.tokens() == [] and not (workdir / ".pstokens" / "secrets").exists()
