"""Delivery end to end: per-token destinations, failures told truthfully, cleanup.

A failing delivery command (issue 11, defect 6) used to be misreported: its
output was thrown away, the summary said `0 created` although the token
existed, and its grants said "its token was not created".
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
    accesses:
      organization: [read_databases]
  other: {}
"""


def state(workdir: Path) -> dict[str, dict[str, object]]:
    tokens: dict[str, dict[str, object]] = json.loads(
        (workdir / "state" / "acme.json").read_text()
    )["tokens"]
    return tokens


def echoing_failure(workdir: Path, key: str = "ci") -> str:
    """A command that, for `key`, prints the secret back (verbatim, folded and
    base64) with an API error on stderr, then fails; it succeeds for others."""
    script = workdir / "deliver.sh"
    script.write_text(
        "#!/bin/sh\n"
        "secret=$(cat)\n"
        f'printf "%s" "$secret" > "{workdir}/$PSTOKENS_TOKEN_KEY.secret"\n'
        f'[ "$PSTOKENS_TOKEN_KEY" = "{key}" ] || exit 0\n'
        'echo "sending $secret" >&2\n'
        'printf "%s" "$secret" | fold -w 9 >&2; echo >&2\n'
        'printf "%s" "$secret" | base64 >&2\n'
        'echo "gh: HTTP 403: Resource not accessible by integration" >&2\n'
        "exit 1\n"
    )
    script.chmod(0o700)
    return str(script)


def test_a_failing_secrets_command_is_reported_truthfully(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)

    failed = cli("apply", "--auto-approve", "--secrets-command", echoing_failure(workdir))

    assert failed.code == 1
    [token] = emulator.by_name("ci")
    secret = (workdir / "ci.secret").read_text()
    assert emulator.store.secret_matches("acme", token["id"], secret)
    assert secret not in failed.both and secret[11:20] not in failed.both
    assert base64.b64encode(secret.encode()).decode()[:20] not in failed.both
    assert (f"ci: created {token['id']}, but its secret was not delivered: --secrets-command "
            "exited with status 1 for 'ci'; it printed: sending **********") in failed.err
    assert ("| gh: HTTP 403: Resource not accessible by integration; "
            "the next plan replaces it\n") in failed.err
    assert "its token was not created" not in failed.both
    assert ("ci on the organization: skipped: its token's secret was not delivered "
            "(the next plan replaces the token)") in failed.both
    assert "done so far: 2 created (1 undelivered), 0 replaced, 0 deleted" in failed.err
    assert state(workdir)["ci"]["delivered"] is False
    assert state(workdir)["ci"]["id"] == token["id"]

    plan = json.loads(cli("plan", "--format", "json").out)
    assert [(c["action"], c["key"], c["token_id"]) for c in plan["changes"]
            if c["action"] != "grant"] == [("replace", "ci", token["id"])]
    assert cli("apply", "--auto-approve").code == 0
    assert [t["id"] for t in emulator.by_name("ci")] != [token["id"]]
    assert cli("plan", "--detailed-exitcode").code == 0


def test_each_token_goes_where_its_deliver_says_and_others_use_the_flag(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    own = f"  ci:\n    deliver:\n      - dir: own\n      - command: cat > {workdir}/ci.txt\n"
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", own))
    result = cli("apply", "--auto-approve", "--secrets-dir", "flag")
    assert result.code == 0, result.both
    assert sorted(secrets_in(workdir / "own")) == ["ci"]
    assert sorted(secrets_in(workdir / "flag")) == ["other"]
    assert (workdir / "ci.txt").read_text() == secrets_in(workdir / "own")["ci"]
    assert all(s not in result.both for s in secrets_in(workdir).values())


def test_one_failing_destination_leaves_the_token_undelivered(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    own = "  ci:\n    deliver:\n      - dir: own\n      - command: cat >/dev/null; exit 9\n"
    write_config(workdir / "pstokens.yaml", CONFIG.replace("  ci:\n", own))
    failed = cli("apply", "--auto-approve")
    assert failed.code == 1
    assert ("exited with status 9 for 'ci' (it printed nothing) "
            "(after it reached own/acme/ci.env)") in failed.both
    assert state(workdir)["ci"]["delivered"] is False
    assert state(workdir)["other"]["delivered"] is True


def test_a_hanging_command_is_stopped_and_named(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "  ci:\n", "  ci:\n    deliver:\n      - command: cat >/dev/null; sleep 60\n"
        "        timeout: 1s\n"
    ))
    failed = cli("apply", "--auto-approve")
    assert failed.code == 1
    assert "did not finish within 1 s for 'ci' and was stopped" in failed.both
    assert state(workdir)["ci"]["delivered"] is False


def test_a_deleted_tokens_secret_file_is_removed(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace(
        "  ci:\n", "  ci:\n    deliver:\n      - dir: own\n"
    ))
    assert cli("apply", "--auto-approve").code == 0
    assert cli("apply", "--auto-approve", "--replace", "ci", "--replace", "other").code == 0
    before = {**secrets_in(workdir / "own"), **secrets_in(workdir / ".pstokens" / "secrets")}
    assert sorted(before) == ["ci", "other"]  # a replacement keeps the new secret's file

    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens: {}\n")
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.both
    assert emulator.tokens() == []
    assert list((workdir / "own").rglob("*.env")) == []
    assert list((workdir / ".pstokens" / "secrets").rglob("*.env")) == []
