"""Each bad config in the shared table fails with its problem, at its position."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.config import load_config, parse_config
from pstokens.errors import ConfigError

from .bad_configs import BAD_CONFIGS, BadConfig

# Cases whose one cause shows in several places; the table's problem comes first.
MANY_PROBLEMS = {"billion-laughs"}


def test_the_table_is_large_and_ids_are_unique() -> None:
    ids = [case.id for case in BAD_CONFIGS]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=lambda case: case.id)
def test_bad_config_is_reported_at_its_position(case: BadConfig) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(case.text)
    problems = caught.value.problems
    first = problems[0]
    assert case.message in first.message, [str(p) for p in problems]
    assert (first.line, first.column) == (case.line, case.column), str(first)
    assert first.file == "pstokens.yaml"
    if case.id not in MANY_PROBLEMS:
        assert len(problems) == 1, [str(p) for p in problems]
    assert f"pstokens.yaml:{case.line}:{case.column}: " in str(caught.value)


@pytest.mark.parametrize("case", BAD_CONFIGS[:10], ids=lambda case: case.id)
def test_bad_config_file_names_the_file_it_was_read_from(case: BadConfig, tmp_path: Path) -> None:
    path = tmp_path / "conf.yaml"
    path.write_bytes(case.text.encode("utf-8"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value.problems[0]).startswith(f"{path}:{case.line}:{case.column}: ")
