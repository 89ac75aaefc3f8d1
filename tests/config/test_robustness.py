"""No input, however hostile, gets anything but a Config or a pstokens error.

Random text and bytes, random YAML structures, and the classic attacks on YAML
loaders (alias bombs, object tags, deep nesting, huge node counts).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pstokens.accesses import ALL_ACCESSES, DATABASE_ACCESSES, ORGANIZATION_ACCESSES
from pstokens.config import Config, TokenSpec, UnmanagedPolicy, load_config, parse_config, yamltree
from pstokens.config.yamltree import MAX_DEPTH, MAX_NODES
from pstokens.errors import ConfigError, PstokensError

# Bounded and untimed, so the suite is steady; no example database in the repo.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
WORDS = [
    *"abc-_.:[]{},&*!?|>'\"#%@`~\\0123456789",
    " ",
    "  ",
    "\n",
    "\t",
    "- ",
    ": ",
    "organization",
    "tokens",
    "unmanaged",
    "policy",
    "except",
    "safety",
    "max_delete_percent",
    "accesses",
    "databases",
    "ttl",
    "rotate_after",
    "prevent_destroy",
    "read_branch",
    "read_databases",
    "90d",
    "yes",
    "null",
    "~",
    "---",
    "...",
    "<<",
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "!!int ",
    "!!bool ",
    "!!binary ",
    "!!set ",
    "%YAML 1.1\n",
    "\x00",
    "\x85",
    "\u2028",
    "\ufeff",
    "\udcff",
]
yamlish_text = st.lists(st.sampled_from(WORDS), max_size=80).map("".join)


def _parses_or_refuses(text: str, organization: str | None = None) -> Config | None:
    try:
        config = parse_config(text, organization=organization)
    except PstokensError as exc:
        assert str(exc)
        return None
    assert isinstance(config, Config)
    return config


@FUZZ
@given(st.one_of(st.text(max_size=300), yamlish_text), st.sampled_from([None, "acme"]))
def test_random_text_never_escapes_as_anything_else(text: str, organization: str | None) -> None:
    _parses_or_refuses(text, organization)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_never_escape_as_anything_else(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz.yaml"
    path.write_bytes(data)
    with contextlib.suppress(PstokensError):
        load_config(path)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["90d", "1s", "0d", "report", "delete", *sorted(ALL_ACCESSES)[:8]]),
)
schema_keys = st.sampled_from(
    [
        "organization",
        "tokens",
        "unmanaged",
        "policy",
        "except",
        "safety",
        "max_delete_percent",
        "accesses",
        "databases",
        "ttl",
        "rotate_after",
        "prevent_destroy",
        "allow_unknown_accesses",
        "ci",
        "app-prod",
    ]
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(schema_keys, st.text(max_size=8), st.integers()), inner, max_size=5
        ),
    ),
    max_leaves=30,
)


@FUZZ
@given(structures, st.sampled_from([None, "acme"]))
def test_random_yaml_structures_never_escape(data: Any, organization: str | None) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    config = _parses_or_refuses(text, organization)
    if config is not None:
        _check_invariants(config)


def _check_invariants(config: Config) -> None:
    for key, spec in config.tokens.items():
        assert KEY.fullmatch(key)
        assert spec.key == key
        for database, names in spec.accesses.items():
            assert names
            assert names <= (ORGANIZATION_ACCESSES if database is None else DATABASE_ACCESSES)


# Valid configs built as data, written as YAML, must come back unchanged.
token_keys = st.from_regex(KEY, fullmatch=True)
database_names = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
durations = st.tuples(st.integers(1, 3650), st.sampled_from(sorted(units)))
token_bodies = st.fixed_dictionaries(
    {},
    optional={
        "ttl": durations,
        "rotate_after": durations,
        "prevent_destroy": st.booleans(),
        "organization": st.sets(st.sampled_from(sorted(ORGANIZATION_ACCESSES)), max_size=3),
        "databases": st.dictionaries(
            database_names,
            st.sets(st.sampled_from(sorted(DATABASE_ACCESSES)), max_size=4),
            max_size=3,
        ),
    },
)


@FUZZ
@given(
    st.dictionaries(token_keys, token_bodies, max_size=6),
    st.sampled_from(["ignore", "report", "delete"]),
    st.integers(0, 100),
)
def test_valid_configs_round_trip(
    tokens: dict[str, Any], policy: UnmanagedPolicy, percent: int
) -> None:
    document: dict[str, Any] = {
        "organization": "acme",
        "unmanaged": {"policy": policy},
        "safety": {"max_delete_percent": percent},
        "tokens": {},
    }
    expected: dict[str, TokenSpec] = {}
    for key, body in tokens.items():
        written: dict[str, Any] = {}
        accesses: dict[str | None, frozenset[str]] = {}
        for field in ("ttl", "rotate_after"):
            if field in body:
                number, unit = body[field]
                written[field] = f"{number}{unit}"
        if "prevent_destroy" in body:
            written["prevent_destroy"] = body["prevent_destroy"]
        if "organization" in body or "databases" in body:
            written["accesses"] = {
                "organization": sorted(body.get("organization", ())),
                "databases": {db: sorted(names) for db, names in body.get("databases", {}).items()},
            }
            if body.get("organization"):
                accesses[None] = frozenset(body["organization"])
            for db, names in body.get("databases", {}).items():
                if names:
                    accesses[db] = frozenset(names)
        document["tokens"][key] = written
        expected[key] = TokenSpec(
            key,
            accesses,
            ttl=_seconds(body.get("ttl")),
            rotate_after=_seconds(body.get("rotate_after")),
            prevent_destroy=body.get("prevent_destroy", False),
        )
    config = parse_config(yaml.safe_dump(document))
    assert config == Config(
        "acme",
        expected,
        unmanaged_policy=policy,
        max_delete_percent=percent,
    )


def _seconds(duration: tuple[int, str] | None) -> int | None:
    return None if duration is None else duration[0] * units[duration[1]]


def _tree(node: yaml.Node | None, *, positions: bool) -> Any:
    """A composed node as plain data: what the schema walk sees."""
    if node is None:
        return None
    where = (node.start_mark.line, node.start_mark.column) if positions else None
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, where)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, [_tree(item, positions=positions) for item in node.value], where)
    pairs = [(_tree(k, positions=positions), _tree(v, positions=positions)) for k, v in node.value]
    return (node.tag, pairs, where)


valid_documents = st.builds(
    lambda data, style: yaml.safe_dump(data, default_flow_style=style, allow_unicode=True),
    structures,
    st.sampled_from([False, True, None]),
)
plain_text = st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.just("\n"))


@settings(FUZZ, max_examples=1000)
@given(st.one_of(st.text(max_size=300), plain_text, yamlish_text, valid_documents))
def test_libyaml_composes_exactly_what_pyyaml_composes(text: str) -> None:
    """libyaml composes plain configs for speed: whatever it takes must compose
    to the same values under PyYAML. (Positions may differ: problems are always
    reported from PyYAML's composition.)"""
    try:
        quick = yamltree.compose_quickly(text, "pstokens.yaml")
    except yamltree.Declined:
        return
    careful = yamltree.compose(text, "pstokens.yaml")
    assert _tree(quick, positions=False) == _tree(careful, positions=False)


def test_a_config_with_a_problem_is_reported_as_pyyaml_places_it() -> None:
    """libyaml places an empty key at the end of the file; PyYAML right after its `?`."""
    text = "organization: acme\ntokens:\n  ?"
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, 4)]
    assert _tree(yamltree.compose_quickly(text, "f"), positions=True) != _tree(
        yamltree.compose(text, "f"), positions=True
    )


