"""Every GET operation of the operations table, tried as real tokens over loopback.

A token holding an access the table names for the operation gets 200; a token
holding only accesses that allow something else gets 403 `forbidden`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from pstokens.accesses import DATABASE_ACCESSES
from pstokens.emulator import EmulatorSettings, EmulatorStore
from pstokens.emulator.operations_routes import OPEN_TO_ANY, SERVED_ELSEWHERE
from pstokens.operations import Operation, operations_table

from .conftest import Emulator, start_emulator

ORG = "acme"
DB = "app-prod"
EMU_STORE = EmulatorStore()
GETS = [op for op in operations_table().operations.values() if op.method == "GET"]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    settings = EmulatorSettings(organizations=(ORG, "other"), databases=(DB, "other-db"))
    with start_emulator(settings, EMU_STORE) as emulator:
        yield emulator


def url_of(op: Operation, org: str = ORG, database: str = DB) -> str:
    values = {"organization": org, "database": database}
    if "/service-tokens/" in op.path:  # a token that exists: the first one made
        values["id"] = next(iter(EMU_STORE.tokens(ORG)))["id"]
    path = re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "x1"), op.path)
    return path.removeprefix("/v1")


def token_holding(emu: Emulator, access: str | None, database: str | None) -> dict[str, str]:
    token, secret = emu.store.create_token(ORG, f"holds-{access}")
    if access is not None:
        emu.store.grant(ORG, token["id"], [access], database)
    return {"Authorization": f"{token['id']}:{secret}"}


def call(emu: Emulator, op: Operation, headers: dict[str, str], **where: str) -> httpx.Response:
    return emu.api.get(url_of(op, **where), headers=headers)


def scope_of(access: str) -> str | None:
    return DB if access in DATABASE_ACCESSES else None


def unrelated_access(op: Operation) -> str:
    """An access that allows no operation on this one's path, neither here nor elsewhere."""
    table = operations_table()
    for access in sorted(table.by_access):
        if op.id not in table.by_access[access] and access not in op.accesses:
            return access
    raise AssertionError("every access allows this operation")


def skip_if_served_elsewhere(response: httpx.Response, op: Operation) -> None:
    if op.id in SERVED_ELSEWHERE and response.status_code == 404:
        pytest.skip(f"{op.id} is served by its own module, not present in this build")


@pytest.mark.parametrize("op", GETS, ids=lambda op: op.id)
def test_a_token_with_an_allowing_access_gets_200(emu: Emulator, op: Operation) -> None:
    headers = token_holding(emu, op.accesses[0] if op.accesses else None,
                            scope_of(op.accesses[0]) if op.accesses else None)
    response = call(emu, op, headers)
    skip_if_served_elsewhere(response, op)
    if op.accesses or op.id in OPEN_TO_ANY:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["type"] == "list" if op.id.startswith("list_") else "id" in body
    else:
        # The table names no service-token access: only the owner's API key may call it.
        assert response.status_code == 403
        owner = call(emu, op, {"Authorization": "Bearer owner-key"})
        assert owner.status_code == 200, owner.text


@pytest.mark.parametrize("op", [op for op in GETS if op.id not in OPEN_TO_ANY],
                         ids=lambda op: op.id)
def test_a_token_without_an_allowing_access_gets_403(emu: Emulator, op: Operation) -> None:
    access = unrelated_access(op)
    response = call(emu, op, token_holding(emu, access, scope_of(access)))

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("op", [op for op in GETS if "{database}" in op.path
                                and any(a in DATABASE_ACCESSES for a in op.accesses)],
                         ids=lambda op: op.id)
def test_a_database_access_allows_on_its_own_database_only(emu: Emulator, op: Operation) -> None:
    access = next(a for a in op.accesses if a in DATABASE_ACCESSES)
    headers = token_holding(emu, access, DB)

    assert call(emu, op, headers, database="other-db").status_code == 403
    assert call(emu, op, headers).status_code == 200


def test_an_organization_access_counts_on_every_database(emu: Emulator) -> None:
    op = operations_table().operations["list_branch_queries"]  # read_databases or read_database
    headers = token_holding(emu, "read_databases", None)

    assert call(emu, op, headers).status_code == 200
    assert call(emu, op, headers, database="other-db").status_code == 200


def test_a_token_of_another_organization_is_forbidden(emu: Emulator) -> None:
    op = operations_table().operations["get_organization"]
    headers = token_holding(emu, "read_organization", None)

    assert call(emu, op, headers).status_code == 200
    assert call(emu, op, headers, org="other").status_code == 403


def test_unknown_databases_are_404_and_single_objects_name_themselves(emu: Emulator) -> None:
    owner = {"Authorization": "Bearer owner-key"}
    table = operations_table().operations

    assert call(emu, table["get_branch"], owner, database="nowhere").status_code == 404
    branch = emu.api.get(f"/organizations/{ORG}/databases/{DB}/branches/main", headers=owner)
    assert branch.json()["name"] == "main"
    assert branch.json()["type"] == "Branch"
    default = emu.api.get(f"/organizations/{ORG}/databases/{DB}/branches/main/roles/default",
                          headers=owner)
    assert default.json()["type"] == "DefaultRole"


def test_the_token_routes_keep_their_own_answers(emu: Emulator) -> None:
    headers = token_holding(emu, "read_service_tokens", None)
    listed = emu.api.get(f"/organizations/{ORG}/service-tokens", headers=headers)

    assert listed.status_code == 200
    assert listed.json()["total_count"] > 0
    assert emu.api.get("/organizations", headers=token_holding(emu, None, None)).json()["data"]
