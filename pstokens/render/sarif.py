"""SARIF 2.1.0 for code scanning: config problems, rule violations and warnings as results.

Code scanning shows each result at a place in a file, so every result points
into the config: a problem where it was written, a live token's finding at the
key that manages it, or at the rule it breaks when no key does. A result's
`partialFingerprints` come from what it is about (rule, key or an unmanaged
token's ID, database, access), never from where or when or a managed token's ID,
so it keeps its identity across runs, edits of the file and replacements.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pstokens import __version__
from pstokens.config.model import Config, Spot
from pstokens.errors import Problem
from pstokens.render.findings import FileFindings
from pstokens.render.rules import policy_text, unused_warning, violation_text
from pstokens.render.sarif_rules import (
    CONFIG_RULE,
    CONFIG_WARNING_RULE,
    ESCALATION_RULE,
    HELP_URI,
    INFORMATION_URI,
    RULES,
    UNUSED_RULE,
    Level,
    RuleText,
    generic,
    policy_rule,
)

if TYPE_CHECKING:  # `validate` renders problems without loading the plan and report views
    from pstokens.engine.inventory.report import Report, TokenRow
    from pstokens.engine.planning.plan import Plan
    from pstokens.engine.rules.guardrails import Unused, Violation
    from pstokens.engine.rules.policies import PolicyFinding
    from pstokens.engine.rules.rotation import Retiring

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
FINGERPRINT = "pstokens/v1"


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
    # Its rule's words when the rule is not in RULES (a policy's package: `policy_rule`).
    text: RuleText | None = None


def render_problems_sarif(
    command: str, problems: Sequence[Problem], warnings: Sequence[Problem] = (),
    config: Config | None = None, policies: Sequence[PolicyFinding] = (),
) -> str:
    """`validate` (or a command refusing its config): every problem and warning in the file,
    and each finding of `config`'s `rules.policies` under its policy's package (as `plan`)."""
    return render_files_sarif(command, [FileFindings(problems, warnings, config, policies)])


def render_files_sarif(command: str, files: Sequence[FileFindings]) -> str:
    """`validate FILE...`: one log, one run, holding every file's findings, each
    located in its own file."""
    results: list[Result] = []
    for found in files:
        results += [_problem(p, "error") for p in found.problems]
        results += [_problem(w, "warning") for w in found.warnings]
        if found.config is not None:
            results += [_policy(found.config, f) for f in found.policies]
    return document(command, results)


def render_plan_sarif(plan: Plan, config: Config) -> str:
    """A plan's rule violations, unused tokens and warnings, located in `config`."""
    from pstokens.render.escape import terminal
    from pstokens.render.words import warning

    roles = _plan_roles(plan)
    results = [_violation(config, v, roles) for v in plan.violations]
    results += [_unused(config, u, roles) for u in plan.unused]
    results += [_policy(config, f) for f in plan.policies]
    for item in plan.warnings:
        line, column = _key_spot(config, item.key, str(item.kind))
        results.append(Result(
            str(item.kind), "warning", warning(item, terminal), config.path, line, column,
            (str(item.kind), item.key or ""),
            _bag(key=item.key, token_ids=list(item.token_ids) or None),
        ))
    results += [_problem(w, "warning") for w in config.warnings]
    return document("plan", results)


def render_report_sarif(report: Report, config: Config | None) -> str:
    """A report's rule violations, unused tokens and escalation paths; `config` locates
    them (None: the report was made with --org and no config, so no rules to break)."""
    from pstokens.render.operations import escalation_text

    roles = _report_roles(report)
    results = [_violation(config, v, roles) for v in report.violations]
    results += [_unused(config, u, roles) for u in report.unused]
    for item in report.escalations:
        line, column = _key_spot(config, item.key, ESCALATION_RULE,
                                 "accesses", item.database, str(item.path))
        results.append(Result(
            ESCALATION_RULE, "warning", escalation_text(item), config.path if config else None,
            line, column, (*_who(item.key, item.token_id, roles), item.database or "",
                           str(item.path)),
            _bag(token_id=item.token_id, key=item.key, database=item.database,
                 access=str(item.path)),
        ))
    return document("report", results)