def test_a_file_with_tags_or_tabs_is_not_composed_quickly() -> None:
    for text in ("a: !!str 1\n", "a:\t1\n", "a: >\n  x\n", "a: &x 1\nb: *x\n", "a: caf\u00e9\n"):
        with pytest.raises(yamltree.Declined):
            yamltree.compose_quickly(text, "f")


def test_billion_laughs_is_refused_without_expanding() -> None:
    lines = [
        "organization: acme",
        "tokens: {}",
        "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    with pytest.raises(ConfigError) as caught:
        parse_config("\n".join(lines) + "\n")
    problems = caught.value.problems
    assert len(problems) == 9  # one per anchor used, not one per use
    assert all("aliases" in p.message for p in problems)
    assert [(p.line, p.column) for p in problems] == [(line, 10) for line in range(4, 13)]


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(ConfigError, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse_config("x: " + "[" * 50_000)
    with pytest.raises(ConfigError, match="nests deeper"):
        parse_config("".join(f"{'  ' * i}k{i}:\n" for i in range(100)))


def test_too_many_values_are_refused_where_the_limit_is_crossed() -> None:
    text = "organization: acme\ntokens: {}\nx: [" + "1," * MAX_NODES + "]\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    (problem,) = caught.value.problems
    assert f"more than {MAX_NODES:,} values" in problem.message
    # At the value that crossed it: the root, `organization`, `acme`, `tokens`, `{}`,
    # `x` and the list come first, then items two characters apart from column 5.
    assert (problem.line, problem.column) == (3, 5 + 2 * (MAX_NODES - 7))


def test_object_tags_are_refused_where_they_are_written() -> None:
    text = "organization: acme\ntokens:\n  ci: !!python/object/new:os.system [echo pwned]\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, 7)
    assert "!!python/object/new:os.system" in problem.message


def test_control_characters_from_the_file_are_escaped_in_messages() -> None:
    text = 'organization: acme\ntokens:\n  "\\e[31mred\\a": {}\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    message = str(caught.value)
    assert "\x1b" not in message
    assert "\x07" not in message
    assert "\\x1b[31mred\\x07" in message


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("organization: acme\ntokens:\n  " + "x" * 5000 + ": {}\n")
    assert len(str(caught.value)) < 300


def test_a_large_valid_config_parses(tmp_path: Path) -> None:
    body = "".join(
        f"  token-{i}:\n    ttl: 90d\n    accesses: {{databases: {{app: [read_branch]}}}}\n"
        for i in range(2000)
    )
    path = tmp_path / "pstokens.yaml"
    path.write_text("organization: acme\ntokens:\n" + body, encoding="utf-8")
    assert len(load_config(path).tokens) == 2000
