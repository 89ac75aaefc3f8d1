"""State in S3 end to end: plan and apply through `--state s3://`, the lock, stale writes,
`state unlock`, `push`, `pull` and `mv`, against moto's S3 server and the emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import obstore
import pytest
from obstore.exceptions import AlreadyExistsError, PreconditionError

from pstokens.emulator.store import SECRET_PREFIX
from pstokens.errors import LockHeld, StateError
from pstokens.state import LockHolder, State, TokenRecord
from pstokens.state.s3 import S3StateStore
from tests.e2e.conftest import Cli, Emulator, secrets_in, write_config
from tests.e2e.test_show_and_mv import CONFIG
from tests.s3server import CREDENTIALS, S3

NO_CHANGES = "No changes. The organization matches the configuration."


@pytest.fixture
def remote(s3: S3, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The config written, and PSTOKENS_STATE naming an S3 object."""
    write_config(workdir / "pstokens.yaml", CONFIG)
    monkeypatch.setenv("PSTOKENS_STATE", s3.url())
    return s3


def stored(s3: S3, key: str = "pstokens/acme.json") -> dict[str, object]:
    raw = s3.get(key)
    assert raw is not None, f"no object {key}"
    data: dict[str, object] = json.loads(raw)
    return data


def hold_lock(s3: S3) -> LockHolder:
    """A lock held by a run that is still going (or was killed): its object is there."""
    holder = LockHolder.now("pstokens apply")
    s3.put("pstokens/acme.json.lock", holder.dumps())
    return holder


def lock_id(message: str) -> str:
    return message.split("lock ID ")[1].split()[0].rstrip(".,)")


def test_apply_keeps_state_in_s3_and_the_next_plan_has_no_changes(
    cli: Cli, remote: S3, emulator: Emulator, workdir: Path
) -> None:
    applied = cli("apply", "--auto-approve")
    assert applied.code == 0, applied.both
    state = stored(remote)
    tokens = state["tokens"]
    assert isinstance(tokens, dict) and set(tokens) == {"ci-deploy", "auditor"}
    assert {k: r["id"] for k, r in tokens.items()} == {
        t["name"]: t["id"] for t in emulator.tokens()
    }
    assert not (workdir / "state").exists()  # nothing local
    assert remote.names() == ["pstokens/acme.json", "pstokens/acme.json.backup"]  # lock gone
    backup = json.loads(remote.get("pstokens/acme.json.backup") or b"")
    assert backup["serial"] < state["serial"] and backup["lineage"] == state["lineage"]

    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert NO_CHANGES in plan.out
    assert cli("--state", remote.url(), "state", "list").out.count("\t") == 2


def test_the_s3_objects_never_hold_a_secret_or_a_credential(
    cli: Cli, remote: S3, emulator: Emulator, workdir: Path
) -> None:
    assert cli("apply", "--auto-approve").code == 0
    assert cli("apply", "--auto-approve", "--replace", "auditor").code == 0
    secrets = list(secrets_in(workdir).values())
    assert len(secrets) == 2
    for key, body in remote.objects().items():
        for needle in [*secrets, SECRET_PREFIX, *CREDENTIALS]:
            assert needle.encode() not in body, f"{needle[:8]}... in {key}"
    for text in cli.transcript:
        assert not any(c in text for c in CREDENTIALS)


