"""`rules.policies` evaluated in a child process that is killed past the time limit.

PRODUCT.md: a policy that loops or runs long is stopped after 10 s with an
error. rego-cpp gives no way to interrupt a query, and a thread cannot be
killed, so the policies run in a child (policyworker.py) and a run past its
limit kills it: nothing of it is left running.

Starting a Python process costs tens of milliseconds, so a `PolicyRun` starts
its child as soon as the policies are known (the child then loads the
evaluator and compiles them) and the caller makes the plan meanwhile;
`evaluate` hands over the plan's document, from a thread and without
waiting for the child to be ready: the child reads it the moment its policies
compile. The document goes marshalled, not as JSON: the child runs the same
Python, and for a 1,000-token plan (2.5 MB of JSON) marshal encodes in 3 to
4 ms and decodes in 4 to 10, JSON in 20 and 15 to 20. `isolated` does both at once, for
callers with nothing to do in between. Without policies nothing is started.

A policy can read its environment (`opa.runtime().env`), and what it returns is
printed: so the child gets only what Python needs to start (`KEPT`), never
pstokens' credentials (PLANETSCALE_*, AWS_*, PSTOKENS_*); and any message that
still holds a withheld value is masked as a delivery command's output is (one
shorter than its runs, such as `PLANETSCALE_API_KEY=k`, as a whole word only:
pstokens/shortsecrets.py).
"""

from __future__ import annotations

import dataclasses
import json
import marshal
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pstokens
from pstokens.config.model import PolicyFile
from pstokens.delivery.scrub import MASK, scrub
from pstokens.engine.rules.policies import PolicyFinding, crashed, stopped
from pstokens.errors import ConfigError, Problem, PstokensError
from pstokens.shortsecrets import mask_words, short

WORKER = "pstokens.engine.reading.policyworker"
# The whole environment of the child (with PYTHONPATH, set below): nothing secret.
# What is masked in a policy's messages: pstokens' credentials.
CREDENTIALS = ("PLANETSCALE_SERVICE_TOKEN", "PLANETSCALE_API_KEY", "AWS_SECRET_ACCESS_KEY",
               "AWS_SESSION_TOKEN")
KEPT = ("PATH", "SYSTEMROOT", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP")
UNEXPECTED = "run it again; report it if it persists"


class PolicyRun:
    """One child evaluating `policies` on one plan: started now, killed when it is done,
    when it runs past the limit, or when the caller leaves the `with` block."""

    def __init__(self, policies: Sequence[PolicyFile]) -> None:
        self.policies = tuple(policies)
        # The child imports the pstokens this process runs, whatever the working folder.
        here = str(Path(pstokens.__file__).resolve().parent.parent)
        env = {name: os.environ[name] for name in KEPT if name in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        self._withheld = [os.environ[k].strip() for k in CREDENTIALS
                          if os.environ.get(k, "").strip()]
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-m", WORKER], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        except OSError as exc:
            raise PstokensError(f"cannot start the Rego evaluator: {exc.strerror or exc}",
                                UNEXPECTED) from None
        self._replies: queue.Queue[bytes] = queue.Queue()
        self._writer: threading.Thread | None = None
        threading.Thread(target=self._read, name="pstokens-policies", daemon=True).start()
        self._send({"policies": [[p.path, p.text] for p in self.policies]})

    def evaluate(self, policies: Sequence[PolicyFile], document: Mapping[str, Any],
                 limit: float) -> tuple[PolicyFinding, ...]:
        """Every policy's findings on `document` (a `Judge`'s evaluate); ConfigError when
        one does not parse or fails, or when they run past `limit` seconds (counted from
        now): then the child is killed."""
        if tuple(policies) != self.policies:
            raise ValueError("this run was started for other policies")
        deadline = time.monotonic() + limit
        running: int | None = None
        try:
            # Encoded here, so that a document marshal refuses (ValueError) is raised
            # here; a write the child does not take (it is still compiling, or looping)
            # blocks the writer only: `close` kills the child, and the write then fails.
            data = marshal.dumps(dict(document))
            self._writer = threading.Thread(target=self._write, args=(data,),
                                            name="pstokens-policies-input", daemon=True)
            self._writer.start()
            self._reply(deadline)  # compiled: a policy that does not parse says so here
            while True:
                reply = self._reply(deadline)
                if "running" in reply:
                    running = int(reply["running"])
                else:
                    return tuple(self._masked(PolicyFinding.from_json(f))
                                 for f in reply["findings"])
        except TimeoutError:
            raise stopped(self.policies[running or 0], limit) from None
        except _Gone as exc:  # it died in rego-cpp (a stack run out): on the policy running
            if running is None:
                raise PstokensError("the Rego evaluator stopped unexpectedly "
                                    f"(exit {exc.code})", UNEXPECTED) from None
            raise crashed(self.policies[running], exc.code) from None
        finally:
            self.close()

    def _masked(self, finding: PolicyFinding) -> PolicyFinding:
        """`finding` with any value withheld from the child masked (it cannot have read
        one; a policy quoting one in its own text is masked all the same)."""
        if not self._withheld:
            return finding
        # A credential shorter than scrub's run (`k`, `abc`) as a whole word only.
        long, brief = short(self._withheld)
        masked = mask_words(scrub(finding.message, long) if long else finding.message,
                            brief, MASK)
        return finding if masked == finding.message else dataclasses.replace(finding,
                                                                              message=masked)

    def close(self) -> None:
        """Kill the child if it still runs, and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self._writer is not None:  # its write failed with the child, if not done
            self._writer.join()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> PolicyRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _send(self, message: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the child is gone: its last reply (or its silence) says why

    def _write(self, document: bytes) -> None:
        """The marshalled document, then the end of the child's input."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(document)
            self.process.stdin.close()
        except (OSError, ValueError):
            pass  # the child is gone: its last reply (or its silence) says why

    def _reply(self, deadline: float) -> dict[str, Any]:
        """The child's next message; TimeoutError past `deadline`; its error, raised."""
        try:
            line = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        if not line:
            raise _Gone(self.process.wait())
        try:
            reply: dict[str, Any] = json.loads(line)
        except ValueError:
            raise PstokensError("the Rego evaluator answered something unreadable",
                                UNEXPECTED) from None
        error = reply.get("error")
        if error is None:
            return reply
        if "problems" in error:
            raise ConfigError([Problem(str(f), int(n), int(c), str(m))
                               for f, n, c, m in error["problems"]], error.get("hint"))
        raise PstokensError(str(error["message"]), error.get("hint"))

    def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                self._replies.put(line)
        except (OSError, ValueError):
            pass  # closed under us: the run is over
        self._replies.put(b"")


class _Gone(Exception):  # internal: `evaluate` words it
    """The child ended without a word: on a policy (`crashed`), or before any."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def isolated(policies: Sequence[PolicyFile], document: Mapping[str, Any],
             limit: float) -> tuple[PolicyFinding, ...]:
    """A `Judge`'s evaluate: start the child and evaluate at once."""
    with PolicyRun(policies) as run:
        return run.evaluate(policies, document, limit)
