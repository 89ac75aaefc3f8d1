"""`rules.policies` as the config reads them: relative to the config file, never
outside its folder, UTF-8, present; and a clear error without the evaluator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pstokens.config import load_config
from pstokens.errors import ConfigError

pytest.importorskip("regopy")

POLICY = "package pstokens.p\nimport rego.v1\ndeny contains \"no\" if { false }\n"


def config(folder: Path, *policies: str) -> Path:
    path = folder / "pstokens.yaml"
    path.write_text(f"organization: acme\nrules:\n  policies: [{', '.join(policies)}]\n"
                    "tokens: {}\n")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p) for p in caught.value.problems]


def test_paths_are_read_relative_to_the_config_file(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf" / "policy").mkdir(parents=True)
    (tmp_path / "conf" / "policy" / "p.rego").write_text(POLICY)
    monkeypatch.chdir(tmp_path)
    loaded = load_config(config(Path("conf"), "policy/p.rego"))
    assert loaded.rules is not None
    [policy] = loaded.rules.policies
    assert policy.path == "conf/policy/p.rego" and policy.text == POLICY


def test_a_missing_file_is_a_problem_at_its_entry(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = config(Path("."), "policy/gone.rego")
    assert problems(path) == ['pstokens.yaml:3:14: policy file "policy/gone.rego" not found']


def test_a_file_that_is_not_utf8_is_a_problem_at_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "p.rego").write_bytes(b"package p\n# caf\xe9\n")
    assert problems(config(tmp_path, "p.rego")) == [
        f"{tmp_path}/p.rego:2:6: the policy is not UTF-8 text: byte 0xE9 cannot be read"]


@pytest.mark.parametrize("name", ["../outside.rego", "/etc/passwd", "policy/../../x.rego",
                                  "link.rego"])
def test_a_path_may_not_leave_the_config_folder(tmp_path: Path, name: str) -> None:
    inner = tmp_path / "repo"
    inner.mkdir()
    (tmp_path / "outside.rego").write_text(POLICY)
    (inner / "link.rego").symlink_to(tmp_path / "outside.rego")
    [problem] = problems(config(inner, name))
    assert "is outside the config file's folder" in problem


def test_without_regopy_the_error_names_the_extra(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p.rego").write_text(POLICY)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "regopy" else real(name, *a))
    [problem] = problems(config(tmp_path, "p.rego"))
    assert "pip install 'pstokens[policy]'" in problem
