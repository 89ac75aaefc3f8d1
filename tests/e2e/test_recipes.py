"""The docs' delivery recipes, pasted as they are, run against fake programs.

Each recipe's program (gh, vault, aws, op, kubectl) is replaced on PATH by a
small fake of the same name that records its arguments, stdin and the
PSTOKENS_* environment, so the test proves the shape of each command: the
secret reaches the program where the recipe says, and nothing else sees it.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, Emulator, write_config

DELIVERY = Path(__file__).resolve().parents[2] / "docs" / "delivery.md"

FAKE = """\
#!{python}
import base64, json, os, sys
name = os.path.basename(sys.argv[0])
stdin = sys.stdin.read()
record = {{"program": name, "argv": sys.argv[1:], "stdin": stdin,
          "env": {{k: v for k, v in os.environ.items() if k.startswith("PSTOKENS_")}}}}
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
args = sys.argv[1:]
if name == "kubectl" and args[:1] == ["create"]:
    data = {{}}
    for arg in args:
        if arg.startswith("--from-file="):
            key, path = arg.split("=", 2)[1:]
            data[key] = stdin if path == "/dev/stdin" else open(path).read()
        elif arg.startswith("--from-literal="):
            key, value = arg.split("=", 2)[1:]
            data[key] = value
    print("apiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: " + args[3] + "\\ndata:")
    for key, value in data.items():
        print("  " + key + ": " + base64.b64encode(value.encode()).decode())
else:
    print(name + ": done")
"""


def recipes() -> dict[str, str]:
    """Program name -> the `deliver:` block of each recipe in docs/delivery.md."""
    text = DELIVERY.read_text()
    section = text.split("\n## Recipes\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(deliver:\n.*?)```", section, re.S)
    found = {}
    for block in blocks:
        program = re.search(r"- command: (\S+)", block)
        assert program is not None, block
        found[program.group(1)] = block
    return found


def test_the_docs_have_the_five_recipes() -> None:
    assert sorted(recipes()) == ["aws", "gh", "kubectl", "op", "vault"]


@pytest.fixture
def fakes(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    for name in ("gh", "vault", "aws", "op", "kubectl"):
        path = bin_dir / name
        path.write_text(FAKE.format(python=sys.executable))
        path.chmod(0o755)
    log = workdir / "fake.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_LOG", str(log))
    return log


def run_recipe(program: str, cli: Cli, emulator: Emulator, workdir: Path,
               log: Path) -> tuple[list[dict[str, Any]], str, str]:
    block = recipes()[program]
    body = "".join(f"    {line}\n" for line in block.splitlines())
    write_config(workdir / "pstokens.yaml", f"organization: acme\ntokens:\n  ci:\n{body}")
    assert cli("validate").code == 0
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.both
    [token] = emulator.by_name("ci")
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    secrets = [c["stdin"] for c in calls] + [
        a.split("=", 1)[-1] for c in calls for a in c["argv"]
    ]
    [secret] = {s for s in secrets if emulator.store.secret_matches("acme", token["id"], s)}
    assert secret not in result.both
    assert not (workdir / ".pstokens" / "secrets").exists()  # deliver replaces the flags
    for call in calls:
        assert call["env"]["PSTOKENS_TOKEN_KEY"] == "ci"
        assert call["env"]["PSTOKENS_TOKEN_ID"] == token["id"]
        assert call["env"]["PSTOKENS_TOKEN_NAME"] == "ci"
        assert call["env"]["PSTOKENS_ORG"] == "acme"
    return calls, token["id"], secret


def test_github_actions_secret_and_variable(
    cli: Cli, emulator: Emulator, workdir: Path, fakes: Path
) -> None:
    calls, token_id, secret = run_recipe("gh", cli, emulator, workdir, fakes)
    assert [c["argv"] for c in calls] == [
        ["secret", "set", "PLANETSCALE_SERVICE_TOKEN", "--repo", "ACME/APP"],
        ["variable", "set", "PLANETSCALE_SERVICE_TOKEN_ID", "--repo", "ACME/APP",
         "--body", token_id],
    ]
    assert calls[0]["stdin"] == secret


def test_vault_kv_put(cli: Cli, emulator: Emulator, workdir: Path, fakes: Path) -> None:
    calls, token_id, secret = run_recipe("vault", cli, emulator, workdir, fakes)
    [call] = calls
    assert call["argv"] == ["kv", "put", "secret/planetscale/ci", f"id={token_id}", "token=-"]
    assert call["stdin"] == secret


def test_aws_secrets_manager(cli: Cli, emulator: Emulator, workdir: Path, fakes: Path) -> None:
    calls, _, secret = run_recipe("aws", cli, emulator, workdir, fakes)
    [call] = calls
    assert call["argv"] == ["secretsmanager", "put-secret-value", "--secret-id",
                            "planetscale/ci", "--secret-string", "file:///dev/stdin"]
    assert call["stdin"] == secret


def test_1password(cli: Cli, emulator: Emulator, workdir: Path, fakes: Path) -> None:
    calls, token_id, secret = run_recipe("op", cli, emulator, workdir, fakes)
    [call] = calls
    assert call["argv"] == ["item", "edit", "PlanetScale ci", "--vault", "INFRA",
                            f"username={token_id}", f"credential={secret}"]


def test_kubernetes_secret(cli: Cli, emulator: Emulator, workdir: Path, fakes: Path) -> None:
    calls, token_id, secret = run_recipe("kubectl", cli, emulator, workdir, fakes)
    create, apply = calls
    assert create["argv"][:4] == ["create", "secret", "generic", "planetscale-ci"]
    assert create["argv"][-3:] == ["--dry-run=client", "-o", "yaml"]
    assert create["stdin"] == secret
    assert apply["argv"] == ["apply", "-f", "-"]
    encoded = base64.b64encode(secret.encode()).decode()
    assert f"  PLANETSCALE_SERVICE_TOKEN: {encoded}\n" in apply["stdin"]
    assert base64.b64encode(token_id.encode()).decode() in apply["stdin"]
