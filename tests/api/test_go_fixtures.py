"""The answers of PlanetScale's own client fixtures (planetscale-go), through the CLI.

Those fixtures show the least the API may send: list items with only `id`,
`type`, `token`, `name`, `created_at`, `last_used_at`; access items with no
`description` or resource timestamps beyond two. `export`, `import`, `plan`
and `apply` must work on them. A create answer carrying a
`plain_text_refresh_token` must leave it nowhere: not in output, logs,
state, plans or delivered files.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml

from tests.e2e.conftest import Cli

from .helpers import BASE_URL, NEW_SECRET, ORG

TOKENS = f"/organizations/{ORG}/service-tokens"
# Every plan reads the audit log for leaks: an empty one here.
AUDIT_LOG = f"/organizations/{ORG}/audit-log"
NO_EVENTS = {"type": "list", "has_next": False, "has_prev": False, "cursor_start": None,
             "cursor_end": None, "data": []}
CONFIG = (
    f"organization: {ORG}\ntokens:\n  ci:\n    accesses:\n"
    "      organization: [read_databases]\n"
)
REFRESH = "pscale_rtkn_REFRESHsecretNEVERtoBEshown0123"
# Verbatim from planetscale-go's service_tokens_test.go (TestServiceTokens_List, _GetAccess).
GO_LIST = (
    '{"type":"list","next_page":null,"prev_page":null,"data":[{"id":"txhc257pxjuc",'
    '"type":"ServiceToken","token":null,"name":"list-token",'
    '"created_at":"2021-01-14T10:19:23.000Z","last_used_at":null}]}'
)
GO_ACCESS = (
    '{"type":"list","next_page":null,"prev_page":null,"data":[{"id":"hjqui654yu71",'
    '"type":"DatabaseAccess","resource":{"id":"1lbjwnp48b6r","type":"Database",'
    '"name":"hidden-river-4209","created_at":"2021-01-14T10:19:23.000Z",'
    '"updated_at":"2021-01-14T10:19:23.000Z"},"access":"read_comment"}]}'
)
GO_TOKEN = (
    '{"id":"txhc257pxjuc","type":"ServiceToken","token":null,"name":"list-token",'
    '"created_at":"2021-01-14T10:19:23.000Z","last_used_at":null}'
)


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.chdir(tmp_path)
    return Cli(capsys, monkeypatch, BASE_URL)


@pytest.fixture
def go_api() -> respx.MockRouter:
    """A PlanetScale that answers as the Go client's fixtures do, and nothing more."""
    with respx.mock(base_url=BASE_URL, assert_all_mocked=True, assert_all_called=False) as router:
        router.get(TOKENS).respond(200, text=GO_LIST)
        router.get(f"{TOKENS}/txhc257pxjuc").respond(200, text=GO_TOKEN)
        router.get(f"{TOKENS}/txhc257pxjuc/access").respond(200, text=GO_ACCESS)
        router.get(AUDIT_LOG).respond(200, json=NO_EVENTS)
        yield router


def test_export_import_and_plan_work_on_the_go_fixtures_minimal_shapes(
    cli: Cli, go_api: respx.MockRouter
) -> None:
    exported = cli("export", "--org", ORG)
    assert exported.code == 0, exported.err
    config = yaml.safe_load(exported.out)
    assert config["tokens"] == {
        "list-token": {"accesses": {"databases": {"hidden-river-4209": ["read_comment"]}}}
    }
    Path("pstokens.yaml").write_text(exported.out)

    imported = cli("import", "list-token", "txhc257pxjuc")
    planned = cli("plan", "--detailed-exitcode")

    assert imported.code == 0, imported.err
    assert planned.code == 0, planned.out + planned.err
    assert "No changes." in planned.out
    # No accesses embedded in the list items: they were read from .../access.
    assert go_api.routes[2].call_count >= 2


def test_plan_reads_a_minimal_list(
    cli: Cli, go_api: respx.MockRouter
) -> None:
    Path("pstokens.yaml").write_text(CONFIG)

    planned = cli("plan", "--format", "json")

    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("create", "ci"), ("grant", "ci")]
    assert [u["id"] for u in plan["unmanaged"]] == ["txhc257pxjuc"]


class FakeApi:
    """A stateful PlanetScale answering in the Go fixtures' shapes, whose create
    answer also carries a `plain_text_refresh_token`."""

    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, Any]] = {}
        self.accesses: dict[str, list[dict[str, Any]]] = {}

    def routes(self, router: respx.MockRouter) -> None:
        router.get(TOKENS).mock(side_effect=self.list)
        router.post(TOKENS).mock(side_effect=self.create)
        router.get(AUDIT_LOG).respond(200, json=NO_EVENTS)
        router.route(method="GET", path__regex=rf"{TOKENS}/(?P<token>\w+)/access$").mock(
            side_effect=self.list_access)
        router.route(method="POST", path__regex=rf"{TOKENS}/(?P<token>\w+)/access$").mock(
            side_effect=self.grant)
        # A new token's verification: any token may list its organization.
        router.get("/organizations").mock(return_value=httpx.Response(
            200, json={"type": "list", "next_page": None,
                       "data": [{"id": "org000000001", "type": "Organization", "name": ORG}]}))

    def list(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"type": "list", "next_page": None,
                                         "data": list(self.tokens.values())})

    def create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        token_id = f"tok{len(self.tokens):09d}"
        item = {"id": token_id, "type": "ServiceToken", "token": None, "name": body.get("name"),
                "created_at": "2026-01-14T10:19:23.000Z", "last_used_at": None}
        self.tokens[token_id] = item
        self.accesses[token_id] = []
        return httpx.Response(200, json={**item, "token": NEW_SECRET,
                                         "plain_text_refresh_token": REFRESH})

    def list_access(self, request: httpx.Request, token: str) -> httpx.Response:
        return httpx.Response(200, json={"type": "list", "next_page": None,
                                         "data": self.accesses[token]})

    def grant(self, request: httpx.Request, token: str) -> httpx.Response:
        body = json.loads(request.content)
        database = body.get("database")
        resource = ({"id": "db0000000001", "type": "Database", "name": database} if database
                    else {"id": "org000000001", "type": "Organization", "name": ORG})
        for name in body["access"]:
            self.accesses[token].append({"id": f"acc{name}", "type": "Access", "access": name,
                                         "resource": resource})
        return httpx.Response(200, json={"type": "list", "next_page": None,
                                         "data": self.accesses[token]})


def test_a_refresh_token_in_the_create_answer_is_never_stored_logged_printed_or_planned(
    cli: Cli, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    Path("pstokens.yaml").write_text(CONFIG)
    fake = FakeApi()
    with respx.mock(base_url=BASE_URL, assert_all_mocked=True) as router:
        fake.routes(router)
        runs = [
            cli("--debug", "plan", "--out", "plan.json"),
            cli("--debug", "apply", "--auto-approve", "plan.json"),
            cli("--debug", "plan", "--format", "json", "--detailed-exitcode"),
            cli("--debug", "export", "--org", ORG),
        ]

    assert [run.code for run in runs] == [0, 0, 0, 0], [run.err for run in runs]
    assert "No changes." not in runs[0].out and json.loads(runs[2].out)["changes"] == []
    delivered = (tmp_path / ".pstokens" / "secrets" / ORG / "ci.env").read_text()
    assert NEW_SECRET in delivered  # the secret was delivered; the refresh token was not
    seen = [run.both for run in runs] + [caplog.text]
    seen += [path.read_text() for path in tmp_path.rglob("*") if path.is_file()]
    assert REFRESH.removeprefix("pscale_rtkn_") not in "".join(seen)
