"""Every GET operation of the operations table, answered, and its accesses enforced.

A token's grants can then be tried for real: a call the table allows answers
200 with a small plausible body, one it does not answers 403 `forbidden`. The
routes and the check come from the table (the one `engine/rules/reach.py` reads, by
its scope rule), never from a hand-written list of paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from pstokens.emulator.faults import is_api_path
from pstokens.emulator.records import stable_id
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.shapes import error_json, list_envelope
from pstokens.emulator.store import EmulatorStore
from pstokens.engine.rules.reach import via
from pstokens.operations import Operation, OperationsTable, operations_table

# Open to any valid caller although the table names no access for it (planetscale-api.md
# "A call any token may make"); the table's other access-less operations are OAuth only.
OPEN_TO_ANY = frozenset({"list_organizations"})
# Served by a module of their own, which builds their real bodies.
SERVED_ELSEWHERE = frozenset({"list_audit_logs"})


class OperationIndex:
    """The table's GET operations by path, a literal segment winning over a
    parameter (`/roles/default` is `get_default_role`, not `get_role`)."""

    def __init__(self, table: OperationsTable) -> None:
        gets = [op for op in table.operations.values() if op.method == "GET"]
        gets.sort(key=_specificity)
        self.table = table
        self.operations: tuple[Operation, ...] = tuple(gets)
        self._compiled = [(compile_path(op.path)[0], op) for op in gets]

    def find(self, path: str) -> tuple[Operation, dict[str, str]] | None:
        for regex, op in self._compiled:
            found = regex.match(path)
            if found is not None:
                return op, found.groupdict()
        return None


def table_routes(index: OperationIndex, existing: Sequence[BaseRoute],
                 settings: EmulatorSettings) -> list[Route]:
    """A route for each GET operation no route in `existing` serves yet."""
    routes = []
    for op in index.operations:
        if op.id in SERVED_ELSEWHERE or _served(op, existing):
            continue
        routes.append(Route(op.path, _answer(op, settings), methods=["GET"]))
    return routes


class AccessMiddleware:
    """Answers 403 `forbidden` to a GET operation the calling token may not perform.

    Only the emulator's own tokens are checked; an API key or credentials it
    did not make are the organization's owner. Runs after the auth layer, so
    the caller's credentials are already known to be good."""

    def __init__(self, app: ASGIApp, store: EmulatorStore, index: OperationIndex) -> None:
        self.app = app
        self.store = store
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and is_api_path(scope):
            holder = self._holder(scope)
            found = self.index.find(scope["path"]) if holder is not None else None
            if found is not None and holder is not None and not self._allowed(holder, *found):
                body = error_json("forbidden", f"This service token may not {found[0].id} "
                                  "(it holds none of the accesses the operation needs)")
                await JSONResponse(body, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _holder(self, scope: Scope) -> tuple[str, dict[str | None, frozenset[str]]] | None:
        """The calling token's organization and accesses; None for an API key or
        credentials the emulator did not make (the owner's)."""
        raw = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        header = raw.decode("latin-1")
        token_id, colon, _ = header.partition(":")
        if header.startswith("Bearer ") or not colon:
            return None
        return self.store.holder(token_id)

    def _allowed(self, holder: tuple[str, dict[str | None, frozenset[str]]], op: Operation,
                 params: dict[str, str]) -> bool:
        if op.id in OPEN_TO_ANY:
            return True
        org, accesses = holder
        if params.get("organization") != org or not op.accesses:
            return False
        # Only what the table says allows it: the emulator stands for the API, which
        # answers by its own rules, not by pstokens' fail-closed guesses.
        sure, _possibly = via(accesses, op.id, params.get("database"), self.index.table)
        return bool(sure)


def operation_index() -> OperationIndex:
    return OperationIndex(operations_table())


def _specificity(op: Operation) -> tuple[int, ...]:
    return tuple(1 if part.startswith("{") else 0 for part in op.path.split("/"))


def _served(op: Operation, routes: Sequence[BaseRoute]) -> bool:
    sample = re.sub(r"\{[^}]+\}", "x", op.path)
    scope = {"type": "http", "path": sample, "method": "GET"}
    return any(isinstance(r, Route) and r.matches(scope)[0] is Match.FULL for r in routes)


def _answer(op: Operation, settings: EmulatorSettings) -> Callable[[Request], Any]:
    async def answer(request: Request) -> Response:
        params = request.path_params
        org, database = params.get("organization"), params.get("database")
        if (org is not None and settings.organizations and org not in settings.organizations) or (
                database is not None and settings.databases and database not in settings.databases):
            return JSONResponse(error_json("not_found", "Not Found"), status_code=404)
        return JSONResponse(minimal_body(op, params))

    return answer


def minimal_body(op: Operation, params: dict[str, str]) -> dict[str, Any]:
    """An empty list for a list operation; else the object the path names."""
    if op.id.startswith("list_"):
        return list_envelope([], page=1, per_page=25, total=0, page_url=lambda _: "")
    kind = "".join(word.capitalize() for word in op.id.removeprefix("get_").split("_"))
    last = op.path.rsplit("/", 1)[-1]
    name = params.get(last.strip("{}")) if last.startswith("{") else None
    name = name or last
    # The same derivation as the store's organizations and databases, so IDs agree.
    return {"id": stable_id(kind, name), "name": name, "type": kind}
