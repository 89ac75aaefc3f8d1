"""`validate`: the config (and its own `rules:`) checked offline, without the API stack.

Kept apart from plan and apply so that a pre-commit hook or CI step running
`pstokens validate` pays for the config reader only (no httpx, pydantic or engine).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pstokens.cli.output import err, out
from pstokens.cli.policyconfigs import config_paths
from pstokens.cli.settings import offline_options, resolve
from pstokens.config import Config, load_config
from pstokens.config.model import InvalidConfig
from pstokens.config.notify import environment_problems
from pstokens.engine.rules.guardrails import check_config
from pstokens.errors import ConfigError, Problem
from pstokens.nocycles import cycles_uncollected
from pstokens.render.findings import FileFindings
from pstokens.render.formats import FINDINGS
from pstokens.render.rules import config_problem

if TYPE_CHECKING:  # the policies' module loads only for a config that names policies
    from pstokens.engine.rules.policies import PolicyFinding

RULES_HINT = "change the token, or the rule it breaks"


@click.command("validate")
@offline_options
@click.option("--format", "fmt", type=click.Choice(FINDINGS.names), default="text",
              show_default=True,
              help="text, or sarif: SARIF 2.1.0 for code scanning on stdout (exit codes alike).")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def validate_command(fmt: str, files: tuple[str, ...]) -> None:
    """Check the config offline: no API call, nothing written.

    Also checks what the variables named under notify: hold (an unset one is
    a warning). FILES, when given, are checked instead of the config, each on
    its own (as the pre-commit hook passes them); a Rego policy (*.rego) among
    them stands for every pstokens*.yaml under this folder that names it.

    Example: pstokens validate -c pstokens.yaml
    """
    settings = resolve(click.get_current_context().find_root().obj or {})
    paths, unnamed = config_paths(files, Path.cwd())
    for policy in unnamed:
        err(f"{policy}: no pstokens config under this folder names this policy.")
    if files and not paths:  # only policies no config names: nothing to check
        _document(fmt, ())
        return
    paths = paths or [settings.config_path]
    # A document format prints one document for every file, after the last.
    found: list[FileFindings] = []
    failed: list[ConfigError] = []
    for path in paths:
        try:
            # Reading the config and making its plan build only acyclic objects.
            with cycles_uncollected():
                _validate(path, settings.org, fmt, found)
        except ConfigError as exc:
            failed.append(exc)
    _document(fmt, found)
    if len(paths) == 1 and failed:
        raise failed[0]
    if failed:
        raise ConfigError([p for exc in failed for p in exc.problems], hint=failed[0].hint)


def _validate(path: Path, organization: str | None, fmt: str,
              found: list[FileFindings]) -> None:
    try:
        config = load_config(path, organization=organization)
    except InvalidConfig as exc:  # every problem at once: its own, and the rules' on the rest
        every = sorted({*exc.problems, *_broken_rules(exc.partial)},
                       key=lambda p: (p.line, p.column))
        found.append(FileFindings(every))
        raise ConfigError(every, hint=exc.hint) from None
    except ConfigError as exc:
        found.append(FileFindings(exc.problems))
        raise
    refused = _broken_rules(config)
    findings, broken, policy_hint = _policies(config)
    denied, cautions = _located(config, findings)
    unusable, unset = environment_problems(config, os.environ)  # notify's variables
    problems = (*refused, *broken, *denied, *unusable)
    warnings = (*config.warnings, *cautions, *unset)
    if FINDINGS[fmt].document:  # each policy finding under its package's rule
        found.append(FileFindings((*refused, *broken, *unusable), (*config.warnings, *unset),
                                  config, findings))
    else:
        for warning in warnings:
            err(str(warning))
    if problems:
        raise ConfigError(problems, hint=policy_hint if policy_hint and not refused else
                          RULES_HINT if refused or denied else
                          "put the webhook's http(s) URL in the variable")
    if not FINDINGS[fmt].document:
        count = len(config.tokens)
        out(f"{config.path}: valid ({count} token{'s' if count != 1 else ''}, "
            f"organization {config.organization}).")


def _broken_rules(config: Config) -> list[Problem]:
    """The engine's findings where the config breaks its own rules, located."""
    return [config_problem(v) for v in check_config(config)]


def _policies(config: Config) -> tuple[list[PolicyFinding], list[Problem], str | None]:
    """`rules.policies` held to the plan the config makes in an empty organization:
    their findings; or, when a policy does not parse or fails, that problem and its hint."""
    policies = config.rules.policies if config.rules is not None else ()
    if not policies:
        return [], [], None
    from pstokens import clock
    from pstokens.engine.planning.judging import Judge, judged, offline_plan
    from pstokens.engine.reading.policyrun import PolicyRun
    from pstokens.operations import operations_table
    from pstokens.render.json import plan_document

    try:
        # The child that evaluates them starts (and compiles them: one that does not
        # parse is a problem at its line) while this process makes the plan.
        with PolicyRun(policies) as run:
            plan = judged(offline_plan(config, operations_table(), clock.now()), config,
                          Judge(plan_document, evaluate=run.evaluate))
    except ConfigError as exc:
        return [], list(exc.problems), exc.hint
    return list(plan.policies), [], None


def _located(
    config: Config, findings: Sequence[PolicyFinding]
) -> tuple[list[Problem], list[Problem]]:
    """Each deny a problem, each warn a warning, located at the config's `policies:`."""
    from pstokens.engine.rules.policies import PolicyKind
    from pstokens.render.rules import policy_text

    line, column = config.spot("rules", "policies") if findings else (1, 1)
    found: tuple[list[Problem], list[Problem]] = ([], [])
    for finding in findings:
        warns = finding.kind is not PolicyKind.DENY
        # Labelled as the config's own warnings are (`FILE:L:C: warning: ...`).
        label = "warning: " if warns else ""
        found[warns].append(Problem(config.path, line, column, label + policy_text(finding)))
    return found


def _document(fmt: str, files: Sequence[FileFindings]) -> None:
    """A document format (SARIF) prints every file's findings on stdout as one document,
    the refused ones too; each policy finding under its policy's package."""
    if FINDINGS[fmt].document:
        out(FINDINGS.render(fmt, command="validate", files=files), nl=False)
