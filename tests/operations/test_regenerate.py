"""`python -m pstokens.operations.regenerate` on a small synthetic OpenAPI description."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pstokens.operations import parse_table
from pstokens.operations.regenerate import accesses_in, main

AUTH = ("Does things.\n### Authorization\nA service token must have at least one of the "
        "following access in order to use this API endpoint:\n\n**Service Token Accesses**\n"
        " {names}\n\n**OAuth Scopes**\n\n | Resource | Scopes |\n| `database` | `read_x` |\n")

DESCRIPTION = {
    "openapi": "3.0.1",
    "servers": [{"url": "https://api.planetscale.com/v1"}],
    "paths": {
        "/organizations/{organization}/databases/{database}/branches/{branch}/promote": {
            "parameters": [],
            "post": {"operationId": "promote_branch", "summary": "Promote a branch",
                     "tags": ["Branches"],
                     "description": AUTH.format(
                         names="`promote_branches`, `connect_production_branch`")},
        },
        "/organizations": {
            "get": {"operationId": "list_organizations", "summary": "List organizations",
                    "description": "Anyone may."},
        },
        "/organizations/{organization}/databases/{database}": {
            "delete": {"operationId": "delete_database", "summary": "Delete a database",
                       "description": AUTH.format(names="`delete_database`")},
        },
    },
}


def test_accesses_are_read_from_their_section_only() -> None:
    text = AUTH.format(names="`a_one` `b_two`")
    assert accesses_in(text) == ["a_one", "b_two"]
    assert accesses_in("no section here `read_x`") == []


def test_a_description_becomes_a_table_pstokens_loads(tmp_path: Path) -> None:
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(DESCRIPTION))
    out = tmp_path / "table.json"
    assert main([str(source), "--source", "synthetic", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["source"] == "synthetic"
    table = parse_table(data)
    assert list(table.operations) == ["promote_branch", "list_organizations", "delete_database"]
    promote = table.operations["promote_branch"]
    assert promote.path == "/v1/organizations/{organization}/databases/{database}/branches/" \
        "{branch}/promote"
    assert promote.accesses == ("promote_branches", "connect_production_branch")
    assert table.operations["list_organizations"].accesses == ()
    assert table.operations["delete_database"].method == "DELETE"
    assert data["notes"][0].startswith("1 operations list no service-token access")


def test_it_runs_as_a_module_and_refuses_a_file_that_is_not_a_description(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = subprocess.run(
        [sys.executable, "-m", "pstokens.operations.regenerate", str(bad), "--source", "x"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot read {bad}: not an OpenAPI description (no 'paths')"]


def test_yaml_descriptions_are_read_too(tmp_path: Path, capsys: object) -> None:
    import yaml

    source = tmp_path / "openapi.yaml"
    source.write_text(yaml.safe_dump(DESCRIPTION))
    out = tmp_path / "t.json"
    assert main([str(source), "--source", "y", "-o", str(out)]) == 0
    assert len(parse_table(json.loads(out.read_text())).operations) == 3
