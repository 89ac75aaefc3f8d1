"""`rules:` in pstokens.yaml: parsed into Rules, and a config that breaks its own
rules is refused by validate with every finding at its line and column."""

from __future__ import annotations

import pytest

from pstokens.config import Rules, parse_config
from pstokens.engine.rules.guardrails import Rule, check_config
from pstokens.errors import ConfigError
from pstokens.render.rules import config_problem

DAY = 86400

BREAKS_EVERY_RULE = """\
organization: acme
rules:
  forbid_accesses: [delete_production_branch, delete_databases]
  require_ttl: true
  max_ttl: 180d
tokens:
  ci-deploy:
    ttl: 365d
    accesses:
      organization: [read_databases, delete_databases]
      databases:
        app-prod: [read_branch, delete_production_branch]
  reporter:
    accesses:
      databases:
        analytics: [read_branch]
  fine:
    ttl: 30d
"""


def test_rules_are_read_with_their_defaults() -> None:
    config = parse_config("organization: acme\nrules:\n  require_ttl: true\ntokens: {}\n")
    assert config.rules == Rules(require_ttl=True, unused_after=90 * DAY)


def test_an_empty_rules_section_still_warns_about_unused_tokens_after_90_days() -> None:
    config = parse_config("organization: acme\nrules:\ntokens: {}\n")
    assert config.rules == Rules()
    assert config.rules.unused_after == 90 * DAY


def test_no_rules_section_means_no_rules() -> None:
    assert parse_config("organization: acme\ntokens: {}\n").rules is None


def test_every_rule_field_is_read() -> None:
    config = parse_config(BREAKS_EVERY_RULE.replace("tokens:", "  unused_after: 30d\ntokens:"))
    assert config.rules == Rules(
        forbid_accesses=frozenset({"delete_production_branch", "delete_databases"}),
        require_ttl=True, max_ttl=180 * DAY, unused_after=30 * DAY,
    )


def test_a_config_breaking_its_rules_gets_each_finding_where_it_was_written() -> None:
    config = parse_config(BREAKS_EVERY_RULE)
    problems = [str(config_problem(v)) for v in check_config(config)]
    assert problems == [
        'pstokens.yaml:8:10: ttl 365d of token "ci-deploy" is longer than rules.max_ttl (180d)',
        'pstokens.yaml:10:38: token "ci-deploy" asks for delete_databases on the organization, '
        "which rules.forbid_accesses forbids",
        'pstokens.yaml:12:33: token "ci-deploy" asks for delete_production_branch on database '
        "app-prod, which rules.forbid_accesses forbids",
        'pstokens.yaml:13:3: token "reporter" sets no ttl, but rules.require_ttl is true',
    ]


def test_findings_are_typed_for_other_renderers() -> None:
    found = check_config(parse_config(BREAKS_EVERY_RULE))
    assert [(v.rule, v.key, v.database, v.access) for v in found] == [
        (Rule.MAX_TTL, "ci-deploy", None, None),
        (Rule.FORBID_ACCESSES, "ci-deploy", None, "delete_databases"),
        (Rule.FORBID_ACCESSES, "ci-deploy", "app-prod", "delete_production_branch"),
        (Rule.REQUIRE_TTL, "reporter", None, None),
    ]
    assert found[0].ttl == 365 * DAY and found[0].limit == 180 * DAY


def test_a_config_within_its_rules_has_no_findings() -> None:
    config = parse_config(
        "organization: acme\nrules:\n  forbid_accesses: [delete_databases]\n  max_ttl: 90d\n"
        "tokens:\n  ci:\n    ttl: 90d\n    accesses: {organization: [read_databases]}\n"
    )
    assert check_config(config) == ()


def test_a_flow_style_config_is_located_too() -> None:
    config = parse_config(
        "organization: acme\nrules: {forbid_accesses: [delete_branch]}\n"
        "tokens: {ci: {accesses: {databases: {app: [read_branch, delete_branch]}}}}\n"
    )
    (violation,) = check_config(config)
    assert (violation.line, violation.column) == (3, 57)


def test_rule_and_schema_problems_are_separate_passes() -> None:
    # A config with schema problems is refused by those first; rules need a valid config.
    with pytest.raises(ConfigError) as caught:
        parse_config("organization: acme\nrules:\n  require_ttl: true\ntokens:\n  ci:\n"
                     "    ttl: 9x\n")
    assert [p.line for p in caught.value.problems] == [6]


def test_unknown_forbidden_names_pass_when_unknown_accesses_are_allowed() -> None:
    config = parse_config(
        "organization: acme\nallow_unknown_accesses: true\n"
        "rules:\n  forbid_accesses: [drop_everything]\ntokens: {}\n"
    )
    assert config.rules is not None
    assert config.rules.forbid_accesses == frozenset({"drop_everything"})
