"""Rebuild the operations table from a PlanetScale OpenAPI description: one command
when PlanetScale publishes a new one.

    python -m pstokens.operations.regenerate openapi.json --source "..." -o table.json

Each operation's description carries a "**Service Token Accesses**" section
listing, in backticks, the accesses of which a token needs any one; an operation
without that section gets none. Paths get the server URL's path (`/v1`) in front.
YAML descriptions are read too.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

METHODS = ("get", "put", "post", "delete", "patch")
MARKER = "**Service Token Accesses**"
NAME = re.compile(r"`([a-z][a-z0-9_]*)`")
# The section ends at the next bold heading or Markdown heading.
SECTION_END = re.compile(r"\*\*|^#", re.MULTILINE)


def accesses_in(description: str) -> list[str]:
    """The access names of a description's "Service Token Accesses" section."""
    start = description.find(MARKER)
    if start < 0:
        return []
    rest = description[start + len(MARKER):]
    end = SECTION_END.search(rest)
    section = rest if end is None else rest[:end.start()]
    return list(dict.fromkeys(NAME.findall(section)))


def build_table(description: dict[str, Any], source: str) -> dict[str, Any]:
    """The table (the packaged JSON's shape) for an OpenAPI description."""
    servers = description.get("servers") or [{}]
    prefix = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    operations = []
    for path, item in (description.get("paths") or {}).items():
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            operations.append({
                "operation": op["operationId"],
                "method": method.upper(),
                "path": prefix + path,
                "summary": op.get("summary", ""),
                "tags": list(op.get("tags", [])),
                "service_token_accesses_any_of": accesses_in(str(op.get("description", ""))),
            })
    without = sum(1 for o in operations if not o["service_token_accesses_any_of"])
    return {
        "source": source,
        "notes": [
            f"{without} operations list no service-token access (OAuth only, or open to "
            "any caller).",
            "Database-level accesses are granted per database; organization-level ones on "
            "the organization.",
        ],
        "operations": operations,
    }


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text("utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict) or "paths" not in data:
        raise ValueError("not an OpenAPI description (no 'paths')")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pstokens.operations.regenerate",
        description="Rebuild the operations table from a PlanetScale OpenAPI description.")
    parser.add_argument("description", type=Path, help="the OpenAPI description (JSON or YAML)")
    parser.add_argument("--source", required=True,
                        help="where the description came from (kept in the table)")
    parser.add_argument("-o", "--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    try:
        table = build_table(_read(args.description), args.source)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"Error: cannot read {args.description}: {exc}\n")
        return 1
    text = json.dumps(table, indent=1) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, "utf-8")
        count = len(table["operations"])
        sys.stderr.write(f"Wrote {count} operations to {args.out}.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
