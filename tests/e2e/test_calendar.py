"""`pstokens calendar` end to end: what it writes parses with icalendar and holds an
event per expiry, rotation due date and overlap end, with UIDs stable across runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from tests.e2e.conftest import Cli, Emulator, write_config

CONFIG = """\
organization: acme
tokens:
  ci:
    ttl: 30d
    rotate_after: 7d
    overlap: 1d
  reporter: {}
"""


def _events(data: bytes | str) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _at(event: icalendar.Event) -> datetime:
    moment: datetime = event.decoded("DTSTART")
    return moment


def test_the_calendar_holds_expiries_rotations_and_overlap_ends(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve", "--secrets-dir", "secrets").code == 0
    [old] = emulator.by_name("ci")
    assert cli("apply", "--auto-approve", "--replace", "ci", "--secrets-dir", "secrets").code == 0
    [new] = [t for t in emulator.by_name("ci") if t["id"] != old["id"]]
    stranger, _ = emulator.store.create_token("acme", "evil\x1b[2J\nname", ttl=86400)

    result = cli("calendar", "--out", "tokens.ics")

    assert result.code == 0, result.err
    assert result.out == "Wrote 5 events for organization acme to tokens.ics.\n"
    events = _events((workdir / "tokens.ics").read_bytes())
    # The old token is no longer the key's: its overlap ends, it is not due for rotation.
    assert sorted(events) == sorted([
        f"{new['id']}.expires.acme@pstokens", f"{old['id']}.expires.acme@pstokens",
        f"{stranger['id']}.expires.acme@pstokens", f"{new['id']}.rotation_due.acme@pstokens",
        f"{old['id']}.overlap_ends.acme@pstokens",
    ])
    rotation = events[f"{new['id']}.rotation_due.acme@pstokens"]
    assert str(rotation["SUMMARY"]) == "pstokens: ci is due for rotation"
    created = datetime.fromisoformat(new["created_at"].replace("Z", "+00:00"))
    assert abs(_at(rotation) - (created + timedelta(days=7))) < timedelta(seconds=2)
    overlap = events[f"{old['id']}.overlap_ends.acme@pstokens"]
    assert str(overlap["SUMMARY"]) == "pstokens: overlap of ci's replaced token ends"
    assert timedelta(hours=23) < _at(overlap) - datetime.now(UTC) <= timedelta(days=1)
    expiry = events[f"{stranger['id']}.expires.acme@pstokens"]
    assert str(expiry["SUMMARY"]) == "pstokens: evil[2Jname expires"
    assert "not managed by pstokens" in str(expiry["DESCRIPTION"])
    raw = (workdir / "tokens.ics").read_bytes()
    assert b"\x1b" not in raw
    assert b"reporter" not in raw  # no ttl, no rotate_after: nothing falls due

    again = _events(cli("calendar").out)
    assert sorted(again) == sorted(events)


def test_a_calendar_into_a_missing_folder_is_refused_before_any_call(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    result = cli("calendar", "--out", "missing/tokens.ics")
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines()[0] == (
        "Error: cannot write the calendar to missing/tokens.ics: folder missing does not exist")
    assert emulator.stats()["total"] == 0
    assert sorted(p.name for p in workdir.iterdir()) == ["pstokens.yaml"]


def test_a_calendar_without_a_config_names_the_organization(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    token, _ = emulator.store.create_token("acme", "hand-made", ttl=3600)
    result = cli("--org", "acme", "calendar")
    assert result.code == 0, result.err
    [event] = _events(result.out).values()
    assert str(event["UID"]) == f"{token['id']}.expires.acme@pstokens"
