"""Bad input anywhere: a clear error, exit 1, no API call, nothing written, no traceback.

Config files broken at the file level (too big, not UTF-8, an alias bomb, a
folder, unreadable), state files broken every way we could think of, and
saved plans tampered with or damaged. Each runs through `plan` and `apply`
end to end against a real emulator that counts every request.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import Emulator, Result
from tests.reliability.conftest import (
    SUBPROCESS_TIMEOUT,
    GuardedCli,
    pstokens_command,
    serving,
    subprocess_env,
)

GOOD_CONFIG = """\
organization: acme
unmanaged:
  policy: ignore
tokens:
  ci:
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch]
"""
STATE = Path("state/acme.json")


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    """One server for the module: no case here may write, so none can disturb another."""
    with serving() as served:
        yield served


@pytest.fixture
def emulator(shared_emulator: Emulator) -> Emulator:
    shared_emulator.store.load()  # empty again, whatever an earlier (failing) case did
    shared_emulator.reset_stats()
    return shared_emulator


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root and its bytes; lock files aside (taking a lock is no write)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def assert_refused(result: Result, emulator: Emulator, before: dict[str, bytes], root: Path,
                   *, reads_allowed: bool = False) -> None:
    assert result.code == 1, result.both
    assert result.out == ""
    assert "Traceback" not in result.both
    assert "internal error" not in result.err, result.err
    lines = result.err.splitlines()
    assert lines and lines[0].startswith("Error: "), result.err
    assert all(line.startswith(("Error: ", "Hint: ", "pstokens.yaml:", "  - "))
               for line in lines[1:]) \
        or lines[0].endswith("configuration:"), result.err
    stats = emulator.stats()
    if reads_allowed:  # a saved plan is compared with a fresh read; it never writes
        assert set(stats["by_route"]) <= {k for k in stats["by_route"] if k.startswith("GET ")}
    else:
        assert stats["total"] == 0, stats
    assert snapshot(root) == before


# -- config files, at the file level ------------------------------------------

Setup = Callable[[Path], None]


def huge(root: Path) -> None:
    padding = "# " + "x" * 1000 + "\n"
    (root / "pstokens.yaml").write_text(GOOD_CONFIG + padding * 8400)  # over 8 MiB


def not_utf8(root: Path) -> None:
    (root / "pstokens.yaml").write_bytes(GOOD_CONFIG.encode() + b"# caf\xe9 \xff\xfe\n")


def latin1_key(root: Path) -> None:
    (root / "pstokens.yaml").write_bytes(GOOD_CONFIG.replace("ci:", "c\xe9:").encode("latin-1"))


def alias_bomb(root: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (root / "pstokens.yaml").write_text("organization: acme\ntokens: {}\n" + "\n".join(lines))


def merge_key_bomb(root: Path) -> None:
    (root / "pstokens.yaml").write_text(
        "base: &b {organization: acme}\n<<: *b\ntokens: {}\n"
    )


def directory(root: Path) -> None:
    (root / "pstokens.yaml").mkdir()


def symlink_loop(root: Path) -> None:
    (root / "pstokens.yaml").symlink_to(root / "pstokens.yaml")


def under_a_file(root: Path) -> None:
    (root / "pstokens.yaml").write_text(GOOD_CONFIG)  # then -c pstokens.yaml/inner.yaml


def deep_nesting(root: Path) -> None:
    (root / "pstokens.yaml").write_text("organization: acme\ntokens: " + "[" * 5000 + "]" * 5000)


def python_tag(root: Path) -> None:
    (root / "pstokens.yaml").write_text(
        "organization: !!python/object/apply:os.system ['touch pwned']\ntokens: {}\n"
    )


def missing(root: Path) -> None:
    pass


@dataclass(frozen=True)
class ConfigCase:
    id: str
    setup: Setup
    message: str
    config_arg: str = "pstokens.yaml"


CONFIG_CASES = [
    ConfigCase("larger-than-8-MiB", huge, "larger than 8 MiB"),
    ConfigCase("not-utf-8", not_utf8, "not UTF-8"),
    ConfigCase("latin-1-key", latin1_key, "not UTF-8"),
    ConfigCase("alias-bomb", alias_bomb, "alias"),
    ConfigCase("merge-key-alias", merge_key_bomb, "alias"),
    ConfigCase("a-directory", directory, "is a directory"),
    ConfigCase("symlink-loop", symlink_loop, "cannot read config file"),
    ConfigCase("path-under-a-file", under_a_file, "cannot read config file",
               "pstokens.yaml/inner.yaml"),
    ConfigCase("deep-nesting", deep_nesting, "pstokens.yaml:2:"),
    ConfigCase("python-object-tag", python_tag, "pstokens.yaml:1:"),
    ConfigCase("missing", missing, "not found"),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve"), ("validate",)],
                         ids=["plan", "apply", "validate"])
def test_a_config_file_broken_at_the_file_level_is_refused(
    case: ConfigCase, command: tuple[str, ...], cli: GuardedCli, emulator: Emulator,
    workdir: Path,
) -> None:
    case.setup(workdir)
    before = snapshot(workdir)

    result = cli(*command, "-c", case.config_arg)

    assert case.message in result.err, result.err
    assert_refused(result, emulator, before, workdir)
    assert not (workdir / "pwned").exists()


PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def without_file_override() -> None:
    """In the child before it runs pstokens: give up root's power to read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so mode 0 means unreadable, as for a user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve"), ("validate",)],
                         ids=["plan", "apply", "validate"])
