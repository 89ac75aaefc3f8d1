"""Errors in words: the engine raises typed errors, this says what they mean.

A config that breaks its own rules carries its findings, a stale saved plan
what moved; both are worded here, for the CLI and the adapters alike. Any
other error already is its own sentence.
"""

from __future__ import annotations

from pstokens.engine.rules.guardrails import ConfigViolation
from pstokens.errors import ConfigError, PstokensError, RulesBroken, StalePlan
from pstokens.render.rules import config_problem


def describe(exc: PstokensError) -> str:
    """The error's sentence(s), without its hint."""
    if isinstance(exc, RulesBroken):
        return rules_error(exc).message
    if isinstance(exc, StalePlan) and exc.moved:
        from pstokens.render.stale import stale_text

        return stale_text(exc)
    return exc.message


def rules_error(exc: RulesBroken) -> ConfigError:
    """The findings as a config error, each located at FILE:LINE:COL."""
    problems = [config_problem(f) for f in exc.findings if isinstance(f, ConfigViolation)]
    return ConfigError(problems, hint=exc.hint)
