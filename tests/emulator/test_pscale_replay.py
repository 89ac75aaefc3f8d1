"""`pscale`'s exact request bytes, replayed at the emulator: every command does its work."""

from __future__ import annotations

from datetime import datetime

from pstokens.emulator import EmulatorSettings, EmulatorStore

from . import pscale
from .conftest import start_emulator

ORG = "acme"
DATABASE = "app-prod"


def held(store: EmulatorStore, token_id: str) -> set[tuple[str, str | None]]:
    return {
        (a["access"], a["resource"]["name"] if a["resource"]["type"] == "Database" else None)
        for a in store.accesses(ORG, token_id)
    }


def test_every_pscale_service_token_command_works_byte_for_byte() -> None:
    store = EmulatorStore()
    # pscale authenticates with a service token the emulator itself issued.
    caller, secret = store.create_token(ORG, "pscale-cli")
    store.grant(ORG, caller["id"], ["read_service_tokens"])  # `list` is enforced
    authorization = f"{caller['id']}:{secret}"
    settings = EmulatorSettings(organizations=(ORG,), databases=(DATABASE,))
    with start_emulator(settings, store) as emu:

        def run(step: pscale.Step) -> pscale.Reply:
            return pscale.send(emu.base_url, pscale.request_bytes(emu.base_url, ORG, step,
                                                                   authorization))

        created = run(pscale.create_step("pscale-made"))
        assert created.status == 200, created.body
        token = created.json()
        token_id = token["id"]
        assert token["name"] == "pscale-made" and token["token"].startswith("pscale_tkn_")
        datetime.fromisoformat(token["created_at"])  # Go reads it as a time.Time
        replies = {step.command: run(step) for step in pscale.steps(token_id, DATABASE)}
        # What each command left behind, read at the end from the store.
        gone = store.token_count(ORG) == 1

    assert {command: reply.status for command, reply in replies.items()} == {
        "list": 200,
        f"add-access --database {DATABASE}": 200,
        "add-access": 200,
        "show-access": 200,
        f"delete-access --database {DATABASE}": 200,
        "delete-access": 200,
        "delete": 204,
    }
    listed = replies["list"].json()["data"]
    assert [t["id"] for t in listed] == [caller["id"], token_id]
    assert all(t["token"] is None for t in listed)
    added = {(a["access"], a["resource"]["type"]) for a in replies["add-access"].json()["data"]}
    assert added == {("read_branch", "Database"), ("create_branch", "Database"),
                     ("read_databases", "Organization")}
    shown = replies["show-access"].json()["data"]
    assert {(a["access"], a["resource"]["name"]) for a in shown} == {
        ("read_branch", DATABASE), ("create_branch", DATABASE), ("read_databases", ORG)
    }
    after_db_revoke = replies[f"delete-access --database {DATABASE}"].json()["data"]
    assert {a["access"] for a in after_db_revoke} == {"read_branch", "read_databases"}
    assert [a["access"] for a in replies["delete-access"].json()["data"]] == ["read_branch"]
    assert replies["delete"].body == b""
    assert gone  # only pscale's own token is left
    assert store.token(ORG, caller["id"])["last_used_at"] is not None


def test_the_replayed_bytes_are_what_planetscale_go_writes() -> None:
    """The wire format the replay relies on, spelled out once (from planetscale-go)."""
    steps = {step.command: step for step in pscale.steps("tok123", DATABASE)}
    assert pscale.create_step("my-token").body == b'{"name":"my-token"}\n'
    assert steps["add-access"].body == b'{"database":"","access":["read_databases"]}\n'
    raw = pscale.request_bytes("http://127.0.0.1:9/v1", ORG, steps["delete"], "id:secret")
    assert raw == (
        b"DELETE /v1/organizations/acme/service-tokens/tok123 HTTP/1.1\r\n"
        b"Host: 127.0.0.1:9\r\n"
        b"User-Agent: pscale-cli/dev planetscale-go/unknown\r\n"
        b"Accept: application/json\r\n"
        b"Authorization: id:secret\r\n"
        b"Content-Type: application/json\r\n"
        b"Accept-Encoding: gzip\r\n\r\n"
    )
    listing = pscale.request_bytes("http://127.0.0.1:9/v1", ORG, steps["list"], "id:secret")
    assert listing.startswith(b"GET /v1/organizations/acme/service-tokens HTTP/1.1\r\n")
    assert b"Content-Type" not in listing and b"Content-Length" not in listing
