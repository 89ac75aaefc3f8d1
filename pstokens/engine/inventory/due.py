"""What falls due and when, for `pstokens calendar`: pure, over what a report read.

Three kinds of date: a live token's expiry, a managed token's rotation
(created + `rotate_after`, as the planner counts it), and the end of a
retiring token's overlap (`retire_at` in state). Past dates are kept: an
overdue rotation is still worth seeing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pstokens.config.model import Config
from pstokens.engine.inventory.report import Report
from pstokens.state.model import State


class DueKind(StrEnum):
    EXPIRES = "expires"  # the token stops working
    ROTATION_DUE = "rotation_due"  # the next apply replaces it (rotate_after)
    OVERLAP_ENDS = "overlap_ends"  # a replaced token's overlap ends; the next apply deletes it


@dataclass(frozen=True)
class Due:
    kind: DueKind
    at: datetime
    token_id: str
    name: str | None
    key: str | None  # the managing key; None for a token pstokens does not manage
    rotate_after: int | None = None  # ROTATION_DUE: the key's rotate_after, seconds


def due_dates(report: Report, config: Config | None, state: State) -> tuple[Due, ...]:
    """Every date of the report's live tokens, soonest first; `config` None (a report by
    --org alone) gives no rotations."""
    found: list[Due] = []
    live = {row.id: row for row in report.tokens}
    for row in report.tokens:
        if row.expires_at is not None:
            found.append(Due(DueKind.EXPIRES, row.expires_at, row.id, row.name, row.key))
        spec = config.tokens.get(row.key) if config is not None and row.key else None
        record = state.tokens.get(row.key) if row.key else None
        created = row.created_at or (record.created_at if record else None)
        if (spec is not None and spec.rotate_after is not None and record is not None
                and record.id == row.id and created is not None):
            found.append(Due(DueKind.ROTATION_DUE, created + timedelta(seconds=spec.rotate_after),
                             row.id, row.name, row.key, spec.rotate_after))
    for key, record in state.tokens.items():
        for token_id, at in record.retire_at.items():
            held = live.get(token_id)
            if held is not None and token_id in record.retiring:
                found.append(Due(DueKind.OVERLAP_ENDS, at, token_id, held.name, key))
    return tuple(sorted(found, key=lambda d: (d.at, d.kind, d.token_id)))
