"""The config's JSON Schema is made from a model held to the YAML walker, is the file
shipped in the package, and accepts every config the docs and examples show (checked
by `check-jsonschema`, as an editor or CI would)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from pstokens.cli.main import cli
from pstokens.config import deliver, load_config, notify, schema
from pstokens.schemas import NAMES, SchemaName, config_model, render, shipped

ROOT = Path(__file__).resolve().parents[2]
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
BLOCK = re.compile(r"```ya?ml\n(.*?)```", re.DOTALL)


def keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_schema_is_the_generated_one_and_the_command_prints_it(
        name: SchemaName) -> None:
    assert shipped(name) == render(name), "regenerate: pstokens schema NAME > pstokens/schemas/"
    printed = CliRunner().invoke(cli, ["schema", name])
    assert printed.exit_code == 0 and printed.output == render(name)
    assert json.loads(printed.output)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_model_names_the_keys_the_walker_reads() -> None:
    model = config_model
    assert keys(model.ConfigDocument) == set(schema.TOP_KEYS)
    assert keys(model.Unmanaged) == set(schema.UNMANAGED_KEYS)
    assert keys(model.Safety) == set(schema.SAFETY_KEYS)
    assert keys(model.Rules) == set(schema.RULE_KEYS)
    assert keys(model.Token) == set(schema.TOKEN_KEYS)
    assert keys(model.Accesses) == set(schema.ACCESS_KEYS)
    assert keys(model.CommandDestination) == set(deliver.COMMAND_KEYS)
    assert keys(model.DirDestination) == set(deliver.DIR_KEYS)
    assert keys(model.NotifyTarget) == set(notify.ENTRY_KEYS)


def documented_configs() -> list[tuple[str, str]]:
    found = [("examples/pstokens.yaml", (ROOT / "examples" / "pstokens.yaml").read_text())]
    for page in sorted((ROOT / "docs").glob("*.md")):
        for number, block in enumerate(BLOCK.findall(page.read_text())):
            if re.search(r"^organization:", block, re.M) and re.search(r"^tokens:", block, re.M):
                found.append((f"docs/{page.name}#{number}", block))
    return found


def test_every_documented_config_fits_the_schema(tmp_path: Path) -> None:
    configs = documented_configs()
    assert len(configs) >= 2  # the example, and docs/configuration.md
    files = []
    for number, (_where, text) in enumerate(configs):
        path = tmp_path / f"pstokens-{number}.yaml"
        path.write_text(text)
        load_config(str(path), organization=None)  # the walker accepts it too
        files.append(str(path))
    (tmp_path / "config.schema.json").write_text(render("config"))
    done = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--schemafile", str(tmp_path / "config.schema.json"), *files],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (done.stdout, done.stderr, configs)


@pytest.mark.parametrize("body", [
    "organization: acme\n",  # no tokens
    "organization: acme\ntokens: {}\nmystery: 1\n",  # unknown key
    "organization: acme\ntokens:\n  ci:\n    ttl: 90\n",  # a duration without its unit
    "organization: acme\ntokens:\n  CI: {}\n",  # a bad key
    "organization: acme\ntokens:\n  ci:\n    deliver: [{dir: x, command: y}]\n",
    "organization: acme\ntokens: {}\nsafety: {max_delete_percent: 101}\n",
])
def test_the_schema_refuses_what_the_walker_refuses_for_its_shape(
        tmp_path: Path, body: str) -> None:
    path = tmp_path / "pstokens.yaml"
    path.write_text(body)
    (tmp_path / "config.schema.json").write_text(render("config"))
    done = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--schemafile", str(tmp_path / "config.schema.json"), str(path)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout
    with pytest.raises(Exception, match=r"pstokens\.yaml:"):
        load_config(str(path), organization=None)
