"""The docs' delivery recipes, pasted as they are, run against fake programs.

Each recipe's program (gh, vault, aws, op, kubectl) is replaced on PATH by a
small fake of the same name that records its arguments, stdin, the
PSTOKENS_* environment and what the real program would store from that call,
so the test proves the shape of each command: one call stores the ID and the
secret together, and nothing else sees the secret. Kubernetes secret names
are checked against the DNS-1123 rule for keys holding `_`, `.` or a
trailing `-`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
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
args = sys.argv[1:]


def dotenv(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def value(path):
    return stdin if path in ("/dev/stdin", "-") else open(path).read()


# What the real program would store from this one call: name -> value.
stored = {{}}
if name == "gh" and args[:2] == ["secret", "set"]:
    if "--env-file" in args:
        stored = dotenv(value(args[args.index("--env-file") + 1]))
    else:
        stored = {{args[2]: stdin}}
elif name == "vault" and args[:2] == ["kv", "put"]:
    for arg in args[3:]:
        if arg == "-":
            stored.update(json.loads(stdin))
        elif "=" in arg:
            key, given = arg.split("=", 1)
            stored[key] = stdin if given == "-" else given
elif name == "aws":
    given = args[args.index("--secret-string") + 1]
    text = value(given.removeprefix("file://")) if given.startswith("file://") else given
    stored = {{"SecretString": text}}
    try:
        stored.update(json.loads(text))
    except ValueError:
        pass
elif name == "op":
    stored = dict(arg.split("=", 1) for arg in args if "=" in arg and not arg.startswith("-"))
elif name == "kubectl" and args[:1] == ["apply"]:
    body = stdin.split("\\ndata:\\n", 1)[1]
    for line in body.splitlines():
        key, encoded = line.strip().split(": ", 1)
        stored[key] = base64.b64decode(encoded).decode()
record = {{"program": name, "argv": args, "stdin": stdin, "stored": stored,
          "env": {{k: v for k, v in os.environ.items() if k.startswith("PSTOKENS_")}}}}
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if name == "kubectl" and args[:1] == ["create"]:
    data = {{}}
    for arg in args:
        if arg.startswith("--from-env-file="):
            data.update(dotenv(value(arg.split("=", 1)[1])))
        elif arg.startswith("--from-file="):
            key, path = arg.split("=", 2)[1:]
            data[key] = value(path)
        elif arg.startswith("--from-literal="):
            key, given = arg.split("=", 2)[1:]
            data[key] = given
    print("apiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: " + args[3] + "\\ndata:")
    for key, given in data.items():
        print("  " + key + ": " + base64.b64encode(given.encode()).decode())
else:
    print(name + ": done")
"""

# A Kubernetes secret's name: a DNS-1123 subdomain.
DNS_1123_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)


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


def run_recipe(program: str, cli: Cli, emulator: Emulator, workdir: Path, log: Path,
               keys: tuple[str, ...] = ("ci",)) -> list[Delivered]:
    """Apply a config whose tokens use the recipe; for each key, its token's ID,
    its secret and the calls made for it."""
    block = recipes()[program]
    body = "".join(f"    {line}\n" for line in block.splitlines())
    tokens = "".join(f"  {key}:\n{body}" for key in keys)
    write_config(workdir / "pstokens.yaml", f"organization: acme\ntokens:\n{tokens}")
    assert cli("validate").code == 0
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.both
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    found = []
    for key in keys:
        [token] = emulator.by_name(key)
        own = [c for c in calls if c["env"]["PSTOKENS_TOKEN_KEY"] == key]
        for call in own:
            assert call["env"]["PSTOKENS_TOKEN_ID"] == token["id"]
            assert call["env"]["PSTOKENS_TOKEN_NAME"] == key
            assert call["env"]["PSTOKENS_ORG"] == "acme"
        # One call stored the ID and the secret together.
        [together] = [c for c in own if token["id"] in c["stored"].values()
                      and any(emulator.store.secret_matches("acme", token["id"], v)
                              for v in c["stored"].values())]
        [secret] = [v for v in together["stored"].values()
                    if emulator.store.secret_matches("acme", token["id"], v)]
        assert secret not in result.both
        found.append(Delivered(token["id"], secret, own, together["stored"]))
    assert not (workdir / ".pstokens" / "secrets").exists()  # deliver replaces the flags
    return found


