"""Reading and validating `pstokens.yaml`.

`load_config` and `parse_config` return a `Config` or raise ConfigError with
every problem in the file, each at its line and column; see `load` for why
nothing else can escape.
"""

from pstokens.config.duration import format_duration, parse_duration
from pstokens.config.load import load_config, parse_config
from pstokens.config.model import AccessMap, Config, Rules, TokenSpec, UnmanagedPolicy

__all__ = [
    "AccessMap",
    "Config",
    "Rules",
    "TokenSpec",
    "UnmanagedPolicy",
    "format_duration",
    "load_config",
    "parse_config",
    "parse_duration",
]
