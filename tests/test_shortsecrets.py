"""A credential too short to hunt inside words (`k`, `abc`) is masked as a whole word
only, wherever pstokens masks its own credentials (a policy's messages, API error
bodies); a long one as before."""

from __future__ import annotations

from pstokens.api.auth import Credentials
from pstokens.delivery.scrub import MIN_RUN
from pstokens.shortsecrets import SHORT, mask_words, short


def test_short_is_scrubs_run() -> None:
    assert SHORT == MIN_RUN


def test_a_short_secret_is_masked_as_a_whole_word_in_any_case() -> None:
    text = "kate keeps k; K-9 and abc, abcdef ABC."
    assert mask_words(text, ["k", "abc"], "*") == "kate keeps *; *-9 and *, abcdef *."


def test_secrets_part_at_the_run() -> None:
    assert short(["k", "", "abcdefg", "abcdefgh"]) == (["abcdefgh"], ["k", "abcdefg"])


def test_an_api_error_echoing_a_short_key_keeps_its_words() -> None:
    credentials = Credentials.bearer("k")
    said = credentials.redact("bad key k in header Authorization: Bearer k; ask kate")
    assert said == "bad key *** in header Authorization: ***; ask kate"
    long = Credentials.bearer("pscale_long_api_key_0123")
    assert long.redact("key pscale_long_api_key_0123 kept") == "key *** kept"
