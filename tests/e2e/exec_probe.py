"""What `pstokens exec` runs in the end-to-end tests: it reports what it was given.

    python exec_probe.py REPORT STATUS [wait|kill]

Writes REPORT (JSON, never the secret itself): the lease's ID and name as the
API knows them, its accesses, whether GET /organizations works with it, which
credentials were in the environment, and the state file as it was then. Then
exits STATUS; `wait` first writes REPORT.ready and waits for a signal
(reporting which one came); `kill` ends itself with SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx


def main() -> None:
    report, status = Path(sys.argv[1]), int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else ""
    token_id = os.environ.get("PLANETSCALE_SERVICE_TOKEN_ID", "")
    secret = os.environ.get("PLANETSCALE_SERVICE_TOKEN", "")
    org = os.environ.get("PLANETSCALE_ORG", "")
    url = os.environ["PLANETSCALE_API_URL"]
    headers = {"Authorization": f"{token_id}:{secret}"}
    # The lease proves itself with a call any token may make; what it is (name,
    # expiry, accesses) is read as the organization's owner, since reading a
    # token needs read_service_tokens, which a lease seldom holds.
    owner = {"Authorization": "Bearer exec-probe-as-owner"}
    with httpx.Client(base_url=url, headers=headers) as api:
        orgs = api.get("/organizations")
        token = api.get(f"/organizations/{org}/service-tokens/{token_id}", headers=owner).json()
        accesses = api.get(f"/organizations/{org}/service-tokens/{token_id}/access",
                           headers=owner).json()
    state = Path(os.environ.get("PROBE_STATE", "state/acme.json"))
    data = {
        "token_id": token_id,
        "pid": os.getpid(),
        "secret_set": secret.startswith("pscale_tkn_"),
        "org": org,
        "api_key_set": "PLANETSCALE_API_KEY" in os.environ,
        "organizations": [orgs.status_code, [o["name"] for o in orgs.json().get("data", [])]],
        "name": token.get("name"),
        "ttl": _seconds(token.get("expires_at")) - _seconds(token.get("created_at")),
        "accesses": sorted(
            [a["resource"]["name"] if a["type"] == "DatabaseAccess" else "", a["access"]]
            for a in accesses["data"]),
        "state": json.loads(state.read_text()) if state.exists() else None,
    }
    report.write_text(json.dumps(data))
    if mode == "wait":
        got: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda n, _f: got.append(n))
        Path(str(report) + ".ready").write_text("ready")
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)
        Path(str(report) + ".signal").write_text(str(got[0] if got else 0))
    elif mode == "kill":
        os.kill(os.getpid(), signal.SIGTERM)
    sys.exit(status)


def _seconds(value: str | None) -> int:
    from datetime import datetime

    return 0 if value is None else int(datetime.fromisoformat(value.replace("Z", "+00:00"))
                                       .timestamp())


if __name__ == "__main__":
    main()
