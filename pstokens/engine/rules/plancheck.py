"""A saved plan is untrusted input: what it names is checked before anything uses it.

Keys follow the config's key rule, token IDs and databases the API's path
segment rule, access names the API's spelling, names are bounded strings.
A plan made by another pstokens version is refused with a sentence saying
what to do, never taken for something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pstokens.defaults import PATH_SEGMENT, TOKEN_KEY
from pstokens.destinations import STDIN_FORMS
from pstokens.errors import PlanError
from pstokens.quoting import shown

_SEGMENT = PATH_SEGMENT
_ACCESS = re.compile(r"[a-z][a-z0-9_]{0,99}")
MAX_NAME = 255
PLAN_AGAIN = "save a new one with `pstokens plan --out FILE`"


def checked_plan_fields(data: Any, source: str, version: int, layout: int) -> None:
    """Refuse what is not a plan of this pstokens' format and layout, saying which it is.

    `format_version` is the document's public version; `layout` is how a saved
    plan is written. Plans made before `layout` existed wrote theirs (2 to 4) as
    their `format_version`: they are older ones."""
    if not isinstance(data, dict) or "format_version" not in data or "changes" not in data:
        raise PlanError(f"{source} is not a pstokens plan", hint=PLAN_AGAIN)
    found = data["format_version"]
    if not isinstance(found, int) or isinstance(found, bool):
        raise PlanError(f"{source} has a format_version that is not a number", hint=PLAN_AGAIN)
    written = data.get("layout", found if found > version else 0)
    if not isinstance(written, int) or isinstance(written, bool):
        raise PlanError(f"{source} has a layout that is not a number", hint=PLAN_AGAIN)
    if found > version and "layout" in data:
        raise PlanError(
            f"{source} was made by a newer pstokens (plan format {found}; this one reads "
            f"{version})", hint="apply it with that version, or plan again with this one",
        )
    if written > layout:
        raise PlanError(
            f"{source} was made by a newer pstokens (plan layout {written}; this one reads "
            f"{layout})", hint="apply it with that version, or plan again with this one",
        )
    if written < layout:
        raise PlanError(
            f"{source} was made by an older pstokens (plan layout {written}; this one reads "
            f"{layout})", hint=PLAN_AGAIN,
        )
    if not isinstance(data["changes"], list):
        raise PlanError(f"{source} is damaged: `changes` is not a list", hint=PLAN_AGAIN)


def checked_top(data: dict[str, Any]) -> None:
    """The plan's own fields, each of the type pstokens writes: PlanError naming the
    first that is not (`state.serial is not a whole number`)."""
    _typed(data, "organization", str)
    state = data.get("state")
    if not isinstance(state, dict):
        raise PlanError("`state` is missing or not an object with its lineage and serial")
    _typed(state, "lineage", str, where="state.")
    _typed(state, "serial", int, where="state.")
    for name in ("targets", "replace", "removed", "unmanaged", "drift", "skipped",
                 "violations", "warnings", "retiring", "leases", "policies"):
        _typed(data, name, list, optional=True)
    _typed(data, "unsafe", list, optional=True)


def entries(data: dict[str, Any], name: str, read: Any, kinds: Any = None
            ) -> tuple[Any, ...]:
    """Each entry of list `name` read by `read`; PlanError naming the entry and, where
    it can, the field (drift[2]: `kind` is missing), never Python's own words."""
    found = []
    for index, item in enumerate(data.get(name) or ()):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise PlanError(f"{where} is not an object")
        try:
            if kinds is not None:  # the entry's `kind`, one of the enum `kinds`
                one_of(item, "kind", kinds)
            found.append(read(item))
        except PlanError as exc:
            raise PlanError(f"{where}: {exc.message}") from None
        except KeyError as exc:
            raise PlanError(f"{where}: `{exc.args[0]}` is missing") from None
        except (TypeError, ValueError, AttributeError):
            raise PlanError(f"{where} has a field of a type or value pstokens never "
                            "writes there") from None
    return tuple(found)


