"""Secrets: typed so they cannot print, redacted from --debug, private on disk, delivered once.

The leak guard (conftest) already searches every output, log and file of every
test in this folder for every secret the emulator created; these tests add the
runs most likely to leak: --debug over a full cycle, error paths with a
traceback, both credential kinds, a loose umask, and --secrets-command.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pstokens.api.auth import Credentials
from pstokens.api.models import CreatedToken, ServiceToken
from pstokens.emulator import EmulatorSettings, running_emulator
from pstokens.secret import Secret
from tests.e2e.conftest import API_KEY, Emulator, write_config
from tests.reliability.conftest import (
    ROOT,
    SECRETS,
    GuardedCli,
    LeakGuard,
    RecordingStore,
    leaks_in_text,
    pstokens_command,
    run_pstokens,
    subprocess_env,
)

CONFIG = """\
organization: acme
unmanaged:
  policy: report
tokens:
  ci:
    ttl: 30d
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
  reporter:
    accesses:
      databases:
        analytics: [read_branch]
"""
PLAIN = "pscale_tkn_" + "S" * 43
TOKEN_ID = "svc0123abcd"
TOKEN_SECRET = "pscale_tkn_credential-secret-value-0123456789"


def test_a_secret_never_prints_by_accident(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(PLAIN)
    created = CreatedToken(ServiceToken(id="abc", name="ci"), secret)
    logging.getLogger("pstokens.test").warning("made %s %r %s", secret, secret, created)
    shown = [str(secret), repr(secret), f"{secret}", f"{secret!r}", "%s" % (secret,),  # noqa: UP031
             format(secret, ">80"), repr(created), str([secret]), str({"s": secret}), caplog.text]
    assert not any(PLAIN in text for text in shown)
    assert secret.reveal() == PLAIN
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        json.dumps({"secret": secret})


def test_credentials_show_neither_secret_nor_header() -> None:
    for credentials in (Credentials.service_token(TOKEN_ID, TOKEN_SECRET),
                        Credentials.bearer(API_KEY)):
        text = f"{credentials} {credentials!r} {[credentials]}"
        assert TOKEN_SECRET not in text and API_KEY not in text
        assert credentials.authorization() not in text
        assert credentials.redact(f"header {credentials.authorization()}") == "header ***"


@pytest.fixture
def served() -> Iterator[tuple[str, RecordingStore]]:
    store = RecordingStore()
    settings = EmulatorSettings(databases=("app-prod", "app-staging", "analytics"))
    with running_emulator(settings, store) as url:
        yield url, store


@pytest.mark.parametrize("credentials", ["api-key", "service-token"])
def test_debug_logs_of_a_full_cycle_hold_no_secret_and_no_credential(
    credentials: str, served: tuple[str, RecordingStore], tmp_path: Path, leak_guard: LeakGuard
) -> None:
    url, _ = served
    env = subprocess_env(url)
    if credentials == "service-token":
        del env["PLANETSCALE_API_KEY"]
        env |= {"PLANETSCALE_SERVICE_TOKEN_ID": TOKEN_ID, "PLANETSCALE_SERVICE_TOKEN": TOKEN_SECRET}
    config = tmp_path / "pstokens.yaml"
    write_config(config, CONFIG)
    runs = [
        run_pstokens(leak_guard, tmp_path, env, "--debug", "apply", "--auto-approve"),
        run_pstokens(leak_guard, tmp_path, env, "apply", "--auto-approve", "--replace", "ci",
                     "--debug"),
        run_pstokens(leak_guard, tmp_path, env, "--debug", "plan", "--out", "plan.json"),
        run_pstokens(leak_guard, tmp_path, env, "--debug", "plan", "--format", "json"),
        run_pstokens(leak_guard, tmp_path, env, "--debug", "export", "--org", "acme"),
    ]
    write_config(config, CONFIG.replace("analytics", "no-such-db"))  # a grant fails: 404
    runs.append(run_pstokens(leak_guard, tmp_path, env, "--debug", "apply", "--auto-approve"))
    runs.append(run_pstokens(leak_guard, tmp_path, env, "state", "rm", "ci"))
    runs.append(run_pstokens(leak_guard, tmp_path, env, "--debug", "import", "ci", "nosuchtoken1"))

    assert [r.code for r in runs] == [0, 0, 0, 0, 0, 1, 0, 1], [r.both for r in runs]
    assert "404" in runs[-1].err or "not found" in runs[-1].err.lower()
    logged = "".join(r.err for r in runs)
    assert "pstokens.api: POST /organizations/acme/service-tokens" in logged  # logs were on
    assert "Traceback" in runs[-1].err  # --debug shows the traceback of an error
    assert len(SECRETS) >= 3
    for needle in (TOKEN_SECRET, f"{TOKEN_ID}:{TOKEN_SECRET}", API_KEY, "Authorization",
                   "authorization"):
        assert needle not in logged, needle
    assert leaks_in_text(logged) == []
    assert leaks_in_text("".join(r.out for r in runs)) == []


def test_wrong_credentials_are_refused_without_echoing_them(
    tmp_path: Path, leak_guard: LeakGuard
) -> None:
    settings = EmulatorSettings(require_auth=f"{TOKEN_ID}:the-right-one")
    with running_emulator(settings, RecordingStore()) as url:
        env = subprocess_env(url)
        del env["PLANETSCALE_API_KEY"]
        env |= {"PLANETSCALE_SERVICE_TOKEN_ID": TOKEN_ID, "PLANETSCALE_SERVICE_TOKEN": TOKEN_SECRET}
        write_config(tmp_path / "pstokens.yaml", CONFIG)
        result = run_pstokens(leak_guard, tmp_path, env, "--debug", "plan")
    assert result.code == 1
    assert "401" in result.err or "unauthorized" in result.err.lower()
    assert TOKEN_SECRET not in result.both


def test_secret_files_are_0600_folders_made_0700_and_folders_found_left_even_with_a_loose_umask(
    served: tuple[str, RecordingStore], tmp_path: Path, leak_guard: LeakGuard
) -> None:
    url, _ = served
    shared = tmp_path / "secrets"  # a folder made loose by someone else: it stays theirs
    (shared / "acme").mkdir(parents=True)
    shared.chmod(0o755)
    (shared / "acme").chmod(0o777)
    stale = shared / "acme" / "ci.env"
    stale.write_text("old\n")
    stale.chmod(0o644)
    root = tmp_path / "new" / "secrets"  # made by pstokens
    write_config(tmp_path / "pstokens.yaml",
                 CONFIG.replace("  ci:\n", f"  ci:\n    deliver:\n      - dir: {shared}\n"))
    env = subprocess_env(url)
    command = ["sh", "-c", 'umask 000 && exec "$@"', "sh"]
    import subprocess
    import sys

    done = subprocess.run(
        [*command, sys.executable, "-m", "pstokens", "apply", "--auto-approve",
         "--secrets-dir", str(root)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    leak_guard.text("apply under umask 000", done.stdout + done.stderr)
    assert done.returncode == 0, done.stderr

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert [mode(p) for p in (tmp_path / "new", root, root / "acme")] == [0o700] * 3
    assert (mode(shared), mode(shared / "acme")) == (0o755, 0o777)
    assert mode(stale) == mode(root / "acme" / "reporter.env") == 0o600
    assert (tmp_path / "new" / ".gitignore").read_text() == "*\n"
    assert [p.name for p in tmp_path.rglob(".*") if p.is_file()] == [".gitignore"]
    assert mode(tmp_path / "state" / "acme.json") == 0o600
    assert mode(tmp_path / "state" / "acme.json.backup") == 0o600


def recorder(tmp_path: Path, leak_guard: LeakGuard, *, fail_for: str = "") -> str:
    """A secrets command that saves what it was given (stdin, env) and echoes the
    secret back on stdout and stderr, which pstokens must swallow."""
    out = tmp_path / "delivered"
    out.mkdir(mode=0o700)
    leak_guard.allow(out)
    script = tmp_path / "deliver.sh"
    script.write_text(
        "#!/bin/sh\n"
        "secret=$(cat)\n"
        f'dir="{out}"\n'
        'printf "%s" "$secret" > "$dir/$PSTOKENS_TOKEN_KEY.secret"\n'
        'printf "%s %s %s" "$PSTOKENS_TOKEN_KEY" "$PSTOKENS_TOKEN_ID" "$PSTOKENS_ORG"'
        ' > "$dir/$PSTOKENS_TOKEN_KEY.env-vars"\n'
        'echo "got $secret"; echo "got $secret" >&2\n'
        f'[ "$PSTOKENS_TOKEN_KEY" = "{fail_for}" ] && exit 7\n'
        "exit 0\n"
    )
    script.chmod(0o700)
    return str(script)


def test_secrets_command_gets_the_secret_on_stdin_and_names_in_its_environment(
    cli: GuardedCli, emulator: Emulator, workdir: Path, leak_guard: LeakGuard
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    command = recorder(workdir, leak_guard)

    result = cli("apply", "--auto-approve", "--secrets-command", command)

    assert result.code == 0, result.both
    assert 'secret delivered to command "' in result.out
    state = json.loads((workdir / "state" / "acme.json").read_text())["tokens"]
    for key in ("ci", "reporter"):
        token_id = state[key]["id"]
        secret = (workdir / "delivered" / f"{key}.secret").read_text()
        assert emulator.store.secret_matches("acme", token_id, secret)
        assert (workdir / "delivered" / f"{key}.env-vars").read_text() == f"{key} {token_id} acme"
        assert state[key]["delivered"] is True
    assert not (workdir / ".pstokens" / "secrets").exists()  # not also written to files
    assert leaks_in_text(result.both) == []


def test_a_failing_secrets_command_deletes_the_undelivered_token_and_the_next_plan_makes_one(
    cli: GuardedCli, emulator: Emulator, workdir: Path, leak_guard: LeakGuard
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    command = recorder(workdir, leak_guard, fail_for="ci")

    failed = cli("apply", "--auto-approve", "--secrets-command", command)

    assert failed.code == 1
    assert "exited with status 7 for 'ci'" in failed.err
    state = json.loads((workdir / "state" / "acme.json").read_text())["tokens"]
    assert "ci" not in state and state["reporter"]["delivered"] is True
    assert emulator.by_name("ci") == []  # delivered nowhere: deleted again
    undelivered = re.search(r"ci: created (\S+), not delivered", failed.err)
    assert undelivered is not None, failed.err
    plan = json.loads(cli("plan", "--format", "json").out)
    assert [(c["action"], c["key"]) for c in plan["changes"]
            if c["action"] in ("create", "replace", "delete")] == [("create", "ci")]

    (workdir / "delivered" / "ci.secret").unlink()
    fixed = recorder(workdir / "delivered", leak_guard)  # a command that works now
    assert cli("apply", "--auto-approve", "--secrets-command", fixed).code == 0
    [token] = emulator.by_name("ci")
    assert token["id"] != undelivered.group(1)
    secret = (workdir / "delivered" / "delivered" / "ci.secret").read_text()
    assert emulator.store.secret_matches("acme", token["id"], secret)
    assert cli("plan", "--detailed-exitcode").code == 0


SHOW_SECRET_HASH = (
    "import hashlib, os; "
    "print(hashlib.sha256(os.environ['PLANETSCALE_SERVICE_TOKEN'].encode()).hexdigest()); "
    "print('api-key' if 'PLANETSCALE_API_KEY' in os.environ else 'no-api-key')"
)


@pytest.mark.parametrize("credentials", ["api-key", "service-token"])
def test_a_lease_secret_reaches_command_environment_and_nothing_else(
    credentials: str, served: tuple[str, RecordingStore], tmp_path: Path, leak_guard: LeakGuard
) -> None:
    """exec and lease, --debug on: the lease's secret is in COMMAND's environment
    (it prints its hash), in no output, log, state or file; pstokens' own
    credentials are not in COMMAND's environment."""
    url, _ = served
    env = subprocess_env(url)
    if credentials == "service-token":
        del env["PLANETSCALE_API_KEY"]
        env |= {"PLANETSCALE_SERVICE_TOKEN_ID": TOKEN_ID, "PLANETSCALE_SERVICE_TOKEN": TOKEN_SECRET}
    write_config(tmp_path / "pstokens.yaml", CONFIG)
    python = [sys.executable, "-c", SHOW_SECRET_HASH]
    ran = run_pstokens(leak_guard, tmp_path, env, "--debug", "exec", "ci", "--", *python)
    assert ran.code == 0, ran.both
    digest, api_key = ran.out.split()
    assert api_key == "no-api-key"
    hashes = {hashlib.sha256(s.encode()).hexdigest() for s in SECRETS}
    assert digest in hashes  # COMMAND had the lease's secret
    assert TOKEN_SECRET not in ran.out  # and not pstokens' own

    # A lease whose grant fails (undone), and one left by a killed exec.
    write_config(tmp_path / "pstokens.yaml", CONFIG.replace("app-prod", "no-such-db"))
    failed = run_pstokens(leak_guard, tmp_path, env, "--debug", "exec", "ci", "--ttl", "2m",
                          "--", "true")
    assert failed.code == 1 and "could not make lease" in failed.err
    write_config(tmp_path / "pstokens.yaml", CONFIG)
    killed = subprocess.Popen(
        pstokens_command("--debug", "exec", "ci", "--", sys.executable, "-c",
                         "import time; print('up', flush=True); time.sleep(60)"),
        cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert killed.stdout is not None and killed.stdout.readline().strip() == "up"
    os.killpg(killed.pid, signal.SIGKILL)  # pstokens and its COMMAND
    out, err = killed.communicate(timeout=60)
    leak_guard.text("killed exec", out + err)
    runs = [
        run_pstokens(leak_guard, tmp_path, env, "--debug", "lease", "list"),
        run_pstokens(leak_guard, tmp_path, env, "--debug", "plan", "--format", "json"),
        run_pstokens(leak_guard, tmp_path, env, "--debug", "lease", "sweep", "--all"),
    ]
    assert [r.code for r in runs] == [0, 0, 0], [r.both for r in runs]
    assert "[live]" in runs[0].out and "Swept: 1 deleted" in runs[2].out
    logged = "".join(r.err for r in [ran, failed, *runs]) + err
    for needle in (TOKEN_SECRET, API_KEY, "Authorization", "authorization"):
        assert needle not in logged, needle
    assert len(SECRETS) >= 4  # (each create's secret and refresh token)


# Each encoding PRODUCT.md "Secrets" (and docs/security.md) lists, as a delivery
# command that echoes the secret (on stdin) in it, then fails: what it printed
# reaches stderr, the JSON result and the apply_failed notification, masked.
ECHO = {
    "verbatim": "print('got', s)",
    "folded": "print('\\n'.join(s[i:i + 10] for i in range(0, len(s), 10)))",
    "cut": "print('value=' + s[5:30] + '...')",
    "reversed": "print(s[::-1])",
    "base64": "print(base64.b64encode(('token: ' + s).encode()).decode())",
    "base32": "print(base64.b32encode(('id: ' + s).encode()).decode())",
    "hex": "print(' '.join(f'{b:02x}' for b in s.encode()))",
    "URL-encoded": "print('token=' + urllib.parse.quote('?' + s + ' +/', safe=''))",
}


def _forms(secret: str) -> dict[str, str]:
    """What of each encoding must not be seen (whitespace removed)."""
    import base64
    import urllib.parse

    return {
        "verbatim": secret, "folded": secret, "cut": secret[5:30], "reversed": secret[::-1],
        "base64": base64.b64encode(("token: " + secret).encode()).decode()[12:-4],
        "base32": base64.b32encode(("id: " + secret).encode()).decode()[8:-8],
        "hex": secret.encode().hex(),
        "URL-encoded": urllib.parse.quote("?" + secret, safe="")[3:],
    }


def test_every_encoding_product_md_lists_is_masked_in_stderr_json_and_notifications(
    cli: GuardedCli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pstokens.notify import send
    from tests.receiver import receiver

    promised = " ".join((ROOT / "docs" / "security.md").read_text().split())
    listed = promised.split("masked in any encoding it appears in (")[1].split(")")[0]
    assert [e.strip() for e in listed.split(",")] == list(ECHO)  # the list the docs promise
    monkeypatch.setattr(send, "DEFAULT_POLICY", send.Policy(attempts=1, attempt_timeout=2.0,
                                                            backoff=0.01, deadline=10.0))
    leaked: dict[str, list[str]] = {}
    with receiver() as hook:
        monkeypatch.setenv("PSTOKENS_WEBHOOK", hook.url)
        write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  ci:\n"
                     "    ttl: 30d\nnotify:\n  - url_env: PSTOKENS_WEBHOOK\n")
        for encoding, echo in ECHO.items():
            script = (f"import base64, sys, urllib.parse; s = sys.stdin.read().strip(); "
                      f"{echo}; sys.exit(3)")
            command = f"{sys.executable} -c \"{script}\""
            before, known = len(hook.requests), set(SECRETS)
            result = cli("apply", "--auto-approve", "--format", "json",
                         "--secrets-command", command)
            assert result.code == 1, result.both
            [body] = [r.body.decode() for r in hook.requests[before:]]
            shown = {"stderr": result.err, "apply --format json": result.out,
                     "notification": json.loads(body)["text"]}
            if "**********" not in result.err:  # the command's lines are shown, masked
                leaked.setdefault(encoding, []).append("(stderr shows no mask)")
            made = SECRETS - known
            assert made
            for secret in made:
                form = _forms(secret)[encoding]
                for where, text in shown.items():
                    flat = "".join(text.split())
                    if any(form[i:i + 12] in flat for i in range(len(form) - 11)):
                        leaked.setdefault(encoding, []).append(where)
    assert leaked == {}
