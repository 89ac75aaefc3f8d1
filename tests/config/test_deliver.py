"""`deliver:` and `overlap:` in pstokens.yaml, and the rotate_after/ttl warning.

Each problem is found offline and located at file:line:col, all at once.
"""

from __future__ import annotations

import pytest

from pstokens.config import parse_config
from pstokens.destinations import CommandDestination, DirDestination, StdinForm
from pstokens.errors import ConfigError

HEAD = "organization: acme\ntokens:\n  ci:\n"  # the token body starts on line 4


def problems(body: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(HEAD + body, filename="p.yaml")
    return [str(p) for p in caught.value.problems]


def test_deliver_and_overlap_are_read_in_order() -> None:
    config = parse_config(
        HEAD + "    overlap: 1h\n"
        "    deliver:\n"
        "      - command: gh secret set PLANETSCALE_SERVICE_TOKEN --repo acme/app\n"
        "      - dir: .pstokens/secrets\n"
        "      - command: vault kv put secret/ci token=-\n"
        "        timeout: 30s\n",
        filename="p.yaml",
    )
    spec = config.tokens["ci"]
    assert spec.overlap == 3600
    assert spec.deliver == (
        CommandDestination("gh secret set PLANETSCALE_SERVICE_TOKEN --repo acme/app"),
        DirDestination(".pstokens/secrets"),
        CommandDestination("vault kv put secret/ci token=-", timeout=30),
    )


@pytest.mark.parametrize("form", ["env", "json"])
def test_a_command_entry_may_read_the_id_and_the_secret_together(form: StdinForm) -> None:
    config = parse_config(
        HEAD + f"    deliver:\n      - command: gh secret set --env-file /dev/stdin\n"
        f"        stdin: {form}\n",
        filename="p.yaml",
    )
    assert config.tokens["ci"].deliver == (
        CommandDestination("gh secret set --env-file /dev/stdin", stdin=form),
    )


def test_a_token_without_deliver_uses_the_flags() -> None:
    config = parse_config(HEAD + "    ttl: 1d\n", filename="p.yaml")
    assert config.tokens["ci"].deliver is None
    assert config.tokens["ci"].overlap is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    deliver:\n      - comand: gh secret set X\n",
         'p.yaml:5:9: unknown key "comand" in each entry of deliver (did you mean "command"?)'),
        ("    deliver:\n      - command: '  '\n",
         "p.yaml:5:18: command is empty: give the command that reads the secret on stdin"),
        ("    deliver:\n      - command:\n",
         "p.yaml:5:17: command must be a shell command that reads the secret on stdin, "
         "not an empty value"),
        ("    deliver:\n      - dir: a\n      - dir: ./a/\n",
         "p.yaml:6:9: this dir entry delivers to the same place as the one at line 5, "
         "column 9: remove one"),
        ("    deliver:\n      - command: gh  secret set X\n      - command: gh secret set X\n",
         "p.yaml:6:9: this command entry delivers to the same place as the one at line 5, "
         "column 9: remove one"),
        ("    deliver:\n      - command: cat\n        dir: a\n",
         "p.yaml:5:9: an entry of deliver is either `command:` or `dir:`, not both"),
        ("    deliver:\n      - dir: a\n        timeout: 1s\n",
         'p.yaml:6:9: unknown key "timeout" in each entry of deliver (expected one of: dir)'),
        ("    deliver: []\n",
         "p.yaml:4:14: deliver lists no destination: add `- command: ...` or `- dir: ...`, "
         "or remove deliver to use --secrets-dir / --secrets-command"),
        ("    deliver: gh secret set X\n",
         "p.yaml:4:14: deliver must be a list of destinations (`- command: ...`, `- dir: ...`), "
         'not the string "gh secret set X"'),
        ("    deliver:\n      - gh secret set X\n",
         "p.yaml:5:9: each entry of deliver must be a mapping such as `command: gh secret set "
         'NAME` or `dir: .pstokens/secrets`, not the string "gh secret set X"'),
        ("    overlap: 10\n",
         'p.yaml:4:14: bad duration "10": use a positive whole number followed by s, m, h or '
         "d, e.g. 90d"),
        ("    deliver:\n      - command: cat\n        timeout: soon\n",
         'p.yaml:6:18: bad duration "soon": use a positive whole number followed by s, m, h '
         "or d, e.g. 90d"),
        ("    deliver:\n      - command: cat\n        stdin: jsn\n",
         'p.yaml:6:16: unknown stdin "jsn" (did you mean "json"? use env or json, or leave '
         "stdin out for the secret alone)"),
        ("    deliver:\n      - command: cat\n        stdin: yaml\n",
         'p.yaml:6:16: unknown stdin "yaml" (use env or json, or leave stdin out for the '
         "secret alone)"),
        ("    deliver:\n      - command: cat\n        stdin: [env]\n",
         "p.yaml:6:16: stdin must be env or json, not a list"),
        ("    deliver:\n      - dir: a\n        stdin: env\n",
         'p.yaml:6:9: unknown key "stdin" in each entry of deliver (expected one of: dir)'),
    ],
)
def test_bad_deliver_and_overlap_entries_are_located(body: str, expected: str) -> None:
    assert problems(body) == [expected]


def test_every_delivery_problem_is_reported_at_once() -> None:
    found = problems(
        "    overlap: later\n"
        "    deliver:\n"
        "      - command: ''\n"
        "      - dri: x\n"
    )
    assert [p.split(": ", 1)[0] for p in found] == ["p.yaml:4:14", "p.yaml:6:18", "p.yaml:7:9"]


def test_two_tokens_may_share_a_folder() -> None:
    config = parse_config(
        "organization: acme\ntokens:\n"
        "  a:\n    deliver: [{dir: s}]\n"
        "  b:\n    deliver: [{dir: s}]\n",
        filename="p.yaml",
    )
    assert config.tokens["a"].deliver == config.tokens["b"].deliver


@pytest.mark.parametrize(("ttl", "rotate_after", "warned"),
                         [("30d", "30d", True), ("30d", "60d", True), ("30d", "29d", False)])
def test_rotate_after_not_shorter_than_ttl_is_a_warning(
    ttl: str, rotate_after: str, warned: bool
) -> None:
    body = f"    ttl: {ttl}\n    rotate_after: {rotate_after}\n"
    config = parse_config(HEAD + body, filename="p.yaml")
    expected = [
        'p.yaml:5:19: warning: rotate_after of "ci" is not shorter than its ttl, so the token '
        "expires before it is rotated (make rotate_after shorter than ttl)"
    ]
    assert [str(w) for w in config.warnings] == (expected if warned else [])


def test_the_config_digest_follows_deliver_and_overlap_but_not_warning_positions() -> None:
    from pstokens.engine.planning.policy import config_digest

    def digest(text: str) -> str:
        return config_digest(parse_config(text, filename="p.yaml"))

    base = HEAD + "    ttl: 1d\n    rotate_after: 2d\n    overlap: 1h\n    deliver: [dir: a]\n"
    assert digest(base) == digest("# a comment moves the warning down a line\n" + base)
    assert digest(base) != digest(base.replace("dir: a", "dir: b"))
    assert digest(base) != digest(base.replace("overlap: 1h", "overlap: 2h"))
    with_stdin = base.replace("deliver: [dir: a]", "deliver: [{command: cat, stdin: env}]")
    assert digest(with_stdin) != digest(with_stdin.replace("env", "json"))
