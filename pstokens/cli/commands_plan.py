"""`validate`, `plan` and `apply`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pstokens.cli.output import err, is_terminal, out
from pstokens.cli.progress import applying, reading
from pstokens.cli.session import Session
from pstokens.cli.settings import global_options, resolve
from pstokens.delivery import (
    DEFAULT_SECRETS_DIR,
    CommandSink,
    DirectorySink,
    PerTokenSink,
    SecretSink,
)
from pstokens.engine.apply import Applier, ApplyResult
from pstokens.engine.plan import Plan
from pstokens.engine.planner import PlanOptions
from pstokens.engine.refresh import fresh_plan
from pstokens.engine.statewriter import StateWriter
from pstokens.errors import PlanError, PstokensError, StalePlan, UnsafePlan
from pstokens.fileio import write_private
from pstokens.render import render_markdown, render_text

MAX_PLAN_BYTES = 64 * 1024 * 1024
F = TypeVar("F", bound=Callable[..., Any])


def _session() -> Session:
    return Session(resolve(click.get_current_context().find_root().obj or {}))


@click.command("validate")
@global_options
def validate_command() -> None:
    """Check the config offline: no API call, nothing written.

    Example: pstokens validate -c pstokens.yaml
    """
    session = _session()
    config = session.config
    count = len(config.tokens)
    for warning in config.warnings:
        err(str(warning))
    out(f"{config.path}: valid ({count} token{'s' if count != 1 else ''}, "
        f"organization {config.organization}).")


def scope_options(func: F) -> F:
    """--target, --replace and --lock-timeout, shared by plan and apply."""
    for option in reversed((
        click.option("--target", "targets", multiple=True, metavar="KEY",
                     help="Only this key (repeatable)."),
        click.option("--replace", "replace", multiple=True, metavar="KEY",
                     help="Force a new token for this key (repeatable)."),
        click.option("--lock-timeout", type=float, default=0.0, show_default=True,
                     help="Seconds to wait for the state lock."),
    )):
        func = option(func)
    return func


@click.command("plan")
@global_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan as JSON.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="How to print the plan.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes or unmanaged tokens, 0 when none.")
@scope_options
def plan_command(
    out_file: str | None, fmt: str, detailed_exitcode: bool, targets: tuple[str, ...],
    replace: tuple[str, ...], lock_timeout: float,
) -> int:
    """Read the organization and show what apply would change.

    Example: pstokens plan --detailed-exitcode --format markdown
    """
    session = _session()
    config = session.config
    session.check_keys(targets, "--target", session.read_state())
    session.check_keys(replace, "--replace", session.read_state())
    options = PlanOptions(frozenset(targets), frozenset(replace))
    with session.store.locked(lock_timeout):
        state = session.read_state()

        async def run() -> Plan:
            async with session.client() as client:
                return await fresh_plan(client, config, state, options)

        with reading(config.organization):
            plan = asyncio.run(run())
    if out_file:
        try:
            write_private(Path(out_file), plan.dumps().encode())
        except OSError as exc:
            raise PlanError(f"cannot write the plan to {out_file}: "
                            f"{exc.strerror or type(exc).__name__}") from None
    if fmt == "json":
        click.echo(plan.dumps(), nl=False)
    elif fmt == "markdown":
        out(render_markdown(plan))
    else:
        out(render_text(plan))
        if out_file:
            out(f"\nSaved the plan to {out_file}; run `pstokens apply {out_file}` to apply it.")
    if detailed_exitcode and (plan.has_changes or plan.unmanaged):
        return 2
    return 0


@click.command("apply")
@global_options
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--force", is_flag=True, help="Apply even past safety.max_delete_percent.")
@click.option("--secrets-dir", type=click.Path(file_okay=False),
              help=f"Where new secrets go [default {DEFAULT_SECRETS_DIR}].")
@click.option("--secrets-command", metavar="CMD",
              help="Run CMD per new token, the secret on stdin.")
@scope_options
def apply_command(
    planfile: str | None, auto_approve: bool, force: bool, secrets_dir: str | None,
    secrets_command: str | None, targets: tuple[str, ...], replace: tuple[str, ...],
    lock_timeout: float,
) -> int:
    """Make the organization match the config: create, grant, revoke, delete.

    Applies a fresh plan (asking first on a terminal), or a plan saved by
    `plan --out`, which must still match the organization.

    Example: pstokens apply --auto-approve --secrets-dir .pstokens/secrets
    """
    if secrets_dir and secrets_command:
        raise PstokensError("--secrets-dir and --secrets-command cannot be used together")
    if secrets_command is not None and not secrets_command.strip():
        raise PstokensError("--secrets-command is empty",
                            hint="give the command that receives each secret on stdin")
    session = _session()
    config = session.config
    saved = _load_plan(Path(planfile)) if planfile else None
    if saved is not None and (targets or replace):
        raise PstokensError("--target and --replace are for fresh plans; a saved plan has its own")
    if saved is not None and saved.organization != config.organization:
        raise StalePlan(
            f"saved plan is for organization {saved.organization!r}, "
            f"the config names {config.organization!r}"
        )
    state = session.read_state()
    session.check_keys(targets, "--target", state)
    session.check_keys(replace, "--replace", state)
    default: SecretSink = (
        CommandSink(secrets_command, label="--secrets-command") if secrets_command
        else DirectorySink(Path(secrets_dir) if secrets_dir else DEFAULT_SECRETS_DIR)
    )
    sink = PerTokenSink(config, default)
    options = PlanOptions(frozenset(targets), frozenset(replace))

    with session.store.locked(lock_timeout):
        state = session.read_state()
        if saved is not None and state.serial == 0 and not session.store.path.exists():
            # No state file yet: a plan made now and one made then start from the same nothing.
            state = dataclasses.replace(state, lineage=saved.lineage)
        if saved is not None and (saved.lineage, saved.serial) != (state.lineage, state.serial):
            raise StalePlan("saved plan is stale: the state changed since it was made",
                            hint="run `pstokens plan --out FILE` again")

        async def run() -> ApplyResult | None:
            async with session.client() as client:
                plan = await fresh_plan(client, config, state, options)
                if saved is not None and saved.comparable() != plan.comparable():
                    raise StalePlan(
                        "saved plan is stale: the organization no longer gives the same changes",
                        hint="run `pstokens plan --out FILE` again",
                    )
                if saved is None:
                    out(render_text(plan))
                if not plan.has_changes:
                    return None
                if plan.unsafe and not force:
                    raise UnsafePlan(f"refusing to apply: {plan.unsafe}",
                                     hint="check the plan, then pass --force if it is right")
                if saved is None and not auto_approve:
                    _confirm()
                writer = StateWriter(session.store, state)
                with applying(len(plan.changes)) as reporter:
                    return await Applier(client, writer, config, sink, reporter).apply(plan)

        result = asyncio.run(run())
    if result is None:
        return 0
    done = result.done
    line = (f"{done['create']} created, {done['replace']} replaced, {done['delete']} deleted, "
            f"{done['grant']} accesses granted, {done['revoke']} revoked.")
    if result.errors:
        err(f"Apply failed with {len(result.errors)} error(s); done so far: {line}")
        err("State records what succeeded; run `pstokens plan` to see what is left.")
        return 1
    out(f"\nApply complete! {line}")
    return 0


def _confirm() -> None:
    if not is_terminal():
        raise PstokensError("apply needs --auto-approve when not run on a terminal",
                            hint="or save a plan with `plan --out FILE` and review it first")
    if not click.confirm("Apply these changes?", default=False):
        raise PstokensError("apply cancelled; nothing was changed")


def _load_plan(path: Path) -> Plan:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"cannot read plan file {path}: {exc.strerror}") from None
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanError(f"plan file {path} is too large to be a pstokens plan")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise PlanError(f"plan file {path} is not valid JSON") from None
    return Plan.from_json(data, source=f"plan file {path}")