def test_a_held_lock_refuses_a_second_run_at_once_naming_the_holder(
    cli: Cli, remote: S3, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/infra")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    hold_lock(remote)
    refused = cli("apply", "--auto-approve")
    assert refused.code == 1
    first = refused.err.splitlines()[0]
    assert first.startswith(f"Error: state {remote.url()} is locked by "), refused.err
    assert "(pstokens apply, since " in first
    assert "run https://github.com/acme/infra/actions/runs/4242" in first
    assert "pstokens state unlock " in refused.err and "--lock-timeout" in refused.err
    assert emulator.stats()["total"] == 0  # refused before any API call
    assert "Traceback" not in refused.both


def test_with_lock_timeout_a_run_waits_then_names_the_holder(
    cli: Cli, remote: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_lock(remote)
    monkeypatch.setattr("pstokens.state.s3.LOCK_POLL_SECONDS", 0.1)
    started = time.monotonic()
    refused = cli("plan", "--lock-timeout", "0.5")
    assert time.monotonic() - started >= 0.5  # it waited the whole time, asking again
    assert refused.code == 1 and "is locked by " in refused.err


def test_a_write_based_on_a_stale_read_is_refused_and_overwrites_nothing(remote: S3) -> None:
    first = S3StateStore(remote.url())
    second = S3StateStore(remote.url())
    base = first.load("acme")
    first.save(base)  # serial 1, and both stores read it below
    older, newer = first.load("acme"), second.load("acme")
    record = TokenRecord(id="tok1", name="auditor")
    second.save(newer.with_token("auditor", record))
    with pytest.raises(StateError, match="changed by another run since this one read it"):
        first.save(older.with_token("ci-deploy", TokenRecord(id="tok2", name="ci-deploy")))
    tokens = stored(remote)["tokens"]
    assert isinstance(tokens, dict) and set(tokens) == {"auditor"}  # the newer write stands


def test_a_refused_write_leaves_the_backup_of_the_version_it_did_not_replace(
    remote: S3,
) -> None:
    first, second = S3StateStore(remote.url()), S3StateStore(remote.url())
    first.save(first.load("acme"))  # serial 1
    stale = first.load("acme")
    newer = second.load("acme")
    newer = second.save(newer.with_token("auditor", TokenRecord(id="tok1", name="auditor")))
    second.save(newer)  # serial 3: the backup is serial 2, which holds auditor
    backup = remote.get("pstokens/acme.json.backup")
    with pytest.raises(StateError, match="changed by another run"):
        first.save(stale)
    assert remote.get("pstokens/acme.json.backup") == backup  # not serial 1 written over it
    assert stored(remote, "pstokens/acme.json.backup")["serial"] == 2


def test_release_deletes_the_lock_only_while_it_is_the_object_this_run_created(
    remote: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock is released with DeleteObject If-Match on the ETag of the lock this run
    created (moto checks If-Match on DeleteObject, as S3 does). Here the lock is taken
    over after this run last read it: a read-then-delete would remove the other's lock."""
    store = S3StateStore(remote.url())
    with store.locked():
        mine = LockHolder.loads(remote.get("pstokens/acme.json.lock") or b"")
        assert mine is not None
        monkeypatch.setattr(S3StateStore, "_holder", lambda self: mine)  # a read made earlier
        theirs = LockHolder.now("pstokens apply")
        remote.put("pstokens/acme.json.lock", theirs.dumps())
    assert remote.get("pstokens/acme.json.lock") == theirs.dumps()


def test_without_conditional_deletes_release_reads_the_lock_back_first(
    remote: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service that does not implement If-Match on DeleteObject: the fallback."""
    monkeypatch.setattr("pstokens.state.s3.delete_if_match", lambda *args: None)
    with S3StateStore(remote.url()).locked():
        pass
    assert "pstokens/acme.json.lock" not in remote.names()
    with S3StateStore(remote.url()).locked():
        theirs = LockHolder.now("pstokens apply")
        remote.put("pstokens/acme.json.lock", theirs.dumps())
    assert remote.get("pstokens/acme.json.lock") == theirs.dumps()


def test_a_first_write_refuses_to_replace_a_state_made_meanwhile(remote: S3) -> None:
    late = S3StateStore(remote.url())
    state = late.load("acme")  # nothing there yet
    S3StateStore(remote.url()).save(State.new("acme"))
    with pytest.raises(StateError, match="changed by another run"):
        late.save(state)


def test_state_unlock_removes_a_stale_lock_only_with_its_id(
    cli: Cli, remote: S3, emulator: Emulator
) -> None:
    hold_lock(remote)
    refused = cli("apply", "--auto-approve")
    the_id = lock_id(refused.err)

    wrong = cli("state", "unlock", "not-" + the_id)
    assert wrong.code == 1
    assert f"not by lock ID not-{the_id}" in wrong.err
    assert "pstokens/acme.json.lock" in remote.names()

    right = cli("state", "unlock", the_id)
    assert right.code == 0, right.both
    assert right.out.startswith("Removed the lock held by ")
    assert "pstokens/acme.json.lock" not in remote.names()
    assert cli("apply", "--auto-approve").code == 0

    again = cli("state", "unlock", the_id)
    assert again.code == 1 and "is not locked" in again.err


def test_a_run_does_not_release_a_lock_that_is_no_longer_its_own(remote: S3) -> None:
    store = S3StateStore(remote.url())
    with store.locked():
        taken_over = json.loads(remote.get("pstokens/acme.json.lock") or b"")
        taken_over["id"] = "someone-else"
        remote.put("pstokens/acme.json.lock", json.dumps(taken_over).encode())
    assert "pstokens/acme.json.lock" in remote.names()
    with pytest.raises(LockHeld, match="lock ID someone-else"):
        S3StateStore(remote.url()).locked().__enter__()


def test_push_a_local_state_then_plan_against_s3_has_no_changes(
    cli: Cli, s3: S3, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", CONFIG)
    assert cli("apply", "--auto-approve").code == 0  # local state/acme.json
    local = json.loads((workdir / "state" / "acme.json").read_text())

    pushed = cli("--state", s3.url(), "state", "push", "state/acme.json")
    assert pushed.code == 0, pushed.both
    assert pushed.out.splitlines()[-1].startswith(f"Pushed state/acme.json to {s3.url()} (serial ")
    assert "The push changes 2 keys" in pushed.out
    there = stored(s3)
    assert there["lineage"] == local["lineage"] and there["tokens"] == local["tokens"]

    plan = cli("--state", s3.url(), "plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert NO_CHANGES in plan.out

    pulled = cli("--state", s3.url(), "state", "pull")
    assert json.loads(pulled.out) == stored(s3)


def test_push_refuses_another_lineage_or_an_older_serial(
    cli: Cli, remote: S3, emulator: Emulator, workdir: Path
) -> None:
    assert cli("apply", "--auto-approve").code == 0  # S3 state, serial > 1
    there = stored(remote)
    before = remote.objects()

    other = State.new("acme")
    (workdir / "other.json").write_text(json.dumps(other.to_json()))
    refused = cli("state", "push", "other.json")
    assert refused.code == 1
    assert "other.json is another state than" in refused.err and "lineage" in refused.err

    older = dict(there, serial=1)
    (workdir / "older.json").write_text(json.dumps(older))
    refused = cli("state", "push", "older.json")
    assert refused.code == 1
    assert f"older.json is older than {remote.url()} (serial 1, not {there['serial']})" in (
        refused.err
    )

    (workdir / "same.json").write_text(json.dumps(there))
    same = cli("state", "push", "same.json")
    assert same.code == 0 and "already holds same.json" in same.out
    assert remote.objects() == before  # nothing written by any of the three

    missing = cli("state", "push", "nope.json")
    assert missing.code == 1 and "nope.json does not exist" in missing.err


def test_push_force_replaces_an_unreadable_state_and_says_what_it_replaces(
    cli: Cli, remote: S3, emulator: Emulator, workdir: Path
) -> None:
    assert cli("--state", "state/acme.json", "apply", "--auto-approve").code == 0
    remote.put("pstokens/acme.json", b"{ damaged")
    plan = cli("plan")
    assert plan.code == 1 and f"state {remote.url()} is not valid JSON" in plan.err
    assert "then `pstokens state push --force good.json`" in plan.err

    refused = cli("state", "push", "state/acme.json")
    assert refused.code == 1 and "is not valid JSON" in refused.err
    assert remote.get("pstokens/acme.json") == b"{ damaged"

    forced = cli("state", "push", "--force", "state/acme.json")
    assert forced.code == 0, forced.both
    assert forced.out.startswith(
        f"Replacing a state that cannot be read: state {remote.url()} is not valid JSON")
    assert f"Pushed state/acme.json to {remote.url()}" in forced.out
    assert remote.get("pstokens/acme.json.backup") == b"{ damaged"
    assert cli("plan", "--detailed-exitcode").code == 0


def test_state_list_and_pull_need_no_config_with_state_or_org(
    cli: Cli, remote: S3, emulator: Emulator, workdir: Path
) -> None:
    assert cli("apply", "--auto-approve").code == 0
    (workdir / "pstokens.yaml").write_text("organization: [acme\n")  # does not parse
    listed = cli("state", "list")  # PSTOKENS_STATE names the S3 object
    assert listed.code == 0, listed.both
    assert "\nci-deploy\t" in listed.out
    pulled = cli("--org", "acme", "state", "pull")
    assert pulled.code == 0 and json.loads(pulled.out) == stored(remote)
    other = cli("--org", "other", "state", "pull")
    assert other.code == 1 and "belongs to organization 'acme', not 'other'" in other.err


def test_pull_of_a_state_not_yet_made_says_so(cli: Cli, remote: S3) -> None:
    pulled = cli("state", "pull")
    assert pulled.code == 1
    assert f"there is no state at {remote.url()} yet" in pulled.err
    assert "state push FILE" in pulled.err


def test_state_mv_renames_the_key_in_s3_and_leaves_the_token(
    cli: Cli, remote: S3, emulator: Emulator, workdir: Path
) -> None:
    assert cli("apply", "--auto-approve").code == 0
    token_id = emulator.by_name("ci-deploy")[0]["id"]
    emulator.reset_stats()
    moved = cli("state", "mv", "ci-deploy", "deployer")
    assert moved.code == 0, moved.both
    assert moved.out.startswith(
        f"Moved ci-deploy to deployer in state; token {token_id} is unchanged.\n")
    assert emulator.stats()["total"] == 0
    tokens = stored(remote)["tokens"]
    assert isinstance(tokens, dict) and tokens["deployer"]["id"] == token_id
    assert "ci-deploy" not in tokens
    write_config(workdir / "pstokens.yaml", CONFIG.replace("ci-deploy:", "deployer:"))
    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert NO_CHANGES in plan.out


def test_a_local_plan_loads_no_s3_code(cli: Cli, emulator: Emulator, workdir: Path) -> None:
    """Checked in a fresh interpreter by tests/perf/test_startup_imports.py; here, that
    choosing S3 happens in CommandContext.state_store alone."""
    from pstokens.cli.context import CommandContext
    from pstokens.cli.settings import resolve

    write_config(workdir / "pstokens.yaml", CONFIG)
    local = CommandContext(resolve({}, env={})).store
    assert type(local).__name__ == "FileStateStore" and local.location == "state/acme.json"
    remote = CommandContext(resolve({"state": "s3://b/k.json"}, env={})).store
    assert type(remote).__name__ == "S3StateStore" and remote.location == "s3://b/k.json"


def test_with_lock_timeout_a_run_proceeds_once_the_holder_lets_go(
    cli: Cli, remote: S3, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_lock(remote)
    waited: list[float] = []

    class HolderFinishesWhileWeWait:
        monotonic = staticmethod(time.monotonic)

        @staticmethod
        def sleep(seconds: float) -> None:
            waited.append(seconds)
            obstore.delete(remote.client(), "pstokens/acme.json.lock")

    monkeypatch.setattr("pstokens.state.s3.time", HolderFinishesWhileWeWait)
    applied = cli("apply", "--auto-approve", "--lock-timeout", "60")
    assert applied.code == 0, applied.both
    assert len(waited) == 1
    assert len(emulator.tokens()) == 2


def test_a_conditional_write_whose_answer_was_lost_is_taken_as_done(
    remote: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """obstore retries a PUT whose answer failed; the retry then meets the write itself
    (412). The lock and the state both see it is their own, and carry on."""
    real = obstore.put

    def put_then_lose_the_answer(store: Any, path: str, payload: bytes, *, mode: Any) -> Any:
        real(store, path, payload, mode=mode)
        if path.endswith(".backup"):
            return None
        raise (AlreadyExistsError if mode == "create" else PreconditionError)("412 (test)")

    store = S3StateStore(remote.url())
    with monkeypatch.context() as patched:
        patched.setattr("pstokens.state.s3.obstore.put", put_then_lose_the_answer)
        with store.locked():
            written = store.save(store.load("acme"))
            again = store.save(written)
    assert again.serial == 2 and stored(remote)["serial"] == 2
    assert "pstokens/acme.json.lock" not in remote.names()
