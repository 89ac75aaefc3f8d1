"""The `notify:` list: who hears of drift, violations, expiry and applies.

A webhook URL is a secret, so an entry names the environment variable that
holds it, and nothing here ever quotes a value that looks like a URL. The
file's shape is checked with the rest of the schema (every problem located);
`environment_problems` checks what the variables hold, for `validate`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import yaml

from pstokens.config.model import Config, NotifyEvent, NotifyFormat, NotifyTarget, SourcePath, Spot
from pstokens.config.nodes import BOOL, STR, Checker, Entry, is_null
from pstokens.config.wording import did_you_mean, quote
from pstokens.errors import Problem

ENTRY_KEYS = ("url_env", "format", "secret_env", "on")
FORMATS: tuple[NotifyFormat, ...] = ("json", "slack")
EVENTS = tuple(str(e) for e in NotifyEvent)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
ENTRY_FORM = "a mapping such as `url_env: PSTOKENS_SLACK_WEBHOOK`"


def read_notify(
    check: Checker, entry: Entry | None, spots: dict[SourcePath, Spot]
) -> tuple[NotifyTarget, ...]:
    """The entries of `notify:`; none when it is absent or empty."""
    if entry is None or is_null(entry.value):
        return ()
    node = entry.value
    if not isinstance(node, yaml.SequenceNode):
        check.wrong_type(node, "notify", "a list of entries (`- url_env: VARIABLE`)")
        return ()
    targets: list[NotifyTarget] = []
    seen: dict[tuple[str, str], yaml.Node] = {}
    for number, child in enumerate(node.value, start=1):
        target = _entry(check, _on_as_text(child))
        spots[("notify", str(number))] = (child.start_mark.line + 1, child.start_mark.column + 1)
        if target is None:
            continue
        where = (target.url_env, target.format)
        if where in seen:
            first = seen[where].start_mark
            check.add(child, f"this entry sends to {target.url_env} as {target.format} like the "
                             f"one at line {first.line + 1}, column {first.column + 1}: remove "
                             "one, or list more events under `on`")
            continue
        seen[where] = child
        targets.append(target)
    return tuple(targets)


def _on_as_text(node: yaml.Node) -> yaml.Node:
    """YAML 1.1 reads an unquoted `on:` key as the boolean true (as GitHub workflows
    know); in an entry it can only mean the event list."""
    if not isinstance(node, yaml.MappingNode):
        return node
    pairs = [
        (yaml.ScalarNode(STR, "on", key.start_mark, key.end_mark)
         if isinstance(key, yaml.ScalarNode) and key.tag == BOOL and key.value.lower() == "on"
         else key, value)
        for key, value in node.value
    ]
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark, node.flow_style)


def _entry(check: Checker, node: yaml.Node) -> NotifyTarget | None:
    fields = check.mapping(node, "each entry of notify", ENTRY_FORM, ENTRY_KEYS)
    if fields is None:
        return None
    if "url_env" not in fields:
        check.add(node, "an entry of notify needs `url_env:`, the environment variable that "
                        "holds the webhook URL")
        return None
    url_env = _variable(check, fields["url_env"], "url_env")
    secret_env = _variable(check, fields["secret_env"], "secret_env") \
        if "secret_env" in fields else None
    fmt = _format(check, fields.get("format"))
    events = _events(check, fields.get("on"))
    if url_env is None or fmt is None or events is None or (
            "secret_env" in fields and secret_env is None):
        return None
    return NotifyTarget(url_env, fmt, secret_env, events)


def _variable(check: Checker, entry: Entry, what: str) -> str | None:
    node = entry.value
    if isinstance(node, yaml.ScalarNode) and "://" in str(node.value):
        # Never quoted: the value is a URL, which is the secret the variable should hold.
        check.add(node, f"{what} names the environment variable that holds the value, not the "
                        "value itself: put the URL in a variable (a CI secret) and name it here")
        return None
    name = check.string(node, what, "the name of an environment variable")
    if name is not None and ENV_NAME.fullmatch(name) is None:
        check.add(node, f"bad {what} {quote(name)}: an environment variable name has letters, "
                        "digits and '_', and does not start with a digit")
        return None
    return name


def _format(check: Checker, entry: Entry | None) -> NotifyFormat | None:
    if entry is None:
        return "json"
    text = check.string(entry.value, "format", "json or slack")
    for known in FORMATS:
        if text == known:
            return known
    if text is not None:
        check.add(entry.value, f"unknown notify format {quote(text)} (use json or slack)")
    return None


def _events(check: Checker, entry: Entry | None) -> frozenset[NotifyEvent] | None:
    if entry is None:
        return frozenset(NotifyEvent)
    node = entry.value
    if is_null(node) or (isinstance(node, yaml.SequenceNode) and not node.value):
        check.add(node, f"on lists no event: name some of {', '.join(EVENTS)}, or remove `on` "
                        "to be told of all")
        return None
    before = len(check.problems)
    events: set[NotifyEvent] = set()
    for item, name in check.strings(node, "on", "an event name", "event names"):
        if name in EVENTS:
            events.add(NotifyEvent(name))
            continue
        guess = did_you_mean(name, EVENTS)
        hint = f"did you mean {quote(guess)}?" if guess else f"use {', '.join(EVENTS)}"
        check.add(item, f"unknown notify event {quote(name)} ({hint})")
    return frozenset(events) if len(check.problems) == before else None


def label(number: int, target: NotifyTarget) -> str:
    """`notify entry 2 (PSTOKENS_SLACK_WEBHOOK)`: how warnings name an entry, never its URL."""
    return f"notify entry {number} ({target.url_env})"


def is_web_url(value: str) -> bool:
    """An http(s) URL with a host: anything else is refused before a request is made."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def environment_problems(
    config: Config, env: Mapping[str, str]
) -> tuple[list[Problem], list[Problem]]:
    """What the variables of `notify:` hold, as (problems, warnings), each at its entry:
    a variable that is not an http(s) URL is a problem; one that is unset, a warning
    (nothing is sent to that entry)."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for number, target in enumerate(config.notify, start=1):
        line, column = config.spot("notify", str(number))
        name = label(number, target)
        url = env.get(target.url_env, "")
        if not url.strip():
            warnings.append(Problem(config.path, line, column,
                                    f"warning: {name}: {target.url_env} is not set, so nothing "
                                    "is sent to it"))
        elif not is_web_url(url):
            # The value is not shown: it is meant to be a secret.
            problems.append(Problem(config.path, line, column,
                                    f"{name}: {target.url_env} does not hold an http(s) URL"))
        if target.secret_env is not None and not env.get(target.secret_env):
            warnings.append(Problem(config.path, line, column,
                                    f"warning: {name}: secret_env {target.secret_env} is not "
                                    "set, so nothing is sent to it (it would go unsigned)"))
    return problems, warnings
