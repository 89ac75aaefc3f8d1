"""Durations need a unit, are positive, and say how to write them when wrong."""

from __future__ import annotations

import pytest

from pstokens.config import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1),
        ("90s", 90),
        ("1m", 60),
        ("15m", 900),
        ("1h", 3600),
        ("12h", 43200),
        ("1d", 86400),
        ("90d", 7_776_000),
        ("36500d", 36500 * 86400),
    ],
)
def test_good_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "90",
        "d",
        "90x",
        "0d",
        "-1d",
        "+1d",
        "01d",
        "1.5d",
        "1D",
        "1 d",
        " 1d",
        "1d ",
        "1w",
        "1h30m",
        "\uff11d",  # a fullwidth digit
    ],
)
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"use a positive whole number followed by s, m, h or d, e\.g\. 90d"
    ):
        parse_duration(text)


@pytest.mark.parametrize("text", ["36501d", "9999999999999999999999d", "876001h"])
def test_durations_past_a_century_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


def test_the_bad_value_is_quoted_in_the_message() -> None:
    with pytest.raises(ValueError, match='bad duration "90x"'):
        parse_duration("90x")
