"""What apply and plan count: each change of the plan once, in the bucket a reader
would put it in (the old half of a replacement is part of the replace; a removed key
whose create never happened is a state-only change, not a delete)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from pstokens.cli.progress import ProgressReporter
from pstokens.engine.planning.outcome import ApplyResult, Outcome, Status
from pstokens.engine.planning.plan import Action, Cause, Change, Plan
from pstokens.render.apply import summary


def create(key: str) -> Change:
    return Change(Action.CREATE, key, None, name=key, cause=Cause.NEW)


def replace(key: str, old: str) -> Change:
    return Change(Action.REPLACE, key, old, name=key, cause=Cause.ROTATE_AFTER)


def old_half(key: str, old: str) -> Change:
    return Change(Action.DELETE, key, old, name=key, cause=Cause.REPLACED)


NEVER_CREATED = Change(Action.DELETE, "gone", None, name="gone", cause=Cause.ALREADY_GONE)


def test_replacements_are_not_counted_as_created_nor_their_undelivered_secrets() -> None:
    outcomes = [Outcome(create(f"k{i}"), Status.DONE, f"n{i}") for i in range(4)]
    outcomes += [Outcome(replace(f"r{i}", f"o{i}"), Status.PARTLY_DELIVERED, f"m{i}")
                 for i in range(2)]
    # Deleted again by the same apply: neither replaced nor counted as undelivered.
    outcomes += [Outcome(replace("r8", "o8"), Status.UNVERIFIED, "m8", rolled_back=True)]
    outcomes += [Outcome(replace("r9", "o9"), Status.DONE, "m9"),
                 Outcome(old_half("r9", "o9"), Status.DONE, "o9")]
    line = summary(ApplyResult(outcomes))
    assert line.startswith("4 created, 3 replaced (2 not delivered everywhere), 0 deleted, "), line


def test_a_removed_key_whose_create_never_happened_is_no_delete() -> None:
    done = ApplyResult([Outcome(NEVER_CREATED, Status.DONE)]).done
    assert done["delete"] == 0 and done["update_state"] == 1
    plan = Plan("acme", "L", 1, changes=(NEVER_CREATED,))
    assert plan.summary()["delete"] == 0 and plan.summary()["update_state"] == 1


def test_the_progress_bar_ends_at_the_number_of_changes_with_replacements() -> None:
    changes = [create("a"), replace("b", "ob"), replace("c", "oc")]
    outcomes = [Outcome(create("a"), Status.DONE, "na"),
                Outcome(replace("b", "ob"), Status.DONE, "nb"),
                Outcome(replace("c", "oc"), Status.DONE, "nc"),
                Outcome(old_half("b", "ob"), Status.DONE, "ob"),
                Outcome(old_half("c", "oc"), Status.SKIPPED, "oc")]
    console = Console(file=io.StringIO(), width=100)
    with Progress(console=console) as progress:
        task = progress.add_task("apply", total=len(changes))
        reporter = ProgressReporter(progress, task)
        for outcome in outcomes:
            reporter.report(outcome)
        assert progress.tasks[0].completed == len(changes)