def one_of(data: dict[str, Any], name: str, values: Any, *, optional: bool = False) -> None:
    """`data[name]` is one of the enum `values` (or absent/null when optional)."""
    value = data.get(name)
    if value is None and optional:
        return
    if name not in data:
        raise PlanError(f"`{name}` is missing")
    allowed = _ALLOWED.get(values)
    if allowed is None:
        allowed = _ALLOWED[values] = tuple(str(v) for v in values)
    if not isinstance(value, str) or value not in allowed:
        raise PlanError(f"`{name}` {shown(value)} is not one of {', '.join(allowed)}")


def operation_sets(plan: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A change's data with each `allows`/`denies` index read from the plan's
    `operation_sets` (how `plan --out` writes them); lists are left as they are."""
    sets = plan.get("operation_sets")
    if sets is not None and not (isinstance(sets, list) and all(
            isinstance(s, list) and all(isinstance(o, str) for o in s) for s in sets)):
        raise PlanError("`operation_sets` is not a list of lists of operation ids")
    table = [tuple(s) for s in sets or []]  # each list made a tuple once, not per change
    checks = plan.get("verifications")
    if checks is not None and not (isinstance(checks, list) and all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[0], str)
            and isinstance(c[1], str | None) for c in checks)):
        raise PlanError("`verifications` is not a list of [operation, database] pairs")

    def resolve(data: dict[str, Any]) -> dict[str, Any]:
        index = data.get("verify")
        if isinstance(index, int) and not isinstance(index, bool):
            if not 0 <= index < len(checks or []):
                raise PlanError(f"`verify` {index} is not an entry of verifications")
            operation, database = (checks or [])[index]
            data = {**data, "verify": {"operation": operation, "database": database}}
        for name in ("allows", "denies"):
            index = data.get(name)
            if isinstance(index, int) and not isinstance(index, bool):
                if not 0 <= index < len(table):
                    raise PlanError(f"`{name}` {index} is not an entry of operation_sets")
                data = {**data, name: table[index]}
        return data

    return resolve


_ALLOWED: dict[Any, tuple[str, ...]] = {}  # enum -> its values, worked out once
_KINDS = {str: "a string", int: "a whole number", list: "a list", bool: "true or false",
          dict: "an object"}


def _typed(data: dict[str, Any], name: str, kind: type, *, optional: bool = False,
           where: str = "") -> None:
    value = data.get(name)
    if value is None:
        if optional:
            return
        raise PlanError(f"`{where}{name}` is missing")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PlanError(f"`{where}{name}` is not {_KINDS[kind]}")


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
    for number in ("ttl", "previous_ttl"):
        _typed(data, number, int, optional=True)
    _typed(data, "prevent_destroy", bool, optional=True)
    for names in ("allows", "denies"):  # a tuple: read from operation_sets, checked there
        if not isinstance(data.get(names), list | tuple | None):
            raise PlanError(f"`{names}` is not a list")
    checked_deliver(data.get("deliver"))
    verify = data.get("verify")
    if verify is not None:
        if not isinstance(verify, dict) or set(verify) - {"operation", "database"}:
            raise PlanError("a change's verify is not an object of operation and database")
        _match(verify.get("operation"), _ACCESS, "operation id")
        _match(verify.get("database"), _SEGMENT, "database name", optional=True)
    return data


def checked_deliver(entries: Any) -> Any:
    """`entries` if it is a list of well-formed destinations (or None)."""
    if entries is None:
        return None
    if not isinstance(entries, list) or not entries:
        raise PlanError("a deliver is not a list of destinations")
    for entry in entries:
        timeout = entry.get("timeout") if isinstance(entry, dict) else None
        ok = isinstance(entry, dict) and (
            (set(entry) <= {"command", "timeout", "stdin"}
             and isinstance(entry.get("command"), str))
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
        raise PlanError(f"{shown(value)} is not a valid {what}")
