"""Reading the file: missing, unreadable, too big or not UTF-8, each said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.config import Config, load_config, parse_config
from pstokens.config.load import MAX_CONFIG_BYTES
from pstokens.errors import ConfigError, PstokensError

from .good_configs import MINIMAL


def test_missing_file_names_it_and_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(PstokensError) as caught:
        load_config(path)
    assert not isinstance(caught.value, ConfigError)
    assert str(caught.value) == f"config file {path} not found"
    assert caught.value.hint is not None
    assert "-c" in caught.value.hint


def test_a_directory_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(PstokensError, match="is a directory"):
        load_config(tmp_path)


def test_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(MINIMAL.encode() + b"#" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"larger than {MAX_CONFIG_BYTES >> 20} MiB" in caught.value.problems[0].message


def test_text_larger_than_the_limit_is_refused() -> None:
    with pytest.raises(ConfigError, match=f"larger than {MAX_CONFIG_BYTES >> 20} MiB"):
        parse_config(MINIMAL + "#" + "é" * (MAX_CONFIG_BYTES // 2))


def test_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    data = MINIMAL.encode() + b"#"
    path.write_bytes(data + b"x" * (MAX_CONFIG_BYTES - len(data)))
    assert load_config(path).organization == "acme"


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("organization: acme\ntokens: {}\n# café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, 6)
    assert "not UTF-8" in problem.message
    assert "0xE9" in problem.message
    assert caught.value.hint == "save the file as UTF-8"


def test_column_of_a_bad_byte_counts_characters_not_bytes(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes("# ééé".encode() + b"\xff\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert (caught.value.problems[0].line, caught.value.problems[0].column) == (1, 6)


def test_utf16_file_is_refused_as_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(MINIMAL.encode("utf-16"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(path) == Config("acme", {}, path=str(path))


def test_windows_line_endings_keep_positions(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"organization: acme\r\ntokens:\r\n  ci: {ttl: 9x}\r\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert (caught.value.problems[0].line, caught.value.problems[0].column) == (3, 13)


def test_load_config_passes_the_organization_on(tmp_path: Path) -> None:
    path = tmp_path / "pstokens.yaml"
    path.write_text("tokens: {}\n", encoding="utf-8")
    assert load_config(path, organization="acme").organization == "acme"
    path.write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(PstokensError, match="refuses to guess"):
        load_config(path, organization="other")
