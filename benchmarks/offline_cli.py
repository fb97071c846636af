"""The command line over a big list, offline: addresses per second and peak memory.

    python benchmarks/offline_cli.py [--count 1000000] [--seed 2026]

Writes a CSV of ``--count`` generated addresses (the generator of
offline_throughput.py: realistic names and providers, typos, disposable and role
addresses, about 10 % malformed) to a temporary directory, then runs
``python -m emailcheck --offline -i list.csv -o out.csv -q`` as a child process and
reads the child's peak resident set size from ``resource.getrusage(RUSAGE_CHILDREN)``
(Linux reports it in KiB, macOS in bytes). Target: at most 100 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from offline_throughput import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "list.csv"
        output = Path(directory) / "out.csv"
        with open(source, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "email"])
            produced = 0
            while produced < args.count:
                size = min(100_000, args.count - produced)
                batch = generate(size, args.seed + produced)
                writer.writerows([produced + i, address] for i, address in enumerate(batch))
                produced += len(batch)
        env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "emailcheck", "--offline", "-i", str(source), "-o",
             str(output), "-q"], env=env, check=False)
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_mb = peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024
        with open(output, "rb") as handle:
            rows = sum(1 for _ in handle) - 1
    print(f"{args.count:,} addresses, exit code {completed.returncode}, {rows:,} rows written")
    print(f"emailcheck --offline  {took:7.1f} s  {args.count / took:9,.0f} addresses/s  "
          f"peak RSS {peak_mb:6.1f} MB   (target <= 100 MB)")


if __name__ == "__main__":
    main()
