"""Entry points: read pstokens.yaml from disk or text and settle the organization.

Everything a user can get wrong here ends as a ConfigError (problems in the
file) or a PstokensError (no file, or an organization conflict); nothing else
escapes, whatever the input.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from pstokens.config.model import Config
from pstokens.config.schema import ORGANIZATION_NAME, build_config
from pstokens.config.wording import quote
from pstokens.config.yamltree import Declined, compose, compose_quickly
from pstokens.errors import ConfigError, ConfigFileError, Problem, UsageError
from pstokens.expected import PATH, expect
from pstokens.fileread import TooLarge, read_bounded, size_words

# A bound on reading, far above any real config (20,000 tokens are about 1.5 MB);
# what a file costs to compose is bounded in yamltree (aliases, nesting, values).
MAX_CONFIG_BYTES = 8 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_CONFIG_HINT = (
    "create it (`pstokens export > pstokens.yaml` starts one from the organization's "
    "live tokens) or pass -c FILE"
)


def load_config(path: str | Path, *, organization: str | None = None) -> Config:
    """The validated config in the file at `path`.

    `organization` is --org / PLANETSCALE_ORG, or None when neither is set.
    """
    expect(path, PATH, "load_config path", "the config file's path, such as \"pstokens.yaml\"")
    filename = str(path)
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES)
    except TooLarge:
        raise ConfigError([_too_large(filename)],
                          hint="check that -c names the config file") from None
    except FileNotFoundError:
        raise ConfigFileError(f"config file {filename} not found", _CONFIG_HINT) from None
    except IsADirectoryError:
        raise ConfigFileError(f"config file {filename} is a directory", _CONFIG_HINT) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigFileError(f"cannot read config file {filename}: {reason}") from None
    return parse_config(_decode(data, filename), filename=filename, organization=organization)


def parse_config(
    text: str, *, filename: str = "pstokens.yaml", organization: str | None = None
) -> Config:
    """The validated config in `text`, reported as coming from `filename`."""
    expect(text, str, "parse_config text", "the config's YAML as a str (load_config reads a "
           "file)")
    expect(filename, str, "parse_config filename", "the name to report problems at, a str")
    if organization is not None:
        expect(organization, str, "organization", "the organization's name, or None")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise ConfigError([_too_large(filename)], hint="check that -c names the config file")
    if organization is not None and ORGANIZATION_NAME.fullmatch(organization) is None:
        raise UsageError(
            f"bad organization name {quote(organization)} from --org or PLANETSCALE_ORG",
            "use the organization's name as PlanetScale shows it",
        )
    config = _build(text, filename, organization)
    if organization is not None and config.organization != organization:
        raise ConfigFileError(
            f"{filename} names organization {quote(config.organization)} but --org or "
            f"PLANETSCALE_ORG names {quote(organization)}; pstokens refuses to guess "
            "which organization to change",
            "make them agree, or unset one of them",
        )
    return config


def _build(text: str, filename: str, organization: str | None) -> Config:
    """libyaml composes a plain file quickly; a file it declines, and any file
    with a problem, is composed again by PyYAML, which places and words problems."""
    try:
        root = compose_quickly(text, filename)  # ConfigError here: a limit, said once
    except Declined:
        return build_config(compose(text, filename), filename, organization)
    with contextlib.suppress(ConfigError):
        return build_config(root, filename, organization)
    return build_config(compose(text, filename), filename, organization)


def _too_large(filename: str) -> Problem:
    message = (f"the file is larger than {size_words(MAX_CONFIG_BYTES)}; a config that big "
               "is a mistake")
    return Problem(filename, 1, 1, message)


def _decode(data: bytes, filename: str) -> str:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        message = f"the file is not UTF-8 text: byte 0x{data[exc.start]:02X} cannot be read"
        raise ConfigError(
            [Problem(filename, line, column, message)], "save the file as UTF-8"
        ) from None
