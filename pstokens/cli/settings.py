"""Global options, read from flags or the environment, resolved in one place.

Each global option is accepted before or after the command; whichever place
names it wins over the environment, which wins over the default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from pstokens.defaults import DEFAULT_API_URL, default_state_path, lock_timeout
from pstokens.errors import UsageError

EMULATOR_DATA = Path(".pstokens/emulator.json")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    config_path: Path
    state: str | None  # a path, or s3://BUCKET/KEY
    org: str | None
    api_url: str
    emulator: bool
    parallelism: int
    rate_limit: int | None  # None: the default for the target (600, or off on the emulator)
    debug: bool
    lock_timeout: float = 0.0  # seconds to wait for the state lock; 0 fails at once
    no_color: bool = False
    config_named: bool = False  # -c or PSTOKENS_CONFIG: a missing file is then an error

    def state_location(self, organization: str) -> str:
        """--state (a path or an s3:// URL), else the default file for the organization."""
        return self.state or str(default_state_path(organization))


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None and value is not False:
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj[param.name] = value
    return value


# Each global option: its declarations (flags, then the name it is kept under), and
# click's settings for it.
GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("-c", "--config", "config"), {
        "type": click.Path(dir_okay=False),
        "help": "Config file [env PSTOKENS_CONFIG; default pstokens.yaml]."}),
    (("--state", "state"), {
        "metavar": "FILE|s3://BUCKET/KEY",
        "help": "State file or S3 object [env PSTOKENS_STATE; default "
                "state/<organization>.json]."}),
    (("--org", "org"), {"help": "Organization [env PLANETSCALE_ORG]."}),
    (("--api-url", "api_url"), {
        "help": f"API base URL [env PLANETSCALE_API_URL; default {DEFAULT_API_URL}]."}),
    (("--emulator", "emulator"), {
        "is_flag": True, "default": False,
        "help": "Use the embedded emulator in .pstokens/ [env PSTOKENS_EMULATOR=1]."}),
    (("--parallelism", "parallelism"), {
        "type": int, "help": "API calls in flight at most [env PSTOKENS_PARALLELISM; "
                             "default 10]."}),
    (("--rate-limit", "rate_limit"), {
        "type": int, "help": "Requests a minute, paced; 0 turns pacing off "
                             "[env PSTOKENS_RATE_LIMIT; default 600]."}),
    (("--lock-timeout", "lock_timeout"), {
        "type": float, "metavar": "SECONDS",
        "help": "Seconds to wait for the state lock [env PSTOKENS_LOCK_TIMEOUT; default 0: "
                "fail at once]."}),
    (("--no-color", "no_color"), {
        "is_flag": True, "default": False,
        "help": "No colour, even on a terminal [env NO_COLOR, any value]."}),
    (("--debug", "debug"), {
        "is_flag": True, "default": False,
        "help": "Log API calls (credentials and secrets redacted) and show tracebacks."}),
)


def global_options(func: F) -> F:
    """The options every command takes, before or after its name.

    A command's own option of the same flag wins (emulator's `--org` and
    `--rate-limit` say what it serves): still accepted after the command, with
    the command's meaning.
    """
    taken = {o for p in getattr(func, "__click_params__", []) for o in p.opts}
    before = len(getattr(func, "__click_params__", []))
    for decls, settings in reversed(GLOBAL_OPTIONS):
        if not taken & set(decls[:-1]):
            func = click.option(*decls, **settings)(func)
    for param in getattr(func, "__click_params__", [])[before:]:
        param.expose_value = False
        param.callback = _remember
    return func


# What only a command that reads state or calls the API uses.
API_OPTIONS = ("state", "api_url", "emulator", "parallelism", "rate_limit", "lock_timeout")


def offline_options(func: F) -> F:
    """The global options for a command that reads no state and calls no API: each
    is still accepted (a shared alias or variable may pass it), but only those it
    uses are listed in its --help."""
    return _hide(global_options(func), API_OPTIONS)


def _hide(func: F, names: tuple[str, ...]) -> F:
    """Leave global options `names` out of `func`'s --help (never its own options)."""
    for param in getattr(func, "__click_params__", []):
        if isinstance(param, click.Option) and param.callback is _remember \
                and param.name in names:
            param.hidden = True
    return func


def standalone_options(func: F) -> F:
    """The global options for a command that reads neither config, state nor API
    (`show`, `schema`): each is accepted, so a shared alias or variable may pass it,
    and only --no-color and --debug are listed in its --help."""
    return _hide(global_options(func), (*API_OPTIONS, "config", "org"))


def resolve(obj: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env

    def pick(name: str, var: str) -> Any:
        value = obj.get(name)
        return value if value is not None else env.get(var) or None

    emulator = bool(obj.get("emulator")) or _flag(env.get("PSTOKENS_EMULATOR"))
    if emulator and obj.get("api_url") is not None:
        # Either would be silently ignored: an explicit --api-url is refused instead.
        # PLANETSCALE_API_URL in the environment is only a default, which the emulator
        # overrides.
        raise UsageError(
            "--api-url and the embedded emulator (--emulator or PSTOKENS_EMULATOR=1) "
            "cannot be used together",
            hint="drop --api-url to use the emulator, or drop --emulator and unset "
            "PSTOKENS_EMULATOR to call that API",
        )
    return Settings(
        config_path=Path(pick("config", "PSTOKENS_CONFIG") or "pstokens.yaml"),
        state=pick("state", "PSTOKENS_STATE"),
        org=pick("org", "PLANETSCALE_ORG"),
        api_url=str(pick("api_url", "PLANETSCALE_API_URL") or DEFAULT_API_URL).rstrip("/"),
        emulator=emulator,
        parallelism=_int(pick("parallelism", "PSTOKENS_PARALLELISM"), "parallelism", 10, 1),
        rate_limit=_int_or_none(pick("rate_limit", "PSTOKENS_RATE_LIMIT"), "rate-limit"),
        debug=bool(obj.get("debug")),
        lock_timeout=_seconds(pick("lock_timeout", "PSTOKENS_LOCK_TIMEOUT")),
        no_color=no_color(obj, env),
        config_named=pick("config", "PSTOKENS_CONFIG") is not None,
    )


def no_color(obj: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    """--no-color, or NO_COLOR set to anything (https://no-color.org)."""
    return bool(obj.get("no_color")) or "NO_COLOR" in env


def _seconds(value: Any) -> float:
    return 0.0 if value is None else lock_timeout(value)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _int(value: Any, name: str, default: int, minimum: int) -> int:
    result = _int_or_none(value, name)
    if result is None:
        return default
    if result < minimum:
        raise UsageError(f"--{name} must be at least {minimum}, not {result}",
                         hint=f"leave it out for the default, {default}")
    return result


def _int_or_none(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{name} must be a whole number, not {value!r}",
                         hint=f"for example --{name} 10") from None
    if result < 0:
        raise UsageError(f"--{name} must not be negative", hint=f"for example --{name} 10")
    return result
