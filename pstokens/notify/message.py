"""A notification as a value: what the renderers say and the sender posts.

Kept free of HTTP so render/ can build one; the body is made here so both
formats (JSON for scripts, Slack's `{"text": ...}`) come from the same value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pstokens.config.model import NotifyEvent, NotifyFormat


@dataclass(frozen=True)
class Notice:
    """One event of one run. `text` is plain text and `slack` the same for Slack's
    mrkdwn, untrusted parts (token names, errors) escaped for each; `details` are
    extra fields for JSON receivers. None of it may hold a secret."""

    event: NotifyEvent
    organization: str
    summary: Mapping[str, int]
    text: str
    slack: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def body(self, fmt: NotifyFormat) -> bytes:
        if fmt == "slack":
            data: dict[str, Any] = {"text": self.slack}
        else:
            data = {"event": str(self.event), "organization": self.organization,
                    "summary": dict(self.summary), "text": self.text, **self.details}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
