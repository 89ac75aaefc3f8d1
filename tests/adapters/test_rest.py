"""The REST adapter over real loopback HTTP, against the emulator."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from pstokens.adapters import AdapterServers, bound, create_rest_app
from pstokens.api import Credentials, PlanetScaleClient

from .conftest import CRED_ID, CRED_SECRET, SERVE_TOKEN, Emulator, Seen, rest_caller

TOKENS = "/v1/organizations/{org}/service-tokens"


def tokens_path(org: str) -> str:
    return TOKENS.format(org=org)


async def create(rest: httpx.AsyncClient, org: str, **body: object) -> dict[str, object]:
    response = await rest.post(tokens_path(org), json=body)
    assert response.status_code == 200, response.text
    created: dict[str, object] = response.json()
    return created


async def test_list_returns_every_token_in_one_envelope(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    for number in range(30):
        emulator.store.create_token(org, f"token-{number:02}")

    response = await rest.get(tokens_path(org))

    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body["data"]] == [f"token-{n:02}" for n in range(30)]
    assert body["total_count"] == 30
    assert body["next_page"] is None and body["total_pages"] == 1
    assert all(t["token"] is None for t in body["data"])


async def test_list_passes_paging_through_with_links_to_the_adapter(
    rest: httpx.AsyncClient, servers: AdapterServers, emulator: Emulator, org: str
) -> None:
    for number in range(30):
        emulator.store.create_token(org, f"token-{number:02}")

    response = await rest.get(tokens_path(org), params={"page": 2, "per_page": 10})

    body = response.json()
    assert response.status_code == 200
    assert [t["name"] for t in body["data"]] == [f"token-{n:02}" for n in range(10, 20)]
    assert (body["current_page"], body["next_page"], body["prev_page"]) == (2, 3, 1)
    next_url = urlsplit(body["next_page_url"])
    assert body["next_page_url"].startswith(servers.url("REST") + tokens_path(org))
    assert parse_qs(next_url.query) == {"page": ["3"], "per_page": ["10"]}
    assert parse_qs(urlsplit(body["prev_page_url"]).query)["page"] == ["1"]


async def test_create_answers_200_with_the_secret_once(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    created = await create(rest, org, name="ci-deploy", ttl=3600)

    secret = created["token"]
    assert isinstance(secret, str) and secret.startswith("pscale_tkn_")
    assert created["name"] == "ci-deploy" and created["expires_at"] is not None
    assert emulator.store.secret_matches(org, str(created["id"]), secret)
    got = await rest.get(f"{tokens_path(org)}/{created['id']}")
    listed = await rest.get(tokens_path(org))
    assert got.status_code == 200 and got.json()["token"] is None
    assert secret not in got.text and secret not in listed.text


async def test_create_answer_is_not_cached(rest: httpx.AsyncClient, org: str) -> None:
    response = await rest.post(tokens_path(org), json={"name": "once"})

    assert response.headers["cache-control"] == "no-store"


async def test_create_without_a_body_creates_an_unnamed_token(
    rest: httpx.AsyncClient, org: str
) -> None:
    response = await rest.post(tokens_path(org))

    assert response.status_code == 200
    assert response.json()["name"] is None


async def test_get_answers_the_api_token(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "reader")
    emulator.store.grant(org, token["id"], ["read_branch"], "app-prod")

    response = await rest.get(f"{tokens_path(org)}/{token['id']}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == token["id"] and body["type"] == "ServiceToken"
    assert [a["access"] for a in body["service_token_accesses"]] == ["read_branch"]


async def test_delete_answers_204_and_the_token_is_gone(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "doomed")

    response = await rest.delete(f"{tokens_path(org)}/{token['id']}")

    assert response.status_code == 204 and response.content == b""
    assert emulator.store.token_count(org) == 0
    again = await rest.get(f"{tokens_path(org)}/{token['id']}")
    assert again.status_code == 404


async def test_grant_and_list_accesses(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "deployer")
    accesses = f"{tokens_path(org)}/{token['id']}/accesses"

    granted = await rest.post(
        accesses, json={"database": "app-prod", "access": ["read_branch", "create_branch"]}
    )
    org_grant = await rest.post(accesses, json={"access": ["read_databases"]})
    listed = await rest.get(accesses)

    assert granted.status_code == 200
    assert sorted(a["access"] for a in granted.json()["data"]) == ["create_branch", "read_branch"]
    assert org_grant.status_code == 200
    assert listed.status_code == 200
    by_name = {a["access"]: a["resource"] for a in listed.json()["data"]}
    assert by_name["read_branch"]["type"] == "Database"
    assert by_name["read_branch"]["name"] == "app-prod"
    assert by_name["read_databases"]["type"] == "Organization"
    assert listed.json()["total_count"] == 3


async def test_accesses_list_reads_every_page(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "wide")
    names = ["read_branch", "create_branch", "delete_branch", "connect_branch", "read_comment"]
    emulator.store.grant(org, token["id"], names, "app-prod")

    paged = await rest.get(f"{tokens_path(org)}/{token['id']}/accesses", params={"per_page": 2})
    whole = await rest.get(f"{tokens_path(org)}/{token['id']}/accesses")

    assert len(paged.json()["data"]) == 2 and paged.json()["next_page"] == 2
    assert len(whole.json()["data"]) == 5 and whole.json()["next_page"] is None


async def test_unknown_token_is_the_api_404_passed_on(rest: httpx.AsyncClient, org: str) -> None:
    for method in ("GET", "DELETE"):
        response = await rest.request(method, f"{tokens_path(org)}/nosuchtoken1")

        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not Found"}
    accesses = await rest.get(f"{tokens_path(org)}/nosuchtoken1/accesses")
    assert accesses.status_code == 404


async def test_unknown_access_name_is_the_api_422_passed_on(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "typo")

    response = await rest.post(
        f"{tokens_path(org)}/{token['id']}/accesses",
        json={"database": "app-prod", "access": ["read_brnch"]},
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid_params",
        "message": 'unknown access "read_brnch" (did you mean "read_branch"?)',
    }


async def test_unknown_database_is_the_api_404_passed_on(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    token, _ = emulator.store.create_token(org, "lost")

    response = await rest.post(
        f"{tokens_path(org)}/{token['id']}/accesses",
        json={"database": "no-such-db", "access": ["read_branch"]},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_bad_create_parameters_are_the_api_422(rest: httpx.AsyncClient, org: str) -> None:
    response = await rest.post(tokens_path(org), json={"ttl": -5})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_params"


async def test_a_body_that_is_not_json_is_refused_and_never_sent(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    response = await rest.post(
        tokens_path(org), content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert emulator.store.token_count(org) == 0


async def test_an_oversized_body_is_refused(rest: httpx.AsyncClient, org: str) -> None:
    response = await rest.post(tokens_path(org), json={"name": "x" * 100_000})

    assert response.status_code == 413


# Sent encoded: an HTTP client would resolve literal dot segments itself.
@pytest.mark.parametrize("token_id", ["%2E%2E", "%2e", "%2E%2E%2F%2E%2E", "a%2Fb"])
async def test_dot_segments_never_reach_another_api_path(
    rest: httpx.AsyncClient, emulator: Emulator, org: str, token_id: str
) -> None:
    token, _ = emulator.store.create_token(org, "keep-me")

    deleted = await rest.delete(f"{tokens_path(org)}/{token_id}")
    got = await rest.get(f"{tokens_path(org)}/{token_id}")

    assert deleted.status_code == 404 and got.status_code == 404
    assert "data" not in got.json()
    assert emulator.store.token_count(org) == 1 and token["id"]


async def test_unknown_paths_and_methods_answer_like_the_api(rest: httpx.AsyncClient) -> None:
    missing = await rest.get("/v1/organizations/acme/databases")
    wrong_method = await rest.put(tokens_path("acme"))

    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", TOKENS.format(org="acme")),
        ("POST", TOKENS.format(org="acme")),
        ("GET", TOKENS.format(org="acme") + "/abc123def456"),
        ("DELETE", TOKENS.format(org="acme") + "/abc123def456"),
        ("GET", TOKENS.format(org="acme") + "/abc123def456/accesses"),
        ("POST", TOKENS.format(org="acme") + "/abc123def456/accesses"),
        ("GET", "/openapi.json"),
        ("GET", "/no/such/path"),
    ],
)
async def test_every_path_without_the_serve_token_is_401(
    servers: AdapterServers, seen: Seen, emulator: Emulator, method: str, path: str
) -> None:
    async with rest_caller(servers, seen, None) as caller:
        response = await caller.request(method, path, json={"access": ["read_branch"]})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert emulator.store.token_count("acme") == 0


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer wrong-token",
        f"Bearer {SERVE_TOKEN}x",
        f"Bearer {SERVE_TOKEN[:-1]}",
        f"Basic {SERVE_TOKEN}",
        SERVE_TOKEN,
        f"{CRED_ID}:{CRED_SECRET}",
    ],
)
async def test_a_wrong_serve_token_is_401(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str, authorization: str
) -> None:
    async with rest_caller(servers, seen, authorization) as caller:
        response = await caller.post(tokens_path(org), json={"name": "intruder"})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert emulator.store.token_count(org) == 0


async def test_two_authorization_headers_are_401(
    servers: AdapterServers, seen: Seen, org: str
) -> None:
    async with rest_caller(servers, seen, None) as caller:
        headers = [("Authorization", "Bearer wrong"), ("Authorization", f"Bearer {SERVE_TOKEN}")]
        response = await caller.get(tokens_path(org), headers=headers)

    assert response.status_code == 401


async def test_the_bearer_scheme_is_case_insensitive(
    servers: AdapterServers, seen: Seen, org: str
) -> None:
    async with rest_caller(servers, seen, f"bearer {SERVE_TOKEN}") as caller:
        response = await caller.get(tokens_path(org))

    assert response.status_code == 200


async def test_the_api_refusing_pstokens_credentials_is_passed_on_without_them(
    servers: AdapterServers, seen: Seen, emulator: Emulator, org: str
) -> None:
    wrong = Credentials.service_token(CRED_ID, CRED_SECRET + "-revoked")
    async with PlanetScaleClient(emulator.url, wrong, rate_limit=0) as client:
        with bound("127.0.0.1", 0) as sock:
            app = create_rest_app(client, SERVE_TOKEN)
            adapter = AdapterServers([("REST", app, sock, "/")], log_config=None)
            async with (
                adapter.running(),
                rest_caller(adapter, seen, f"Bearer {SERVE_TOKEN}") as caller,
            ):
                response = await caller.get(tokens_path(org))

    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "Unauthorized"}
    assert CRED_SECRET not in response.text


async def test_the_openapi_document_describes_the_six_operations_revoke_and_the_api_paths(
    rest: httpx.AsyncClient, servers: AdapterServers
) -> None:
    response = await rest.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": servers.url("REST")}]
    operations = {
        (method.upper(), path): operation["operationId"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    token = "/v1/organizations/{organization}/service-tokens/{service-token-id}"
    assert operations == {
        ("GET", TOKENS.format(org="{organization}")): "listservicetokens",
        ("POST", TOKENS.format(org="{organization}")): "createservicetoken",
        ("GET", token): "getservicetoken",
        ("DELETE", token): "deleteservicetoken",
        ("GET", token + "/accesses"): "listservicetokenaccesses",
        ("POST", token + "/accesses"): "createservicetokenaccess",
        ("DELETE", token + "/accesses"): "deleteservicetokenaccess",
        ("GET", token + "/access"): "listservicetokenaccesses_api",
        ("POST", token + "/access"): "createservicetokenaccess_api",
        ("DELETE", token + "/access"): "deleteservicetokenaccess_api",
        ("GET", "/v1/organizations/{organization}/who-can/{operation}"): "whocan",
    }
    assert document["components"]["securitySchemes"]["serveToken"]["scheme"] == "bearer"
    create = document["paths"][TOKENS.format(org="{organization}")]["post"]["responses"]
    assert "200" in create and "201" not in create
    refs = [ref for ref in _refs(document) if ref.startswith("#/components/schemas/")]
    assert all(ref.rsplit("/", 1)[1] in document["components"]["schemas"] for ref in refs)


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


async def test_the_openapi_document_is_valid_and_every_answer_matches_it(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    """The document passes an OpenAPI 3.1 validator, and what each operation
    really answers (and each error) fits the schema the document gives for it."""
    document = (await rest.get("/openapi.json")).json()
    validate_openapi(document)

    def fits(method: str, path: str, response: httpx.Response) -> None:
        operation = document["paths"][path][method]
        documented = operation["responses"][str(response.status_code)]
        schema = documented["content"]["application/json"]["schema"]
        # The whole document is the root, so "#/components/..." references resolve.
        Draft202012Validator({**document, **schema}).validate(response.json())

    listing = "/v1/organizations/{organization}/service-tokens"
    one = listing + "/{service-token-id}"
    created = await rest.post(tokens_path(org), json={"name": "ci", "ttl": 3600})
    fits("post", listing, created)
    token_path = f"{tokens_path(org)}/{created.json()['id']}"
    granted = await rest.post(
        token_path + "/accesses", json={"database": "app-prod", "access": ["read_branch"]}
    )
    fits("post", one + "/accesses", granted)
    await rest.post(token_path + "/accesses", json={"access": ["read_databases"]})
    fits("get", one + "/accesses", await rest.get(token_path + "/accesses"))
    fits("get", one, await rest.get(token_path))
    fits("get", listing, await rest.get(tokens_path(org)))
    fits("get", one, await rest.get(f"{tokens_path(org)}/nosuchtoken1"))
    fits("post", one + "/accesses", await rest.post(token_path + "/accesses", json={}))


async def test_a_405_names_every_method_its_path_serves(rest: httpx.AsyncClient, org: str) -> None:
    for path, methods in ((tokens_path(org), {"GET", "POST"}),
                          (f"{tokens_path(org)}/tok1", {"GET", "DELETE"}),
                          (f"{tokens_path(org)}/tok1/access", {"GET", "POST", "DELETE"}),
                          (f"{tokens_path(org)}/tok1/accesses", {"GET", "POST", "DELETE"})):
        response = await rest.request("PATCH", path)
        assert response.status_code == 405
        assert set(response.headers["Allow"].split(", ")) - {"HEAD"} == methods, path


async def test_a_create_is_held_to_its_described_body(
    rest: httpx.AsyncClient, emulator: Emulator, org: str
) -> None:
    from pstokens.adapters.rest_bodies import MAX_TTL
    from pstokens.emulator.store import MAX_TTL as EMULATOR_MAX_TTL

    assert MAX_TTL == EMULATOR_MAX_TTL
    whole = await rest.post(tokens_path(org), json={"name": "ci", "ttl": 3600.0})
    assert whole.status_code == 200 and whole.json()["expires_at"] is not None
    for body, field in (({"ttl": MAX_TTL + 1}, "ttl"), ({"ttl": 0}, "ttl"),
                        ({"ttl": 1.5}, "ttl"), ({"name": ""}, "name")):
        refused = await rest.post(tokens_path(org), json=body)
        assert refused.status_code == 422, body
        assert refused.json()["message"].startswith(f'field "{field}"'), refused.json()
    assert emulator.store.token_count(org) == 1
