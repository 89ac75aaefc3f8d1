"""The JSON the emulated API answers with, built from records.

Every shape is written once here, as `planetscale-api.md` and the 2026-08
OpenAPI description give it (`avatar_url`, `plain_text_refresh_token`, and
`oauth_accesses_by_resource` on get), so the routes and the Python-level
store API cannot drift apart, and a client meets every field the API sends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from pstokens.emulator.records import DATABASE, Access, Resource, Token, format_time

ResourceOf = Callable[[Access], Resource]
APP_URL = "https://app.planetscale.com"


def describe(access: str) -> str:
    """A readable description; PlanetScale's own wording is not published."""
    return access.replace("_", " ").capitalize()


def token_json(
    token: Token,
    resource_of: ResourceOf,
    secret: str | None = None,
    *,
    refresh_token: str | None = None,
    detail_in: str | None = None,
) -> dict[str, Any]:
    """A token as list, get and create show it: `secret` and `refresh_token`
    only on create, `oauth_accesses_by_resource` only on get (`detail_in`
    names the token's organization then)."""
    shown: dict[str, Any] = {
        "id": token.id,
        "type": "ServiceToken",
        "name": token.name,
        "display_name": token.name if token.name is not None else token.id,
        "token": secret,
        "plain_text_refresh_token": refresh_token,
        "avatar_url": avatar_url(token.id),
        "created_at": format_time(token.created_at),
        "updated_at": format_time(token.updated_at),
        "last_used_at": format_time(token.last_used_at),
        "expires_at": format_time(token.expires_at),
        "actor_id": None,
        "actor_display_name": None,
        "actor_type": None,
        "service_token_accesses": [embedded_access_json(a, resource_of(a)) for a in token.accesses],
    }
    if detail_in is not None:
        shown["oauth_accesses_by_resource"] = accesses_by_resource(token, resource_of, detail_in)
    return shown


def avatar_url(token_id: str) -> str:
    """A stable picture URL per token; PlanetScale's real scheme is not published."""
    digest = hashlib.sha256(token_id.encode()).hexdigest()[:32]
    return f"https://www.gravatar.com/avatar/{digest}?d=identicon"


def accesses_by_resource(token: Token, resource_of: ResourceOf, org: str) -> dict[str, Any]:
    """`oauth_accesses_by_resource` in the 2026-08 shape: the resources the token
    reaches and the access names it holds there, per kind of resource. A
    service token holds no branch or user accesses, so those two stay empty."""
    databases: dict[str, dict[str, str]] = {}
    organizations: dict[str, dict[str, str]] = {}
    names: dict[bool, dict[str, None]] = {True: {}, False: {}}  # on a database?
    for access in token.accesses:
        resource = resource_of(access)
        on_database = resource.type == DATABASE
        names[on_database][access.access] = None
        if on_database:
            databases.setdefault(resource.id, {
                "name": resource.name, "id": resource.id, "organization": org,
                "url": f"{APP_URL}/{org}/{resource.name}",
            })
        else:
            organizations.setdefault(resource.id, {
                "name": resource.name, "id": resource.id, "url": f"{APP_URL}/{resource.name}",
            })

    def scopes(on_database: bool) -> list[dict[str, str]]:
        return [{"name": n, "description": describe(n)} for n in names[on_database]]

    return {
        "database": {"databases": list(databases.values()), "accesses": scopes(True)},
        "organization": {"organizations": list(organizations.values()), "accesses": scopes(False)},
        "branch": {"branches": [], "accesses": []},
        "user": {"users": [], "accesses": []},
    }


def embedded_access_json(access: Access, resource: Resource) -> dict[str, Any]:
    """An item of `service_token_accesses`, the shape the OpenAPI description gives."""
    return {
        "id": access.id,
        "access": access.access,
        "description": describe(access.access),
        "resource_name": resource.name,
        "resource_id": resource.id,
        "resource_type": resource.type,
        "resource": {
            "id": resource.id,
            "name": resource.name,
            "created_at": format_time(resource.created_at),
            "updated_at": format_time(resource.created_at),
            "deleted_at": None,
        },
    }


def access_json(access: Access, resource: Resource) -> dict[str, Any]:
    """An item of `GET/POST .../access`, the shape the official Go client reads."""
    return {
        "id": access.id,
        "type": "DatabaseAccess" if resource.type == DATABASE else "OrganizationAccess",
        "access": access.access,
        "resource": {
            "id": resource.id,
            "type": resource.type,
            "name": resource.name,
            "created_at": format_time(resource.created_at),
            "updated_at": format_time(resource.created_at),
        },
    }


def grants_json(token: Token, resource_of: ResourceOf) -> list[dict[str, Any]]:
    """Accesses grouped by resource, in the order each resource was first granted.

    No source shows the real shape of `.../grants`; this one is a plausible
    guess, and pstokens itself never reads it.
    """
    groups: dict[str, dict[str, Any]] = {}
    for access in token.accesses:
        resource = resource_of(access)
        group = groups.setdefault(
            resource.id,
            {
                "id": resource.id,
                "resource_name": resource.name,
                "resource_type": resource.type,
                "resource_id": resource.id,
                "accesses": [],
            },
        )
        group["accesses"].append({"access": access.access, "description": describe(access.access)})
    return list(groups.values())


def dump(value: Any) -> bytes:
    """JSON as the emulator sends it: compact UTF-8, as Starlette's JSONResponse renders it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def list_json(
    items: Sequence[bytes],
    *,
    page: int,
    per_page: int,
    total: int,
    page_url: Callable[[int], str],
) -> bytes:
    """The list envelope as JSON, its `data` joined from items already rendered."""
    envelope = dump(list_envelope([], page=page, per_page=per_page, total=total, page_url=page_url))
    head = envelope.removesuffix(b'"data":[]}')
    return b"".join((head, b'"data":[', b",".join(items), b"]}"))


def list_envelope(
    data: list[dict[str, Any]],
    *,
    page: int,
    per_page: int,
    total: int,
    page_url: Callable[[int], str],
) -> dict[str, Any]:
    """The list envelope, with page links built by the caller from its request URL.

    `data` comes last, which `list_json` relies on."""
    total_pages = -(-total // per_page) if total else 0
    next_page = page + 1 if page < total_pages else None
    prev_page = page - 1 if page > 1 else None
    return {
        "type": "list",
        "current_page": page,
        "per_page": per_page,
        "next_page": next_page,
        "next_page_url": page_url(next_page) if next_page else None,
        "prev_page": prev_page,
        "prev_page_url": page_url(prev_page) if prev_page else None,
        "total_count": total,
        "total_pages": total_pages,
        "data": data,
    }


def error_json(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def organization_json(resource: Resource) -> dict[str, Any]:
    """An organization as `GET /organizations` lists it."""
    at = format_time(resource.created_at)
    return {"id": resource.id, "type": "Organization", "name": resource.name,
            "created_at": at, "updated_at": at}
