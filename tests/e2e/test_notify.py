"""`notify:` end to end: plan and apply tell loopback receivers what they found, signed
when asked; a failing or hanging receiver changes no exit code, and neither the URL nor
any secret shows anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pstokens.notify import send
from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config
from tests.receiver import Receiver, receiver

KEY = "notify-hmac-key-77f0d2"
QUICK = send.Policy(attempts=3, attempt_timeout=0.5, backoff=0.01, deadline=10.0)

CONFIG = """\
organization: acme
unmanaged:
  policy: ignore
rules:
  forbid_accesses: [delete_databases]
tokens:
  ci-deploy:
    ttl: 10d
    accesses:
      databases:
        app-prod: [read_branch]
notify:
  - url_env: PSTOKENS_WEBHOOK
    secret_env: PSTOKENS_NOTIFY_SECRET
  - url_env: PSTOKENS_SLACK_WEBHOOK
    format: slack
    on: [violations, apply_failed]
"""


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send, "DEFAULT_POLICY", QUICK)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Receiver, Receiver]]:
    with receiver() as hook, receiver() as slack:
        monkeypatch.setenv("PSTOKENS_WEBHOOK", hook.url)
        monkeypatch.setenv("PSTOKENS_SLACK_WEBHOOK", slack.url)
        monkeypatch.setenv("PSTOKENS_NOTIFY_SECRET", KEY)
        yield hook, slack


def _bodies(hook: Receiver) -> list[dict[str, Any]]:
    for request in hook.requests:
        if "X-Pstokens-Signature" in request.headers:
            digest = hmac.new(KEY.encode(), request.body, hashlib.sha256).hexdigest()
            assert request.headers["X-Pstokens-Signature"] == f"sha256={digest}"
    return [json.loads(r.body) for r in hook.requests]


def _no_url_in(cli: Cli, *hooks: Receiver) -> None:
    shown = "".join(cli.transcript)
    for hook in hooks:
        assert hook.url not in shown and "s3cr3t" not in shown


def test_plan_tells_of_drift_violations_and_expiry_with_signed_bodies(
    cli: Cli, emulator: Emulator, workdir: Path, hooks: tuple[Receiver, Receiver]
) -> None:
    hook, slack = hooks
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve", "--secrets-dir", "secrets").code == 0
    hook.requests.clear()
    admin, _ = emulator.store.create_token("acme", "legacy <!channel> admin")
    emulator.store.grant("acme", admin["id"], ["delete_databases"])

    result = cli("plan", "--detailed-exitcode")

    assert result.code == 2 and "Warning: notify" not in result.err
    bodies = {b["event"]: b for b in _bodies(hook)}
    assert sorted(bodies) == ["drift", "expiring", "violations"]
    assert all(b["organization"] == "acme" and b["text"].startswith("pstokens: acme: ")
               for b in bodies.values())
    assert bodies["violations"]["summary"] == {"violations": 1, "tokens": 1}
    assert f"\"legacy <!channel> admin\" [id {admin['id']}, unmanaged] holds delete_databases" \
        in bodies["violations"]["text"]
    assert bodies["expiring"]["summary"] == {"expiring": 1}
    assert "ci-deploy: its token expires" in bodies["expiring"]["text"]
    assert bodies["drift"]["summary"]["violations"] == 1
    [to_slack] = _bodies(slack)  # only the event it asked for, as {"text"} alone
    assert list(to_slack) == ["text"] and "legacy &lt;!channel&gt; admin" in to_slack["text"]
    _no_url_in(cli, hook, slack)


def test_apply_tells_of_its_result_and_no_body_holds_a_secret(
    cli: Cli, workdir: Path, hooks: tuple[Receiver, Receiver]
) -> None:
    hook, slack = hooks
    write_config(workdir / "pstokens.yaml", CONFIG)

    assert cli("apply", "--auto-approve", "--secrets-dir", "secrets").code == 0

    [applied] = _bodies(hook)
    assert applied["event"] == "applied"
    assert applied["summary"]["create"] == 1 and applied["summary"]["errors"] == 0
    assert applied["text"].startswith("pstokens: acme: apply complete: 1 created")
    assert slack.requests == []  # it asked for violations and apply_failed only
    secrets = list(secrets_in(workdir / "secrets").values())
    assert secrets and all(len(s) > 8 for s in secrets)
    raw = b"".join(r.body for r in hook.requests)
    assert not any(s.encode() in raw for s in [*secrets, KEY])
    _no_url_in(cli, hook, slack)


def test_an_apply_that_fails_tells_of_it(
    cli: Cli, workdir: Path, hooks: tuple[Receiver, Receiver]
) -> None:
    hook, slack = hooks
    write_config(workdir / "pstokens.yaml", CONFIG)

    result = cli("apply", "--auto-approve", "--secrets-command", "exit 3")

    assert result.code == 1
    [failed] = _bodies(hook)
    assert failed["event"] == "apply_failed" and failed["summary"]["errors"] == 1
    assert "apply failed with 1 error(s)" in failed["text"]
    [to_slack] = _bodies(slack)
    assert to_slack == {"text": failed["text"]}


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_a_receiver_that_fails_or_hangs_changes_no_exit_code_and_shows_no_url(
    mode: str, cli: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG.replace("ttl: 10d", "ttl: 90d"))
    with receiver(mode) as hook:  # type: ignore[arg-type]
        monkeypatch.setenv("PSTOKENS_WEBHOOK", hook.url)
        monkeypatch.setenv("PSTOKENS_NOTIFY_SECRET", KEY)
        planned = cli("plan", "--detailed-exitcode")
        tries = hook.attempts
        applied = cli("apply", "--auto-approve", "--secrets-dir", "secrets")
    assert planned.code == 2 and applied.code == 0
    assert tries == QUICK.attempts and hook.attempts == 2 * QUICK.attempts
    why = ("the receiver answered 500 to every attempt" if mode == "fail"
           else "the receiver did not answer in time")
    assert planned.err.splitlines()[-1] == (
        f"Warning: notify entry 1 (PSTOKENS_WEBHOOK): drift not delivered: {why}")
    assert f"Warning: notify entry 1 (PSTOKENS_WEBHOOK): applied not delivered: {why}" \
        in applied.err
    assert "Warning: notify entry 2 (PSTOKENS_SLACK_WEBHOOK): drift" not in planned.err
    _no_url_in(cli, hook)


def test_validate_warns_of_an_unset_variable_and_refuses_a_url_that_is_not_http(
    cli: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    monkeypatch.setenv("PSTOKENS_WEBHOOK", "https://example.test/hook")
    monkeypatch.setenv("PSTOKENS_NOTIFY_SECRET", KEY)
    unset = cli("validate")
    assert unset.code == 0
    assert unset.err == ("pstokens.yaml:15:5: warning: notify entry 2 (PSTOKENS_SLACK_WEBHOOK): "
                         "PSTOKENS_SLACK_WEBHOOK is not set, so nothing is sent to it\n")

    monkeypatch.setenv("PSTOKENS_SLACK_WEBHOOK", "javascript:alert-s3cr3t")
    refused = cli("validate")
    assert refused.code == 1 and refused.out == ""
    assert ("pstokens.yaml:15:5: notify entry 2 (PSTOKENS_SLACK_WEBHOOK): "
            "PSTOKENS_SLACK_WEBHOOK does not hold an http(s) URL") in refused.err
    assert "s3cr3t" not in refused.both


def test_plan_and_the_apply_that_replaces_a_leaked_token_tell_of_the_leak(
    cli: Cli, emulator: Emulator, workdir: Path, hooks: tuple[Receiver, Receiver]
) -> None:
    hook, _ = hooks
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve", "--secrets-dir", "secrets").code == 0
    leaked = json.loads((workdir / "state" / "acme.json").read_text())["tokens"]["ci-deploy"]["id"]
    emulator.store.add_audit_event("acme", "service_token.token_leaked", target_id=leaked)
    hook.requests.clear()

    assert cli("plan").code == 0
    planned = [b for b in _bodies(hook) if b["event"] == "leaked"]
    hook.requests.clear()
    assert cli("apply", "--auto-approve", "--secrets-dir", "secrets").code == 0
    applied = [b["event"] for b in _bodies(hook)]

    assert [(b["summary"], b["leaked"]) for b in planned] == [(
        {"leaked": 1},
        [{"token_id": leaked, "key": "ci-deploy", "name": "ci-deploy", "action": "replace"}],
    )]
    assert "key ci-deploy (id " in planned[0]["text"]
    assert sorted(applied) == ["applied", "leaked"]  # sent together
    _no_url_in(cli, hook)
