"""Making untrusted text safe to show: token names come from anyone who can create tokens.

A name can hold a newline that fakes a result line, an ANSI or OSC sequence
that drives the terminal, bidirectional overrides that reorder what is read,
words that pass for a plan line (`- prod-deploy  id abc123`), HTML and table
syntax that reshapes a job summary, or a URL that GitHub would make a link.
Every view passes names (and anything else the API or a plan file sent)
through one of these: `name` and `key` for a line of text, `markdown` for a page.
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
# A key shown bare: a valid key always is one, and such a word passes for nothing else.
_PLAIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# What GitHub's Markdown makes a link of by itself (GFM's autolink extension):
# `scheme://` (found at the `:`), `www.` (lower case only), and `local@domain` (also `mailto:`
# and `xmpp:`). An entity for the `:` or the first `w` hides them from the
# parser and reads the same; a zero-width space after `@` ends the would-be
# address (and @-mention) while the `@` still shows.
_AUTOLINKS = (
    (re.compile(r":(?=//)"), "&#58;"),
    (re.compile(r"w(?=ww\.)"), "&#119;"),
    (re.compile("@"), "@&#8203;"),
)


def terminal(text: str | None) -> str:
    """`text` with every control or invisible character written as an escape (`\\x1b`)."""
    if text is None:
        return ""
    if text.isascii() and text.isprintable():
        return text  # the common case, fast
    return "".join(_escape_char(c) for c in text)


def name(text: str | None) -> str:
    """A token name for a line of text: escaped, in double quotes (`"` and `\\`
    inside written `\\"`, `\\\\`). Quoted, no name starts a line or passes for
    the words around it; None is `(no name)`, which no quoted name can be."""
    if text is None:
        return "(no name)"
    return '"' + terminal(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def key(text: str | None) -> str:
    """A config key for a line of text: bare when it is a plain word, as every
    valid key is; otherwise quoted like a name (a saved plan is untrusted input)."""
    if text is not None and _PLAIN_WORD.fullmatch(text):
        return text
    return name(text)


def markdown(text: str | None) -> str:
    """`text` for a Markdown table cell or line: controls escaped, HTML made inert,
    Markdown and table syntax backslash-escaped, no link made of a URL or address."""
    plain = terminal(text)
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for pattern, replacement in _AUTOLINKS:
        plain = pattern.sub(replacement, plain)
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
