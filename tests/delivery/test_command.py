"""The command destination: stdin, environment, failures shown scrubbed, hangs stopped."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pstokens.delivery import CommandSink, NewSecret
from pstokens.delivery.command import stdin_body
from pstokens.delivery.scrub import MASK
from pstokens.destinations import StdinForm
from pstokens.errors import SecretDeliveryError
from pstokens.secret import Secret

SECRET = "pscale_tkn_Zq8rT2mWx9LpC4vB7nKd3FhJ6sYg1uE5aR0oI"
ITEM = NewSecret("acme", "ci", "tok123", Secret(SECRET), name="ci")


async def test_the_secret_alone_is_on_stdin_and_the_names_in_the_environment(
    tmp_path: Path,
) -> None:
    out = tmp_path / "got"
    command = (
        f'cat > {out}.stdin; printf "%s|%s|%s|%s" "$PSTOKENS_TOKEN_KEY" "$PSTOKENS_TOKEN_ID" '
        f'"$PSTOKENS_TOKEN_NAME" "$PSTOKENS_ORG" > {out}.env; echo "echoed $(cat {out}.stdin)"'
    )
    where = await CommandSink(command).deliver(ITEM)
    assert Path(f"{out}.stdin").read_text() == SECRET  # no newline, nothing else
    assert Path(f"{out}.env").read_text() == "ci|tok123|ci|acme"
    assert where.startswith('command "cat > ')


async def test_pstokens_own_credentials_are_not_in_the_commands_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN", "admin-secret")
    monkeypatch.setenv("PLANETSCALE_API_KEY", "admin-key")
    monkeypatch.setenv("VAULT_ADDR", "https://vault.example")
    out = tmp_path / "env"
    await CommandSink(f"cat >/dev/null; env > {out}").deliver(ITEM)
    seen = out.read_text()
    assert "admin-secret" not in seen and "admin-key" not in seen
    assert "VAULT_ADDR=https://vault.example" in seen  # the rest is passed on


async def test_a_failure_names_the_command_its_status_and_its_last_lines_scrubbed() -> None:
    command = 'secret=$(cat); echo "gh: HTTP 403 for $secret" >&2; echo "more" >&2; exit 4'
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(command).deliver(ITEM)
    message = caught.value.message
    assert message.startswith('command "secret=$(cat); echo')
    assert message.endswith(f"exited with status 4 for 'ci'; it printed: "
                            f"gh: HTTP 403 for {MASK} | more")
    assert SECRET not in str(caught.value) + (caught.value.hint or "")


async def test_stdout_is_shown_when_stderr_is_silent() -> None:
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink("cat >/dev/null; echo 'denied'; exit 1").deliver(ITEM)
    assert caught.value.message.endswith("exited with status 1 for 'ci'; it printed: denied")


async def test_a_command_that_prints_nothing_says_so() -> None:
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink("exit 3").deliver(ITEM)
    assert caught.value.message.endswith("exited with status 3 for 'ci' (it printed nothing)")


async def test_a_hanging_command_and_its_children_are_stopped_after_the_timeout(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"
    # A child that ignores SIGTERM, and the shell waiting for it: both must go.
    command = f"cat >/dev/null; (trap '' TERM; sleep 60) & echo $! > {pids}; wait"
    started = time.monotonic()
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(command, timeout=0.5).deliver(ITEM)
    assert time.monotonic() - started < 30
    assert "did not finish within 0.5 s for 'ci' and was stopped" in caught.value.message
    assert "`timeout:`" in (caught.value.hint or "")
    assert gone(int(pids.read_text()))


def gone(pid: int, within: float = 10) -> bool:
    """Whether `pid` is dead (or a zombie): SIGKILL is delivered at once, but
    reaping an orphan is its new parent's job, so this waits a little for it."""
    deadline = time.monotonic() + within
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


async def test_a_command_that_does_not_read_stdin_still_works() -> None:
    assert await CommandSink("true").deliver(ITEM) == 'command "true"'


async def test_a_command_that_cannot_start_is_a_delivery_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-shell-program"
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(str(missing)).deliver(ITEM)
    assert "exited with status 127" in caught.value.message


@pytest.fixture
def leftovers(tmp_path: Path) -> Iterator[Path]:
    """A file where a command writes the PIDs of the children it leaves behind;
    they are stopped when the test ends."""
    pids = tmp_path / "left-pids"
    yield pids
    for pid in pids.read_text().split() if pids.exists() else ():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


