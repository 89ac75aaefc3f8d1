"""Live tokens, managed or not, against `rules:`: typed violations and unused warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pstokens.config import Rules
from pstokens.engine.rules.guardrails import (
    Rule,
    Unused,
    Violation,
    check_live,
    find_unused,
    managed_keys,
    needs_accesses,
)
from pstokens.engine.rules.live import LiveToken
from pstokens.render.rules import unused_text, violation_text
from pstokens.state import State
from pstokens.state.model import TokenRecord

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = 86400
RULES = Rules(
    forbid_accesses=frozenset({"delete_production_branch", "delete_databases"}),
    require_ttl=True, max_ttl=180 * DAY, unused_after=90 * DAY,
)


def token(token_id: str, name: str | None = None, *, age: int = 10, ttl: int | None = 30,
          used: int | None = 1, accesses: dict[str | None, frozenset[str]] | None = None
          ) -> LiveToken:
    created = NOW - timedelta(days=age)
    return LiveToken(
        id=token_id, name=name or token_id, created_at=created,
        expires_at=None if ttl is None else created + timedelta(days=ttl),
        accesses=accesses if accesses is not None else {},
        last_used_at=None if used is None else NOW - timedelta(days=used),
    )


def test_an_unmanaged_token_holding_a_forbidden_access_is_a_violation() -> None:
    admin = token("t1", "legacy-admin", accesses={
        None: frozenset({"read_databases", "delete_databases"}),
        "app-prod": frozenset({"read_branch", "delete_production_branch"}),
    })
    assert check_live([admin], {}, RULES) == (
        Violation(Rule.FORBID_ACCESSES, "t1", "legacy-admin", None, None, "delete_databases"),
        Violation(Rule.FORBID_ACCESSES, "t1", "legacy-admin", None, "app-prod",
                  "delete_production_branch"),
    )


def test_a_managed_token_is_named_by_its_key() -> None:
    held = token("t1", "ci", accesses={"app-prod": frozenset({"delete_production_branch"})})
    (violation,) = check_live([held], {"t1": "ci-deploy"}, RULES)
    assert violation.key == "ci-deploy"
    assert violation_text(violation) == (
        '"ci" [id t1, key ci-deploy] holds delete_production_branch on database app-prod '
        "(rules.forbid_accesses)"
    )


def test_a_token_that_never_expires_breaks_require_ttl() -> None:
    (violation,) = check_live([token("t1", ttl=None)], {}, RULES)
    assert violation.rule is Rule.REQUIRE_TTL
    assert violation_text(violation) == '"t1" [id t1, unmanaged] never expires (rules.require_ttl)'


def test_a_token_living_longer_than_max_ttl_breaks_it() -> None:
    (violation,) = check_live([token("t1", ttl=365)], {}, RULES)
    assert (violation.rule, violation.lifetime, violation.limit) == (
        Rule.MAX_TTL, 365 * DAY, 180 * DAY)
    assert "lives 365d, longer than rules.max_ttl 180d" in violation_text(violation)


def test_a_token_created_with_exactly_max_ttl_is_within_it() -> None:
    exact = LiveToken("t1", "t1", created_at=NOW, accesses={},
                      expires_at=NOW + timedelta(days=180, seconds=1))
    assert check_live([exact], {}, RULES) == ()


def test_without_rules_nothing_is_checked() -> None:
    bad = token("t1", ttl=None, used=None, age=400,
                accesses={None: frozenset({"delete_databases"})})
    assert check_live([bad], {}, None) == ()
    assert find_unused([bad], {}, None, NOW) == ()


def test_tokens_whose_accesses_were_not_read_are_checked_on_their_times_only() -> None:
    unread = LiveToken("t1", "t1", created_at=NOW, expires_at=None, accesses=None)
    assert [v.rule for v in check_live([unread], {}, RULES)] == [Rule.REQUIRE_TTL]


def test_forbidden_accesses_need_every_tokens_accesses() -> None:
    assert needs_accesses(RULES)
    assert not needs_accesses(Rules(require_ttl=True))
    assert not needs_accesses(None)


def test_a_token_unused_for_unused_after_is_a_warning() -> None:
    idle = token("t1", "old-ci", age=300, ttl=None, used=200)
    recent = token("t2", age=300, ttl=None, used=3)
    assert find_unused([idle, recent], {"t1": "ci"}, RULES, NOW) == (
        Unused("t1", "old-ci", "ci", NOW - timedelta(days=200), NOW - timedelta(days=300),
               90 * DAY),
    )
    assert unused_text(find_unused([idle], {}, RULES, NOW)[0], NOW) == (
        '"old-ci" [id t1, unmanaged] unused for rules.unused_after 90d: last used 200 days ago'
    )


def test_a_token_never_used_counts_from_its_creation() -> None:
    old, new = token("old", age=95, used=None), token("new", age=5, used=None)
    (found,) = find_unused([old, new], {}, RULES, NOW)
    assert found.token_id == "old"
    assert unused_text(found, NOW).endswith("never used, created 95 days ago")


def test_a_never_used_token_of_unknown_age_is_not_called_stale() -> None:
    assert find_unused([LiveToken("t1", "t1")], {}, RULES, NOW) == ()


def test_managed_keys_include_tokens_being_retired() -> None:
    state = State.new("acme").with_token(
        "ci", TokenRecord(id="new1", name="ci", retiring=("old1",))
    ).with_token("pending", TokenRecord(id=None, name="pending"))
    assert managed_keys(state) == {"new1": "ci", "old1": "ci"}


def test_control_characters_in_names_are_escaped_in_words() -> None:
    (violation,) = check_live([token("t1", "evil\x1b[2J\nname", ttl=None)], {}, RULES)
    text = violation_text(violation)
    assert "\x1b" not in text and "\n" not in text
    assert "evil\\x1b[2J\\x0aname" in text


def test_violations_round_trip_through_json() -> None:
    found = check_live([token("t1", ttl=365, accesses={None: frozenset({"delete_databases"})})],
                       {"t1": "k"}, RULES)
    assert tuple(Violation.from_json(v.to_json()) for v in found) == found