def test_an_unreadable_config_file_is_refused(command: tuple[str, ...], emulator: Emulator,
                                              tmp_path: Path) -> None:
    """A real process that may not read pstokens.yaml (mode 0). Root reads a file
    whatever its mode, so as root (CI) the process drops the capabilities that let it:
    the case runs everywhere instead of skipping where CI runs."""
    config = tmp_path / "pstokens.yaml"
    config.write_text(GOOD_CONFIG)
    before = snapshot(tmp_path)
    config.chmod(0)
    try:
        done = subprocess.run(
            pstokens_command(*command), cwd=tmp_path, text=True,  # the default config
            env=subprocess_env(emulator.url), capture_output=True,
            timeout=SUBPROCESS_TIMEOUT, check=False,
            preexec_fn=without_file_override if os.geteuid() == 0 else None,
        )
    finally:
        config.chmod(0o644)
    result = Result(done.returncode, done.stdout, done.stderr)
    assert "cannot read config file pstokens.yaml: Permission denied" in result.err, result.both
    assert_refused(result, emulator, before, tmp_path)


@pytest.mark.parametrize("leftover_lock", [False, True], ids=["no-lock-file", "old-lock-file"])
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")],
                         ids=["plan", "apply"])
def test_a_state_file_in_a_folder_that_cannot_be_written_is_a_sentence_naming_it(
    command: tuple[str, ...], leftover_lock: bool, emulator: Emulator, tmp_path: Path
) -> None:
    """The trial's scenario: state/ read-only (mode 0555), as a real process (root drops
    the capabilities that would let it write anyway). Before: `internal error
    (PermissionError)`; now the path, the reason and a hint, and nothing is made. With
    a lock file an earlier run left (it still opens), apply would have made tokens and
    then failed to save state: it is refused before any call too."""
    (tmp_path / "pstokens.yaml").write_text(GOOD_CONFIG)
    folder = tmp_path / "state"
    folder.mkdir()
    if leftover_lock:
        (folder / "acme.json.lock").write_text("")
        (folder / "acme.json.lock").chmod(0o666)
    before = snapshot(tmp_path)
    folder.chmod(0o555)
    try:
        done = subprocess.run(
            pstokens_command(*command), cwd=tmp_path, text=True,
            env=subprocess_env(emulator.url), capture_output=True,
            timeout=SUBPROCESS_TIMEOUT, check=False,
            preexec_fn=without_file_override if os.geteuid() == 0 else None,
        )
    finally:
        folder.chmod(0o755)
    result = Result(done.returncode, done.stdout, done.stderr)
    assert (("Error: cannot write state file state/acme.json: its folder state is not "
             "writable") if leftover_lock else
            ("Error: cannot lock state file state/acme.json: cannot create "
             "state/acme.json.lock (Permission denied)")) in result.err, result.both
    assert "Hint: the state file's folder must be writable" in result.err
    assert_refused(result, emulator, before, tmp_path)


