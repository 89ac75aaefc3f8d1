"""The OpenAPI 3.1 description of what the REST adapter serves, at `GET /openapi.json`.

Written by hand from `planetscale-api.md` and the seed capability, so it says
what the adapter really does (all pages by default, 200 on create, the secret
once) rather than what the older published description of PlanetScale says.
"""

from __future__ import annotations

from typing import Any

from pstokens import __version__
from pstokens.accesses import ALL_ACCESSES, DATABASE_ACCESSES, ORGANIZATION_ACCESSES
from pstokens.adapters.operations import SEGMENT
from pstokens.adapters.rest_bodies import MAX_TTL
from pstokens.adapters.whocan import who_can_openapi

_TOKENS = "/v1/organizations/{organization}/service-tokens"
_TOKEN = _TOKENS + "/{service-token-id}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "The request body is not JSON, or the API refused the request.",
        401: "No or wrong serve token (or the API refused pstokens' credentials).",
        403: "pstokens' credentials lack an access this needs.",
        404: "No such organization or token, or pstokens' credentials cannot see it.",
        409: "Refused by pstokens, nothing sent: code `state_locked` while a pstokens plan "
             "or apply holds the state lock (the message names the holder; send it again "
             "once that run has finished).",
        422: "The parameters were refused: by pstokens, never sent, when a field or query "
             "parameter has the wrong type (the message names it); or by the API (an "
             "unknown access name, say).",
        429: "Rate limited by the API after pstokens' own retries.",
        502: "The API could not be reached, or its answer was lost or malformed.",
    }
    answers = {str(s): _json(_ref("Refusal" if s == 409 else "Error"), reasons[s])
               for s in statuses}
    answers["5XX"] = _json(_ref("Error"), "The API's server error, after pstokens' retries.")
    return answers


_DELETE_REFUSED = (
    "Refused by pstokens, nothing deleted: `conflict` when state marks the token "
    "prevent_destroy, or cannot be read to tell (the message says which key and how to lift "
    "it); `state_locked` while a pstokens plan or apply holds the state lock (the message "
    "names the holder; send it again once that run has finished)."
)

_PAGING = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1},
        "description": description,
    }
    for name, description in (
        ("page", "Ask for this one page, as the API pages it. Without page or per_page, "
                 "every item is returned on one page."),
        ("per_page", "Items per page when paging (the API's default is 25, its maximum 100)."),
    )
]

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["code", "message"],
    },
    "Refusal": {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "enum": ["state_locked", "conflict"],
                "description": "`state_locked`: a pstokens plan or apply holds the state "
                "lock. `conflict`: state marks the token prevent_destroy, or cannot be read "
                "to tell (delete only).",
            },
            "message": {"type": "string"},
        },
        "required": ["code", "message"],
    },
    "ServiceToken": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "const": "ServiceToken"},
            "name": {"type": ["string", "null"]},
            "display_name": {"type": ["string", "null"]},
            "token": {
                "type": ["string", "null"],
                "description": "The secret: only in the answer to create, null everywhere else.",
            },
            "plain_text_refresh_token": {
                "type": ["string", "null"],
                "description": "A second one-time secret, where the API issues one: only in "
                "the answer to create, null everywhere else.",
            },
            "avatar_url": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "service_token_accesses": {"type": ["array", "null"], "items": {"type": "object"}},
        },
        "required": ["id"],
    },
    "Access": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "access": {"type": "string"},
            "resource": {"type": "object"},
        },
        "required": ["access"],
    },
    "CreateServiceToken": {
        "type": ["object", "null"],  # null, like no body, asks for neither
        "properties": {
            "name": {"type": ["string", "null"], "minLength": 1,
                     "description": "Missing or null: the token has no name."},
            "ttl": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TTL,
                    "description": "Lifetime in seconds; missing or null: never expires."},
        },
    },
    "AccessChange": {
        "type": "object",
        "properties": {
            "database": {
                "type": ["string", "null"],
                "description": "The database; missing, null or empty for organization "
                "accesses (all three mean the same).",
            },
            "access": {"type": "array", "minItems": 1,
                       "items": {"type": "string", "enum": sorted(ALL_ACCESSES)},
                       "description": "Access names of the level `database` gives."},
        },
        "required": ["access"],
        # The names of one level or the other, as the API accepts them (it refuses the rest).
        "anyOf": [
            {"properties": {"database": {"enum": [None, ""]},
                            "access": {"items": {"enum": sorted(ORGANIZATION_ACCESSES)}}}},
            {"properties": {"database": {"type": "string", "minLength": 1},
                            "access": {"items": {"enum": sorted(DATABASE_ACCESSES)}}},
             "required": ["database"]},
        ],
    },
}


