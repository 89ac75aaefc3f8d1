"""One table turns every pstokens error into the adapters' answers (pstokens.adapters.errors).

Every error class has its own deliberate entry; REST and MCP word an error the
same way (the CLI's sentence and its hint); an API error is passed on as sent.
"""

from __future__ import annotations

import pytest

from pstokens.adapters import Refused, StateLocked
from pstokens.adapters.errors import ANSWERS, PASSED_ON, Reply, http_error, tool_message
from pstokens.api.errors import ApiError, Forbidden, NotFound
from pstokens.engine.inventory.whocan import UnknownName
from pstokens.errors import LockHeld, PstokensError, UsageError
from tests.test_error_tree import every_error


def test_every_error_class_has_its_own_entry() -> None:
    names = {e.__name__ for e in every_error()}
    assert sorted(names - set(ANSWERS)) == [], "add these to ANSWERS in pstokens/adapters/errors.py"
    assert sorted(set(ANSWERS) - names) == [], "ANSWERS names a class that does not exist"


def test_api_errors_and_only_they_are_passed_on() -> None:
    for error in every_error():
        passed_on = ANSWERS[error.__name__] is PASSED_ON
        assert passed_on == issubclass(error, ApiError), error.__name__


def test_every_answer_is_an_http_error_status() -> None:
    for name, reply in ANSWERS.items():
        assert reply is None or (isinstance(reply, Reply) and 400 <= reply.status <= 599), name


@pytest.mark.parametrize(("error", "status", "code"), [
    (Refused("refusing to delete", hint="unprotect it"), 409, "conflict"),
    (StateLocked("refusing to create", hint="wait"), 409, "state_locked"),
    (LockHeld("plan holds the lock"), 409, "state_locked"),
    (UnknownName("unknown operation 'x'", hint="use an operation id"), 404, "not_found"),
    (UsageError("name the organization", hint="pass `organization`"), 400, "bad_request"),
    (PstokensError("something broke"), 500, "error"),
])
def test_a_pstokens_error_is_answered_with_its_sentence_and_hint(
    error: PstokensError, status: int, code: str
) -> None:
    hint = f" (hint: {error.hint})" if error.hint else ""
    assert http_error(error) == (status, {"code": code, "message": error.message + hint})
    assert tool_message(error) == error.message + hint
    assert tool_message(error, "delete x") == f"delete x: {error.message}{hint}"


def test_an_api_error_is_passed_on_as_the_api_sent_it() -> None:
    body = {"code": "forbidden", "message": "Forbidden"}
    assert http_error(Forbidden("x", status=403, body=body)) == (403, body)
    assert http_error(ApiError("GET /x: 409", status=409)) == (
        409, {"code": "conflict", "message": "GET /x: 409"})


def test_a_forwarded_api_error_is_quoted_in_the_tool_error() -> None:
    error = NotFound("x", status=404, body={"code": "not_found", "message": "Not Found"})
    text = tool_message(error, 'get service token "t"')
    assert text.startswith('get service token "t": PlanetScale answered 404 (not_found: ')
    assert "lack the access to see it" in text
    # Outside a forwarded call (plan, report, who-can) it is worded as the CLI words it.
    assert tool_message(error) == "x"
