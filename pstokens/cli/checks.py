"""The config as validate, plan and apply accept it: valid, and within its own `rules:`.

Apart from the session so that `validate` reaches it without the API stack
(the session imports the HTTP client).
"""

from __future__ import annotations

from pstokens.cli.settings import Settings
from pstokens.config import Config, load_config
from pstokens.engine.rules import refuse_broken_rules


def load_checked_config(settings: Settings) -> Config:
    """The config file, refused (every finding located) when its tokens break its rules."""
    return checked(load_config(settings.config_path, organization=settings.org))


def checked(config: Config) -> Config:
    refuse_broken_rules(config)
    return config
