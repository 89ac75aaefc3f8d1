"""The child process that evaluates `rules.policies` (run by engine/reading/policyrun.py).

A runaway policy must be stopped after 10 s, and a thread running rego-cpp cannot
be: so the policies run here, in a process the parent kills. It reads no config
and loads no more than the evaluator and engine/rules/policies.py, so it starts
while the parent still makes the plan.

Its protocol: in (stdin), a JSON line `{"policies": [[path, text], ...]}`, then
the plan's document marshalled, to the end of the stream (the parent runs the
same Python, and marshal decodes a 1,000-token plan in 4 to 10 ms, JSON in 15 to
20; marshal is not for data from elsewhere, and the parent is the only writer).
Out (stdout), JSON lines: `{"ready": true}` once every policy compiled,
`{"running": i}` before policy `i` starts, then `{"findings": [...]}`; or
`{"error": {...}}` (a ConfigError's problems and hint, or a message) and nothing more.

    python -P -m pstokens.engine.reading.policyworker
"""

from __future__ import annotations

import gc
import json
import marshal
import sys
from typing import IO, Any, NamedTuple

from pstokens.engine.rules.policies import Evaluator, failed
from pstokens.errors import ConfigError, PstokensError


class _Policy(NamedTuple):
    path: str
    text: str


def main(source: IO[bytes], sink: IO[bytes]) -> int:
    def say(message: dict[str, Any]) -> None:
        sink.write(json.dumps(message).encode() + b"\n")
        sink.flush()

    running: list[int] = []  # the policy being evaluated, once one is

    def starts(index: int) -> None:
        running[:] = [index]
        say({"running": index})

    try:
        policies = [_Policy(str(p), str(t)) for p, t in json.loads(source.readline())["policies"]]
        evaluator = Evaluator(policies)
        say({"ready": True})
        document = marshal.loads(source.read())  # noqa: S302 - written by our parent only
        try:
            found = evaluator.judge(document, starts)
        except PstokensError:
            raise
        except Exception as exc:  # regopy failing on this policy: it is named
            if not running:
                raise
            raise failed(policies[running[0]], type(exc).__name__) from None
    except ConfigError as exc:
        say({"error": {"problems": [[p.file, p.line, p.column, p.message]
                                    for p in exc.problems], "hint": exc.hint}})
        return 1
    except PstokensError as exc:
        say({"error": {"message": exc.message, "hint": exc.hint}})
        return 1
    except Exception as exc:  # noqa: BLE001 - told to the parent, which shows it
        say({"error": {"message": f"the Rego evaluator failed: {type(exc).__name__}"}})
        return 1
    say({"findings": [f.to_json() for f in found]})
    return 0


if __name__ == "__main__":
    # One plan, then the process ends: what it builds holds no cycle (pstokens/nocycles.py).
    gc.disable()
    sys.exit(main(sys.stdin.buffer, sys.stdout.buffer))
