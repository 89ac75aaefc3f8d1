"""`pstokens calendar` as iCalendar (RFC 5545), written by the icalendar library.

One event per due date, at its moment in UTC. A UID is made of the token ID,
the kind and the organization, so a calendar subscribed to the file updates
its events instead of duplicating them. Names come from anyone: the library
escapes what RFC 5545 needs, and control and invisible characters are dropped
first so no client is handed one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar

from pstokens import __version__
from pstokens.engine.inventory.due import Due, DueKind
from pstokens.render.rules import duration

_HIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
_TITLE = {
    DueKind.EXPIRES: "{who} expires",
    DueKind.ROTATION_DUE: "{who} is due for rotation",
    DueKind.OVERLAP_ENDS: "overlap of {who}'s replaced token ends",
}


def render_calendar(organization: str, dates: Iterable[Due], now: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//pstokens//pstokens {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"pstokens: {plain(organization)}")
    for due in dates:
        calendar.add_component(_event(organization, due, now))
    data: bytes = calendar.to_ical()
    return data


def uid(organization: str, due: Due) -> str:
    return f"{plain(due.token_id)}.{due.kind}.{plain(organization)}@pstokens"


def plain(text: str | None) -> str:
    """`text` without control or invisible characters (a newline or an escape sequence in
    a token name must not reach a calendar client)."""
    return "".join(c for c in text or "" if unicodedata.category(c) not in _HIDDEN)


def _event(organization: str, due: Due, now: datetime) -> icalendar.Event:
    name = plain(due.name) or "(no name)"
    who = plain(due.key) if due.key else name
    event = icalendar.Event()
    event.add("uid", uid(organization, due))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", due.at.astimezone(UTC))
    event.add("summary", f"pstokens: {_TITLE[due.kind].format(who=who)}")
    event.add("description", _description(organization, due, name))
    event.add("categories", ["pstokens", str(due.kind)])
    event.add("transp", "TRANSPARENT")
    return event


def _description(organization: str, due: Due, name: str) -> str:
    managed = f"key {plain(due.key)}" if due.key else "not managed by pstokens"
    lines = [f"Token {name} [id {plain(due.token_id)}, {managed}] in organization "
             f"{plain(organization)}."]
    if due.kind is DueKind.EXPIRES:
        lines.append("It stops working then."
                     + (" `pstokens apply --replace KEY` replaces it sooner." if due.key else ""))
    elif due.kind is DueKind.ROTATION_DUE:
        assert due.rotate_after is not None
        lines.append(f"rotate_after {duration(due.rotate_after)} is reached: the next "
                     "`pstokens apply` replaces it.")
    else:
        lines.append("Its overlap ends: the next `pstokens apply` deletes it.")
    return "\n".join(lines)
