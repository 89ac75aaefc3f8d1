"""A real S3 server on loopback for the S3 state tests: moto's server mode.

moto checks `If-None-Match` and `If-Match` without a lock of its own, so two
truly simultaneous conditional writes could both win there (real S3 lets one
win). Tests of contention are therefore made deterministic: one run holds the
lock and the other is refused, one write is made on a stale ETag and refused;
none relies on two writes racing.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import obstore
import pytest
from moto.server import ThreadedMotoServer
from obstore.store import S3Store

# Made-up credentials, distinctive enough that a test can prove none is ever printed.
ACCESS_KEY_ID = "AKIAPSTOKENSTEST4242"
SECRET_ACCESS_KEY = "pstokens-test-secret-key-4b1d9e0c7a55"
SESSION_TOKEN = "pstokens-test-session-token-8c2f61e0d9"
CREDENTIALS = (SECRET_ACCESS_KEY, SESSION_TOKEN)


@dataclass
class S3:
    """One fresh bucket on the moto server, and the AWS_* variables to reach it."""

    endpoint: str
    bucket: str

    def url(self, key: str = "pstokens/acme.json") -> str:
        return f"s3://{self.bucket}/{key}"

    def env(self) -> dict[str, str]:
        return aws_env(self.endpoint)

    def client(self) -> S3Store:
        return S3Store(self.bucket, endpoint=self.endpoint, region="us-east-1",
                       access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY,
                       client_options={"allow_http": True})

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(obstore.get(self.client(), key).bytes())
        except FileNotFoundError:
            return None

    def put(self, key: str, body: bytes) -> None:
        obstore.put(self.client(), key, body)

    def names(self) -> list[str]:
        return sorted(m["path"] for batch in obstore.list(self.client()) for m in batch)

    def objects(self) -> dict[str, bytes]:
        return {key: self.get(key) or b"" for key in self.names()}


def aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "AWS_REGION": "us-east-1",
        # Never ask a cloud metadata service for credentials: nothing leaves loopback.
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_METADATA_ENDPOINT": "http://127.0.0.1:9",
    }


def without_aws(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("AWS_")}


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_bucket(endpoint: str) -> str:
    name = f"pstokens-{uuid.uuid4().hex[:12]}"
    httpx.put(f"{endpoint}/{name}").raise_for_status()
    return name


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3:
    """A fresh bucket, with this process's AWS_* variables pointing at it."""
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    for var, value in aws_env(moto_endpoint).items():
        monkeypatch.setenv(var, value)
    return S3(moto_endpoint, new_bucket(moto_endpoint))
