"""The config as validate, plan and apply accept it: valid, and within its own `rules:`.

Apart from the session so that `validate` reaches it without the API stack
(the session imports the HTTP client).
"""

from __future__ import annotations

from pstokens.cli.settings import Settings
from pstokens.config import Config, load_config
from pstokens.engine.rules import check_config
from pstokens.errors import ConfigError
from pstokens.render.rules import config_problem


def load_checked_config(settings: Settings) -> Config:
    """The config file, refused (every finding located) when its tokens break its rules."""
    return checked(load_config(settings.config_path, organization=settings.org))


def checked(config: Config) -> Config:
    problems = [config_problem(v) for v in check_config(config)]
    if problems:
        raise ConfigError(problems, hint="change the token, or the rule it breaks")
    return config
