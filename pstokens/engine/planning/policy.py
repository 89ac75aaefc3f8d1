"""The rules that guard a run, in one place, for every caller (CLI, adapters, library).

Before any call: `--target` and `--replace` must name known keys, a replaced
key must be among the targets (when there are any), a `prevent_destroy` key
cannot be replaced, and new secrets must have somewhere to go (an empty
`default_deliver` delivers to nobody). For a saved plan: the state (lineage,
serial), the config (digest) and the organization (a fresh plan with the same
targets and replacements) must all be as they were. Before apply: a plan past
the safety threshold, or one that deletes an unmanaged namesake of a key,
needs `force`; a plan a `rules.policies` deny forbids is refused, forced or not.
The CLI only parses, asks and renders around these.
"""

from __future__ import annotations

from pstokens.config.model import Config
from pstokens.engine.planning.plan import Plan
from pstokens.engine.planning.planner import PlanOptions, nowhere
from pstokens.engine.planning.stale import (
    Moved,
    MovedKind,
    config_data,
    config_moves,
    digest,
    plan_moves,
)
from pstokens.engine.planning.stuck import deletes_in_use
from pstokens.engine.rules.findings import UnsafeKind
from pstokens.errors import PlanError, PolicyDenied, StalePlan, UnsafePlan, UsageError
from pstokens.quoting import quote
from pstokens.state.model import State

RUN_AGAIN = "run `pstokens plan --out FILE` again, review it, and apply that"


def check_options(config: Config, state: State, options: PlanOptions) -> None:
    """Refuse options that name unknown keys, replace a key outside the targets,
    replace a protected token, or deliver new secrets nowhere."""
    if options.default_deliver is not None and not options.default_deliver:
        raise nowhere()  # as PlanOptions does when made: the guard stays with the others
    for flag, keys in (("--target", options.targets), ("--replace", options.replace)):
        unknown = sorted(k for k in keys if k not in config.tokens and k not in state.tokens)
        if unknown:
            raise UsageError(
                f"{flag} names {', '.join(unknown)}, which is neither in the config nor in state",
                hint="use a token key from the config",
            )
    if options.targets and (outside := sorted(options.replace - options.targets)):
        # The plan covers only the targets: such a replacement would be silently dropped.
        raise UsageError(
            f"--replace {', '.join(outside)} is outside --target "
            f"{', '.join(sorted(options.targets))}, so it would not be replaced",
            hint=f"add {' '.join(f'--target {k}' for k in outside)}, or drop --target",
        )
    protected = sorted(k for k in options.replace
                       if k in config.tokens and config.tokens[k].prevent_destroy)
    if protected:
        raise PlanError(
            f"--replace {', '.join(protected)}: prevent_destroy is set, so pstokens will not "
            "replace (delete) that token",
            hint="remove prevent_destroy from its config first if the replacement is intended",
        )


def config_digest(config: Config) -> str:
    """A digest of what the config asks for (not where it lives, nor its comments)."""
    return digest(config_data(config))


def saved_options(saved: Plan) -> PlanOptions:
    return PlanOptions(frozenset(saved.targets), frozenset(saved.replace),
                       default_deliver=saved.default_deliver)


def check_saved_scope(options: PlanOptions) -> None:
    """A saved plan has its own scope and destinations: options for a fresh plan
    are refused with it."""
    if options.targets or options.replace:
        raise UsageError(
            "--target and --replace are for fresh plans; a saved plan has its own",
            hint="apply the saved plan without them, or save a new plan: "
            "`pstokens plan --target KEY --out FILE`",
        )
    if options.default_deliver is not None:
        raise UsageError(
            "--secrets-dir and --secrets-command are for fresh plans; a saved plan "
            "delivers where it recorded",
            hint="apply the saved plan without them (`pstokens show FILE` lists where "
            "each secret goes), or save a new plan with them: "
            "`pstokens plan --secrets-dir DIR --out FILE`",
        )


def check_saved(saved: Plan, config: Config, state: State) -> None:
    """Refuse a saved plan whose state or config moved on since it was made,
    saying what moved (`StalePlan.moved`)."""
    if saved.organization != config.organization:
        raise StalePlan(
            f"saved plan is for organization {saved.organization!r}, "
            f"the config names {config.organization!r}"
        )
    moved: list[Moved] = []
    from_nothing = saved.serial == state.serial == 0 and not state.tokens
    if (saved.lineage, saved.serial) != (state.lineage, state.serial) and not from_nothing:
        same_line = saved.lineage == state.lineage or saved.serial == 0  # 0: made from none
        moved.append(Moved(MovedKind.STATE_SERIAL, before=saved.serial, after=state.serial)
                     if same_line else
                     Moved(MovedKind.STATE_LINEAGE, before=saved.lineage, after=state.lineage))
    current = config_data(config)
    if saved.config_digest != digest(current):
        moved += config_moves(saved.config, current)
    if moved:
        raise StalePlan("saved plan is stale: the state or the configuration changed since "
                        "it was made", hint=RUN_AGAIN, moved=moved)


def check_same(saved: Plan, fresh: Plan) -> None:
    """Refuse a saved plan when a fresh read of the organization plans otherwise."""
    if saved.comparable() != fresh.comparable():
        raise StalePlan(
            "saved plan is stale: the organization changed since it was made "
            "(a fresh read no longer gives the same changes)",
            hint=RUN_AGAIN, moved=plan_moves(saved, fresh),
        )


def check_allowed(plan: Plan) -> None:
    """Refuse a plan any policy denies (`rules.policies`), before any write; --force
    does not override a policy."""
    if not plan.denied:
        return
    said = "; ".join(f"{f.package} ({f.file}): {quote(f.message, None)}" for f in plan.denied)
    count = len(plan.denied)
    raise PolicyDenied(f"refusing to apply: {count} policy violation{'s' if count != 1 else ''}"
                       f": {said}", hint="change the config so the plan keeps to the policy, "
                       "or change the policy (--force does not override a policy)",
                       findings=plan.denied)


def check_safe(plan: Plan, *, force: bool) -> None:
    """Refuse an unsafe plan unless forced (and a delete of a token still in use,
    which only a forced apply plans: `engine/planning/stuck.py`)."""
    if force:
        return
    if in_use := deletes_in_use(plan):
        raise UnsafePlan(f"refusing to delete {len(in_use)} retiring token(s) PlanetScale "
                         f"still sees used ({', '.join(c.token_id or '' for c in in_use)})",
                         hint="pass --force to delete them anyway")
    if not plan.unsafe:
        return
    reasons = []
    for item in plan.unsafe:
        if item.kind is UnsafeKind.TOO_MANY_DELETES:
            unmanaged = (f" and {item.unmanaged} unmanaged ({item.deletes} in all)"
                         if item.unmanaged else "")
            reasons.append(f"it deletes {item.managed_deletes} of {item.managed} managed "
                           f"tokens{unmanaged}, more than safety.max_delete_percent "
                           f"({item.percent}%)")
        else:
            reasons.append(f"it deletes unmanaged token {item.token_id}, whose name is the "
                           f"config key {item.key!r} (a state that predates another apply?)")
    raise UnsafePlan(f"refusing to apply: {'; '.join(reasons)}",
                     hint="check the plan, then pass --force if it is right")
