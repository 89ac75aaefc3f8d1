"""`validate FILE...` given a Rego policy: the configs under the current folder that name it.

The pre-commit hook passes the changed files it matches, and a commit that
changes only a policy must still be checked: nothing else runs it before
`plan`. So the hook also matches `*.rego`, and `validate` stands each policy
file it is given for the configs that name it: every `pstokens*.yaml` or
`pstokens*.yml` under the current folder (the repository's top, where
pre-commit runs hooks; hidden folders skipped) whose text names the policy's
file. Each is read bounded (pstokens/fileread.py): a FIFO is never opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from pstokens.config.load import MAX_CONFIG_BYTES
from pstokens.fileread import read_bounded

# The hook's `files:` pattern for configs (.pre-commit-hooks.yaml), on one file's name.
CONFIG_NAME = re.compile(r"pstokens[^/]*\.ya?ml")
POLICY_SUFFIX = ".rego"


def config_paths(files: Sequence[str], root: Path) -> tuple[list[Path], list[str]]:
    """The configs to check for `files`: each config named, then each config under
    `root` that names one of the policy files named; and the policy files that no
    config names."""
    configs = [Path(f) for f in files if not f.endswith(POLICY_SUFFIX)]
    policies = [f for f in files if f.endswith(POLICY_SUFFIX)]
    if not policies:
        return configs, []
    texts = dict(_configs_under(root))
    unnamed = []
    for policy in policies:
        naming = [path for path, text in texts.items() if Path(policy).name in text]
        if not naming:
            unnamed.append(policy)
        configs += [path for path in naming if path not in configs]
    return configs, unnamed


def _configs_under(root: Path) -> list[tuple[Path, str]]:
    found = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(names):
            if CONFIG_NAME.fullmatch(name) is None:
                continue
            path = Path(folder, name)
            try:
                text = read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8", "replace")
            except OSError:
                continue  # not readable here: named alone, validate says why
            found.append((path.relative_to(root) if path.is_relative_to(root) else path, text))
    return found
