"""Every public name refuses a value of the wrong kind with pstokens' `UsageError`
naming the parameter and what it expected (docs/python.md), never Python's own
TypeError or AttributeError from deep inside, and never a value that may be a
secret (a new-user trial met each case below)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pstokens
from tests.e2e.conftest import API_KEY, Emulator, write_config

CONFIG = "organization: acme\ntokens:\n  ci:\n    accesses:\n      organization: [read_databases]\n"
SECRET_NUMBER = 918273645546372819


@pytest.fixture
def workspace(emulator: Emulator, workdir: Path) -> Callable[..., pstokens.Workspace]:
    """A Workspace of the right inputs, any of them replaced."""
    write_config(workdir / "pstokens.yaml", CONFIG)

    def make(**wrong: Any) -> pstokens.Workspace:
        given = {"organization": "acme",
                 "store": pstokens.FileStateStore(workdir / "state" / "acme.json"),
                 "connect": lambda: pstokens.PlanetScaleClient(
                     emulator.url, pstokens.Credentials.bearer(API_KEY)),
                 "config": pstokens.load_config(workdir / "pstokens.yaml")}
        return pstokens.Workspace(**(given | wrong))
    return make


Call = Callable[[Callable[..., pstokens.Workspace]], object]

CASES: dict[str, tuple[Call, str]] = {
    "load_config(123)": (lambda _: pstokens.load_config(123),  # type: ignore[arg-type]
                         "load_config path must be the config file's path"),
    "load_config(None)": (lambda _: pstokens.load_config(None),  # type: ignore[arg-type]
                          "load_config path must be the config file's path"),
    "parse_config(dict)": (lambda _: pstokens.parse_config(  # type: ignore[arg-type]
        {"organization": "acme"}), "parse_config text must be the config's YAML as a str"),
    "parse_config(123)": (lambda _: pstokens.parse_config(123),  # type: ignore[arg-type]
                          "parse_config text must be the config's YAML as a str"),
    "parse_config(None)": (lambda _: pstokens.parse_config(None),  # type: ignore[arg-type]
                           "parse_config text must be the config's YAML as a str"),
    "FileStateStore(123)": (lambda _: pstokens.FileStateStore(123),  # type: ignore[arg-type]
                            "FileStateStore path must be the state file's path"),
    "FileStateStore(None)": (lambda _: pstokens.FileStateStore(None),  # type: ignore[arg-type]
                             "FileStateStore path must be the state file's path"),
    "S3StateStore(1)": (lambda _: pstokens.S3StateStore(1),  # type: ignore[arg-type]
                        "S3StateStore url must be an s3:// URL"),
    "Credentials.from_env(None)": (
        lambda _: pstokens.Credentials.from_env(None),  # type: ignore[arg-type]
        "Credentials.from_env env must be a mapping of variable names to values, such as "
        "os.environ, not NoneType"),
    "Credentials.from_env('k')": (
        lambda _: pstokens.Credentials.from_env("k"),  # type: ignore[arg-type]
        "Credentials.from_env env must be a mapping of variable names to values, such as "
        "os.environ, not str"),
    "Credentials.from_env(key: int)": (
        lambda _: pstokens.Credentials.from_env(
            {"PLANETSCALE_API_KEY": SECRET_NUMBER}),  # type: ignore[dict-item]
        "Credentials.from_env env['PLANETSCALE_API_KEY'] must be a str, not int"),
    "ws.who_can(123)": (lambda make: asyncio.run(make().who_can(123)),  # type: ignore[arg-type]
                        "operation must be an operation's name"),
    "ws.push(123)": (lambda make: make().push(123),  # type: ignore[arg-type]
                     "file must be the path of a local state file"),
    "ws.adopt(1, 2)": (lambda make: asyncio.run(make().adopt(1, 2)),  # type: ignore[arg-type]
                       "key must be the config key to adopt the token as"),
    "CommandSink(1)": (lambda _: pstokens.CommandSink(1),  # type: ignore[arg-type]
                       "CommandSink command must be a shell command"),
    "WebhookNotifier(1, 2)": (lambda _: pstokens.WebhookNotifier(1, 2),  # type: ignore[arg-type]
                              "WebhookNotifier targets must be a collection of NotifyTarget"),
    "connect returns 1, then plan()": (
        lambda make: asyncio.run(make(connect=lambda: 1).plan()),
        "Workspace connect must return a client to open with `async with`, but it returned "
        "int"),
    "Workspace(notifier=1)": (lambda make: make(notifier=1),
                              "Workspace notifier must be a Notifier (such as WebhookNotifier)"),
    "Workspace(notifier='x')": (lambda make: make(notifier="x"),
                                "Workspace notifier must be a Notifier (such as WebhookNotifier)"),
    "DirectorySink(1)": (lambda _: pstokens.DirectorySink(1),  # type: ignore[arg-type]
                         "DirectorySink root must be a folder's path"),
    "AllSinks('x')": (lambda _: pstokens.AllSinks("x"),  # type: ignore[arg-type]
                      "AllSinks sinks must be a list of sinks (DirectorySink, CommandSink)"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_value_of_the_wrong_kind_is_a_usage_error_naming_what_was_expected(
    workspace: Callable[..., pstokens.Workspace], emulator: Emulator, case: str
) -> None:
    call, says = CASES[case]
    with pytest.raises(pstokens.UsageError) as caught:
        call(workspace)
    assert says in caught.value.message
    assert str(SECRET_NUMBER) not in f"{caught.value.message} {caught.value.hint}"
    assert emulator.tokens() == []


def test_a_directory_sink_takes_a_path_given_as_text() -> None:
    assert pstokens.DirectorySink("x").root == Path("x")
