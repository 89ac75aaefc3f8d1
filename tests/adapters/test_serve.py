"""`pstokens serve` as the CLI runs it: the session's client, both adapters, clean stops."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pstokens.adapters import (
    AdapterServers,
    bound,
    create_mcp_app,
    create_rest_app,
    run_adapters,
    serve_session,
)
from pstokens.adapters.bearer import check_serve_token
from pstokens.api import PlanetScaleClient
from pstokens.cli.context import CommandContext
from pstokens.cli.main import cli
from pstokens.cli.settings import Settings, resolve
from pstokens.errors import PstokensError

from .conftest import SERVE_TOKEN, Seen, mcp_session


def settings(**changes: Any) -> Settings:
    return dataclasses.replace(resolve({}, env={}), **changes)


@pytest.mark.parametrize("token", ["", "   ", "has space", "tab\there", "naïve"])
def test_serve_refuses_to_start_without_a_usable_serve_token(token: str) -> None:
    with pytest.raises(PstokensError, match="PSTOKENS_SERVE_TOKEN"):
        run_adapters(CommandContext(settings()), token, rest_port=0, mcp_port=0)


async def test_the_apps_refuse_to_be_built_without_a_serve_token(
    client: PlanetScaleClient,
) -> None:
    with pytest.raises(PstokensError, match="PSTOKENS_SERVE_TOKEN"):
        create_rest_app(client, "")
    with pytest.raises(PstokensError, match="PSTOKENS_SERVE_TOKEN"):
        create_mcp_app(client, "")


def test_a_serve_token_shorter_than_32_characters_is_refused() -> None:
    with pytest.raises(PstokensError, match="31 characters long: the adapters need at least 32"):
        run_adapters(CommandContext(settings()), "x" * 31, rest_port=0, mcp_port=0)
    with pytest.raises(PstokensError) as caught:
        check_serve_token("s3cr3t-but-short")
    assert "s3cr3t" not in str(caught.value) and "openssl rand" in str(caught.value.hint)
    assert check_serve_token("x" * 32) == "x" * 32


def test_serve_without_flags_listens_on_the_seeds_ports_on_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `pstokens serve` asks to bind, recorded instead of bound (the ports are
    not free on a shared machine): REST 127.0.0.1:8080, MCP 127.0.0.1:9090."""
    asked: list[tuple[str, int, str | None]] = []

    @contextlib.contextmanager
    def record(host: str, port: int, *, adapter: str | None = None,
               flag: str = "") -> Iterator[socket.socket]:
        asked.append((host, port, adapter))
        if adapter == "MCP":
            raise PstokensError("stopped by the test")
        with socket.socket() as unused:
            yield unused

    monkeypatch.setattr("pstokens.adapters.serve.bound", record)
    monkeypatch.setenv("PSTOKENS_SERVE_TOKEN", SERVE_TOKEN)
    result = CliRunner().invoke(cli, ["serve", "--emulator"])
    assert str(result.exception) == "stopped by the test"
    assert asked == [("127.0.0.1", 8080, "REST"), ("127.0.0.1", 9090, "MCP")]


@pytest.mark.parametrize(("busy", "adapter", "flag"),
                         [("rest", "REST", "--rest-port"), ("mcp", "MCP", "--mcp-port")])
def test_a_busy_port_is_one_clear_error_naming_the_adapter_and_its_flag(
    busy: str, adapter: str, flag: str
) -> None:
    with bound("127.0.0.1", 0) as taken:
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"rest_port": 0, "mcp_port": 0, f"{busy}_port": port}
        with pytest.raises(PstokensError) as caught:
            run_adapters(CommandContext(settings()), SERVE_TOKEN, **ports)

    assert str(caught.value).startswith(
        f"cannot listen on 127.0.0.1:{port} for the {adapter} adapter"
    )
    assert caught.value.hint is not None and flag in caught.value.hint
    assert str(port) in caught.value.hint


def test_one_port_for_both_adapters_is_refused() -> None:
    with pytest.raises(PstokensError, match="both 8123"):
        run_adapters(CommandContext(settings()), SERVE_TOKEN, rest_port=8123, mcp_port=8123)


def test_bound_listens_on_loopback_by_name() -> None:
    with bound("localhost", 0) as sock:
        assert sock.family == socket.AF_INET
        assert sock.getsockname()[0] == "127.0.0.1"