def test_an_oserror_no_command_mapped_is_still_a_sentence_naming_the_path(
    cli: GuardedCli, emulator: Emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last net: an OSError from anywhere is the system's reason and the path,
    never `internal error (OSError)`."""
    from pstokens.state.store import FileStateStore

    def refused(self: FileStateStore, organization: str) -> None:
        raise PermissionError(13, "Permission denied", "somewhere/odd.json")

    monkeypatch.setattr(FileStateStore, "load", refused)
    (workdir / "pstokens.yaml").write_text(GOOD_CONFIG)
    before = snapshot(workdir)
    result = cli("plan")
    assert result.err.startswith("Error: Permission denied: somewhere/odd.json\nHint: "), \
        result.err
    assert_refused(result, emulator, before, workdir)


# -- state files ---------------------------------------------------------------


def good_state() -> dict:
    return {
        "version": 1, "lineage": "5d0c8a43-7a52-4a5f-9f39-0f1e0e7b8e55", "serial": 3,
        "organization": "acme",
        "tokens": {"ci": {
            "id": "abcdefabcdef", "name": "ci", "created_at": "2026-01-14T10:19:23+00:00",
            "expires_at": None, "ttl": None, "accesses": {"": ["read_databases"]},
            "delivered": True, "prevent_destroy": False, "pending_since": None, "retiring": [],
        }},
    }


def edited(**changes: object) -> bytes:
    state = good_state()
    state.update(changes)
    return json.dumps(state).encode()


def record_edited(**changes: object) -> bytes:
    state = good_state()
    state["tokens"]["ci"].update(changes)
    return json.dumps(state).encode()


def without(key: str) -> bytes:
    state = good_state()
    del state[key]
    return json.dumps(state).encode()


STATE_CASES: dict[str, tuple[bytes, str]] = {
    "not-json": (b"{this is not json", "not valid JSON"),
    "truncated": (json.dumps(good_state()).encode()[:90], "not valid JSON"),
    "empty-file": (b"", "not valid JSON"),
    "not-utf-8": (b'{"version": 1, "organization": "\xff\xfe"}', "not valid JSON"),
    "a-list": (b"[1, 2, 3]", "not a pstokens state file"),
    "a-string": (b'"acme"', "not a pstokens state file"),
    "null": (b"null", "not a pstokens state file"),
    "other-organization": (edited(organization="globex"), "belongs to organization 'globex'"),
    "newer-version": (edited(version=2), "newer pstokens"),
    "no-version": (without("version"), "no state version"),
    "version-as-text": (edited(version="1"), "no state version"),
    "no-lineage": (without("lineage"), "damaged"),
    "no-organization": (without("organization"), "damaged"),
    "serial-not-a-number": (edited(serial="three"), "damaged"),
    "serial-nan": (json.dumps(good_state()).replace('"serial": 3', '"serial": NaN').encode(),
                   "damaged"),
    "tokens-a-list": (edited(tokens=["ci"]), "damaged"),
    "tokens-missing": (without("tokens"), "damaged"),
    "record-a-string": (edited(tokens={"ci": "abcdefabcdef"}), "damaged"),
    "record-without-name": (
        json.dumps({**good_state(), "tokens": {"ci": {"id": "abcdefabcdef"}}}).encode(), "damaged"
    ),
    "bad-created-at": (record_edited(created_at="yesterday"), "damaged"),
    "bad-pending-since": (record_edited(pending_since=12), "damaged"),
    "accesses-a-list": (record_edited(accesses=["read_databases"]), "damaged"),
    "access-names-a-number": (record_edited(accesses={"": 5}), "damaged"),
    "id-a-number": (record_edited(id=123456), "damaged"),
    "retiring-a-string": (record_edited(retiring="abcdefabcdef"), "damaged"),
    "ttl-as-text": (record_edited(ttl="90d"), "damaged"),
    "delivered-as-text": (record_edited(delivered="no"), "damaged"),
    "retire-at-a-list": (record_edited(retire_at=["abcdefabcdef"]), "damaged"),
    "retire-at-not-a-time": (record_edited(retire_at={"abcdefabcdef": 5}), "damaged"),
    "retire-at-null": (record_edited(retire_at={"abcdefabcdef": None}), "damaged"),
    "deeply-nested": (b"[" * 100_000 + b"]" * 100_000, "state file"),
    # Token IDs from state go into API paths: checked as a saved plan's are.
    "id-a-path": (record_edited(id="../../organizations/other"),
                  'tokens.ci: id "../../organizations/other" is not a valid token ID'),
    "retiring-a-path": (record_edited(retiring=["a/b"]),
                        'tokens.ci: retiring "a/b" is not a valid token ID'),
    "preexisting-a-query": (record_edited(preexisting=["x?y=1"]),
                            'tokens.ci: preexisting "x?y=1" is not a valid token ID'),
    "retire-at-a-path": (record_edited(retire_at={"../x": "2026-01-01T00:00:00+00:00"}),
                         'tokens.ci: retire_at "../x" is not a valid token ID'),
    "lease-id-a-path": (edited(leases={"ci+lease-abcdefgh": {
        "key": "ci", "id": "../x", "expires_at": "2026-01-01T00:00:00+00:00"}}),
        'leases.ci+lease-abcdefgh: id "../x" is not a valid token ID'),
    "record-without-name-says-so": (
        json.dumps({**good_state(), "tokens": {"ci": {"id": "abcdefabcdef"}}}).encode(),
        "tokens.ci: `name` is missing"),
}
PYTHON_WORDS = re.compile(r"KeyError|TypeError|ValueError|AttributeError|JSONDecodeError|"
                          r"invalid literal|object is not|not subscriptable|pydantic")


@pytest.mark.parametrize("case", sorted(STATE_CASES), ids=str)
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve"), ("state", "list")],
                         ids=["plan", "apply", "state-list"])
def test_a_broken_state_file_is_refused(
    case: str, command: tuple[str, ...], cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    data, message = STATE_CASES[case]
    (workdir / "pstokens.yaml").write_text(GOOD_CONFIG)
    (workdir / "state").mkdir()
    (workdir / STATE).write_bytes(data)
    before = snapshot(workdir)

    result = cli(*command)

    assert message in result.err, result.err
    assert str(STATE) in result.err
    assert not PYTHON_WORDS.search(result.err), result.err  # words, not Python's
    assert_refused(result, emulator, before, workdir)


def test_a_state_path_that_is_a_folder_is_refused(
    cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    (workdir / "pstokens.yaml").write_text(GOOD_CONFIG)
    (workdir / STATE).mkdir(parents=True)
    before = snapshot(workdir)
    result = cli("plan")
    assert "Error: state file state/acme.json is a folder\nHint: " in result.err
    assert_refused(result, emulator, before, workdir)


# -- saved plans -----------------------------------------------------------------


def saved_plan(cli: GuardedCli, workdir: Path) -> dict:
    """A real saved plan (a create and two grants) against an empty organization,
    made from a state file that exists (so its lineage and serial matter)."""
    (workdir / "pstokens.yaml").write_text(GOOD_CONFIG)
    (workdir / "state").mkdir()
    (workdir / STATE).write_text(json.dumps({**good_state(), "tokens": {}}))
    assert cli("plan", "--out", "plan.json").code == 0
    return json.loads((workdir / "plan.json").read_text())


def tampered_access(plan: dict) -> bytes:
    plan["changes"][1]["accesses"] = ["read_branch", "delete_database"]
    return json.dumps(plan).encode()


def other_org(plan: dict) -> bytes:
    return json.dumps({**plan, "organization": "globex"}).encode()


def other_lineage(plan: dict) -> bytes:
    return json.dumps({**plan, "state": {**plan["state"], "lineage": "another"}}).encode()


def other_serial(plan: dict) -> bytes:
    return json.dumps({**plan, "state": {**plan["state"], "serial": 7}}).encode()


def reordered(plan: dict) -> bytes:
    return json.dumps({**plan, "changes": list(reversed(plan["changes"]))}).encode()


def version(value: object) -> Callable[[dict], bytes]:
    return lambda plan: json.dumps({**plan, "format_version": value}).encode()


def layout(value: object) -> Callable[[dict], bytes]:
    return lambda plan: json.dumps({**plan, "layout": value}).encode()


def no_version(plan: dict) -> bytes:
    return json.dumps({k: v for k, v in plan.items() if k != "format_version"}).encode()


def unknown_action(plan: dict) -> bytes:
    plan["changes"][0]["action"] = "explode"
    return json.dumps(plan).encode()


def changes_a_mapping(plan: dict) -> bytes:
    return json.dumps({**plan, "changes": {"create": "ci"}}).encode()


def no_state(plan: dict) -> bytes:
    return json.dumps({k: v for k, v in plan.items() if k != "state"}).encode()


def extra_create(plan: dict) -> bytes:
    plan["changes"].insert(0, {**plan["changes"][0], "key": "backdoor", "name": "backdoor"})
    return json.dumps(plan).encode()


def accesses_a_string(plan: dict) -> bytes:
    plan["changes"][1]["accesses"] = "read_branch"
    return json.dumps(plan).encode()


def edit(*path: str | int, value: object = None, drop: bool = False
         ) -> Callable[[dict], bytes]:
    """The saved plan with the field at `path` set to `value` (or removed)."""
    def damage(plan: dict) -> bytes:
        holder = plan
        for step in path[:-1]:
            holder = holder[step]
        if drop:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
        return json.dumps(plan).encode()
    return damage


def fixed(data: bytes) -> Callable[[dict], bytes]:
    return lambda plan: data


# id -> (how to damage the plan, a phrase of the error, whether reading the org is fair)
PLAN_CASES: dict[str, tuple[Callable[[dict], bytes], str, bool]] = {
    "tampered-access": (tampered_access, "saved plan is stale", True),
    "extra-create": (extra_create, "saved plan is stale", True),
    "accesses-a-string": (accesses_a_string, "accesses are not a list", False),
    "other-organization": (other_org, "organization 'globex'", False),
    "other-state": (other_lineage, "saved plan is stale", False),
    "other-serial": (other_serial, "saved plan is stale", False),
    "changes-reordered": (reordered, "out of order", False),
    "layout-1": (layout(1), "made by an older pstokens", False),
    "layout-99": (layout(99), "was made by a newer pstokens", False),
    "format-version-3-no-layout": (lambda plan: json.dumps(
        {**{k: v for k, v in plan.items() if k != "layout"}, "format_version": 3}).encode(),
        "made by an older pstokens", False),
    "format-version-99": (version(99), "was made by a newer pstokens", False),
    "format-version-text": (version("2"), "format_version that is not a number", False),
    "no-format-version": (no_version, "not a pstokens plan", False),
    "unknown-action": (unknown_action, "damaged", False),
    "changes-a-mapping": (changes_a_mapping, "damaged", False),
    "no-state": (no_state, "damaged", False),
    "truncated": (lambda plan: json.dumps(plan).encode()[:100], "not valid JSON", False),
    "not-json": (fixed(b"Plan: 1 to create"), "not valid JSON", False),
    "empty": (fixed(b""), "not valid JSON", False),
    "not-utf-8": (fixed(b'{"format_version": 1, "x": "\xff"}'), "not valid JSON", False),
    "a-list": (fixed(b"[]"), "not a pstokens plan", False),
    "deeply-nested": (fixed(b"[" * 100_000 + b"]" * 100_000), "plan file", False),
    # The trial: each names the field in words, never Python's (KeyError: 'x', ...).
    "no-organization": (edit("organization", drop=True), "damaged: `organization` is missing",
                        False),
    "state-a-string": (edit("state", value="x"), "damaged: `state` is missing or not an object",
                       False),
    "serial-as-text": (edit("state", "serial", value="seven"),
                       "damaged: `state.serial` is not a whole number", False),
    "no-action": (edit("changes", 0, "action", drop=True),
                  "damaged: changes[0]: `action` is missing", False),
    "unknown-cause": (edit("changes", 0, "cause", value="because"),
                      'damaged: changes[0]: `cause` "because" is not one of new,', False),
    "ttl-as-text": (edit("changes", 0, "ttl", value="90d"),
                    "damaged: changes[0]: `ttl` is not a whole number", False),
    "unmanaged-without-id": (edit("unmanaged", value=[{"name": "x"}]),
                             "damaged: unmanaged[0]: `id` is missing", False),
    "drift-a-number": (edit("drift", value=[1]), "damaged: drift[0] is not an object", False),
    "drift-of-no-kind": (edit("drift", value=[{"key": "ci", "kind": "vanished"}]),
                         'damaged: drift[0]: `kind` "vanished" is not one of deleted, granted, '
                         "revoked", False),
    "warnings-a-number": (edit("warnings", value=[1]), "damaged: warnings[0] is not an object",
                          False),
    "targets-a-number": (edit("targets", value=5), "damaged: `targets` is not a list", False),
    "allows-past-the-table": (edit("changes", 1, "allows", value=99),
                              "damaged: changes[1]: `allows` 99 is not an entry of "
                              "operation_sets", False),
    "operation-sets-a-string": (edit("operation_sets", value="all"),
                                "damaged: `operation_sets` is not a list", False),
}


@pytest.mark.parametrize("case", sorted(PLAN_CASES), ids=str)
def test_a_damaged_or_tampered_saved_plan_is_refused(
    case: str, cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    damage, message, reads = PLAN_CASES[case]
    plan = saved_plan(cli, workdir)
    (workdir / "plan.json").write_bytes(damage(plan))
    emulator.reset_stats()
    before = snapshot(workdir)

    result = cli("apply", "plan.json")

    assert message in result.err, result.err
    assert not PYTHON_WORDS.search(result.err), result.err  # words, not Python's
    assert_refused(result, emulator, before, workdir, reads_allowed=reads)
    assert emulator.tokens() == []


def test_a_saved_plan_that_is_a_folder_or_missing_is_refused(
    cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    saved_plan(cli, workdir)
    (workdir / "folder.json").mkdir()
    emulator.reset_stats()
    before = snapshot(workdir)
    for name in ("folder.json", "missing.json"):
        result = cli("apply", name)
        assert_refused(result, emulator, before, workdir)


# -- flags and paths -------------------------------------------------------------

# id -> (arguments, a phrase of the error, whether reading the organization is fair)
FLAG_CASES: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "lock-timeout-nan": (("plan", "--lock-timeout", "nan"), "--lock-timeout must be 0 or more",
                         False),
    "lock-timeout-negative": (("apply", "--auto-approve", "--lock-timeout", "-1"),
                              "--lock-timeout must be 0 or more", False),
    "state-in-a-missing-place": (("apply", "--auto-approve", "--state", "/proc/none/s.json"),
                                 "state file /proc/none/s.json", False),
    "state-under-a-file": (("apply", "--auto-approve", "--state", "pstokens.yaml/s.json"),
                           "state file pstokens.yaml/s.json", False),
    "plan-out-unwritable": (("plan", "--out", "/proc/none/plan.json"),
                            "cannot write the plan to /proc/none/plan.json", True),
    "parallelism-zero": (("plan", "--parallelism", "0"), "--parallelism", False),
    "both-secret-destinations": (("apply", "--auto-approve", "--secrets-dir", "s",
                                  "--secrets-command", "cat"), "cannot be used together", False),
}


@pytest.mark.parametrize("case", sorted(FLAG_CASES), ids=str)
def test_a_bad_flag_or_path_is_refused_before_any_write(
    case: str, cli: GuardedCli, emulator: Emulator, workdir: Path
) -> None:
    args, message, reads = FLAG_CASES[case]
    (workdir / "pstokens.yaml").write_text(GOOD_CONFIG)
    before = snapshot(workdir)
    result = cli(*args)
    assert message in result.err, result.err
    assert_refused(result, emulator, before, workdir, reads_allowed=reads)
