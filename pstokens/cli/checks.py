"""The config as validate, plan and apply accept it: valid, and within its own `rules:`.

Apart from the session so that `validate` reaches it without the API stack
(the session imports the HTTP client).
"""

from __future__ import annotations

from pstokens.config import Config
from pstokens.engine.rules import refuse_broken_rules


def checked(config: Config) -> Config:
    refuse_broken_rules(config)
    return config
