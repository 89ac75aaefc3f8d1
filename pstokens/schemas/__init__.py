"""JSON Schemas for pstokens.yaml and for the JSON plan (`pstokens schema`).

Each schema is generated from a pydantic model of the document (`config_model`,
`plan_model`); the walker in config/schema.py and the plan writer in render/json.py
are held to the same models by tests, and the shipped `*.schema.json` files are
the generated ones (tests/schemas/test_shipped.py), so editors and CI read what
pstokens itself checks.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Literal

SchemaName = Literal["config", "plan"]
NAMES: tuple[SchemaName, ...] = ("config", "plan")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate(name: SchemaName) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document `name`, made from its model."""
    if name == "config":
        from pstokens.schemas.config_model import ConfigDocument as model
    else:
        from pstokens.schemas.plan_model import PlanDocument as model  # type: ignore[assignment]
    schema: dict[str, Any] = _closed_patterns(model.model_json_schema(mode="validation"))
    return {"$schema": DIALECT} | schema


def render(name: SchemaName) -> str:
    """The schema as the shipped file holds it (indented, sorted keys)."""
    return json.dumps(generate(name), indent=2, sort_keys=True) + "\n"


def shipped(name: SchemaName) -> str:
    """The schema file shipped in the package."""
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")


def _closed_patterns(node: Any) -> Any:
    """A mapping whose keys have a pattern (token keys, database names) takes no other key:
    pydantic leaves `additionalProperties` open there."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        return {key: _closed_patterns(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_closed_patterns(item) for item in node]
    return node
