"""The sender against real receivers on loopback: bodies, signatures, retries, bounds."""

from __future__ import annotations

import hashlib
import hmac
import json

from pstokens.config.model import NotifyEvent, NotifyTarget
from pstokens.notify.message import Notice
from pstokens.notify.send import Failure, Policy, send
from tests.receiver import receiver

QUICK = Policy(attempts=3, attempt_timeout=0.5, backoff=0.01, deadline=10.0)
KEY = "notify-signing-key-9b1e"


def _notice(
    event: NotifyEvent = NotifyEvent.DRIFT, text: str = "pstokens: acme: differs"
) -> Notice:
    return Notice(event, "acme", {"create": 1}, text, text.replace("<", "&lt;"))


async def test_a_json_body_carries_the_documented_fields_and_a_signature_that_verifies() -> None:
    target = NotifyTarget("HOOK", "json", "HOOK_KEY")
    with receiver() as hook:
        failed = await send([target], [_notice()], {"HOOK": hook.url, "HOOK_KEY": KEY}, QUICK)
    assert failed == []
    [request] = hook.requests
    assert json.loads(request.body) == {"event": "drift", "organization": "acme",
                                        "summary": {"create": 1},
                                        "text": "pstokens: acme: differs"}
    expected = hmac.new(KEY.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Pstokens-Signature"] == f"sha256={expected}"
    assert request.headers["Content-Type"] == "application/json"
    assert KEY.encode() not in request.body


async def test_slack_gets_only_text_with_its_control_syntax_made_inert() -> None:
    with receiver() as hook:
        await send([NotifyTarget("HOOK", "slack")], [_notice(text="name <!channel>")],
                   {"HOOK": hook.url}, QUICK)
    [request] = hook.requests
    assert json.loads(request.body) == {"text": "name &lt;!channel>"}
    assert "X-Pstokens-Signature" not in request.headers


async def test_an_entry_hears_only_the_events_it_asked_for() -> None:
    target = NotifyTarget("HOOK", events=frozenset({NotifyEvent.EXPIRING}))
    with receiver() as hook:
        await send([target], [_notice(), _notice(NotifyEvent.EXPIRING)], {"HOOK": hook.url},
                   QUICK)
    assert [json.loads(r.body)["event"] for r in hook.requests] == ["expiring"]


async def test_a_failing_receiver_is_tried_again_then_reported_by_entry() -> None:
    with receiver("fail") as hook:
        [failed] = await send([NotifyTarget("HOOK")], [_notice()], {"HOOK": hook.url}, QUICK)
    assert hook.attempts == QUICK.attempts
    assert (failed.number, failed.failure, failed.status) == (1, Failure.SERVER_ERROR, 500)


async def test_a_hanging_receiver_times_out_on_each_attempt_and_the_send_returns() -> None:
    with receiver("hang") as hook:
        [failed] = await send([NotifyTarget("HOOK")], [_notice()], {"HOOK": hook.url}, QUICK)
    assert hook.attempts == QUICK.attempts
    assert failed.failure is Failure.TIMED_OUT


async def test_the_deadline_ends_everything_whatever_attempts_are_left() -> None:
    patient = Policy(attempts=50, attempt_timeout=0.2, backoff=0.01, deadline=1.0)
    with receiver("hang") as hook:
        [failed] = await send([NotifyTarget("HOOK")], [_notice()], {"HOOK": hook.url}, patient)
    assert 1 <= hook.attempts < patient.attempts
    assert failed.failure is Failure.TIMED_OUT


async def test_entries_are_sent_to_at_once_so_a_hanging_one_delays_no_other() -> None:
    with receiver("hang") as slow, receiver() as fast:
        # The slow receiver holds its first request until the fast one has been reached:
        # sent one after the other, that could not happen during the first attempt.
        slow.release = fast.seen
        env = {"SLOW": slow.url, "FAST": fast.url}
        failed = await send([NotifyTarget("SLOW"), NotifyTarget("FAST")], [_notice()], env,
                            Policy(attempts=1, attempt_timeout=5.0, deadline=10.0))
    assert fast.attempts == 1 and slow.attempts == 1
    # The slow one hung up without an answer once the fast one was reached; one after
    # the other, it would have timed out instead.
    assert [(f.number, f.failure) for f in failed] == [(1, Failure.UNREACHABLE)]


async def test_a_refusal_is_final_and_nothing_is_sent_without_its_url_or_key() -> None:
    env = {"BAD": "ftp://example.invalid/x", "HOOK": "http://127.0.0.1:9/"}
    targets = [NotifyTarget("UNSET"), NotifyTarget("BAD"), NotifyTarget("HOOK", "json", "NOKEY")]
    failed = await send(targets, [_notice()], env, QUICK)
    assert [(f.number, f.failure) for f in failed] == [
        (1, Failure.UNSET), (2, Failure.NOT_HTTP), (3, Failure.NO_SIGNING_KEY)]


async def test_an_unreachable_receiver_is_reported_as_such() -> None:
    with receiver() as hook:
        url = hook.url
    [failed] = await send([NotifyTarget("HOOK")], [_notice()], {"HOOK": url}, QUICK)
    assert failed.failure is Failure.UNREACHABLE
