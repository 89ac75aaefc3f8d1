"""The config digest a saved plan carries stays what it was before msgspec wrote it.

A plan saved by an earlier pstokens compares its digest with today's: the
same config must digest the same, ASCII or not.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from typing import Any

import pytest

from pstokens import destinations
from pstokens.config import model
from pstokens.engine.planning.stale import config_data, digest
from tests.engine.test_apply import config, spec


def json_digest(data: Any) -> str:
    """How the digest was written before: json.dumps, keys sorted, compact."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("name", ["ci-deploy", "déploiement", "ci\x7f", 'quote"and\\slash', "日本"])
def test_the_digest_is_json_dumps_digest(name: str) -> None:
    accesses = {None: frozenset({"read_databases"}), "db": frozenset({"read_branch"})}
    data = config_data(config(spec(name, accesses=accesses)))
    data["extra"] = {"z": [1, 2.5, None, True, 10**20], "a": {"nested": name}}

    assert digest(data) == json_digest(data)


def test_a_config_holds_no_floats_whose_exponent_msgspec_would_write_otherwise() -> None:
    """json.dumps writes 1e+16 where msgspec writes 1e16: the digest relies on
    the config's fields being no floats."""
    for kind in (model.Config, model.TokenSpec, model.Rules, model.NotifyTarget,
                 destinations.CommandDestination, destinations.DirDestination):
        hints = typing.get_type_hints(kind)
        assert all("float" not in str(hints[f.name]) for f in dataclasses.fields(kind)), kind
