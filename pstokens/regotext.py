"""Reading a Rego policy's text without evaluating it: its package, its comments.

Both the config reader (config/policies.py: a package that is reserved or
declared twice) and the engine (engine/rules/policies.py: a finding is named by
its package) read these. They live outside `pstokens.config` so that the child
process evaluating the policies (engine/reading/policyworker.py), whose start a
`validate` waits on, imports no config reader: importing `pstokens.config` loads
PyYAML and the schema, some 30 ms of that start.
"""

from __future__ import annotations

import re

_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)


def package_of_text(text: str) -> tuple[str, int] | None:
    """The package a policy's text declares and the line it is on; None without one."""
    found = _PACKAGE.search(without_comments(text))
    if found is None:
        return None
    return found.group(1), text.count("\n", 0, found.start()) + 1


def without_comments(text: str) -> str:
    """`text` with each `#` comment blanked (same length, so offsets still hold)."""
    return re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text)
