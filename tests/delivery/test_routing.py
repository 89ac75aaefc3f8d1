"""Per-token destinations, each one a unit delivered in turn; folders cleaned on delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from pstokens.config import parse_config
from pstokens.config.model import Config
from pstokens.delivery import (
    AllSinks,
    CommandSink,
    DirectorySink,
    NewSecret,
    PerTokenSink,
    forget_files,
)
from pstokens.destinations import Destination
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


@pytest.mark.parametrize("failing_first", [False, True])
async def test_each_destination_is_a_unit_and_a_failure_stops_the_ones_after_it(
    tmp_path: Path, failing_first: bool
) -> None:
    folders = [DirectorySink(tmp_path / "a"), DirectorySink(tmp_path / "b")]
    for folder in folders:
        await folder.deliver(item("ci", "old1"))
    working = [(f.root / "acme" / "ci.env").read_text() for f in folders]
    copied = CommandSink(f"cat > {tmp_path / 'copy'}")
    failing = CommandSink("cat >/dev/null; exit 2")
    sinks = [failing, folders[0], copied, folders[1]] if failing_first else [
        folders[0], copied, failing, folders[1]]
    reached: list[str] = []
    with pytest.raises(SecretDeliveryError) as caught:
        await AllSinks(sinks).deliver(item("ci", "new2"), reached.append)
    files = [(f.root / "acme" / "ci.env").read_text() for f in folders]
    assert [p for p in tmp_path.rglob("*") if p.suffix == ".tmp"] == []
    message = ("command \"cat >/dev/null; exit 2\" exited with status 2 for 'ci' "
               "(it printed nothing)")
    if failing_first:  # nothing was tried before it, nothing after it
        assert caught.value.message == message and reached == []
        assert files == working and not (tmp_path / "copy").exists()
    else:  # those before it hold the new token, whole; the one after it the old
        assert reached == [f"{tmp_path}/a/acme/ci.env", copied.label]
        assert caught.value.message.startswith(f"{message} (after it reached {tmp_path}/a/")
        assert "PLANETSCALE_SERVICE_TOKEN_ID=new2\n" in files[0]
        assert files[1] == working[1]
        assert (tmp_path / "copy").read_text() == SECRET


async def test_destinations_are_named_in_order_as_reached_names_them(tmp_path: Path) -> None:
    sinks = AllSinks([DirectorySink(tmp_path), CommandSink("cat >/dev/null")])
    assert sinks.destinations(item("ci")) == (f"{tmp_path}/acme/ci.env",
                                              'command "cat >/dev/null"')
    reached: list[str] = []
    await sinks.deliver(item("ci"), reached.append)
    assert tuple(reached) == sinks.destinations(item("ci"))


async def test_a_folder_that_cannot_be_staged_runs_no_command(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    ran = tmp_path / "ran"
    with pytest.raises(SecretDeliveryError, match="could not write the secret of 'ci'"):
        await AllSinks([CommandSink(f"cat > {ran}"), DirectorySink(blocker)]).deliver(item("ci"))
    assert not ran.exists()


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
