"""A config the schema accepts and `validate` refuses is allowed only for a reason a
schema cannot state, and docs/schemas.md lists each such reason: every case listed
there is a config here that the schema accepts (as `check-jsonschema` reads it) and
`pstokens validate` refuses at its FILE:LINE:COL; a mistake of shape is refused by both."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from pstokens.cli.main import main
from pstokens.config import yamltree
from pstokens.schemas import render

ROOT = Path(__file__).resolve().parents[2]
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
HEAD = "organization: acme\n"
ONE = HEAD + "tokens:\n  ci:\n"

# docs/schemas.md's cases, by their bold name -> configs the schema accepts and validate
# refuses, each with what validate says.
REFUSED_BY_VALIDATE_ONLY: dict[str, list[tuple[str, str]]] = {
    "Access names.": [
        (ONE + "    accesses:\n      databases:\n        app: [read_brunch]\n",
         'unknown access "read_brunch" (did you mean "read_branch"?)'),
        (ONE + "    accesses:\n      databases:\n        app: [read_databases]\n",
         '"read_databases" is an organization access'),
        (ONE + "    accesses:\n      organization: [read_branch]\n",
         '"read_branch" is a database access'),
    ],
    "Missing `organization`.": [("tokens: {}\n", "organization is required")],
    "Rules.": [
        (ONE + "    accesses:\n      databases:\n        app: [delete_production_branch]\n"
         "rules:\n  forbid_accesses: [delete_production_branch]\n",
         "which rules.forbid_accesses forbids"),
        (ONE + "    accesses:\n      databases:\n        app: [read_branch]\n"
         "rules:\n  require_ttl: true\n", "sets no ttl, but rules.require_ttl is true"),
        (ONE + "    ttl: 365d\nrules:\n  max_ttl: 180d\n", "is longer than rules.max_ttl"),
        (HEAD + "tokens: {}\nrules:\n  forbid_operations: [no_such_operation]\n",
         'unknown operation "no_such_operation"'),
    ],
    "Durations": [(ONE + "    ttl: 36501d\n", "is too long: at most 36500d")],
    "Destinations.": [
        (ONE + "    deliver:\n      - dir: out\n      - dir: ./out/\n",
         "this dir entry delivers to the same place"),
        (ONE + "    deliver:\n      - command: cat >/dev/null\n      - command: cat  >/dev/null\n",
         "this command entry delivers to the same place"),
    ],
    "notify.": [(HEAD + "tokens: {}\nnotify:\n  - url_env: HOOK\n  - url_env: HOOK\n"
                 "    format: json\n", "this entry sends to HOOK as json like the one")],
    "Policies.": [(HEAD + "tokens: {}\nrules:\n  policies: [missing.rego]\n", "not found"),
                  (HEAD + "tokens: {}\nrules:\n  policies: [../outside.rego]\n",
                   "is outside the config file's folder"),
                  (HEAD + "tokens: {}\nrules:\n  policies: [p.rego, ./p.rego]\n",
                   "is listed twice in rules.policies")],
    "Size.": [(HEAD + "tokens:\n" + "".join(f"  t{n}: {{ttl: 1d}}\n" for n in range(20)),
               "the config holds more than 60 values")],  # the limit lowered to 60
    "Keys that are not text.": [(HEAD + "tokens:\n  1: {}\n",
                                 "keys in tokens must be strings, not the number 1")],
    # check-jsonschema refuses the file itself; a reader keeping the last key gives the
    # schema a document it accepts.
    "Duplicate keys.": [(HEAD + "tokens:\n  ci: {}\n  ci: {}\n", 'duplicate key "ci" in tokens')],
}
# Read as YAML 1.1 by pstokens, as YAML 1.2 by check-jsonschema.
REFUSED_BY_SCHEMA_ONLY = {"YAML 1.1 words.": [ONE + "    prevent_destroy: yes\n"]}

# Mistakes of shape: both refuse them.
REFUSED_BY_BOTH = [
    ONE + "    accesses:\n      databases:\n        app: [read_branch, read_branch]\n",
    ONE + "    deliver: []\n",
    HEAD + "tokens: {}\nnotify:\n  - url_env: HOOK\n    on: []\n",
    HEAD + "tokens: {}\nnotify:\n  - url_env: HOOK\n    on: [violations, violations]\n",
    HEAD + "tokens: {}\nunmanaged:\n  except: [' ']\n",
    HEAD + "tokens: {}\nunmanaged:\n  except: [legacy, legacy]\n",
    HEAD + "tokens: {}\nrules:\n  forbid_accesses: [delete_databases, delete_databases]\n",
    HEAD + "tokens: {}\nrules:\n  policies: ['']\n",
    HEAD + "tokens: {}\nrules:\n  policies: [' ']\n",
    HEAD + "tokens:\n  ci:\n    ttl: 0d\n",
    HEAD + "tokens:\n  Ci: {}\n",
    HEAD + "tokens:\n  ci:\n    accesses:\n      databases:\n        app: {read_branch: true}\n",
    # pstokens expands neither `~` nor `$NAME` in a folder: it must be written out.
    ONE + "    deliver:\n      - dir: ~/secrets\n",
    ONE + "    deliver:\n      - dir: \"$HOME/secrets\"\n",
    ONE + "    deliver:\n      - dir: \"out/${TEAM}\"\n",
]


def documented_cases() -> tuple[list[str], list[str]]:
    """The bold names of docs/schemas.md's two lists: validate only, the schema only."""
    page = (ROOT / "docs" / "schemas.md").read_text()
    section = page.split("### What the schema accepts and `validate` refuses")[1]
    section = section.split("\n## ")[0]
    first, second = section.split("The other way round:")
    name = re.compile(r"^- \*\*(.+?)\*\*", re.M)
    return name.findall(first), name.findall(second)


