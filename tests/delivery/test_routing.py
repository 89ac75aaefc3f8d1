"""Per-token destinations: all of them or undelivered; folders cleaned on delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.config import parse_config
from pstokens.config.model import Config, Destination
from pstokens.delivery import (
    AllSinks,
    CommandSink,
    DirectorySink,
    NewSecret,
    PerTokenSink,
    forget_files,
)
from pstokens.errors import SecretDeliveryError
from pstokens.secret import Secret

SECRET = "pscale_tkn_Zq8rT2mWx9LpC4vB7nKd3FhJ6sYg1uE5aR0oI"


def item(key: str, token_id: str = "tok1") -> NewSecret:
    return NewSecret("acme", key, token_id, Secret(SECRET))


def _own(config: Config) -> dict[str, tuple[Destination, ...]]:
    return {k: s.deliver for k, s in config.tokens.items() if s.deliver is not None}


async def test_a_token_with_deliver_uses_its_list_and_others_the_default(tmp_path: Path) -> None:
    config = parse_config(
        "organization: acme\ntokens:\n"
        f"  ci:\n    deliver:\n      - dir: {tmp_path / 'own'}\n"
        f"      - command: cat > {tmp_path / 'ci.secret'}\n"
        "  other: {}\n"
    )
    sink = PerTokenSink(_own(config), DirectorySink(tmp_path / "default"))
    where = await sink.deliver(item("ci"))
    assert where.startswith(f'{tmp_path}/own/acme/ci.env, command "cat > /')
    assert (tmp_path / "ci.secret").read_text() == SECRET
    assert await sink.deliver(item("other")) == f"{tmp_path}/default/acme/other.env"
    assert not (tmp_path / "default" / "acme" / "ci.env").exists()
    assert not (tmp_path / "own" / "acme" / "other.env").exists()


async def test_one_failing_destination_fails_the_delivery_and_says_what_was_reached(
    tmp_path: Path,
) -> None:
    sink = AllSinks([DirectorySink(tmp_path), CommandSink("cat >/dev/null; exit 2")])
    with pytest.raises(SecretDeliveryError) as caught:
        await sink.deliver(item("ci"))
    assert caught.value.message == (
        "command \"cat >/dev/null; exit 2\" exited with status 2 for 'ci' (it printed nothing)"
        f" (after it reached {tmp_path}/acme/ci.env)"
    )


async def test_forget_removes_a_deleted_tokens_file_but_never_a_newer_one(tmp_path: Path) -> None:
    folder = DirectorySink(tmp_path)
    await folder.deliver(item("ci", "old1"))
    target = tmp_path / "acme" / "ci.env"
    await folder.deliver(item("ci", "new2"))  # the key's next token
    assert forget_files([str(tmp_path)], "acme", "ci", "old1") == []
    assert target.exists()
    assert forget_files([str(tmp_path)], "acme", "ci", "new2") == [str(target)]
    assert not target.exists()
    assert forget_files([str(tmp_path), str(tmp_path / "none")], "acme", "ci", "new2") == []


def test_folders_are_the_tokens_own_or_the_defaults(tmp_path: Path) -> None:
    config = parse_config(
        "organization: acme\ntokens:\n"
        f"  ci:\n    deliver: [dir: {tmp_path}/a, command: cat, dir: {tmp_path}/b]\n"
        "  other: {}\n  cmd:\n    deliver: [command: cat]\n"
    )
    sink = PerTokenSink(_own(config), DirectorySink(tmp_path / "d"))
    assert sink.folders("ci") == (f"{tmp_path}/a", f"{tmp_path}/b")
    assert sink.folders("other") == sink.folders("gone") == (f"{tmp_path}/d",)
    assert sink.folders("cmd") == ()
    assert PerTokenSink(_own(config), CommandSink("cat")).folders("other") == ()


async def test_a_folder_that_cannot_be_written_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SecretDeliveryError) as caught:
        await DirectorySink(blocker).deliver(item("ci"))
    assert caught.value.message.startswith(f"could not write the secret of 'ci' under {blocker}")
