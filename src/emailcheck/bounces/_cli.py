"""``emailcheck bounce FILE...``: one row per bounced recipient, or JSON lines.

Exit status: 0 when every input was read; 1 when an input could not be read or a
message was no email at all (the rows of the others are still printed); 2 for a usage
error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO

from ._parse import DEFAULT_MAX_BYTES, BounceReport, ReportKind, parse_bounce, parse_mbox

COLUMNS = ("source", "address", "action", "status", "kind", "category", "reason", "diagnostic")
_DIAGNOSTIC_WIDTH = 120


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emailcheck bounce",
        description="Parse bounce messages: one row per recipient (tab-separated: "
        + ", ".join(COLUMNS) + "), or JSON lines.",
        epilog="Exit status: 0 all inputs read; 1 an input unreadable or not an email; "
        "2 usage error.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="a message file (.eml), an mbox with --mbox, or - for stdin")
    parser.add_argument("--jsonl", action="store_true",
                        help="one JSON object per recipient (and per message without one)")
    parser.add_argument("--mbox", action="store_true",
                        help="each FILE is an mbox holding several messages")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N",
                        help=f"read at most N bytes of each message (default {DEFAULT_MAX_BYTES})")
    return parser


def _printable(text: str) -> str:
    """One line, no control characters: a hostile bounce must not drive the terminal."""
    return "".join(char if char.isprintable() else " " for char in text)


def _rows(source: str, report: BounceReport) -> Iterator[list[str]]:
    if not report.recipients:
        note = report.error or report.feedback_type or ""
        yield [source, "-", "-", "-", report.kind.value, "-", "-", note]
        return
    for recipient in report.recipients:
        classification = recipient.classification
        diagnostic = recipient.diagnostic
        if len(diagnostic) > _DIAGNOSTIC_WIDTH:
            diagnostic = diagnostic[: _DIAGNOSTIC_WIDTH - 1] + "…"
        yield [
            source, recipient.address, recipient.action.value, recipient.status or "-",
            classification.kind.value,
            "-" if classification.category is None else classification.category.value,
            classification.reason.value, diagnostic,
        ]


def _json_lines(source: str, index: int | None, report: BounceReport) -> Iterator[str]:
    head: dict[str, object] = {"source": source}
    if index is not None:
        head["message"] = index
    summary = report.to_dict()
    summary.pop("recipients")
    head["report"] = summary
    if not report.recipients:
        yield json.dumps({**head, "recipient": None}, ensure_ascii=False)
    for recipient in report.recipients:
        yield json.dumps({**head, "recipient": recipient.to_dict()}, ensure_ascii=False)


def _read(path: str, stdin: IO[bytes], limit: int) -> bytes:
    if path == "-":
        return stdin.read(limit + 1)
    with open(path, "rb") as file:
        return file.read(limit + 1)  # parse_bounce cuts at limit and says so


def _reports(
    path: str, mbox: bool, stdin: IO[bytes], limit: int,
) -> Iterator[tuple[int | None, BounceReport]]:
    if mbox:
        source: str | IO[bytes] = stdin if path == "-" else path
        yield from enumerate(parse_mbox(source, max_bytes=limit))
    else:
        yield None, parse_bounce(_read(path, stdin, limit), max_bytes=limit)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``emailcheck bounce`` with ``argv`` (the arguments after ``bounce``)."""
    try:
        arguments = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 2
    if arguments.max_bytes < 1:
        print("emailcheck bounce: --max-bytes must be positive", file=sys.stderr)
        return 2
    out = sys.stdout
    stdin = sys.stdin.buffer
    status = 0
    try:
        for path in arguments.files:
            try:
                for index, report in _reports(path, arguments.mbox, stdin, arguments.max_bytes):
                    if report.kind is ReportKind.ERROR:
                        status = 1
                    label = path if index is None else f"{path}#{index}"
                    if arguments.jsonl:
                        for line in _json_lines(path, index, report):
                            out.write(line + "\n")
                    else:
                        for row in _rows(label, report):
                            out.write("\t".join(_printable(cell) for cell in row) + "\n")
            except BrokenPipeError:
                raise
            except OSError as error:
                print(f"emailcheck bounce: {path}: {error.strerror or error}", file=sys.stderr)
                status = 1
        out.flush()
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        # Python flushes stdout again at exit; point it at nothing so that cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return status


if __name__ == "__main__":
    sys.exit(main())