def document(command: str, results: Iterable[Result]) -> str:
    """The SARIF log of one run of `command`: every rule described, each result
    pointing at its rule (a finding type without words yet is described generically)."""
    results = list(results)
    texts = dict(RULES)
    for result in results:
        texts.setdefault(result.rule, result.text or generic(result.rule))
    index = {rule: position for position, rule in enumerate(texts)}
    rules = [
        {"id": str(rule), "name": text.name,
         "shortDescription": {"text": text.short},
         "fullDescription": {"text": text.full},
         "help": {"text": text.help},
         "helpUri": HELP_URI,
         "defaultConfiguration": {"level": text.level}}
        for rule, text in texts.items()
    ]
    driver = {"name": "pstokens", "version": __version__, "semanticVersion": __version__,
              "informationUri": INFORMATION_URI, "rules": rules}
    run = {
        "tool": {"driver": driver},
        # One category per command: uploading validate's results keeps plan's.
        "automationDetails": {"id": f"pstokens/{command}/"},
        "columnKind": "unicodeCodePoints",  # PyYAML's columns count characters
        "results": [_result(r, index[r.rule]) for r in results],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def fingerprint(identity: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(identity).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(result: Result, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ruleId": result.rule,
        "ruleIndex": index,
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


def _violation(config: Config | None, violation: Violation, roles: Roles) -> Result:
    rule = str(violation.rule)
    path = ("accesses", violation.database, violation.access) if violation.access else ()
    line, column = _key_spot(config, violation.key, rule, *path)
    operation = (violation.operation,) if violation.operation else ()
    return Result(
        rule, "error", violation_text(violation), config.path if config else None, line, column,
        (*_who(violation.key, violation.token_id, roles), violation.database or "",
         violation.access or "", *operation),
        _bag(token_id=violation.token_id, key=violation.key, database=violation.database,
             access=violation.access, operation=violation.operation),
    )


def _policy(config: Config, finding: PolicyFinding) -> Result:
    """A policy's deny (error) or warn (warning), under a rule named by its package, at
    the config's `rules: policies:` entry."""
    from pstokens.engine.rules.policies import PolicyKind

    line, column = config.spot("rules", "policies")
    level: Level = "error" if finding.kind is PolicyKind.DENY else "warning"
    return Result(finding.package, level, policy_text(finding), config.path, line, column,
                  (str(finding.kind), finding.message),
                  _bag(policy=finding.file, kind=str(finding.kind)),
                  policy_rule(finding.package, finding.file))


def _unused(config: Config | None, unused: Unused, roles: Roles) -> Result:
    line, column = _key_spot(config, unused.key, UNUSED_RULE)
    return Result(
        UNUSED_RULE, "warning", unused_warning(unused), config.path if config else None,
        line, column, _who(unused.key, unused.token_id, roles),
        _bag(token_id=unused.token_id, key=unused.key),
    )


# Token ID -> which of its key's tokens it is: absent for the key's current token,
# `retiring N` for the Nth replaced one still alive (its overlap).
Roles = dict[str, str]


def _who(key: str | None, token_id: str, roles: Roles) -> tuple[str, ...]:
    """Who a finding is about, without the token ID of a managed token: a key's current
    token keeps its identity across replacements, and a retiring one differs from it.
    A token no key manages has only its ID."""
    if key is None:
        return (token_id,)
    role = roles.get(token_id)
    return (key,) if role is None else (key, role)


def _plan_roles(plan: Plan) -> Roles:
    """The plan names each key's retiring tokens; the newest to be retired comes first."""
    by_key: dict[str, list[Retiring]] = {}
    for item in plan.retiring:
        by_key.setdefault(item.key, []).append(item)
    roles: Roles = {}
    for items in by_key.values():
        items.sort(key=lambda r: (r.retire_at is None, r.retire_at), reverse=True)
        roles.update((r.token_id, f"retiring {n}") for n, r in enumerate(items, 1))
    return roles


def _report_roles(report: Report) -> Roles:
    """A report has no state: of a key's live tokens the newest is its current one."""
    by_key: dict[str, list[TokenRow]] = {}
    for row in report.tokens:
        if row.key is not None:
            by_key.setdefault(row.key, []).append(row)
    roles: Roles = {}
    for rows in by_key.values():
        rows.sort(key=lambda r: (r.created_at is not None, r.created_at), reverse=True)
        roles.update((r.id, f"retiring {n}") for n, r in enumerate(rows[1:], 1))
    return roles


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