def _list_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string", "const": "list"},
            "current_page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "next_page": {"type": ["integer", "null"]},
            "next_page_url": {"type": ["string", "null"]},
            "prev_page": {"type": ["integer", "null"]},
            "prev_page_url": {"type": ["string", "null"]},
            "total_count": {"type": "integer"},
            "total_pages": {"type": "integer"},
            "data": {"type": "array", "items": _ref(item)},
        },
        "required": ["data"],
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "pattern": SEGMENT}
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


# The seed's path first; then the API's own, which PlanetScale's client (and pscale) use.
_ACCESS_PATHS = {"/accesses": "", "/access": "_api"}


def _accesses(org: dict[str, Any], token: dict[str, Any], suffix: str) -> dict[str, Any]:
    """One access path's operations; those at the seed's path carry the seed's IDs."""
    tag = _ACCESS_PATHS[suffix]
    change = {"required": True,
              "content": {"application/json": {"schema": _ref("AccessChange")}}}
    return {
        "parameters": [org, token],
        "get": {
            "operationId": "listservicetokenaccesses" + tag,
            "summary": "List service token accesses",
            "parameters": _PAGING,
            "responses": {"200": _json(_list_of("Access"), "The token's accesses."),
                          **_errors(401, 403, 404, 422, 429, 502)},
        },
        "post": {
            "operationId": "createservicetokenaccess" + tag,
            "summary": "Grant service token access",
            "requestBody": change,
            "responses": {
                "200": _json(_list_of("Access"), "All the token's accesses now."),
                **_errors(400, 401, 403, 404, 409, 422, 429, 502),
            },
        },
        "delete": {
            "operationId": "deleteservicetokenaccess" + tag,
            "summary": "Revoke service token access",
            "requestBody": change,
            "responses": {
                "200": _json(_list_of("Access"), "The token's accesses left."),
                **_errors(400, 401, 403, 404, 409, 422, 429, 502),
            },
        },
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    """The document, naming `server_url` (where the caller reached the adapter)."""
    org = _path_param("organization", "The PlanetScale organization's name.")
    token = _path_param("service-token-id", "The service token's ID.")
    return {
        "openapi": "3.1.0",
        "info": _info(),
        "servers": [{"url": server_url}],
        "security": [{"serveToken": []}],
        "paths": {
            _TOKENS: _tokens(org),
            _TOKEN: _token(org, token),
            **{_TOKEN + suffix: _accesses(org, token, suffix) for suffix in _ACCESS_PATHS},
            **who_can_openapi(org),
        },
        "components": {"schemas": _SCHEMAS, "securitySchemes": _SECURITY},
    }


def _info() -> dict[str, Any]:
    return {
        "title": "pstokens REST adapter: PlanetScale service tokens",
        "version": __version__,
        "description": "The seed's six service-token operations, and revoke, forwarded to "
        "PlanetScale with pstokens' credentials, pacing and retries. The API's status and "
        "error body are passed on as they are. Creates, deletes, grants and revokes "
        "hold pstokens' state lock for the call: while a pstokens plan or apply holds "
        "it they answer 409 `state_locked` and nothing is sent. The accesses are served "
        "at the seed's `/accesses` and at the API's own `/access`.",
    }


def _tokens(org: dict[str, Any]) -> dict[str, Any]:
    """The tokens path: list and create."""
    return {
        "parameters": [org],
        "get": {
            "operationId": "listservicetokens",
            "summary": "List service tokens",
            "parameters": _PAGING,
            "responses": {"200": _json(_list_of("ServiceToken"), "The tokens."),
                          **_errors(401, 403, 404, 422, 429, 502)},
        },
        "post": {
            "operationId": "createservicetoken",
            "summary": "Create a service token",
            "requestBody": {"required": False, "content": {
                "application/json": {"schema": _ref("CreateServiceToken")}}},
            "responses": {
                "200": _json(_ref("ServiceToken"), "The new token, its secret in "
                             "`token`: shown this once, never again."),
                **_errors(400, 401, 403, 404, 409, 422, 429, 502),
            },
        },
    }


def _token(org: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    """One token's path: get and delete."""
    return {
        "parameters": [org, token],
        "get": {
            "operationId": "getservicetoken",
            "summary": "Get a service token",
            "responses": {"200": _json(_ref("ServiceToken"), "The token, no secret."),
                          **_errors(401, 403, 404, 429, 502)},
        },
        "delete": {
            "operationId": "deleteservicetoken",
            "summary": "Delete a service token",
            "description": "Refused with 409 `conflict` when pstokens' state marks "
            "the token prevent_destroy, and 409 `state_locked` while a pstokens plan "
            "or apply holds the state lock.",
            "responses": {"204": {"description": "Deleted."},
                          **_errors(401, 403, 404, 429, 502),
                          "409": _json(_ref("Refusal"), _DELETE_REFUSED)},
        },
    }


_SECURITY = {"serveToken": {
    "type": "http", "scheme": "bearer",
    "description": "The value of PSTOKENS_SERVE_TOKEN where `pstokens serve` runs.",
}}
