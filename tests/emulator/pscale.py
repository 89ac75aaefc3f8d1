"""The exact bytes `pscale` (PlanetScale's Go client, planetscale-go) puts on the wire.

Read from planetscale-go's `planetscale/service_tokens.go`, `client.go` and
their tests: bodies are `json.NewEncoder(buf).Encode(req)`, so compact JSON
with a trailing newline; the grant and revoke requests declare `database`
without `omitempty`, so `add-access` and `delete-access` without `--database`
send `"database":""`; GET requests carry no body and no paging parameters;
every other request (a DELETE too) carries `Content-Type: application/json`,
and a DELETE of a token has an empty body. Headers are written in Go's
net/http order: Host, User-Agent, Content-Length (when there is a body), the
rest sorted, then the transport's `Accept-Encoding: gzip`.

Replaying them over a raw socket tests what the emulator and the REST adapter
accept from PlanetScale's own tooling, byte for byte, not what httpx would send.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "pscale-cli/dev planetscale-go/unknown"  # WithUserAgent prepends the CLI's
JSON = "application/json"


@dataclass(frozen=True)
class Step:
    """One pscale command and the request it sends."""

    command: str
    method: str
    path: str  # relative to /v1/organizations/{org}/service-tokens
    body: bytes | None  # None: a GET, which sends no body and no Content-Type


def encode(value: dict[str, Any]) -> bytes:
    """What Go's json.Encoder writes: compact, fields in struct order, then a newline."""
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"


def steps(token_id: str, database: str) -> list[Step]:
    """create, list, add-access with and without --database, show-access,
    delete-access with and without --database, delete; `token_id` is the
    created token's (known only after create, so create is separate)."""
    access = f"/{token_id}/access"
    with_db = {"database": database, "access": ["read_branch", "create_branch"]}
    without_db = {"database": "", "access": ["read_databases"]}
    return [
        Step("list", "GET", "", None),
        Step(f"add-access --database {database}", "POST", access, encode(with_db)),
        Step("add-access", "POST", access, encode(without_db)),
        Step("show-access", "GET", access, None),
        Step(f"delete-access --database {database}", "DELETE", access,
             encode({"database": database, "access": ["create_branch"]})),
        Step("delete-access", "DELETE", access, encode(without_db)),
        Step("delete", "DELETE", f"/{token_id}", b""),
    ]


def create_step(name: str) -> Step:
    # CreateServiceTokenRequest: Name and TTL are pointers with omitempty.
    return Step(f"create --name {name}", "POST", "", encode({"name": name}))


def request_bytes(base_url: str, org: str, step: Step, authorization: str) -> bytes:
    """The request exactly as net/http writes it for planetscale-go."""
    url = urlsplit(base_url)
    target = f"{url.path.rstrip('/')}/organizations/{org}/service-tokens{step.path}"
    lines = [f"{step.method} {target} HTTP/1.1", f"Host: {url.netloc}", f"User-Agent: {USER_AGENT}"]
    if step.body:  # net/http sends no Content-Length for an empty DELETE
        lines.append(f"Content-Length: {len(step.body)}")
    headers = {"Accept": JSON, "Authorization": authorization}
    if step.body is not None:
        headers["Content-Type"] = JSON
    lines += [f"{name}: {value}" for name, value in sorted(headers.items())]
    lines.append("Accept-Encoding: gzip")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (step.body or b"")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(base_url: str, raw: bytes) -> Reply:
    """Write `raw` on a fresh loopback connection and read the one answer."""
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        assert response.getheader("Content-Encoding") in (None, "identity")
        return Reply(response.status, body)
