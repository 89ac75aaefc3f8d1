"""`pscale`'s exact request bytes, replayed through `pstokens serve`'s REST adapter.

`serve` runs as the CLI runs it (its CommandContext, against an emulator over
loopback), with pstokens' own credentials a token that emulator issued; the
caller presents the serve token as PlanetScale's client presents an access
token (`Authorization: Bearer ...`). Each command must do its work upstream.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from pstokens.adapters import AdapterServers
from pstokens.cli.context import CommandContext
from pstokens.cli.settings import resolve
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator
from tests.emulator import pscale

from .conftest import CRED_SECRET, SERVE_TOKEN
from .test_serve import run_serve

ORG = "acme"
DATABASE = "app-prod"


async def test_every_pscale_command_works_through_the_rest_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = EmulatorStore()
    own, secret = store.create_token(ORG, "pstokens-serve")
    store.grant(ORG, own["id"], ["read_service_tokens", "write_service_tokens",
                                 "delete_service_tokens"])  # what managing tokens needs
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN_ID", own["id"])
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN", secret)
    monkeypatch.delenv("PLANETSCALE_API_KEY", raising=False)
    settings = EmulatorSettings(organizations=(ORG,), databases=(DATABASE,))
    replies: dict[str, pscale.Reply] = {}
    remains: dict[str, int] = {}

    with running_emulator(settings, store) as api_url:
        session = CommandContext(dataclasses.replace(resolve({}, env={}), api_url=api_url))

        async def replay(servers: AdapterServers) -> None:
            base = servers.url("REST") + "/v1"

            def run(step: pscale.Step) -> pscale.Reply:
                raw = pscale.request_bytes(base, ORG, step, f"Bearer {SERVE_TOKEN}")
                return pscale.send(base, raw)

            try:
                created = await asyncio.to_thread(run, pscale.create_step("via-serve"))
                replies["create"] = created
                token_id = created.json()["id"]
                for step in pscale.steps(token_id, DATABASE):
                    if step.command == "delete":
                        remains["accesses"] = len(store.accesses(ORG, token_id))
                    replies[step.command] = await asyncio.to_thread(run, step)
            finally:
                servers.stop()

        await run_serve(session, replay)

    assert {command: reply.status for command, reply in replies.items()} == {
        "create": 200,
        "list": 200,
        f"add-access --database {DATABASE}": 200,
        "add-access": 200,
        "show-access": 200,
        f"delete-access --database {DATABASE}": 200,
        "delete-access": 200,
        "delete": 204,
    }, {command: reply.body[:200] for command, reply in replies.items()}
    created = replies["create"].json()
    assert created["name"] == "via-serve" and created["token"].startswith("pscale_tkn_")
    assert [t["name"] for t in replies["list"].json()["data"]] == ["pstokens-serve", "via-serve"]
    assert {(a["access"], a["resource"]["name"]) for a in
            replies["show-access"].json()["data"]} == {
        ("read_branch", DATABASE), ("create_branch", DATABASE), ("read_databases", ORG)
    }
    after_db_revoke = replies[f"delete-access --database {DATABASE}"].json()["data"]
    assert {a["access"] for a in after_db_revoke} == {"read_branch", "read_databases"}
    assert remains == {"accesses": 1}  # read_branch on app-prod, before the delete
    assert store.token_count(ORG) == 1  # pstokens' own token only
    assert store.token(ORG, own["id"])["last_used_at"] is not None  # its credentials were used
    assert all(CRED_SECRET not in reply.body.decode() for reply in replies.values())
    assert all(secret not in reply.body.decode() for reply in replies.values())
