"""A command's output is shown only with the secret masked, however it was echoed."""

from __future__ import annotations

import base64
import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pstokens.delivery.scrub import MASK, last_lines, scrub

SECRET = "pscale_tkn_Zq8rT2mWx9LpC4vB7nKd3FhJ6sYg1uE5aR0oI"


def test_a_verbatim_secret_is_masked_and_the_rest_kept() -> None:
    assert scrub(f"error: got {SECRET} twice {SECRET}.", [SECRET]) == (
        f"error: got {MASK} twice {MASK}."
    )


def test_a_secret_folded_over_lines_is_masked() -> None:
    folded = "\n".join(SECRET[i : i + 10] for i in range(0, len(SECRET), 10))
    shown = scrub(f"begin\n{folded}\nend", [SECRET])
    assert shown == f"begin\n{MASK}\nend"


def test_part_of_a_secret_is_masked() -> None:
    shown = scrub(f"value={SECRET[5:30]}...", [SECRET])
    assert SECRET[5:30] not in shown and shown.startswith("value=")


@given(st.text(alphabet="ab", max_size=5), st.integers(0, 2))
def test_the_base64_of_a_secret_is_masked_at_any_alignment(prefix: str, pad: int) -> None:
    blob = base64.b64encode(("x" * pad + f"token: {SECRET}\n").encode()).decode()
    shown = scrub(f"data:\n  token: {prefix}{blob}\n", [SECRET])
    assert base64.b64decode(blob).decode().count(SECRET) == 1
    inner = base64.b64encode(SECRET[3:].encode()).decode()[4:20]
    assert inner not in shown.replace("\n", "")
    assert MASK in shown


def test_last_lines_are_scrubbed_and_escaped() -> None:
    data = ("\n".join(f"line {n}" for n in range(30)) + f"\n\x1b[31mleaked {SECRET}\n").encode()
    lines = last_lines(data, [SECRET], count=3)
    assert lines == ["line 28", "line 29", f"\\x1b[31mleaked {MASK}"]


def test_text_without_the_secret_is_unchanged() -> None:
    text = "gh: HTTP 403: Resource not accessible by integration\n"
    assert scrub(text, [SECRET]) == text


def test_the_hex_of_a_secret_is_masked_in_either_case_and_spaced() -> None:
    hexed = SECRET.encode().hex()
    spaced = " ".join(hexed[i : i + 2] for i in range(0, len(hexed), 2))
    for shown in (scrub(f"x={hexed}", [SECRET]), scrub(f"X={hexed.upper()[6:40]}", [SECRET]),
                  scrub(f"0000000 {spaced}\n", [SECRET])):
        assert shown.rstrip().endswith(MASK), shown
        assert hexed[10:18] not in shown.lower().replace(" ", "")


def test_a_reversed_secret_is_masked() -> None:
    assert scrub(f"got {SECRET[::-1]}!", [SECRET]) == f"got {MASK}!"


@given(st.text(alphabet="ab", max_size=7), st.integers(0, 4), st.booleans())
def test_the_base32_of_a_secret_is_masked_at_any_alignment_either_way_up(
    prefix: str, pad: int, lower: bool
) -> None:
    blob = base64.b32encode(("x" * pad + f"token: {SECRET}\n").encode()).decode()
    blob = blob.lower() if lower else blob
    shown = scrub(f"data: {prefix}{blob}\n", [SECRET])
    inner = base64.b32encode(SECRET[5:].encode()).decode()[8:24]
    assert inner.lower() not in shown.lower()
    assert MASK in shown


def test_a_url_encoded_secret_is_masked() -> None:
    from urllib.parse import quote, quote_plus

    odd = "a+b/c=d e&f?g%h+i/j=k l&m?n%o"  # no 8 characters in a row survive encoding
    for encoded in (quote(odd, safe=""), quote_plus(odd)):
        shown = scrub(f"GET /hook?token={encoded}&x=1", [odd])
        assert shown == f"GET /hook?token={MASK}&x=1", shown


