"""pstokens' own credentials masked in what a policy says, as a new user met it with a
very short API key: `PLANETSCALE_API_KEY=k` (or `abc`) masked every word that held the
letter (`thir********** lives 200 **********ys`); now a credential shorter than the
masking's runs is masked only where it stands as a whole word, and a long one is
still masked in any encoding."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pstokens.delivery.scrub import MASK
from tests.e2e.conftest import Cli, Emulator, write_config

pytest.importorskip("regopy")

CONFIG = """\
organization: acme
rules:
  policies: [policy/say.rego]
tokens:
  backup-worker:
    ttl: 200d
    accesses:
      databases:
        app-prod: [read_branch]
"""


def _policy(workdir: Path, *messages: str) -> None:
    (workdir / "policy").mkdir(exist_ok=True)
    rules = "".join(f"warn contains {json.dumps(m)} if true\n" for m in messages)
    (workdir / "policy" / "say.rego").write_text(f"package say\n\nimport rego.v1\n\n{rules}")
    write_config(workdir / "pstokens.yaml", CONFIG)


@pytest.mark.parametrize("key", ["k", "abc"])
def test_a_short_api_key_leaves_a_policy_message_its_words(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("PLANETSCALE_API_KEY", key)
    words = "backup-worker lives 200 days; keep it thirty: ask abcdef Kate"
    _policy(workdir, words, f"the key is {key}.", f"upper {key.upper()} too")
    for result in (cli("validate"), cli("plan"), cli("plan", "--format", "markdown")):
        assert result.code == 0, result.both
        assert words in result.both
        assert f"the key is {MASK}." in result.both.replace("\\*", "*")
        assert f"upper {MASK} too" in result.both.replace("\\*", "*")


def test_a_long_api_key_is_still_masked_in_any_encoding(
    cli: Cli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "pscale_long_api_key_0123456789abcdef"
    monkeypatch.setenv("PLANETSCALE_API_KEY", key)
    encoded = [key, key.upper(), key[::-1], key.encode().hex(),
               base64.b64encode(key.encode()).decode(), f"x{key[4:20]}x"]
    _policy(workdir, *(f"form {n}: {form}" for n, form in enumerate(encoded)))
    for result in (cli("validate"), cli("plan", "--format", "markdown"),
                   cli("plan", "--format", "json")):
        assert result.code == 0, result.both
        for n, form in enumerate(encoded):
            assert form not in result.both
            assert f"form {n}: " in result.both
        assert result.both.replace("\\*", "*").count(MASK) >= len(encoded)
