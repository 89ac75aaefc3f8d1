"""Why S3 state uses obstore, not boto3: import time and installed size, measured.

Each import runs in a fresh interpreter, several times, bytecode cached and
warmed by one run first; the median counts. "Ready" adds what a run pays
before its first request: an S3 client object. Sizes add up the files each
distribution installed (boto3 with the packages it pulls in that pstokens
does not otherwise need). Both libraries must be installed: the `test` extra
brings boto3 with moto.

    python benchmarks/s3_library.py [--runs 7]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "obstore: import": "import obstore; from obstore.store import S3Store",
    "obstore: import + client": (
        "from obstore.store import S3Store; S3Store('b', region='us-east-1', "
        "skip_signature=True)"
    ),
    "boto3: import": "import boto3",
    "boto3: import + client": (
        "import boto3; boto3.client('s3', region_name='us-east-1', "
        "aws_access_key_id='x', aws_secret_access_key='y')"
    ),
}
DISTRIBUTIONS = {
    "obstore": ["obstore"],
    "boto3": ["boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six"],
}


def seconds(code: str, runs: int, env: dict[str, str]) -> float:
    command = [sys.executable, "-c", code]
    subprocess.run(command, env=env, check=True)  # warm the bytecode cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def installed_bytes(names: list[str]) -> int:
    total = 0
    for name in names:
        dist = importlib.metadata.distribution(name)
        for file in dist.files or []:
            path = file.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="pstokens-pycache-")
    env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        baseline = seconds("pass", args.runs, env)
        print(f"python -c pass: {baseline * 1000:.0f} ms (subtracted below)")
        for name, code in CASES.items():
            print(f"{name}: {(seconds(code, args.runs, env) - baseline) * 1000:.0f} ms")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    for library, names in DISTRIBUTIONS.items():
        size = installed_bytes(names) / 2**20
        versions = ", ".join(f"{n} {importlib.metadata.version(n)}" for n in names)
        print(f"{library} installed: {size:.1f} MiB ({versions})")


if __name__ == "__main__":
    main()
