"""Reading and validating `pstokens.yaml`."""

from pstokens.config.model import AccessMap, Config, TokenSpec, UnmanagedPolicy

__all__ = ["AccessMap", "Config", "TokenSpec", "UnmanagedPolicy"]
