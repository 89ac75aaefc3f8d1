"""`pstokens serve` against a running `pstokens apply`: its writes wait their turn.

A real apply (its own process) holds the state lock while its `deliver:`
command waits for a file the test creates; meanwhile every write through
REST and MCP is refused naming that apply, and nothing reaches the emulator.
Once the apply ends, the same calls go through. No sleep decides anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from pstokens.adapters import AdapterServers, bound, serve_session
from pstokens.cli.context import CommandContext
from pstokens.cli.settings import resolve
from tests.e2e.conftest import API_KEY, Emulator, write_config

SERVE_TOKEN = "serve-token-for-the-lock-e2e-test-0123"
WAIT = 60.0  # the longest any step may take; reaching it fails the test
TOKENS = "/v1/organizations/acme/service-tokens"


def blocking_delivery(workdir: Path) -> str:
    """A deliver command that says it has started, then waits for `release` to exist."""
    script = workdir / "deliver.sh"
    script.write_text(
        "#!/bin/sh\n"
        "cat > /dev/null\n"
        f'touch "{workdir}/delivering"\n'
        "i=0\n"
        f'while [ ! -e "{workdir}/release" ]; do\n'
        f'  i=$((i + 1)); [ "$i" -gt {int(WAIT * 20)} ] && exit 1\n'
        "  sleep 0.05\n"
        "done\n"
    )
    script.chmod(0o700)
    return str(script)


async def wait_for(path: Path, apply: subprocess.Popen[str]) -> None:
    """Until `path` exists; fails at once if the apply ends first."""
    for _ in range(int(WAIT * 20)):
        if path.exists():
            return
        assert apply.poll() is None, apply.communicate()
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path.name} never appeared")


@asynccontextmanager
async def serving(session: CommandContext) -> AsyncIterator[AdapterServers]:
    """`pstokens serve` as the CLI runs it (lock timeout 0, its default), in this loop."""
    started: asyncio.Future[AdapterServers] = asyncio.get_running_loop().create_future()
    with bound("127.0.0.1", 0) as rest_socket, bound("127.0.0.1", 0) as mcp_socket:
        task = asyncio.create_task(serve_session(
            session, SERVE_TOKEN, "127.0.0.1", rest_socket, mcp_socket,
            started=started.set_result, log_config=None,
            lock_timeout=session.settings.lock_timeout,
        ))
        waiting: set[asyncio.Future[Any]] = {task, started}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        assert started in done, task.result()
        servers = started.result()
        try:
            yield servers
        finally:
            servers.stop()
            await asyncio.wait_for(task, WAIT)


@asynccontextmanager
async def callers(servers: AdapterServers) -> AsyncIterator[tuple[httpx.AsyncClient, Client]]:
    headers = {"Authorization": f"Bearer {SERVE_TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=servers.url("REST"), headers=headers) as rest,
        httpx2.AsyncClient(headers=headers) as http,
    ):
        transport = streamable_http_client(servers.url("MCP") + "/mcp", http_client=http)
        async with Client(transport) as mcp:
            yield rest, mcp


async def every_write(
    rest: httpx.AsyncClient, mcp: Client, target: str
) -> dict[str, tuple[int | bool, str]]:
    """Each write once through REST and once through MCP: (status or tool error, text)."""
    token = f"{TOKENS}/{target}"
    org_grant = {"access": ["read_databases"]}
    revoke = {"access": ["read_branch"], "database": "app-prod"}
    answers: dict[str, tuple[int | bool, str]] = {}
    for name, response in (
        ("rest create", await rest.post(TOKENS, json={"name": "via-rest"})),
        ("rest grant", await rest.post(token + "/accesses", json=org_grant)),
        ("rest revoke", await rest.request("DELETE", token + "/access", json=revoke)),
    ):
        answers[name] = (response.status_code, response.text)
    ids = {"organization": "acme", "service_token_id": target}
    for tool, arguments in (
        ("create-service-token", {"organization": "acme", "name": "via-mcp"}),
        ("grant-service-token-access", {**ids, **org_grant}),
        ("revoke-service-token-access", {**ids, **revoke}),
        ("delete-service-token", ids),
    ):
        result = await mcp.call_tool(tool, arguments)
        assert isinstance(result, CallToolResult)
        text = "".join(b.text for b in result.content if isinstance(b, TextContent))
        answers["mcp " + tool.split("-")[0]] = (result.is_error, text)
    return answers


def delete_answer(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.text


async def test_serve_refuses_writes_while_apply_holds_the_lock_and_makes_them_after(
    emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(workdir / "pstokens.yaml", (
        "organization: acme\n"
        "tokens:\n"
        "  ci:\n"
        "    deliver:\n"
        f"      - command: {blocking_delivery(workdir)}\n"
    ))
    env: dict[str, Any] = {"PLANETSCALE_API_URL": emulator.url, "PLANETSCALE_API_KEY": API_KEY,
                           "PSTOKENS_RATE_LIMIT": "0"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Two unmanaged tokens for serve to delete, grant to and revoke from.
    first, _ = emulator.store.create_token("acme", "first")
    second, _ = emulator.store.create_token("acme", "second")
    for token in (first, second):
        emulator.store.grant("acme", token["id"], ["read_branch"], "app-prod")

    def world() -> list[tuple[str, list[str]]]:
        return sorted(
            (str(t["name"]), sorted(a["access"] for a in emulator.store.accesses("acme", t["id"])))
            for t in emulator.tokens()
        )

    apply = subprocess.Popen(
        [sys.executable, "-m", "pstokens", "apply", "--auto-approve"], cwd=workdir,
        env={**{k: v for k, v in os.environ.items()
                if not k.startswith(("PSTOKENS_", "PLANETSCALE_"))}, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        await wait_for(workdir / "delivering", apply)
        during = world()  # `ci` is created; apply holds the lock until delivery ends
        session = CommandContext(dataclasses.replace(resolve({}), api_url=emulator.url))
        async with serving(session) as servers, callers(servers) as (rest, mcp):
            refused = await every_write(rest, mcp, first["id"])
            refused["rest delete"] = delete_answer(await rest.delete(f"{TOKENS}/{second['id']}"))
            untouched = world()
            (workdir / "release").touch()
            out, err = await asyncio.to_thread(apply.communicate, timeout=WAIT)
            made = await every_write(rest, mcp, first["id"])
            made["rest delete"] = delete_answer(await rest.delete(f"{TOKENS}/{second['id']}"))
    finally:
        (workdir / "release").touch()
        if apply.poll() is None:
            apply.kill()
            apply.communicate()

    assert apply.returncode == 0, out + err
    assert ("ci", []) in during
    assert untouched == during  # nothing created, deleted, granted or revoked
    for name, (outcome, text) in refused.items():
        if name.startswith("rest"):
            assert outcome == 409, (name, text)
            assert '"code":"state_locked"' in text.replace(" ", ""), (name, text)
        else:
            assert outcome is True, (name, text)
        assert f"is locked by pid {apply.pid} on " in text, (name, text)
        assert "apply --auto-approve" in text and "nothing was sent to PlanetScale" in text, name
    assert {name: outcome for name, (outcome, _) in made.items()} == {
        "rest create": 200, "rest grant": 200, "rest revoke": 200, "rest delete": 204,
        "mcp create": False, "mcp grant": False, "mcp revoke": False, "mcp delete": False,
    }, made
    assert sorted(name for name, _ in world()) == ["ci", "via-mcp", "via-rest"]
