"""Property-based runs of schemathesis against the emulator: no input makes it answer 5xx.

Cases come from each of PlanetScale's published descriptions (Swagger 2.0 of
January 2026, OpenAPI 3.0 of August 2026), and from the newer one with the
`/access` paths it leaves out added as `planetscale-api.md` gives them, in
schemathesis' positive mode (inputs the description allows) and negative mode
(inputs it forbids). Half of the cases are aimed at a live token, so get,
delete, grant and revoke reach their real work instead of a 404.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator

DESCRIPTIONS = Path(__file__).resolve().parent / "descriptions"
OLDER = "planetscale-openapi-service-tokens.json"
NEWER = "planetscale-openapi-2026-08-service-tokens.json"
ORG = "acme"
# Cases per operation and mode (4 operations in the published descriptions, 7 with
# /access): about 300 in all, some 20 s; `--long` sends many more.
EXAMPLES = 12
LONG_EXAMPLES = 200
ACCESS_BODY = {
    "type": "object",
    "properties": {
        "database": {"type": "string", "nullable": True},
        "access": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["access"],
}


def with_access_paths(document: dict[str, Any]) -> dict[str, Any]:
    """The 3.0 description plus `GET/POST/DELETE .../access`, which it leaves out."""
    extended = copy.deepcopy(document)
    item = extended["paths"]["/organizations/{organization}/service-tokens/{id}"]
    parameters = item["get"]["parameters"]
    body = {"required": True, "content": {"application/json": {"schema": ACCESS_BODY}}}
    ok = {"200": {"description": "The token's accesses."}}
    extended["paths"]["/organizations/{organization}/service-tokens/{id}/access"] = {
        "get": {"operationId": "list_access", "parameters": parameters, "responses": ok},
        "post": {"operationId": "grant_access", "parameters": parameters,
                 "requestBody": body, "responses": ok},
        "delete": {"operationId": "revoke_access", "parameters": parameters,
                   "requestBody": body, "responses": ok},
    }
    return extended


def descriptions() -> dict[str, dict[str, Any]]:
    newer = json.loads((DESCRIPTIONS / NEWER).read_text())
    return {
        "2.0 (2026-01)": json.loads((DESCRIPTIONS / OLDER).read_text()),
        "3.0 (2026-08)": newer,
        "3.0 (2026-08) with /access": with_access_paths(newer),
    }


@dataclass
class Target:
    """A running emulator, credentials it issued, and live tokens to aim cases at."""

    url: str
    store: EmulatorStore
    authorization: str
    session: requests.Session  # one kept-alive connection for every case
    statuses: dict[int, int] = field(default_factory=dict)

    def live_token(self) -> str:
        """A live token that is not the caller's own (cases may delete it)."""
        token, _ = self.store.create_token(ORG, "target")
        self.store.grant(ORG, token["id"], ["read_branch"], "app-prod")
        return str(token["id"])


@pytest.fixture(autouse=True)
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """schemathesis keeps what it saves (`.schemathesis/`) under the working folder:
    a temporary one, never the work tree."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    store = EmulatorStore(refresh_tokens=True)
    caller, secret = store.create_token(ORG, "property-run")
    with running_emulator(EmulatorSettings(), store) as url, requests.Session() as session:
        yield Target(url, store, f"{caller['id']}:{secret}", session)


def run_operation(target: Target, operation: Any, mode: GenerationMode, examples: int) -> int:
    """Send up to `examples` cases of one operation; return how many were sent."""
    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), aimed=st.booleans())
    def send(case: Any, aimed: bool) -> None:
        nonlocal sent
        if aimed and "organization" in (case.path_parameters or {}):
            case.path_parameters["organization"] = ORG
            if "id" in case.path_parameters:
                case.path_parameters["id"] = target.live_token()
        response = case.call(
            base_url=target.url,
            session=target.session,
            headers={"Authorization": target.authorization},
        )
        sent += 1
        target.statuses[response.status_code] = target.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} answered {response.status_code}: "
            f"{response.text[:300]}"
        )

    send()
    return sent


def modes(operation: Any, security: bool) -> list[GenerationMode]:
    """Negative mode needs something the description constrains: a query, a
    body, or credentials. A path of unconstrained strings has no wrong input
    (hypothesis would search at length for one and give up)."""
    if list(operation.query) or list(operation.body) or security:
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


@pytest.mark.parametrize("name", list(descriptions()))
def test_no_input_from_the_published_descriptions_makes_the_emulator_answer_5xx(
    target: Target, name: str, record_property: Any, request: pytest.FixtureRequest
) -> None:
    examples = LONG_EXAMPLES if request.config.getoption("--long") else EXAMPLES
    document = descriptions()[name]
    schema = schemathesis.openapi.from_dict(document)
    target.statuses.clear()
    sent: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes(operation, "security" in document):
            label = f"{operation.label} {mode.value}"
            sent[label] = run_operation(target, operation, mode, examples)

    total = sum(sent.values())
    record_property("cases", total)
    print(f"{name}: {total} cases over {len(sent)} operation-modes, statuses {target.statuses}")
    assert all(count > 0 for count in sent.values())
    assert 2 in {status // 100 for status in target.statuses}  # some cases did real work