async def run_serve(
    session: CommandContext, until: Callable[[AdapterServers], object]
) -> None:
    """Run serve_session as `serve` does, call `until` once it listens, then let it end."""
    started: asyncio.Future[AdapterServers] = asyncio.get_running_loop().create_future()
    with bound("127.0.0.1", 0) as rest_socket, bound("127.0.0.1", 0) as mcp_socket:
        serving = asyncio.create_task(
            serve_session(session, SERVE_TOKEN, "127.0.0.1", rest_socket, mcp_socket,
                          started=started.set_result, log_config=None)
        )
        waiting: set[asyncio.Future[Any]] = {serving, started}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        assert started in done, serving.result()
        outcome = until(started.result())
        if asyncio.iscoroutine(outcome):
            await outcome
        await asyncio.wait_for(serving, timeout=10)


async def test_serve_with_the_embedded_emulator_needs_no_account_and_no_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seen: Seen
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("PLANETSCALE_API_KEY", "PLANETSCALE_SERVICE_TOKEN", "PLANETSCALE_SERVICE_TOKEN_ID"):
        monkeypatch.delenv(var, raising=False)
    Path("pstokens-demo.yaml").write_text("organization: acme\ntokens:\n  ci: {}\n")
    answers: dict[str, object] = {}

    async def use(servers: AdapterServers) -> None:
        headers = {"Authorization": f"Bearer {SERVE_TOKEN}"}
        async with httpx.AsyncClient(base_url=servers.url("REST"), headers=headers) as rest:
            answers["list"] = (await rest.get("/v1/organizations/acme/service-tokens")).json()
        async with mcp_session(servers, seen) as session:
            answers["plan"] = (await session.call_tool(
                "plan-service-tokens", {"config": "pstokens-demo.yaml"})).structured_content
        servers.stop()

    await run_serve(CommandContext(settings(emulator=True)), use)

    listed = answers["list"]
    assert isinstance(listed, dict)
    assert {t["name"] for t in listed["data"]} == {
        "legacy-admin", "laptop-debug", "analytics-export"
    }
    plan = answers["plan"]
    assert isinstance(plan, dict)
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("create", "ci")]
    assert len(plan["unmanaged"]) == 3
    assert not Path("state").exists()


async def test_sigint_stops_both_adapters_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    urls: list[str] = []

    def interrupt(servers: AdapterServers) -> None:
        urls.extend(servers.url(name) for name in ("REST", "MCP"))
        os.kill(os.getpid(), signal.SIGINT)

    await run_serve(CommandContext(settings(emulator=True, org="acme")), interrupt)

    for url in urls:
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient() as http:
                await http.get(url)


def test_the_serve_command_refuses_a_short_token_and_a_busy_port_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pstokens.cli.main import main

    monkeypatch.chdir(tmp_path)

    def serve(token: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("PSTOKENS_SERVE_TOKEN", token)
        with pytest.raises(SystemExit) as stopped:
            main(["serve", "--emulator", *args])
        return int(str(stopped.value.code)), capsys.readouterr().err

    short_code, short = serve("too-short-a-token")
    with bound("127.0.0.1", 0) as taken:
        taken.listen()
        port = taken.getsockname()[1]
        busy_code, busy = serve(SERVE_TOKEN, "--mcp-port", str(port), "--rest-port", "0")

    assert short_code == busy_code == 1
    assert short.startswith("Error: PSTOKENS_SERVE_TOKEN is 17 characters long")
    assert "too-short-a-token" not in short and "Traceback" not in short
    assert busy.splitlines()[0] == (
        f"Error: cannot listen on 127.0.0.1:{port} for the MCP adapter: Address already in use"
    )
    assert busy.splitlines()[1] == (
        f"Hint: another program may use port {port}: pick another with --mcp-port"
    )
    assert not (tmp_path / ".pstokens").exists()  # refused before the emulator was opened


@pytest.mark.parametrize(("args", "env", "waits"), [
    ((), {}, 0.0),
    (("--lock-timeout", "7"), {}, 7.0),
    ((), {"PSTOKENS_LOCK_TIMEOUT": "2.5"}, 2.5),
])
def test_serve_hands_its_lock_timeout_to_the_adapters_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
    env: dict[str, str], waits: float,
) -> None:
    from pstokens.adapters import serve as serving
    from pstokens.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PSTOKENS_LOCK_TIMEOUT", raising=False)
    for name, value in {**env, "PSTOKENS_SERVE_TOKEN": SERVE_TOKEN}.items():
        monkeypatch.setenv(name, value)
    asked: list[float] = []
    monkeypatch.setattr(serving, "run_adapters",
                        lambda *a, lock_timeout, **k: asked.append(lock_timeout))

    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--emulator", *args])

    assert stopped.value.code in (0, None)
    assert asked == [waits]
