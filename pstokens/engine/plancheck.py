"""A saved plan is untrusted input: what it names is checked before anything uses it.

Keys follow the config's key rule, token IDs and databases the API's path
segment rule, access names the API's spelling, names are bounded strings.
A plan made by another pstokens version is refused with a sentence saying
what to do, never taken for something else.
"""

from __future__ import annotations

import re
from typing import Any

from pstokens.config.model import STDIN_FORMS
from pstokens.defaults import TOKEN_KEY
from pstokens.errors import PlanError

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ACCESS = re.compile(r"[a-z][a-z0-9_]{0,99}")
MAX_NAME = 255
PLAN_AGAIN = "save a new one with `pstokens plan --out FILE`"


def checked_plan_fields(data: Any, source: str, version: int) -> None:
    """Refuse what is not a plan of this pstokens' format, saying which it is."""
    if not isinstance(data, dict) or "format_version" not in data or "changes" not in data:
        raise PlanError(f"{source} is not a pstokens plan", hint=PLAN_AGAIN)
    found = data["format_version"]
    if not isinstance(found, int) or isinstance(found, bool):
        raise PlanError(f"{source} has a format_version that is not a number", hint=PLAN_AGAIN)
    if found > version:
        raise PlanError(
            f"{source} was made by a newer pstokens (plan format {found}; this one reads "
            f"{version})", hint="apply it with that version, or plan again with this one",
        )
    if found < version:
        raise PlanError(
            f"{source} was made by an older pstokens (plan format {found}), which did not "
            "record where secrets go or when replaced tokens are deleted", hint=PLAN_AGAIN,
        )
    if not isinstance(data["changes"], list):
        raise PlanError(f"{source} is damaged: `changes` is not a list", hint=PLAN_AGAIN)


def checked_change(data: Any) -> dict[str, Any]:
    """`data` if every name in it is well formed; PlanError naming the first that is not."""
    if not isinstance(data, dict):
        raise PlanError("a change is not an object")
    _match(data.get("key"), TOKEN_KEY, "key", optional=True)
    _match(data.get("token_id"), _SEGMENT, "token ID", optional=True)
    _match(data.get("database"), _SEGMENT, "database name", optional=True)
    accesses = data.get("accesses") or []
    if not isinstance(accesses, list):
        raise PlanError("a change's accesses are not a list")
    for access in accesses:
        _match(access, _ACCESS, "access name")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
        raise PlanError(f"a token name is not a string of at most {MAX_NAME} characters")
    retire = data.get("retire")
    if retire is not None:
        if not isinstance(retire, dict):
            raise PlanError("a change's retire is not an object")
        _match(retire.get("token_id"), _SEGMENT, "token ID")
        for field, default in (("overlap_seconds", 0), ("retire_when_unused_seconds", None)):
            seconds = retire.get(field, default)
            if seconds is None and default is None:
                continue
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                raise PlanError(f"a retire's {field} is not a whole number of seconds")
    checked_deliver(data.get("deliver"))
    return data


def checked_deliver(entries: Any) -> Any:
    """`entries` if it is a list of well-formed destinations (or None)."""
    if entries is None:
        return None
    if not isinstance(entries, list) or not entries:
        raise PlanError("a deliver is not a list of destinations")
    for entry in entries:
        ok = isinstance(entry, dict) and (
            (set(entry) <= {"command", "timeout", "stdin"} and "command" in entry
             and isinstance(entry["command"], str))
            or (set(entry) == {"dir"} and isinstance(entry["dir"], str))
        )
        if not ok:
            raise PlanError("a deliver entry is neither `command:` nor `dir:`")
        timeout = entry.get("timeout")
        if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool)
                                    or timeout <= 0):
            raise PlanError("a deliver entry's timeout is not a whole number of seconds")
        if entry.get("stdin") not in (None, *STDIN_FORMS):
            raise PlanError(f"a deliver entry's stdin is not one of {', '.join(STDIN_FORMS)}")
    return entries


def _match(value: Any, pattern: re.Pattern[str], what: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not pattern.fullmatch(value):
        shown = repr(value)[:40].encode("ascii", "backslashreplace").decode()
        raise PlanError(f"{shown} is not a valid {what}")
