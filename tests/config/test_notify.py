"""`notify:` in pstokens.yaml: read offline, every problem located, a URL never quoted;
what the named variables hold is checked for validate (unset: a warning)."""

from __future__ import annotations

import pytest

from pstokens.config import parse_config
from pstokens.config.model import NotifyEvent, NotifyTarget
from pstokens.config.notify import environment_problems
from pstokens.errors import ConfigError

HEAD = "organization: acme\ntokens: {}\nnotify:\n"  # entries start on line 4


def problems(body: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(HEAD + body, filename="p.yaml")
    return [str(p) for p in caught.value.problems]


def test_entries_are_read_with_their_defaults_and_an_unquoted_on() -> None:
    config = parse_config(
        HEAD + "  - url_env: PSTOKENS_SLACK_WEBHOOK\n"
        "    format: slack\n"
        "    secret_env: PSTOKENS_NOTIFY_SECRET\n"
        "    on: [drift, apply_failed]\n"
        "  - url_env: HOOK\n"
    )
    assert config.notify == (
        NotifyTarget("PSTOKENS_SLACK_WEBHOOK", "slack", "PSTOKENS_NOTIFY_SECRET",
                     frozenset({NotifyEvent.DRIFT, NotifyEvent.APPLY_FAILED})),
        NotifyTarget("HOOK", "json", None, frozenset(NotifyEvent)),
    )


def test_every_problem_in_the_entries_is_located_at_once() -> None:
    assert problems(
        "  - format: teams\n"
        "  - url_env: HOOK\n"
        "    format: teams\n"
        "    on: [drfit, applied]\n"
        "    retries: 3\n"
        "  - url_env: 9HOOK\n"
        "    on: []\n"
    ) == [
        "p.yaml:4:5: an entry of notify needs `url_env:`, the environment variable that holds "
        "the webhook URL",
        'p.yaml:6:13: unknown notify format "teams" (use json or slack)',
        'p.yaml:7:10: unknown notify event "drfit" (did you mean "drift"?)',
        'p.yaml:8:5: unknown key "retries" in each entry of notify (expected one of: url_env, '
        "format, secret_env, on)",
        'p.yaml:9:14: bad url_env "9HOOK": an environment variable name has letters, digits '
        "and '_', and does not start with a digit",
        "p.yaml:10:9: on lists no event: name some of drift, violations, expiring, leaked, "
        "rotation_stuck, applied, apply_failed, or remove `on` to be told of all",
    ]


def test_a_url_written_where_a_variable_belongs_is_refused_without_being_shown() -> None:
    url = "https://hooks.slack.com/services/T000/B000/s3cr3tpart"
    [problem] = problems(f"  - url_env: {url}\n")
    assert problem.startswith("p.yaml:4:14: url_env names the environment variable")
    assert "s3cr3tpart" not in problem and "hooks.slack" not in problem


def test_one_variable_twice_in_one_format_would_post_twice() -> None:
    [problem] = problems("  - url_env: HOOK\n  - url_env: HOOK\n    on: [drift]\n")
    assert problem.startswith("p.yaml:5:5: this entry sends to HOOK as json like the one at "
                              "line 4, column 5")


def test_notify_must_be_a_list() -> None:
    assert problems("  url_env: HOOK\n") == [
        'p.yaml:4:3: notify must be a list of entries (`- url_env: VARIABLE`), not a mapping']


def test_the_environment_check_warns_of_unset_variables_and_refuses_non_web_urls() -> None:
    config = parse_config(HEAD + "  - url_env: A\n  - url_env: B\n    secret_env: KEY\n"
                                 "  - url_env: C\n", filename="p.yaml")
    bad, unset = environment_problems(
        config, {"B": "file:///etc/passwd-s3cr3t", "C": "https://example.test/hook"})
    assert [str(p) for p in bad] == [
        "p.yaml:5:5: notify entry 2 (B): B does not hold an http(s) URL"]
    assert [str(p) for p in unset] == [
        "p.yaml:4:5: warning: notify entry 1 (A): A is not set, so nothing is sent to it",
        "p.yaml:5:5: warning: notify entry 2 (B): secret_env KEY is not set, so nothing is "
        "sent to it (it would go unsigned)",
    ]


def test_changing_who_is_notified_leaves_a_saved_plan_applicable() -> None:
    from pstokens.engine.planning.policy import config_digest

    quiet = parse_config("organization: acme\ntokens: {}\n")
    told = parse_config(HEAD + "  - url_env: HOOK\n")
    assert told.notify and config_digest(told) == config_digest(quiet)