def _every_byte_escaped(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


@pytest.mark.parametrize("form", [
    _every_byte_escaped(SECRET),  # the trial's urlq_all: not one character left as it was
    base64.b64encode(SECRET[::-1].encode()).decode(),  # two promised forms at once
    SECRET.upper(),
    codecs.encode(SECRET, "rot13"),
    SECRET[::-1].encode().hex(),
], ids=["every byte URL-escaped", "base64 of the reversed secret", "upper-cased", "rot13",
        "hex of the reversed secret"])
def test_a_secret_echoed_in_a_form_of_a_form_is_masked(form: str) -> None:
    shown = scrub(f"it printed: {form} and then stopped", [SECRET])
    assert shown.startswith("it printed: ") and shown.endswith(" and then stopped")
    assert form[8:-8] not in shown and MASK in shown


def test_colon_separated_hex_of_a_secret_is_masked() -> None:
    """The second trial: `bytes.hex(":")`, as openssl and xxd-style tools print it."""
    shown = scrub("dump: " + SECRET.encode().hex(":"), [SECRET])
    assert SECRET.encode().hex(":")[24:-24] not in shown and MASK in shown


def test_a_gzip_stream_in_base64_holding_the_secret_is_masked_whole_or_cut() -> None:
    import gzip

    blob = base64.encodebytes(gzip.compress(f"token: {SECRET}\n".encode() * 3)).decode()
    assert scrub(f"it printed: {blob}gh: 403", [SECRET]) == f"it printed: {MASK}\ngh: 403"
    assert scrub(f"cut: {blob[:40]}", [SECRET]) == f"cut: {MASK}"
    harmless = base64.b64encode(gzip.compress(b"hello world")).decode()
    assert scrub(f"x {harmless} y", [SECRET]) == f"x {harmless} y"


@pytest.mark.parametrize("text", [
    "gh: HTTP 403: Resource not accessible by integration",
    "curl: (7) Failed to connect to vault.internal port 8200: Connection refused",
    "Error: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 mismatch",
    "aws: error: argument --secret-id: expected one argument (/usr/local/aws-cli/v2/current)",
    '{"error":"invalid_grant","error_description":"Token has been expired or revoked."}',
    'kubectl: not found: "pscale" in "default" 550e8400-e29b-41d4-a716-446655440000',
    base64.b64encode(b"an unrelated blob of bytes, not the secret at all").decode(),
])
def test_a_commands_own_words_are_kept_whole(text: str) -> None:
    """Reading the output several ways does not mask what merely looks like a secret."""
    assert scrub(f"it printed: {text}", [SECRET]) == f"it printed: {text}"


def test_a_piece_left_by_a_hex_dumps_last_line_is_masked_near_the_rest() -> None:
    """`od -c` prints 16 characters a line: the last line's short piece goes too."""
    dump = "\n".join(f"{16 * n:07o}   " + "   ".join(SECRET[16 * n : 16 * n + 16])
                     for n in range(len(SECRET) // 16 + 1))
    shown = scrub(dump, [SECRET])
    tail = SECRET[-(len(SECRET) % 16):]
    assert " ".join(tail) not in shown and MASK in shown


def test_a_secret_split_into_every_third_character_is_masked() -> None:
    lines = "\n".join(SECRET[start::3] for start in range(3))
    assert scrub(lines, [SECRET]) == MASK  # lines in a row of one secret: one mask


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=400))
def test_text_holding_no_secret_comes_back_unchanged(text: str) -> None:
    assert scrub(text, [SECRET]) == text


def test_the_words_next_to_a_masked_secret_are_kept() -> None:
    """Several credentials at once (pstokens masks policy messages with all of its
    own): the words beside a mask stay whole."""
    others = ["e2e-test-api-key-3f9c1a77", "aws-secret-policyleak"]
    assert scrub(f"quoted: {SECRET} here", [SECRET, *others]) == f"quoted: {MASK} here"


def test_a_short_secrets_split_pieces_are_not_hunted_in_other_words() -> None:
    """Every fourth character of a 12-character key is three letters: not looked for."""
    key = "k3y-abc-9876"
    text = "job ka9 failed at step yc7 (runner 3b8)"  # its every-fourth characters
    assert scrub(text, [key]) == text
    assert scrub(f"key={key}", [key]) == f"key={MASK}"