def write(folder: Path, bodies: list[str], stem: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for number, body in enumerate(bodies):
        path = folder / f"{stem}-{number}.yaml"
        path.write_text(body)
        paths.append(path)
    return paths


def schema_checked(tmp_path: Path, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    schema = tmp_path / "config.schema.json"
    schema.write_text(render("config"))
    return subprocess.run([str(CHECK_JSONSCHEMA), "--schemafile", str(schema),
                           *(str(p) for p in paths)],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def validated(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
              ) -> Callable[[Path], tuple[int, str]]:
    """`pstokens validate FILE`, as the pre-commit hook runs it: its exit code and output."""
    for variable in ("PLANETSCALE_ORG", "PSTOKENS_CONFIG"):
        monkeypatch.delenv(variable, raising=False)

    def run(path: Path) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(["validate", str(path)])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out + captured.err
    return run


def test_the_docs_list_exactly_the_cases_tested_here() -> None:
    validate_only, schema_only = documented_cases()
    assert validate_only == list(REFUSED_BY_VALIDATE_ONLY)
    assert schema_only == list(REFUSED_BY_SCHEMA_ONLY)


def test_each_listed_case_fits_the_schema_and_validate_refuses_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        validated: Callable[[Path], tuple[int, str]]) -> None:
    monkeypatch.setattr(yamltree, "MAX_NODES", 60)  # the size limit, on a small config
    monkeypatch.chdir(tmp_path)
    readable: list[Path] = []
    duplicates: list[Path] = []
    for number, (case, bodies) in enumerate(REFUSED_BY_VALIDATE_ONLY.items()):
        paths = write(tmp_path / f"case{number}", [body for body, _ in bodies], "pstokens")
        for path, (_, says) in zip(paths, bodies, strict=True):
            code, output = validated(path)
            assert code == 1, (case, path.read_text(), output)
            assert re.search(rf"{re.escape(path.name)}:\d+:\d+: .*{re.escape(says)}", output), (
                case, path.read_text(), output)
        (duplicates if case == "Duplicate keys." else readable).extend(paths)
    done = schema_checked(tmp_path, readable)
    assert done.returncode == 0, done.stdout + done.stderr
    validator = Draft202012Validator(json.loads(render("config")))
    for path in duplicates:
        assert schema_checked(tmp_path, [path]).returncode == 1  # check-jsonschema's parser
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []


def test_yaml_11_words_pass_validate_and_fail_a_yaml_12_schema_checker(
        tmp_path: Path, validated: Callable[[Path], tuple[int, str]]) -> None:
    for bodies in REFUSED_BY_SCHEMA_ONLY.values():
        for path in write(tmp_path, bodies, "pstokens"):
            assert validated(path)[0] == 0
            assert schema_checked(tmp_path, [path]).returncode == 1


def test_a_grant_on_a_database_offline_passes_both(
        tmp_path: Path, validated: Callable[[Path], tuple[int, str]]) -> None:
    [path] = write(tmp_path, [ONE + "    accesses:\n      databases:\n"
                              "        no-such-db: [read_branch]\n"], "pstokens")
    assert validated(path)[0] == 0
    assert schema_checked(tmp_path, [path]).returncode == 0


@pytest.mark.parametrize("body", REFUSED_BY_BOTH)
def test_a_mistake_of_shape_is_refused_by_the_schema_and_validate(
        tmp_path: Path, body: str, validated: Callable[[Path], tuple[int, str]]) -> None:
    [path] = write(tmp_path, [body], "pstokens")
    assert validated(path)[0] == 1
    done = schema_checked(tmp_path, [path])
    assert done.returncode == 1, done.stdout
