"""The sdist and wheel are what PyPI and a packager expect: built offline from a copy of
the tree, passed by `twine check --strict` and `check-wheel-contents`, licensed.

The sdist carries the docs, the examples, the Action and the licence; the wheel
carries the licence and the package, and its metadata names the licence as an
SPDX expression (setuptools stops reading the old table form in 2027).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LEFT_OUT = (".git", ".venv", "build", "dist", "site", "state", ".pstokens", "__pycache__",
            "*.egg-info", ".*_cache", ".hypothesis", "tests", "benchmarks")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist, then the wheel built from that sdist (as `python -m build` does)."""
    work = tmp_path_factory.mktemp("package")
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*LEFT_OUT))
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"),
         str(tree)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [sdist] = (work / "dist").glob("*.tar.gz")
    [wheel] = (work / "dist").glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_twine_check_strict_passes(built: dict[str, Path]) -> None:
    done = subprocess.run([str(BIN / "twine"), "check", "--strict", *map(str, built.values())],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_check_wheel_contents_passes(built: dict[str, Path]) -> None:
    done = subprocess.run([str(BIN / "check-wheel-contents"), str(built["wheel"])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_sdist_carries_licence_docs_examples_and_the_action(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {"LICENSE", "action.yml", "mkdocs.yml", "README.md"}
    expected |= {p.relative_to(ROOT).as_posix() for folder in ("docs", "examples")
                 for p in (ROOT / folder).rglob("*") if p.is_file()
                 and "__pycache__" not in p.parts}
    assert expected - names == set()


def test_the_wheel_is_licensed_apache_2_by_spdx_with_its_urls(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        [info] = {n.split("/")[0] for n in wheel.namelist() if ".dist-info/" in n}
        licence = wheel.read(f"{info}/licenses/LICENSE").decode()
        metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert licence == (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["License"] is None  # the old free-text form is gone
    assert not [c for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    assert metadata["Author"]
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
