"""`retire_when_unused:` in pstokens.yaml: a duration, or a located problem."""

from __future__ import annotations

import pytest

from pstokens.config import parse_config
from pstokens.errors import ConfigError

HEAD = "organization: acme\ntokens:\n  ci:\n"  # the token body starts on line 4


def test_retire_when_unused_is_read_as_seconds_beside_overlap() -> None:
    config = parse_config(HEAD + "    overlap: 1h\n    retire_when_unused: 30m\n",
                          filename="p.yaml")
    assert (config.tokens["ci"].overlap, config.tokens["ci"].retire_when_unused) == (3600, 1800)
    assert parse_config(HEAD + "    ttl: 1d\n", filename="p.yaml").tokens["ci"] \
        .retire_when_unused is None


@pytest.mark.parametrize(("value", "expected"), [
    ("30", 'p.yaml:4:25: bad duration "30": use a positive whole number followed by s, m, h '
           "or d, e.g. 90d"),
    ("0m", 'p.yaml:4:25: bad duration "0m": use a positive whole number followed by s, m, h '
           "or d, e.g. 90d"),
    ("[1h]", "p.yaml:4:25: retire_when_unused must be a duration such as 90d, not a list"),
])
def test_a_bad_value_is_an_error_at_its_line_and_column(value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(HEAD + f"    retire_when_unused: {value}\n    overlap: soon\n",
                     filename="p.yaml")
    shown = [str(p) for p in caught.value.problems]
    assert shown[0] == expected
    assert shown[1].startswith('p.yaml:5:14: bad duration "soon"')  # every problem at once


def test_a_misspelt_key_gets_a_suggestion() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(HEAD + "    retire_when_unsed: 30m\n", filename="p.yaml")
    assert 'did you mean "retire_when_unused"?' in str(caught.value.problems[0])
