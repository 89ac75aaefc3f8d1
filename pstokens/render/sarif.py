"""SARIF 2.1.0 for code scanning: config problems, rule violations and warnings as results.

Code scanning shows each result at a place in a file, so every result points
into the config: a problem where it was written, a live token's finding at the
key that manages it, or at the rule it breaks when no key does. A result's
`partialFingerprints` come from what it is about (rule, key or token ID,
database, access), never from where or when, so it keeps its identity across
runs and edits of the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pstokens import __version__
from pstokens.config.model import Config, Spot
from pstokens.errors import Problem
from pstokens.render.rules import unused_warning, violation_text

if TYPE_CHECKING:  # `validate` renders problems without loading the plan and report views
    from pstokens.engine.plan import Plan
    from pstokens.engine.report import Report
    from pstokens.engine.rules import Unused, Violation

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
FINGERPRINT = "pstokens/v1"
CONFIG_RULE = "config"
CONFIG_WARNING_RULE = "config-warning"
UNUSED_RULE = "unused_after"

Level = Literal["error", "warning"]

# Rule ID -> (default level, what it means). IDs of `rules:` findings are the rule's
# name, of plan warnings their kind, so a reader can match them to the docs.
RULES: dict[str, tuple[Level, str]] = {
    CONFIG_RULE: ("error", "The config file has a problem: pstokens refuses to run with it."),
    CONFIG_WARNING_RULE: ("warning", "The config is valid but says something probably not "
                                     "meant."),
    "forbid_accesses": ("error", "A token holds an access that rules.forbid_accesses forbids."),
    "require_ttl": ("error", "A token never expires, but rules.require_ttl is true."),
    "max_ttl": ("error", "A token lives longer than rules.max_ttl."),
    "leaked": ("error", "PlanetScale reports a token pstokens does not manage leaked."),
    UNUSED_RULE: ("warning", "A live token has not been used for rules.unused_after."),
    "expires_soon": ("warning", "A managed token expires within 14 days and nothing in the "
                                "plan replaces it."),
    "namesake": ("warning", "A key about to be created has the name of a live token pstokens "
                            "does not manage."),
    "rotation_stuck": ("warning", "A replaced token (retire_when_unused) is still in use 7 "
                                  "days after its successor was delivered."),
}
_INDEX = {rule: index for index, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Result:
    """One finding, located in the config file (no file: no location)."""

    rule: str
    level: Level
    message: str
    file: str | None
    line: int
    column: int
    identity: tuple[str, ...]  # what the finding is about, hashed into its fingerprint
    properties: dict[str, Any] = field(default_factory=dict)


def render_problems_sarif(
    command: str, problems: Sequence[Problem], warnings: Sequence[Problem] = ()
) -> str:
    """`validate` (or a command refusing its config): every problem and warning in the file."""
    results = [_problem(p, "error") for p in problems]
    results += [_problem(w, "warning") for w in warnings]
    return document(command, results)


def render_plan_sarif(plan: Plan, config: Config) -> str:
    """A plan's rule violations, unused tokens and warnings, located in `config`."""
    from pstokens.render.escape import terminal
    from pstokens.render.words import warning

    results = [_violation(config, v) for v in plan.violations]
    results += [_unused(config, u) for u in plan.unused]
    for item in plan.warnings:
        line, column = _key_spot(config, item.key, str(item.kind))
        results.append(Result(
            str(item.kind), "warning", warning(item, terminal), config.path, line, column,
            (str(item.kind), item.key or "", *item.token_ids),
            _bag(key=item.key, token_ids=list(item.token_ids) or None),
        ))
    results += [_problem(w, "warning") for w in config.warnings]
    return document("plan", results)


def render_report_sarif(report: Report, config: Config | None) -> str:
    """A report's rule violations and unused tokens; `config` locates them (None: the
    report was made with --org and no config, so there are no rules to break)."""
    results = [_violation(config, v) for v in report.violations]
    results += [_unused(config, u) for u in report.unused]
    return document("report", results)


def document(command: str, results: Iterable[Result]) -> str:
    """The SARIF log of one run of `command`."""
    rules = [
        {"id": rule, "shortDescription": {"text": text},
         "defaultConfiguration": {"level": level}}
        for rule, (level, text) in RULES.items()
    ]
    run = {
        "tool": {"driver": {"name": "pstokens", "version": __version__, "rules": rules}},
        # One category per command: uploading validate's results keeps plan's.
        "automationDetails": {"id": f"pstokens/{command}/"},
        "columnKind": "unicodeCodePoints",  # PyYAML's columns count characters
        "results": [_result(r) for r in results],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def fingerprint(identity: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(identity).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ruleId": result.rule,
        "ruleIndex": _INDEX[result.rule],
        "level": result.level,
        "message": {"text": result.message},
    }
    if result.file is not None:
        data["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(result.file)},
            "region": {"startLine": result.line, "startColumn": result.column},
        }}]
    data["partialFingerprints"] = {FINGERPRINT: fingerprint((result.rule, *result.identity))}
    if result.properties:
        data["properties"] = result.properties
    return data


def _problem(problem: Problem, level: Level) -> Result:
    if problem.rule in RULES:
        rule = problem.rule
    else:
        rule = CONFIG_RULE if level == "error" else CONFIG_WARNING_RULE
    return Result(rule, level, problem.message, problem.file, problem.line, problem.column,
                  (problem.file, problem.message))


def _violation(config: Config | None, violation: Violation) -> Result:
    rule = str(violation.rule)
    who = violation.key or violation.token_id
    path = ("accesses", violation.database, violation.access) if violation.access else ()
    line, column = _key_spot(config, violation.key, rule, *path)
    return Result(
        rule, "error", violation_text(violation), config.path if config else None, line, column,
        (who, violation.database or "", violation.access or ""),
        _bag(token_id=violation.token_id, key=violation.key, database=violation.database,
             access=violation.access),
    )


def _unused(config: Config | None, unused: Unused) -> Result:
    line, column = _key_spot(config, unused.key, UNUSED_RULE)
    return Result(
        UNUSED_RULE, "warning", unused_warning(unused), config.path if config else None,
        line, column, (unused.key or unused.token_id,),
        _bag(token_id=unused.token_id, key=unused.key),
    )


def _key_spot(config: Config | None, key: str | None, rule: str, *path: str | None) -> Spot:
    """Where the managing key was written, else the rule it breaks, else the file's start."""
    if config is None:
        return (1, 1)
    if key is not None and key in config.tokens:
        return config.spot("tokens", key, *path)
    return config.spot("rules", rule)


def _bag(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _uri(path: str) -> str:
    """A relative path stays relative (code scanning reads it from the repository's root)."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    return quote(pure.as_posix())
