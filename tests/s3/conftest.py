"""S3 state tests: the e2e emulator and CLI, plus a moto S3 server on loopback."""

from __future__ import annotations

from tests.e2e.conftest import cli, emulator, workdir
from tests.s3server import moto_endpoint, s3

__all__ = ["cli", "emulator", "moto_endpoint", "s3", "workdir"]
