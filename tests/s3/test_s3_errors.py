"""Each way an S3 state can fail is one sentence and a hint, exit 1, and never shows
a credential: no bucket, access denied, wrong region, refused or missing
credentials, an endpoint that does not answer, a malformed s3:// URL."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Emulator, Result, write_config
from tests.s3.test_s3_state import CONFIG
from tests.s3server import CREDENTIALS, S3


@contextlib.contextmanager
def canned_s3(status: int, body: str) -> Iterator[str]:
    """An endpoint answering every request alike, as AWS answers a misconfigured client."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def aws_error(code: str, message: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>R1</RequestId></Error>")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def run(cli: Cli, s3: S3, emulator: Emulator, workdir: Path) -> Cli:
    write_config(workdir / "pstokens.yaml", CONFIG)
    return cli


def one_sentence_and_a_hint(result: Result, emulator: Emulator) -> str:
    assert result.code == 1, result.both
    lines = result.err.splitlines()
    assert len(lines) == 2, result.err
    assert lines[0].startswith("Error: ") and lines[1].startswith("Hint: ")
    assert result.out == ""
    assert "Traceback" not in result.both
    assert not any(c in result.both for c in CREDENTIALS)
    assert emulator.stats()["total"] == 0  # refused before any API call
    return lines[0]


def test_a_bucket_that_does_not_exist(run: Cli, s3: S3, emulator: Emulator) -> None:
    error = one_sentence_and_a_hint(run("--state", "s3://no-such-bucket/acme.json", "plan"),
                                    emulator)
    assert error == f"Error: S3 bucket no-such-bucket does not exist at {s3.endpoint}"


@pytest.mark.parametrize(("status", "code", "expected"), [
    (403, "AccessDenied", "access denied: the AWS identity in use may not read "),
    (403, "InvalidAccessKeyId", "S3 refused the credentials pstokens used to read "),
    (403, "SignatureDoesNotMatch", "S3 refused the credentials pstokens used to read "),
    (301, "PermanentRedirect", "S3 bucket acme-infra is not in region us-east-1"),
    (400, "AuthorizationHeaderMalformed", "S3 bucket acme-infra is not in region us-east-1"),
    (500, "InternalError", "S3 could not read s3://acme-infra/acme.json (InternalError"),
], ids=lambda v: str(v).split(" ")[0])
def test_what_s3_answers_becomes_one_sentence(
    run: Cli, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, status: int, code: str,
    expected: str,
) -> None:
    monkeypatch.setattr("pstokens.state.s3.RETRIES", 0)
    with canned_s3(status, aws_error(code, "no")) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        result = run("--state", "s3://acme-infra/acme.json", "plan")
    assert expected in one_sentence_and_a_hint(result, emulator)


def test_an_endpoint_that_does_not_answer(
    run: Cli, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pstokens.state.s3.RETRIES", 0)
    endpoint = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    error = one_sentence_and_a_hint(run("--state", "s3://acme-infra/acme.json", "apply",
                                        "--auto-approve"), emulator)
    assert error == (f"Error: cannot reach the S3 endpoint {endpoint} to read "
                     "s3://acme-infra/acme.json")


def test_no_credentials_at_all(
    run: Cli, s3: S3, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pstokens.state.s3.RETRIES", 0)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    error = one_sentence_and_a_hint(run("--state", s3.url(), "plan"), emulator)
    assert error.startswith("Error: no AWS credentials were found to read ")


def test_an_endpoint_with_a_password_in_it_is_never_shown_whole(
    run: Cli, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pstokens.state.s3.RETRIES", 0)
    port = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://user:{CREDENTIALS[0]}@127.0.0.1:{port}")
    error = one_sentence_and_a_hint(run("--state", "s3://b/k.json", "plan"), emulator)
    assert f"http://127.0.0.1:{port}" in error


@pytest.mark.parametrize("url", ["s3://", "s3://bucket", "s3://bucket/", "s3://bucket/dir/"])
def test_a_malformed_s3_url(run: Cli, emulator: Emulator, url: str) -> None:
    error = one_sentence_and_a_hint(run("--state", url, "plan"), emulator)
    assert error == f"Error: --state {url} is not an S3 object URL"


def test_debug_output_shows_the_failed_call_but_no_credential(
    run: Cli, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pstokens.state.s3.RETRIES", 0)
    with canned_s3(403, aws_error("AccessDenied", "no")) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        result = run("--debug", "--state", "s3://acme-infra/acme.json", "plan")
    assert result.code == 1
    assert "access denied" in result.err
    assert not any(c in result.both for c in CREDENTIALS)


def test_a_web_identity_that_cannot_be_traded_for_credentials(
    run: Cli, s3: S3, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setattr("pstokens.state.s3.RETRIES", 0)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    (workdir / "oidc-token").write_text("eyJhbGciOiJub25lIn0.e30.")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(workdir / "oidc-token"))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pstokens")
    monkeypatch.setenv("AWS_STS_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    error = one_sentence_and_a_hint(run("--state", s3.url(), "plan"), emulator)
    assert error.startswith("Error: the web identity token could not be traded for the "
                            "credentials of AWS_ROLE_ARN to read ")
