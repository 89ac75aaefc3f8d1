"""Valid configs parse to exactly the Config the planner expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.config import Config, TokenSpec, load_config, parse_config
from pstokens.errors import ConfigError, PstokensError

from .good_configs import MINIMAL, PRODUCT_EXAMPLE, PRODUCT_EXAMPLE_CONFIG, SPARSE, SPARSE_CONFIG


def test_product_example_parses_to_the_expected_config() -> None:
    assert parse_config(PRODUCT_EXAMPLE) == PRODUCT_EXAMPLE_CONFIG


def test_empty_tokens_mapping_is_allowed() -> None:
    assert parse_config(MINIMAL) == Config(organization="acme", tokens={})


def test_optional_parts_may_be_missing_or_empty() -> None:
    assert parse_config(SPARSE) == SPARSE_CONFIG


def test_defaults_when_unmanaged_and_safety_are_left_out() -> None:
    config = parse_config(MINIMAL)
    assert config.unmanaged_policy == "report"
    assert config.unmanaged_except == frozenset()
    assert config.max_delete_percent == 30
    assert config.allow_unknown_accesses is False


@pytest.mark.parametrize("policy", ["ignore", "report", "delete"])
def test_every_unmanaged_policy_is_accepted(policy: str) -> None:
    text = (
        f"organization: acme\nunmanaged: {{policy: {policy}, except: [a, '123']}}\ntokens: {{}}\n"
    )
    config = parse_config(text)
    assert config.unmanaged_policy == policy
    assert config.unmanaged_except == frozenset({"a", "123"})


@pytest.mark.parametrize(("written", "value"), [("0", 0), ("100", 100), ("+7", 7), ("1_0", 10)])
def test_max_delete_percent_bounds(written: str, value: int) -> None:
    text = f"organization: acme\nsafety: {{max_delete_percent: {written}}}\ntokens: {{}}\n"
    assert parse_config(text).max_delete_percent == value


@pytest.mark.parametrize(("written", "value"), [("yes", True), ("off", False), ("True", True)])
def test_yaml_booleans_are_booleans(written: str, value: bool) -> None:
    text = f"organization: acme\ntokens:\n  ci: {{prevent_destroy: {written}}}\n"
    assert parse_config(text).tokens["ci"].prevent_destroy is value


def test_quoted_names_that_look_like_numbers_are_names() -> None:
    text = (
        "organization: '42'\ntokens:\n"
        "  '1234':\n    accesses: {databases: {'2024': [read_branch]}}\n"
    )
    config = parse_config(text, organization="42")
    assert config.tokens == {"1234": TokenSpec("1234", {"2024": frozenset({"read_branch"})})}


def test_unknown_accesses_pass_when_allowed_on_purpose() -> None:
    text = (
        "organization: acme\nallow_unknown_accesses: true\ntokens:\n"
        "  ci: {accesses: {organization: [read_future], databases: {app: [read_branch, x_new]}}}\n"
    )
    config = parse_config(text)
    assert config.allow_unknown_accesses is True
    assert config.tokens["ci"].accesses == {
        None: frozenset({"read_future"}),
        "app": frozenset({"read_branch", "x_new"}),
    }


def test_organization_comes_from_the_argument_when_the_file_has_none() -> None:
    config = parse_config("tokens: {}\n", organization="acme")
    assert config.organization == "acme"


def test_organization_in_both_places_is_fine_when_they_agree() -> None:
    assert parse_config(MINIMAL, organization="acme").organization == "acme"


def test_organizations_that_differ_are_refused_naming_both() -> None:
    with pytest.raises(PstokensError) as caught:
        parse_config(MINIMAL, organization="other")
    assert not isinstance(caught.value, ConfigError)
    message = str(caught.value)
    assert '"acme"' in message
    assert '"other"' in message
    assert "refuses to guess" in message


def test_missing_organization_everywhere_is_a_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("tokens: {}\n")
    assert "organization is required (set it in the file or PLANETSCALE_ORG)" in str(caught.value)


def test_organization_argument_that_is_not_a_name_is_refused() -> None:
    with pytest.raises(PstokensError, match="bad organization name"):
        parse_config("tokens: {}\n", organization="../../etc")


def test_config_path_is_the_filename_given(tmp_path: Path) -> None:
    assert parse_config(MINIMAL, filename="x/y.yaml").path == "x/y.yaml"
    path = tmp_path / "pstokens.yaml"
    path.write_text(PRODUCT_EXAMPLE, encoding="utf-8")
    assert load_config(path).path == str(path)
    assert load_config(str(path)) == Config(
        **{**PRODUCT_EXAMPLE_CONFIG.__dict__, "path": str(path)}
    )


def test_comments_blank_lines_and_a_document_marker_are_fine() -> None:
    text = "# pstokens\n---\norganization: acme  # us\n\ntokens: {}  # none yet\n...\n"
    assert parse_config(text) == Config(organization="acme", tokens={})


def test_anchor_without_alias_is_harmless() -> None:
    text = "organization: acme\ntokens:\n  ci: &x {ttl: 1h}\n"
    assert parse_config(text).tokens["ci"].ttl == 3600


def test_the_shipped_example_is_valid() -> None:
    example = Path(__file__).parents[2] / "examples" / "pstokens.yaml"
    config = load_config(example)
    assert config.organization == "acme"
    assert config.tokens["backup-auditor"].prevent_destroy is True
