"""A delivery command that prints the secret back in another encoding (UTF-16 or
UTF-32 from `iconv`, NULs and bells between its characters, base85, `gzip | base64`,
whole or cut) shows it to
no one: not on stdout or stderr, not in the `apply_failed` webhook body."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from pstokens.notify import send
from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config
from tests.receiver import receiver

RUN = 12
PY = "python3 -c 'import base64,sys; sys.stderr.write(base64.{}(sys.stdin.buffer.read()).decode())'"

CONFIG = """\
organization: acme
tokens:
  ci:
    deliver:
      - dir: out
      - command: "{command}"
notify:
  - url_env: PSTOKENS_WEBHOOK
    on: [apply_failed]
"""


def _plain(text: str) -> str:
    """What a reader sees with the filler between characters taken out."""
    for filler in ("\\x00", "\\x07", "\x00", "\x07", "\\u0000"):
        text = text.replace(filler, "")
    return text


@pytest.mark.parametrize(("command", "encode"), [
    ("iconv -f UTF-8 -t UTF-16LE >&2; exit 1", None),
    ("iconv -f UTF-8 -t UTF-16BE >&2; exit 1", None),
    ("iconv -f UTF-8 -t UTF-32 >&2; exit 1", None),
    ("sed 's/./&\\\\x00\\\\x07/g' >&2; exit 1", None),
    (PY.format("b85encode") + "; exit 1", base64.b85encode),
    (PY.format("a85encode") + "; exit 1", base64.a85encode),
    ("(echo token:; cat) | gzip | base64 >&2; exit 1", "gzip"),
    ("gzip | base64 | head -c 40 >&2; exit 1", "gzip"),
])
def test_a_command_printing_the_secret_encoded_shows_no_run_of_it(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch,
    command: str, encode: object,
) -> None:
    monkeypatch.setattr(send, "DEFAULT_POLICY", send.Policy(
        attempts=1, attempt_timeout=5.0, backoff=0.01, deadline=10.0))
    write_config(workdir / "pstokens.yaml", CONFIG.format(command=command))
    with receiver() as hook:
        monkeypatch.setenv("PSTOKENS_WEBHOOK", hook.url)
        result = cli("apply", "--auto-approve")
    assert result.code == 1, result.both
    assert "it printed: " in result.err
    secret = secrets_in(workdir / "out")["ci"]
    printed = secret
    if callable(encode):
        printed = encode(secret.encode()).decode()
    bodies = [r.body.decode() for r in hook.requests]
    assert len(bodies) == 1 and "apply_failed" in bodies[0]
    for shown in (_plain(result.out), _plain(result.err), *map(_plain, bodies)):
        assert encode != "gzip" or "H4sI" not in shown, shown  # the gzip stream's start
        leaked = [printed[i : i + RUN] for i in range(len(printed) - RUN + 1)
                  if printed[i : i + RUN] in shown]
        assert leaked == [], shown
