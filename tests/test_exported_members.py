"""The front door: `pstokens.__all__` is the public API, pinned as httpx pins its own.

Every name in it imports and says what it is; every error pstokens can raise
is in it; and `import pstokens` alone loads nothing behind it.
"""

from __future__ import annotations

import subprocess
import sys

import pstokens
from pstokens.errors import PstokensError
from tests.test_error_tree import every_error

# What a Python user runs pstokens with; the errors are checked apart, all of them.
SERVICE = {"Workspace", "PlanOptions", "Plan", "ApplyResult", "load_config", "parse_config",
           "Config", "TokenSpec", "Rules", "DirDestination", "CommandDestination",
           "StateStore", "State", "FileStateStore", "S3StateStore", "PlanetScaleClient",
           "Credentials", "SecretSink", "DirectorySink", "CommandSink", "AllSinks",
           "render_text", "render_json", "render_markdown", "plan_document",
           "Notifier", "WebhookNotifier"}


def test_every_exported_name_imports_and_is_documented() -> None:
    undocumented = []
    for name in pstokens.__all__:
        member = getattr(pstokens, name)
        if name == "__version__":
            assert isinstance(member, str)
            continue
        assert member.__name__ == name
        if not (member.__doc__ or "").strip():
            undocumented.append(name)
    assert undocumented == []


def test_all_lists_the_service_its_inputs_and_outputs() -> None:
    assert set(pstokens.__all__) >= SERVICE


def test_every_error_is_exported() -> None:
    exported = {getattr(pstokens, n) for n in pstokens.__all__ if n != "__version__"}
    missing = sorted(e.__name__ for e in every_error() if e not in exported)
    assert missing == []
    assert pstokens.PstokensError is PstokensError


def test_all_has_no_duplicates_and_dir_shows_it() -> None:
    assert len(pstokens.__all__) == len(set(pstokens.__all__))
    assert set(pstokens.__all__) <= set(dir(pstokens))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        pstokens.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("pstokens.NoSuchThing did not raise")


def test_importing_pstokens_loads_nothing_behind_the_door() -> None:
    code = "import sys, pstokens; print(sorted(m for m in sys.modules if m.startswith(("
    code += "'pstokens.', 'httpx', 'obstore', 'yaml', 'pydantic'))))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == "[]"


def test_s3_state_store_loads_obstore_only_when_asked_for() -> None:
    code = ("import sys, pstokens; pstokens.FileStateStore; a = 'obstore' in sys.modules; "
            "pstokens.S3StateStore; print(a, 'obstore' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == "False True"
