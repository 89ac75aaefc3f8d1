"""Pydantic models made from the engine's dataclasses, so the plan schema states
each finding and change exactly as the dataclass that writes it.

A plan's changes and findings are frozen dataclasses whose `to_json` writes their
fields under the same names, typed as the fields are (an enum as its value, a
datetime as ISO 8601, a tuple or frozenset as an array). `mirror` builds a closed
model from the dataclass's own fields and type hints, so a field added, renamed
or retyped there changes the schema with it; only what `to_json` or render/json.py
does differently is said here: a key renamed or left out, a key written only
when set, a narrower type, the words the renderer adds. The suite checks every
plan it writes against the result (tests/plan_documents.py), which holds the
two to each other.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, create_model


def mirror(source: type, *, title: str | None = None, renamed: Mapping[str, str] | None = None,
           dropped: tuple[str, ...] = (), types: Mapping[str, Any] | None = None,
           optional: tuple[str, ...] = (), added: Mapping[str, Any] | None = None) -> Any:
    """A closed model of the JSON `source.to_json` writes (a pydantic model class).

    Every field of the dataclass `source` is a key (`renamed` maps a field to the key
    `to_json` writes it as; `dropped` fields are not written), typed by its hint unless
    `types` narrows it; `added` keys (by their JSON name) follow. Every key is
    required, null or not, except the `optional` ones (by JSON name), which `to_json`
    leaves out when unset.
    """
    renamed, types, added = renamed or {}, types or {}, added or {}
    hints = typing.get_type_hints(source)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(source):
        if field.name in dropped:
            continue
        key = renamed.get(field.name, field.name)
        fields[key] = types.get(field.name, hints[field.name])
    fields |= added
    unknown = (set(renamed) | set(dropped) | set(types)) - {f.name for f in
                                                             dataclasses.fields(source)}
    if unknown or not set(optional) <= set(fields):
        raise ValueError(f"{source.__name__} has no field {sorted(unknown) or optional}")
    return create_model(  # type: ignore[call-overload]
        title or source.__name__, __config__=ConfigDict(extra="forbid"),
        **{key: (kind, None if key in optional else ...) for key, kind in fields.items()})
