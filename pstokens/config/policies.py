"""`rules.policies`: the Rego files a config names, read where the config is read.

Each path is relative to the config file and may not leave its folder (as the
MCP plan tool's paths may not). A file that is missing, unreadable or not
UTF-8 is a problem located in the config (or, for a byte that is not UTF-8,
in the policy file itself), found before any API call; so is a package that
another listed policy declares too, or that is named like one of pstokens' own
SARIF rules (`config`, `forbid_accesses`, ...): a package names a policy's
findings, so either would mix two sources under one name. A UTF-8 byte order
mark is dropped. Evaluating them is the engine's (`engine/rules/policies.py`);
this module only reads text.
"""

from __future__ import annotations

import codecs
import importlib.util
import os
from pathlib import Path

import yaml

from pstokens.config.model import PolicyFile
from pstokens.config.nodes import Checker
from pstokens.config.wording import quote
from pstokens.errors import Problem
from pstokens.fileread import TooLarge, read_bounded, size_words
from pstokens.regotext import package_of_text

# Far above any real policy; a bound keeps a mistaken path from reading a disk image.
MAX_POLICY_BYTES = 1024 * 1024
INSTALL_HINT = "pip install 'pstokens[policy]'"
# pstokens' own SARIF rule IDs (render/sarif_rules.py's RULES; a test holds them equal)
# and the package of the engine's reader module: no policy's package may be one.
RESERVED_PACKAGES = frozenset((
    "config", "config-warning", "escalation", "expires_soon", "forbid_accesses",
    "forbid_operations", "leaked", "max_ttl", "namesake", "require_ttl", "rotation_stuck",
    "tokens_piling_up", "unused_after", "pstokens_policy_reader__",
))


def read_policies(
    check: Checker, entries: list[tuple[yaml.Node, str]], filename: str
) -> tuple[PolicyFile, ...]:
    """The text of each policy file `entries` name, relative to the config `filename`;
    every problem is added to `check`."""
    if not entries:
        return ()
    if importlib.util.find_spec("regopy") is None:
        check.add(entries[0][0], "rules.policies needs the Rego evaluator regopy, which "
                  f"is not installed: {INSTALL_HINT}")
        return ()
    folder = Path(filename).parent
    found: list[PolicyFile] = []
    packages: dict[str, str] = {}
    listed: dict[str, yaml.Node] = {}  # each path as read, `./a.rego` as `a.rego`
    for node, name in entries:
        if not name.strip():  # not the folder itself, as "" would read
            check.add(node, "each entry of rules.policies must be a policy file, not an "
                      "empty value")
            continue
        shown = os.path.normpath(folder / name)
        if shown in listed:
            first = listed[shown].start_mark
            check.add(node, f"policy {quote(shown)} is listed twice in rules.policies "
                      f"(first at line {first.line + 1}, column {first.column + 1})")
            continue
        listed[shown] = node
        policy = _read(check, node, folder, name)
        if policy is None:
            continue
        found.append(policy)
        package = package_of_text(policy.text)
        if package is None:
            continue  # the engine says so, at the file
        if package[0] in RESERVED_PACKAGES:
            check.add(node, f"policy {quote(policy.path)} declares package {package[0]}, "
                      "which names one of pstokens' own rules; give it another (such as "
                      f"pstokens.{package[0].replace('-', '_')})")
        elif package[0] in packages:
            check.add(node, f"policy {quote(policy.path)} declares package {package[0]}, as "
                      f"{quote(packages[package[0]])} does; give each policy a package of "
                      "its own")
        else:
            packages[package[0]] = policy.path
    return tuple(found)


def _read(check: Checker, node: yaml.Node, folder: Path, name: str) -> PolicyFile | None:
    shown = os.path.normpath(folder / name)
    if Path(name).is_absolute() or not _inside(folder, folder / name):
        check.add(node, f"policy {quote(name)} is outside the config file's folder; "
                  "name a file under it")
        return None
    try:
        data = read_bounded(shown, MAX_POLICY_BYTES)
    except TooLarge:
        check.add(node, f"policy file {quote(shown)} is larger than "
                  f"{size_words(MAX_POLICY_BYTES)}")
        return None
    except FileNotFoundError:
        check.add(node, f"policy file {quote(shown)} not found")
        return None
    except OSError as exc:
        check.add(node, f"cannot read policy file {quote(shown)}: "
                  f"{exc.strerror or type(exc).__name__}")
        return None
    data = data.removeprefix(codecs.BOM_UTF8)  # as Windows editors save UTF-8
    try:
        return PolicyFile.of(shown, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start:exc.start].decode("utf-8", "replace")) + 1
        check.problems.append(Problem(shown, line, column, "the policy is not UTF-8 text: "
                                      f"byte 0x{data[exc.start]:02X} cannot be read"))
        return None


def _inside(folder: Path, path: Path) -> bool:
    """Whether `path`, links followed, stays under `folder`."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True