async def test_a_command_that_exits_0_leaving_a_child_on_its_output_is_delivered(
    leftovers: Path,
) -> None:
    command = f"cat >/dev/null; echo pushed; sleep 60 & echo $! >> {leftovers}; exit 0"
    assert await CommandSink(command, timeout=30).deliver(ITEM) == CommandSink(command).label
    assert not gone(int(leftovers.read_text()), within=0)  # judged by its exit: left alone


async def test_a_child_holding_the_output_is_not_waited_for(leftovers: Path) -> None:
    """The trial's `sh -c 'sleep 60 & exit 0'` made apply wait: the command's exit
    ends its delivery, whatever its child holds. The bound is far above what it
    takes (milliseconds) and far below what waiting would take (60 s)."""
    command = f"sh -c 'sleep 60 & echo $! >> {leftovers}; exit 0'"
    started = time.monotonic()
    await CommandSink(command, timeout=30).deliver(ITEM)
    assert time.monotonic() - started < 15
    assert not gone(int(leftovers.read_text()), within=0)


async def test_last_words_before_exit_are_read_though_a_child_holds_the_pipes(
    leftovers: Path,
) -> None:
    lines = " ".join(f"echo line-{n} >&2;" for n in range(2000))  # more than a pipe read
    command = f"cat >/dev/null; sleep 60 & echo $! >> {leftovers}; {lines} echo last >&2; exit 3"
    started = time.monotonic()
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(command, timeout=30).deliver(ITEM)
    assert time.monotonic() - started < 15
    assert caught.value.message.endswith("line-1999 | last")


async def test_a_failing_command_leaving_children_is_told_by_its_status_and_output(
    leftovers: Path,
) -> None:
    command = (f"cat >/dev/null; sleep 60 & echo $! >> {leftovers}; "
               f"setsid sleep 60 & echo $! >> {leftovers}; echo 'denied' >&2; exit 5")
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(command, timeout=30).deliver(ITEM)
    assert caught.value.message.endswith("exited with status 5 for 'ci'; it printed: denied")


async def test_a_failing_command_echoing_the_secret_as_hex_or_reversed_shows_neither(
    tmp_path: Path,
) -> None:
    command = ('secret=$(cat); printf "%s" "$secret" | od -An -tx1 >&2; '
               'printf "%s" "$secret" | od -An -tx1 | tr -d " \\n" | tr a-f A-F >&2; echo >&2; '
               'printf "%s\\n" "$secret" | rev >&2; exit 1')
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(command).deliver(ITEM)
    shown = caught.value.message.replace(" ", "").replace("|", "").lower()
    for form in (SECRET.encode().hex(), SECRET[::-1].lower()):
        for start in range(0, len(form) - 8):
            assert form[start : start + 8] not in shown, (form, caught.value.message)
    assert MASK in caught.value.message


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("env", f"PLANETSCALE_SERVICE_TOKEN_ID=tok123\nPLANETSCALE_SERVICE_TOKEN={SECRET}\n"),
        ("json", json.dumps({"id": "tok123", "token": SECRET})),
    ],
)
async def test_stdin_env_and_json_hold_the_id_and_the_secret_together(
    tmp_path: Path, form: StdinForm, expected: str,
) -> None:
    out = tmp_path / "got"
    command = f'cat > {out}; printf "%s|%s" "$PSTOKENS_TOKEN_KEY" "$PSTOKENS_TOKEN_ID" > {out}.env'
    await CommandSink(command, stdin=form).deliver(ITEM)
    assert out.read_text() == expected
    assert Path(f"{out}.env").read_text() == "ci|tok123"
    if form == "json":
        assert json.loads(out.read_text()) == {"id": "tok123", "token": SECRET}


@pytest.mark.parametrize("form", ["env", "json"])
@pytest.mark.parametrize(
    "echo",
    ["cat", "tr -d '\\n'", "base64", "base64 -w0 | cut -c3-", "od -An -tx1", "rev", "fold -w7"],
)
async def test_a_command_echoing_its_env_or_json_stdin_shows_no_secret(
    form: StdinForm, echo: str,
) -> None:
    """What it read holds the secret amid other text: every encoding is masked all the same."""
    command = f"{echo} >&2; exit 1"
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(command, stdin=form).deliver(ITEM)
    shown = caught.value.message
    flat = shown.replace(" ", "").replace("|", "")
    seen = [flat, *_base64_decoded(flat)]
    for form_text in (SECRET, SECRET[::-1], SECRET.encode().hex()):
        for start in range(0, len(form_text) - 8):
            assert all(form_text[start : start + 8] not in text for text in seen), (echo, shown)
    assert MASK in shown
    assert stdin_body(form, "tok123", SECRET).count(SECRET) == 1


