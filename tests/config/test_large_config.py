"""A large organization's config is read: 20,000 tokens validate and plan.

The limits are on what a YAML file costs to read (aliases, nesting, values),
not on its size alone; tests/config/test_robustness.py refuses the costly files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pstokens.cli.main import main

TOKENS = 20_000


def _large_config(count: int) -> str:
    body = "".join(
        f"  tok-{i:05d}:\n    accesses:\n      databases:\n        app-prod: [read_branch]\n"
        for i in range(count)
    )
    return f"organization: acme\ntokens:\n{body}"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_config_of_20000_tokens_validates_and_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in list(os.environ):
        if var.startswith(("PSTOKENS_", "PLANETSCALE_")):
            monkeypatch.delenv(var)
    text = _large_config(TOKENS)
    assert len(text.encode()) > 1.4 * 1024 * 1024  # beyond the old 1 MiB limit
    Path("pstokens.yaml").write_text(text)

    code, out, err = _run(capsys, "validate")
    assert (code, err) == (0, "")
    assert out.strip() == "pstokens.yaml: valid (20000 tokens, organization acme)."

    code, out, err = _run(capsys, "plan", "--emulator", "--no-color")
    assert code == 0, err
    assert out.rstrip().splitlines()[-1].startswith("Plan: 20000 to create")

