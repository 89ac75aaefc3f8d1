"""Run pstokens and SIGKILL it at the Nth file replacement, before or after the rename.

    python -m tests.reliability.killer before|after[-SUFFIX] N -- pstokens-args...

Every file pstokens writes (state, its backup, a delivered secret) ends in
`os.replace`, so counting those calls gives kill points inside and between
state writes, which a kill from outside could only hit by luck. With a
suffix (`before-.env`), only replacements of files ending so are counted.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from pstokens.cli.main import main


def run(argv: list[str]) -> None:
    when, _, suffix = argv[0].partition("-")
    target = int(argv[1])
    args = argv[3:] if argv[2] == "--" else argv[2:]
    real = os.replace
    count = 0

    def replace(src: Any, dst: Any, *rest: Any, **options: Any) -> None:
        nonlocal count
        hit = str(dst).endswith(suffix)
        count += hit
        if hit and count == target and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        real(src, dst, *rest, **options)
        if hit and count == target and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = replace  # type: ignore[assignment]
    main(args)


if __name__ == "__main__":
    run(sys.argv[1:])
