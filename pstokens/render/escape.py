"""Making untrusted text safe to show: token names come from anyone who can create tokens.

A name can hold a newline that fakes a result line, an ANSI or OSC sequence
that drives the terminal, bidirectional overrides that reorder what is read,
or HTML and table syntax that reshapes a job summary. Every view passes
names (and anything else the API sent) through one of these.
"""

from __future__ import annotations

import re
import unicodedata

# Control (Cc), format (Cf: bidi overrides, zero-width), line and paragraph
# separators, surrogates and unassigned code points are shown escaped.
_HIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
# Inline syntax that works inside a table cell; a cell never starts a line, so
# block syntax (`#`, `-`, `>`) is inert there.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def terminal(text: str | None) -> str:
    """`text` with every control or invisible character written as an escape (`\\x1b`)."""
    if text is None:
        return ""
    if text.isascii() and text.isprintable():
        return text  # the common case, fast
    return "".join(_escape_char(c) for c in text)


def markdown(text: str | None) -> str:
    """`text` for a Markdown table cell or line: controls escaped, HTML made inert,
    Markdown and table syntax backslash-escaped."""
    plain = terminal(text)
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    plain = plain.replace("@", "&#64;")  # no @-mention pings from a job summary
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain)


def _escape_char(char: str) -> str:
    if unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
