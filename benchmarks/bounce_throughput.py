"""Bounce parsing throughput: emailcheck against flufl.bounce and the stdlib, same corpus.

    python benchmarks/bounce_throughput.py [--seconds 2] [--repeat 3]

Parses every message of ``tests/samples/bounces/`` (the .eml files) over and over and
prints messages per second, best of ``--repeat`` runs, on one core:

- ``emailcheck``: ``parse_bounce(raw)``: kind, recipients, action, status, diagnostic,
  remote MTA, and each recipient classified (hard/soft, category, reason);
- ``flufl.bounce``: ``email.message_from_bytes(raw)`` then ``scan_message(msg)``,
  Mailman's bounce detectors: the set of bounced addresses only, no reason (skipped,
  with a note, when flufl.bounce is not installed);
- ``stdlib walk``: ``email.message_from_bytes(raw)`` then walking its parts and reading
  each text part's payload: the floor of any parser built on ``email``; it finds nothing.
"""

from __future__ import annotations

import argparse
import email
import email.message
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from emailcheck.bounces import parse_bounce  # noqa: E402

CORPUS = ROOT / "tests" / "samples" / "bounces"


def load() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]


def rate(work: Callable[[bytes], object], corpus: list[bytes], seconds: float) -> float:
    """Messages per second over whole passes of the corpus for about ``seconds``."""
    done = 0
    gc.collect()
    started = time.perf_counter()
    while True:
        for raw in corpus:
            work(raw)
        done += len(corpus)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def stdlib_walk(raw: bytes) -> object:
    message = email.message_from_bytes(raw)
    for part in message.walk():
        if part.get_content_maintype() == "text":
            part.get_payload(decode=True)
    return message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measured run")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    args = parser.parse_args()
    corpus = load()
    contenders: list[tuple[str, Callable[[bytes], object]]] = [
        ("emailcheck parse_bounce", parse_bounce),
    ]
    try:
        from flufl.bounce import scan_message

        def flufl(raw: bytes) -> object:
            return scan_message(email.message_from_bytes(raw))

        contenders.append(("flufl.bounce scan_message", flufl))
    except ImportError:
        print("flufl.bounce is not installed (pip install flufl.bounce): not compared")
    contenders.append(("stdlib parse + walk", stdlib_walk))
    size = sum(map(len, corpus))
    print(f"{len(corpus)} messages, {size:,} bytes, from {CORPUS.relative_to(ROOT)}")
    for name, work in contenders:
        best = max(rate(work, corpus, args.seconds) for _ in range(args.repeat))
        print(f"{name:28} {best:>10,.0f} messages/s")


if __name__ == "__main__":
    main()
