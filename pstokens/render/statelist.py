"""`state list` as lines: each key and its token ID, escaped like every other view.

State is a file anyone with write access to it (or its S3 bucket) can edit, so a
key or ID is untrusted text: a newline in it must not fake a line of the list,
nor an escape sequence drive the terminal.
"""

from __future__ import annotations

from pstokens.render.escape import key as shown_key
from pstokens.render.escape import terminal
from pstokens.state.model import State


def state_lines(state: State) -> list[str]:
    """One line per key, sorted: `KEY<TAB>ID`, and what is unfinished about it."""
    lines = []
    for key, record in sorted(state.tokens.items()):
        extra = "" if record.delivered else "  (secret not delivered)"
        pending = "  (create in progress)" if record.pending_since and not record.id else ""
        lines.append(f"{shown_key(key)}\t{terminal(record.id) or '-'}{extra}{pending}")
    return lines
