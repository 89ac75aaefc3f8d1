"""Every JSON plan these scenarios make (printed and saved) fits `pstokens schema plan`:
creates with destinations, grants with what they allow, a replace that retires, a leak,
a delete, a revoke, an unmanaged token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from pstokens.schemas import generate
from tests.e2e.conftest import Cli, Emulator, write_config

FIRST = """\
organization: acme
tokens:
  app:
    ttl: 30d
    deliver:
      - dir: secrets
      - command: cat > /dev/null
        timeout: 10s
        stdin: env
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, connect_branch]
  ci:
    overlap: 1h
    retire_when_unused: 2h
    accesses:
      databases:
        app-prod: [read_branch]
  gone:
    accesses:
      organization: [read_databases]
  ro:
    accesses:
      databases:
        app-prod: [read_branch, connect_branch]
"""

SECOND = """\
organization: acme
tokens:
  app:
    ttl: 30d
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch]
  ci:
    overlap: 1h
    retire_when_unused: 2h
    accesses:
      databases:
        app-prod: [read_branch, create_branch]
  ro:
    accesses:
      databases:
        app-prod: [read_branch]
"""


def check(document: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in Draft202012Validator(generate("plan")).iter_errors(document)]
    assert errors == []


def plans(cli: Cli, workdir: Path, *args: str) -> dict[str, Any]:
    """The plan as printed and as saved, both checked against the schema; the printed one."""
    printed = cli("plan", "--format", "json", *args)
    assert printed.code == 0, printed.err
    check(json.loads(printed.out))
    saved = cli("plan", "--out", "p.json", *args)
    assert saved.code == 0, saved.err
    check(json.loads((workdir / "p.json").read_text()))
    return json.loads(printed.out)  # type: ignore[no-any-return]


def actions(plan: dict[str, Any]) -> set[str]:
    return {c["action"] for c in plan["changes"]}


def test_every_plan_of_a_life_fits_the_plan_schema(
        cli: Cli, emulator: Emulator, workdir: Path) -> None:
    write_config(workdir / "pstokens.yaml", FIRST)
    first = plans(cli, workdir)  # creates, grants with allows, destinations
    assert actions(first) == {"create", "grant"}
    assert any(c.get("allows") for c in first["changes"])
    assert cli("apply", "--auto-approve").code == 0
    plans(cli, workdir)  # nothing to do
    state = json.loads(next((workdir / "state").glob("*.json")).read_text())
    emulator.store.add_audit_event("acme", "service_token.token_leaked",
                                   target_id=state["tokens"]["app"]["id"])
    emulator.store.create_token("acme", "stranger")  # unmanaged
    write_config(workdir / "pstokens.yaml", SECOND)
    later = plans(cli, workdir)  # a leak, a grant, a revoke, a delete, an unmanaged token
    assert {"replace", "grant", "revoke", "delete"} <= actions(later)
    assert later["leak_check"]["leaked"] and later["unmanaged"]
    replaced = plans(cli, workdir, "--replace", "ci")  # a replace that retires
    assert any(c["action"] == "replace" and c["retire"] for c in replaced["changes"])
    plans(cli, workdir, "--target", "ci")
