"""What pstokens uses when nothing says otherwise, and the rules every layer shares.

One home for each: the API's URL, where state and secrets go, what a key may
be, and what a lock timeout may be. The CLI, the adapters, the API client,
the stores and the delivery sinks all read them here; this module imports
nothing of pstokens but its errors, so every layer may.
"""

from __future__ import annotations

import re
from pathlib import Path

from pstokens.errors import UsageError

DEFAULT_API_URL = "https://api.planetscale.com/v1"
DEFAULT_SECRETS_DIR = Path(".pstokens/secrets")

# A key names a token in pstokens and becomes a file name (`<key>.env`).
TOKEN_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
# A token ID (or database name) goes into API paths as one segment: the API's rule,
# held for IDs read from a saved plan or a state file alike.
PATH_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
KEY_RULE = "use 1 to 63 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"


def default_state_path(organization: str) -> Path:
    """The state file when --state does not name one."""
    return Path("state") / f"{organization}.json"


def secret_file(folder: str | Path, organization: str, key: str) -> Path:
    """Where a `dir:` destination (or --secrets-dir) keeps `key`'s secret."""
    return Path(folder) / organization / f"{key}.env"


def lock_timeout(value: object) -> float:
    """--lock-timeout in seconds: a number, 0 or more (0 fails at once when the
    state is locked). NaN is refused, and a negative one would wait forever."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"--lock-timeout must be a number of seconds, not {value!r}",
                         hint="for example --lock-timeout 60") from None
    if not seconds >= 0:
        raise UsageError(f"--lock-timeout must be 0 or more seconds, not {value}",
                         hint="for example --lock-timeout 60") from None
    return seconds