@dataclass
class Delivered:
    token_id: str
    secret: str
    calls: list[dict[str, Any]]
    stored: dict[str, str]


def test_github_actions_secrets_from_one_env_file(
    cli: Cli, emulator: Emulator, workdir: Path, fakes: Path
) -> None:
    [got] = run_recipe("gh", cli, emulator, workdir, fakes)
    [call] = got.calls
    assert call["argv"] == ["secret", "set", "--env-file", "/dev/stdin", "--repo", "ACME/APP"]
    assert got.stored == {"PLANETSCALE_SERVICE_TOKEN_ID": got.token_id,
                          "PLANETSCALE_SERVICE_TOKEN": got.secret}


def test_vault_kv_put_from_json(cli: Cli, emulator: Emulator, workdir: Path, fakes: Path) -> None:
    [got] = run_recipe("vault", cli, emulator, workdir, fakes)
    [call] = got.calls
    assert call["argv"] == ["kv", "put", "secret/planetscale/ci", "-"]
    assert got.stored == {"id": got.token_id, "token": got.secret}


def test_aws_secrets_manager_json_secret(
    cli: Cli, emulator: Emulator, workdir: Path, fakes: Path
) -> None:
    [got] = run_recipe("aws", cli, emulator, workdir, fakes)
    [call] = got.calls
    assert call["argv"] == ["secretsmanager", "put-secret-value", "--secret-id",
                            "planetscale/ci", "--secret-string", "file:///dev/stdin"]
    assert json.loads(got.stored["SecretString"]) == {"id": got.token_id, "token": got.secret}


def test_1password(cli: Cli, emulator: Emulator, workdir: Path, fakes: Path) -> None:
    [got] = run_recipe("op", cli, emulator, workdir, fakes)
    [call] = got.calls
    assert call["argv"] == ["item", "edit", "PlanetScale ci", "--vault", "INFRA",
                            f"username={got.token_id}", f"credential={got.secret}"]
    assert got.stored == {"username": got.token_id, "credential": got.secret}


def test_kubernetes_secret_holds_both_keys(
    cli: Cli, emulator: Emulator, workdir: Path, fakes: Path
) -> None:
    [got] = run_recipe("kubectl", cli, emulator, workdir, fakes)
    create, apply = got.calls
    assert create["argv"][:4] == ["create", "secret", "generic", "ci-planetscale"]
    assert create["argv"][4:] == ["--from-env-file=/dev/stdin", "--dry-run=client", "-o",
                                  "yaml"]
    assert apply["argv"] == ["apply", "-f", "-"]
    assert got.stored == {"PLANETSCALE_SERVICE_TOKEN_ID": got.token_id,
                          "PLANETSCALE_SERVICE_TOKEN": got.secret}


def test_kubernetes_secret_names_are_valid_for_every_key_form(
    cli: Cli, emulator: Emulator, workdir: Path, fakes: Path
) -> None:
    """The trial's defect: a key holding `_` made a name Kubernetes rejects."""
    keys = ("ci_deploy", "etl.v2", "trailing-", "dots..and__", "x")
    names = []
    for got in run_recipe("kubectl", cli, emulator, workdir, fakes, keys):
        name = got.calls[0]["argv"][3]
        assert DNS_1123_SUBDOMAIN.fullmatch(name) and len(name) <= 253, name
        names.append(name)
    assert names[0] == "ci-deploy-planetscale"
    assert len(set(names)) == len(keys)
