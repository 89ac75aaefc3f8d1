"""`plan` and `apply`: parse, call the engine, render.

Every rule that guards a run (unknown keys, protected replacements, stale or
unsafe plans, --force) lives in the engine; this module asks and prints.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pstokens.cli.completion import config_keys
from pstokens.cli.context import CommandContext, current_context
from pstokens.cli.output import err, is_terminal, out
from pstokens.cli.planfile import MAX_PLAN_BYTES, load_plan
from pstokens.cli.progress import applying, reading
from pstokens.cli.sarif import FormatChoice, config_problems_as_sarif
from pstokens.cli.settings import global_options
from pstokens.config import Config
from pstokens.delivery import DEFAULT_SECRETS_DIR
from pstokens.destinations import CommandDestination, Destination, DirDestination
from pstokens.engine.planning.outcome import ApplyInterrupted, ApplyResult
from pstokens.engine.planning.plan import Plan
from pstokens.engine.run import PlanOptions
from pstokens.errors import InvalidDestination, PlanError, PstokensError, UsageError
from pstokens.fileio import odd_output, write_output
from pstokens.quoting import quote
from pstokens.render.apply import interruption_lines, summary
from pstokens.render.formats import APPLY_REFUSED, APPLY_RESULT, PLAN
from pstokens.render.json import render_saved
from pstokens.render.text import styled_text

F = TypeVar("F", bound=Callable[..., Any])


def _context() -> CommandContext:
    return current_context()


def scope_options(func: F) -> F:
    """--target and --replace, shared by plan and apply."""
    for option in reversed((
        click.option("--target", "targets", multiple=True, metavar="KEY",
                     shell_complete=config_keys, help="Only this key (repeatable)."),
        click.option("--replace", "replace", multiple=True, metavar="KEY",
                     shell_complete=config_keys,
                     help="Force a new token for this key (repeatable)."),
    )):
        func = option(func)
    return func


def secrets_options(func: F) -> F:
    """--secrets-dir and --secrets-command, shared by plan and apply."""
    for option in reversed((
        click.option("--secrets-dir", type=click.Path(file_okay=False),
                     help="Where new secrets of tokens without `deliver:` go "
                          f"[default {DEFAULT_SECRETS_DIR}]."),
        click.option("--secrets-command", metavar="CMD",
                     help="Run CMD per new token without `deliver:`, the secret on stdin."),
    )):
        func = option(func)
    return func


def _destinations(
    secrets_dir: str | None, secrets_command: str | None,
) -> tuple[Destination, ...] | None:
    """What the flags say (None: neither was given)."""
    if secrets_dir is not None and secrets_command is not None:
        raise UsageError("--secrets-dir and --secrets-command cannot be used together",
                         hint="pick one; a token that needs both lists a `dir:` and a "
                         "`command:` entry under `deliver:` in the config")
    if secrets_command is not None and not secrets_command.strip():
        raise UsageError("--secrets-command is empty",
                         hint="give the command that receives each secret on stdin")
    if secrets_dir is not None and not secrets_dir.strip():
        raise UsageError("--secrets-dir is empty",
                         hint="give the folder that receives each secret, or leave the "
                         f"option out for {DEFAULT_SECRETS_DIR}")
    if secrets_command is not None:
        return (CommandDestination(secrets_command.strip()),)
    if secrets_dir is not None:
        try:
            return (DirDestination(secrets_dir),)
        except InvalidDestination as exc:
            raise UsageError(f"--secrets-dir {quote(secrets_dir, None)}: {exc.message}",
                             hint=exc.hint) from None
    return None


@click.command("plan")
@global_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan as JSON.")
@click.option("--format", "fmt", type=click.Choice(PLAN.names),
              default="text", show_default=True,
              help="How to print the plan (sarif: its rule findings and warnings, for code "
                   "scanning).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when anything differs (changes, skips, unmanaged tokens, rule "
                   "violations), 0 when not.")
@scope_options
@secrets_options
@config_problems_as_sarif
def plan_command(
    out_file: str | None, fmt: str, detailed_exitcode: bool, targets: tuple[str, ...],
    replace: tuple[str, ...], secrets_dir: str | None, secrets_command: str | None,
) -> int:
    """Read the organization and show what apply would change.

    The plan says where each new secret goes, and a plan saved with --out
    delivers there: the secrets options belong here, not to `apply FILE`.

    Example: pstokens plan --detailed-exitcode --format markdown
    """
    context = _context()
    workspace = context.workspace()
    options = PlanOptions(frozenset(targets), frozenset(replace),
                          _destinations(secrets_dir, secrets_command))
    config = workspace.check(options)  # bad input: before any lock or call
    if out_file and (reason := odd_output(Path(out_file))):
        raise PlanError(f"cannot write the plan to {out_file}: {reason}",
                        hint="pick another --out path")
    with contextlib.ExitStack() as spinning:
        spinning.enter_context(reading(workspace.organization))

        def shown(plan: Plan) -> None:
            spinning.close()  # the organization is read: the spinner gives way to the plan
            _show_plan(plan, config, fmt, out_file)

        # Shown, then `notify:` entries hear of it (the engine's notifier).
        plan = asyncio.run(workspace.plan(options, show=shown))
    return 2 if detailed_exitcode and plan.differs else 0


def _show_plan(plan: Plan, config: Config, fmt: str, out_file: str | None) -> None:
    """Save the plan if asked (`--out`), then print it in `fmt`."""
    if out_file:
        payload = render_saved(plan)
        if len(payload) > MAX_PLAN_BYTES:  # apply and show would refuse it: never write it
            raise PlanError(
                f"the plan would take {len(payload) / 2**20:.0f} MiB, more than the "
                f"{MAX_PLAN_BYTES // 2**20} MiB `apply` and `show` read; {out_file} was not "
                "written", hint="save smaller plans with --target KEY (repeatable), or apply "
                "without a saved plan")
        try:
            write_output(Path(out_file), payload)
        except OSError as exc:
            raise PlanError(f"cannot write the plan to {out_file}: "
                            f"{exc.strerror or type(exc).__name__}",
                            hint="pick another --out path, in a folder you can write") from None
    form = PLAN[fmt]
    out(PLAN.render(fmt, plan=plan, config=config), nl=form.newline)
    if out_file and not form.document:
        out(f"\nSaved the plan to {out_file}; run `pstokens apply {out_file}` to apply it.")


@click.command("apply")
@global_options
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--force", is_flag=True,
              help="Apply an unsafe plan (past safety.max_delete_percent, or deleting an "
                   "unmanaged token named like a key); also delete the old tokens of stuck "
                   "rotations (retire_when_unused).")
@click.option("--format", "fmt", type=FormatChoice(APPLY_RESULT.names), default="text",
              show_default=True,
              help="json: the plan and step lines go to stderr, the result to stdout.")
@scope_options
@secrets_options
def apply_command(
    planfile: str | None, auto_approve: bool, force: bool, secrets_dir: str | None,
    secrets_command: str | None, fmt: str, targets: tuple[str, ...], replace: tuple[str, ...],
) -> int:
    """Make the organization match the config: create, grant, revoke, delete.

    Applies a fresh plan (asking first on a terminal), or a plan saved by
    `plan --out`, which must still match the state, the config and the
    organization, and delivers where it recorded (the secrets options are
    for fresh plans).

    Example: pstokens apply --auto-approve --secrets-dir .pstokens/secrets
    """
    destinations = _destinations(secrets_dir, secrets_command)
    context = _context()
    workspace = context.workspace()
    try:
        saved = load_plan(Path(planfile)) if planfile else None
    except PlanError as exc:
        _refused(fmt, exc)
        raise
    options = PlanOptions(frozenset(targets), frozenset(replace), destinations)
    document = APPLY_RESULT[fmt].document  # stdout holds the result: lines go to stderr
    show = err if document else out

    def shown(plan: Plan) -> None:
        if saved is None:
            show(styled_text(plan))

    def approved(plan: Plan) -> bool:
        if saved is None and not auto_approve:
            _confirm()
        return True

    workspace.checked_config()
    try:
        _, result = asyncio.run(workspace.apply(
            options, saved=saved, force=force, show=shown, approve=approved,
            progress=lambda plan: applying(len(plan.changes), to_stderr=document),
        ))
    except ApplyInterrupted as stopped:  # Ctrl-C: say which tokens exist and who holds them
        if document:
            out(APPLY_RESULT.render(fmt, result=stopped.result, interrupted=stopped.report),
                nl=False)
        for line in interruption_lines(stopped.report):
            err(line)
        return stopped.exit_code
    except (PlanError, UsageError) as exc:
        # A refused plan, or options refused before anything ran, changed nothing (no
        # news for `notify:`), but stdout still gets a result with --format json.
        _refused(fmt, exc)
        raise
    if document:
        out(APPLY_RESULT.render(fmt, result=result or ApplyResult(), interrupted=None), nl=False)
    if result is None:
        return 0
    if result.errors:
        err(f"Apply failed with {len(result.errors)} error(s); done so far: {summary(result)}")
        err("State records what succeeded; run `pstokens plan` to see what is left.")
        return 1
    show(f"\nApply complete! {summary(result)}")
    return 0


def _refused(fmt: str, exc: PlanError | UsageError) -> None:
    """A refused apply changed nothing; a document format still says so on stdout."""
    if APPLY_REFUSED[fmt].document:
        out(APPLY_REFUSED.render(fmt, exc=exc), nl=False)


def _confirm() -> None:
    if not is_terminal():
        raise UsageError("apply needs --auto-approve when not run on a terminal",
                         hint="or save a plan with `plan --out FILE` and review it first")
    if not click.confirm("Apply these changes?", default=False):
        raise PstokensError("apply cancelled; nothing was changed")