def _base64_decoded(text: str) -> list[str]:
    """Every run of base64 characters in `text`, decoded at each of its alignments."""
    found = []
    for run in re.findall(r"[A-Za-z0-9+/]{8,}", text):
        for skip in range(4):
            part = run[skip:]
            part = part[: len(part) - len(part) % 4]
            found.append(base64.b64decode(part).decode("latin-1"))
    return found


async def test_a_child_that_keeps_writing_after_the_command_exits_is_not_read_forever(
    leftovers: Path,
) -> None:
    command = f"cat >/dev/null; yes & echo $! >> {leftovers}; exit 0"
    started = time.monotonic()
    await CommandSink(command, timeout=30).deliver(ITEM)
    assert time.monotonic() - started < 15


_PYTHON = "python3 -c"
# The third trial's echoes that got through: each a command that reads the secret and
# prints it transformed, then fails.
_TRANSFORMS = {
    "a dash after each character": "sed 's/./&-/g'",
    "even and odd characters on two lines": "awk '{a=\"\";b=\"\";for(i=1;i<=length($0);i++)"
    "if(i%2)a=a substr($0,i,1);else b=b substr($0,i,1);print a\" | \"b}'",
    "base64, reversed": "base64 -w0 | rev",
    "zlib, then base64": f"{_PYTHON} 'import sys,zlib,base64; "
    "print(base64.b64encode(zlib.compress(sys.stdin.buffer.read())).decode())'",
    "a JSON list of its characters": f"{_PYTHON} 'import sys,json; "
    "print(json.dumps(list(sys.stdin.read())))'",
    "the repr of its UTF-16": f"{_PYTHON} 'import sys; "
    "print(repr(sys.stdin.read().encode(\"utf-16-be\")))'",
    "xxd": "xxd",
    "od -c": "od -c",
    "bzip2, then hex": f"{_PYTHON} 'import sys,bz2; "
    "print(bz2.compress(sys.stdin.buffer.read()).hex())'",
    "base64 twice": "base64 -w0 | base64 -w0",
    # The fourth trial's.
    "six characters a line, numbered": "fold -w6 | nl",
    "four characters a line, numbered": "fold -w4 | nl",
    "five characters a line, last first": "fold -w5 | tac",
    "a binary dump": "xxd -b",
    "octal bytes": "od -An -to1",
    "octal bytes with offsets": "od -to1",
    "decimal bytes": f"{_PYTHON} 'import sys; print(list(sys.stdin.read().encode()))'",
    "HTML entities": f"{_PYTHON} 'import sys; "
    "print(\"\".join(\"&#%d;\" % ord(c) for c in sys.stdin.read()))'",
    "one big integer": f"{_PYTHON} 'import sys; "
    "print(int.from_bytes(sys.stdin.read().encode(), \"big\"))'",
    "a letter after each character": "sed 's/./&Z/g'",
    "each character twice": "sed 's/./&&/g'",
    "base64 of each four characters": "fold -w4 | while read l; do printf %s \"$l\" | base64; done",
    "rot13 of base64": "base64 -w0 | tr 'A-Za-z' 'N-ZA-Mn-za-m'",
    "gzip, base64, reversed": "gzip -c | base64 -w0 | rev",
    "rot47": "tr '!-~' 'P-~!-O'",
    "EBCDIC in hex": "dd conv=ebcdic 2>/dev/null | xxd -p",
    "one byte a line": "xxd -c1",
    "hexdump -C": "hexdump -C",
}


@pytest.mark.parametrize("echo", list(_TRANSFORMS.values()), ids=list(_TRANSFORMS))
async def test_a_command_echoing_the_secret_transformed_shows_no_piece_of_it(echo: str) -> None:
    """No four characters in a row of the secret's random part survive, read with
    letters and digits alone (so separators between them do not hide a piece)."""
    with pytest.raises(SecretDeliveryError) as caught:
        await CommandSink(f"{echo} >&2; exit 1").deliver(ITEM)
    shown = caught.value.message
    letters = re.sub(r"[^a-z0-9]", "", shown.lower())
    random_part = SECRET.removeprefix("pscale_tkn_").lower()
    pieces = {random_part[i : i + 4] for i in range(len(random_part) - 3)}
    assert not {p for p in pieces if p in letters}, shown
    assert MASK in shown and "exited with status 1" in shown
