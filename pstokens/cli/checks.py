"""The config as validate, plan and apply accept it: valid, and within its own `rules:`.

Apart from the session so that `validate` reaches it without the API stack
(the session imports the HTTP client).
"""

from __future__ import annotations

from pstokens.cli.settings import Settings
from pstokens.config import Config, load_config
from pstokens.config.model import InvalidConfig
from pstokens.engine.rules import check_config, refuse_broken_rules
from pstokens.errors import ConfigError, RulesBroken
from pstokens.render.errors import rules_error


def load_checked_config(settings: Settings) -> Config:
    """The config file, refused (every finding located) when its tokens break its rules.
    A config with problems is refused with them and with what its readable part
    breaks of its rules, all at once."""
    try:
        config = load_config(settings.config_path, organization=settings.org)
    except InvalidConfig as exc:
        found = check_config(exc.partial)
        if not found:
            raise
        broken = rules_error(RulesBroken(found))
        every = sorted({*exc.problems, *broken.problems}, key=lambda p: (p.line, p.column))
        raise ConfigError(every, hint=exc.hint or broken.hint) from None
    return checked(config)


def checked(config: Config) -> Config:
    refuse_broken_rules(config)
    return config
