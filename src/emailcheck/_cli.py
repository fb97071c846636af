"""The ``emailcheck`` command: verify addresses or whole lists from a terminal.

Exit codes (docs/cli.md): 0 done; 1 done, but some rows could not be read; 2 usage
error (bad option, unreadable input file, unknown column); 3 ``--fail-on`` matched;
130 interrupted (the output file is complete up to the last row written).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._types import Result

EXIT_OK: Final = 0
EXIT_UNREADABLE_ROWS: Final = 1
EXIT_USAGE: Final = 2
EXIT_FAIL_ON: Final = 3
EXIT_INTERRUPTED: Final = 130

STATUSES: Final = ("valid", "invalid", "catch_all", "risky", "unknown")
ERROR_STATUS: Final = "error"  # a row that could not be read: not a verdict
ADDED_COLUMNS: Final = ("status", "reason", "suggestion", "flags", "mx_host", "checked_at")
_PROGRESS_EVERY: Final = 0.2  # seconds between progress-bar redraws


class UsageError(Exception):
    """Bad arguments or input the command cannot start on (exit 2)."""


@dataclass
class Row:
    """One input record: its original fields, the address, or why it is unreadable."""

    line: int
    fields: Any  # list[str] for CSV/text, dict for JSONL
    address: str | None
    problem: str | None = None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["bounce"]:
        return _bounce(args[1:])
    parser = _parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as exit_:  # argparse: --help is 0, a usage error 2
        return int(exit_.code or 0)
    try:
        return _run(options)
    except UsageError as error:
        print(f"emailcheck: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _bounce(rest: list[str]) -> int:
    import importlib

    try:
        # By name: the bounces package is optional and may not be installed.
        bounce_main = importlib.import_module("emailcheck.bounces._cli").main
    except (ImportError, AttributeError):
        print("emailcheck: error: the bounce command is not available in this installation",
              file=sys.stderr)
        return EXIT_USAGE
    return int(bounce_main(rest))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emailcheck",
        description="Verify email addresses: syntax, typos, lists, MX, SMTP and catch-all.",
        epilog="`emailcheck bounce ...` parses bounce messages. Exit codes: 0 done, "
               "1 some rows unreadable, 2 usage error, 3 --fail-on matched, 130 interrupted.",
    )
    parser.add_argument("addresses", nargs="*", metavar="ADDRESS",
                        help="addresses to verify (or use --input)")
    source = parser.add_argument_group("input and output")
    source.add_argument("-i", "--input", metavar="FILE",
                        help="a list to verify: CSV, text (one address a line) or JSONL; "
                             "'-' reads stdin")
    source.add_argument("--format", choices=("auto", "csv", "text", "jsonl"), default="auto",
                        help="input format (auto: from the file extension; stdin: text)")
    source.add_argument("--column", metavar="NAME",
                        help="CSV column (header name or 1-based number) or JSONL field "
                             "holding the address (default: the first column named like "
                             "'email', else the first; JSONL: 'email')")
    source.add_argument("--no-header", action="store_true", help="the CSV has no header row")
    source.add_argument("-o", "--output", metavar="FILE",
                        help="where results go (default: stdout)")
    source.add_argument("--json", action="store_true",
                        help="print JSON lines (one result per line) instead of a table")
    source.add_argument("--split-dir", metavar="DIR",
                        help="also write one file per status (valid, invalid, catch_all, "
                             "risky, unknown; error for unreadable rows)")
    source.add_argument("--resume", action="store_true",
                        help="continue an interrupted run: keep the rows already in "
                             "--output and verify only the rest")
    source.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary")
    source.add_argument("--fail-on", metavar="STATUSES",
                        help="exit 3 if any result has one of these comma-separated statuses")
    checks = parser.add_argument_group("checks")
    checks.add_argument("--offline", action="store_true",
                        help="no network: syntax, typos and lists only")
    checks.add_argument("--no-smtp", action="store_true", help="MX lookup, but no SMTP probe")
    checks.add_argument("--no-catch-all", action="store_true",
                        help="do not probe for accept-all domains")
    checks.add_argument("--timeout", type=float, help="seconds per address, overall")
    checks.add_argument("--concurrency", type=int, help="verifications at once (default 50)")
    checks.add_argument("--per-host", type=int, dest="per_host_concurrency",
                        help="SMTP sessions at once per mail host (default 2)")
    checks.add_argument("--per-host-interval", type=float,
                        help="least seconds between probes at one mail host (default 0)")
    checks.add_argument("--greylist-wait", type=float, dest="greylist_retry_window",
                        help="seconds within which greylisted addresses are probed again")
    network = parser.add_argument_group("DNS and SMTP")
    network.add_argument("--nameserver", action="append", dest="nameservers",
                         metavar="IP", help="DNS server to ask (repeatable)")
    network.add_argument("--dns-port", type=int)
    network.add_argument("--dns-timeout", type=float)
    network.add_argument("--smtp-port", type=int)
    network.add_argument("--smtp-timeout", type=float)
    network.add_argument("--helo", dest="helo_name", metavar="NAME", help="our EHLO name")
    network.add_argument("--mail-from", metavar="ADDRESS", help="MAIL FROM ('' for <>)")
    network.add_argument("--no-starttls", action="store_true")
    network.add_argument("--allow-special-use", action="append", metavar="NAME",
                         help="accept a reserved name such as 'test' (repeatable)")
    network.add_argument("--allow-private-hosts", action="store_true",
                         help="connect to loopback/private mail hosts (tests only)")
    return parser


def _verifier(options: argparse.Namespace) -> Any:
    from ._errors import ConfigurationError
    from ._verifier import Verifier

    settings: dict[str, Any] = {}
    for name in ("timeout", "concurrency", "per_host_concurrency", "per_host_interval",
                 "greylist_retry_window", "dns_port", "dns_timeout", "smtp_port",
                 "smtp_timeout", "helo_name", "mail_from"):
        value = getattr(options, name)
        if value is not None:
            settings[name] = value
    if options.nameservers:
        settings["nameservers"] = tuple(options.nameservers)
    if options.no_catch_all:
        settings["catch_all"] = False
    if options.no_starttls:
        settings["starttls"] = False
    if options.allow_special_use:
        settings["allow_special_use"] = set(options.allow_special_use)
    if options.allow_private_hosts:
        settings["allow_private_hosts"] = True
    try:
        return Verifier(**settings)
    except ConfigurationError as error:
        raise UsageError(str(error)) from None


def _run(options: argparse.Namespace) -> int:
    if bool(options.addresses) == bool(options.input):
        raise UsageError("give addresses or --input FILE (not both)")
    if options.resume and not options.output:
        raise UsageError("--resume needs --output FILE")
    fail_on = set()
    if options.fail_on:
        fail_on = {part.strip() for part in options.fail_on.split(",") if part.strip()}
        unknown = fail_on - set(STATUSES)
        if unknown:
            raise UsageError(f"--fail-on takes {', '.join(STATUSES)}, not {', '.join(unknown)}")
    verifier = _verifier(options)
    dns = not options.offline
    smtp = dns and not options.no_smtp
    if options.addresses and not options.output and not options.split_dir:
        return _print_addresses(verifier, options, dns, smtp, fail_on)
    return _run_list(verifier, options, dns, smtp, fail_on)


def _print_addresses(
    verifier: Any, options: argparse.Namespace, dns: bool, smtp: bool, fail_on: set[str],
) -> int:
    counts: Counter[str] = Counter()
    rows: list[tuple[str, ...]] = []
    try:
        for result in verifier.verify_many(options.addresses, dns=dns, smtp=smtp):
            counts[result.status.value] += 1
            if options.json:
                print(result.to_json(), flush=True)
            else:
                rows.append((result.input, result.status.value, str(result.reason),
                             result.suggestion or "", _mx_host(result) or "", result.message))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    if rows:
        header = ("address", "status", "reason", "suggestion", "mx host", "detail")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            print("  ".join([*cells, row[5]]).rstrip())
    return EXIT_FAIL_ON if fail_on & set(counts) else EXIT_OK


# -- lists ---------------------------------------------------------------------------


def _run_list(
    verifier: Any, options: argparse.Namespace, dns: bool, smtp: bool, fail_on: set[str],
) -> int:
    if options.addresses:
        kind = "text"
        reader: Iterator[Row] = (
            Row(number, [text], text) for number, text in enumerate(options.addresses, 1))
        header: list[str] | None = None
        total: int | None = len(options.addresses)
        handle: IO[str] | None = None
    else:
        kind = _kind(options)
        handle = _open_input(options.input)
        try:
            reader, header = _reader(kind, handle, options)
        except UsageError:
            if handle is not sys.stdin:
                handle.close()
            raise
        total = _count_lines(options.input) if options.input != "-" else None
        if total is not None and header is not None:
            total -= 1
    out_kind = "jsonl" if options.json or kind == "jsonl" else "csv"
    columns = _columns(header, kind, out_kind)
    done_before = 0
    if options.resume and Path(options.output).exists():
        done_before = _complete_rows(Path(options.output), out_kind)
    output = _Output(options.output, out_kind, columns, append=done_before > 0)
    splits = _Splits(options.split_dir, out_kind, columns, append=done_before > 0)
    for _ in range(done_before):  # these rows are in the output already
        if next(reader, None) is None:
            break
    progress = _Progress(total, done_before, quiet=options.quiet)
    counts: Counter[str] = Counter()
    pending: deque[Row] = deque()
    interrupted = False

    def addresses() -> Iterator[str]:
        for row in reader:
            pending.append(row)
            if row.problem is None:
                assert row.address is not None
                yield row.address

    def emit(row: Row, result: Result | None) -> None:
        record = _record(row, result, out_kind)
        status = ERROR_STATUS if result is None else result.status.value
        with guard:  # a Ctrl-C now waits until the row is in the output and its split
            if result is None:
                print(f"emailcheck: line {row.line}: {row.problem}", file=sys.stderr)
            output.write(record)
            splits.write(status, record)
            counts[status] += 1
            progress.tick()

    guard = _RowGuard()
    results = verifier.verify_many(addresses(), dns=dns, smtp=smtp)
    try:
        with guard.installed():
            try:
                for result in results:
                    while pending and pending[0].problem is not None:
                        emit(pending.popleft(), None)
                    emit(pending.popleft(), result)
                while pending:
                    emit(pending.popleft(), None)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                try:
                    results.close()
                except KeyboardInterrupt:
                    interrupted = True
                finally:  # whatever happened above, every row written so far is kept
                    try:
                        with guard:
                            output.close()
                            splits.close()
                    except KeyboardInterrupt:
                        interrupted = True
    finally:
        if handle is not None and handle is not sys.stdin:
            handle.close()
        progress.finish()
    if not options.quiet:
        _summary(counts, done_before, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    if counts[ERROR_STATUS]:
        return EXIT_UNREADABLE_ROWS
    return EXIT_FAIL_ON if fail_on & set(counts) else EXIT_OK


def _kind(options: argparse.Namespace) -> str:
    if options.format != "auto":
        return str(options.format)
    suffix = Path(options.input).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "text"


def _open_input(name: str) -> IO[str]:
    if name == "-":
        return sys.stdin
    try:
        # surrogateescape: undecodable bytes reach the row check and the output intact.
        return open(name, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as error:
        raise UsageError(f"cannot read {name}: {error.strerror or error}") from None


def _reader(kind: str, handle: IO[str], options: argparse.Namespace,
            ) -> tuple[Iterator[Row], list[str] | None]:
    if kind == "jsonl":
        return _jsonl_rows(handle, options.column or "email"), None
    if kind == "text":
        return _text_rows(handle), None
    return _csv_rows(handle, options)


def _text_rows(handle: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(handle, 1):
        text = line.strip()
        if not text:
            continue
        problem = _undecodable(text)
        yield Row(number, [text], text, problem)


def _jsonl_rows(handle: IO[str], field: str) -> Iterator[Row]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        problem = _undecodable(line)
        record: Any = None
        if problem is None:
            try:
                record = json.loads(line)
            except ValueError as error:
                problem = f"not JSON ({error})"
        address = None
        if problem is None:
            if isinstance(record, str):
                address, record = record, {"email": record}
            elif isinstance(record, dict) and isinstance(record.get(field), str):
                address = record[field]
            else:
                problem = f"no string field {field!r}"
        yield Row(number, record if isinstance(record, dict) else {"line": line.rstrip()},
                  address, problem)


def _csv_rows(handle: IO[str], options: argparse.Namespace,
              ) -> tuple[Iterator[Row], list[str] | None]:
    csv.field_size_limit(1 << 20)
    dialect: Any = "excel-tab" if str(options.input).lower().endswith(".tsv") else "excel"
    rows = csv.reader(handle, dialect)
    header: list[str] | None = None
    if not options.no_header:
        try:
            header = next(rows, None)
        except csv.Error as error:
            raise UsageError(f"cannot read the CSV header: {error}") from None
        if header is None:
            header = []
    index = _column_index(header, options.column)

    def records() -> Iterator[Row]:
        while True:
            try:
                fields = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                yield Row(rows.line_num, [], None, f"unreadable CSV row: {error}")
                continue
            if not fields:
                continue
            problem = _undecodable(",".join(fields))
            width = len(header) if header else len(fields)
            if problem is None and (len(fields) != width or len(fields) <= index):
                problem = f"the row has {len(fields)} columns, the header {width}"
            address = fields[index].strip() if len(fields) > index else None
            yield Row(rows.line_num, _fit(fields, width), address, problem)

    return records(), header


def _fit(fields: list[str], width: int) -> list[str]:
    """Exactly ``width`` fields, so the added columns line up: short rows are padded,
    the overflow of long ones is kept, joined, in the last column."""
    if len(fields) < width:
        return fields + [""] * (width - len(fields))
    if len(fields) > width > 0:
        return [*fields[: width - 1], ",".join(fields[width - 1:])]
    return fields


def _column_index(header: list[str] | None, column: str | None) -> int:
    if column is not None and column.isdigit():
        if int(column) < 1:
            raise UsageError("--column numbers start at 1")
        return int(column) - 1
    if header is None:
        if column is not None:
            raise UsageError("with --no-header, --column takes a number")
        return 0
    names = [name.strip().lower() for name in header]
    if column is not None:
        if column.strip().lower() not in names:
            raise UsageError(f"no column {column!r} in the header: {', '.join(header)}")
        return names.index(column.strip().lower())
    for position, name in enumerate(names):
        if "email" in name or "e-mail" in name or name == "address":
            return position
    return 0


def _undecodable(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    return None


def _columns(header: list[str] | None, kind: str, out_kind: str) -> list[str]:
    if out_kind == "jsonl":
        return list(ADDED_COLUMNS)
    base = list(header) if header is not None else ["email"] if kind == "text" else []
    taken = {name.lower() for name in base}
    return base + [f"emailcheck_{name}" if name in taken else name for name in ADDED_COLUMNS]


def _mx_host(result: Result) -> str | None:
    # Findings, not checks: building every CheckOutcome per row cost more than the
    # offline checks themselves.
    smtp = result.finding("smtp")
    if smtp is not None and smtp.data.get("mx_host"):
        return str(smtp.data["mx_host"])
    mx = result.finding("mx")
    hosts = mx.data.get("mx") if mx is not None else None
    return str(hosts[0]) if hosts else None


def _record(row: Row, result: Result | None, out_kind: str) -> Any:
    if result is None:
        added: list[Any] = [ERROR_STATUS, row.problem or "", "", "", "", ""]
        flags: list[str] = []
    else:
        flags = [name for name in ("disposable", "role", "free") if getattr(result, name)]
        added = [result.status.value, str(result.reason), result.suggestion or "",
                 ";".join(flags), _mx_host(result) or "", result.checked_at.isoformat()]
    if out_kind == "jsonl":
        record = dict(row.fields) if isinstance(row.fields, dict) else {"email": row.address}
        values = dict(zip(ADDED_COLUMNS, added, strict=True))
        values["flags"] = flags
        record.update(values)
        return record
    return [*row.fields, *added]


class _RowGuard:
    """Holds a Ctrl-C back while a row is being written (``with guard:``), so the row
    reaches the output and its split file, or neither; the KeyboardInterrupt comes
    right after. Outside those moments Ctrl-C interrupts as usual.

    ``installed()`` puts the SIGINT handler in place for the run (main thread only;
    elsewhere Python delivers no signals anyway) and the previous one back after."""

    def __init__(self) -> None:
        self.writing = False
        self.held = False
        self.previous: Any = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        try:
            self.previous = signal.signal(signal.SIGINT, self._interrupted)
        except (ValueError, OSError):  # not the main thread: nothing to hold back
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self.previous)

    def _interrupted(self, number: int, frame: Any) -> None:
        if self.writing:
            self.held = True
            return
        previous = self.previous
        if callable(previous):  # the default handler raises KeyboardInterrupt
            previous(number, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    def __enter__(self) -> None:
        self.writing = True

    def __exit__(self, *exc: object) -> None:
        self.writing = False
        if self.held:
            self.held = False
            if exc[0] is None:
                raise KeyboardInterrupt


class _Output:
    """Rows out, one whole record per write, so an interruption never cuts a row."""

    def __init__(self, name: str | None, kind: str, columns: list[str], *, append: bool):
        self.kind = kind
        if name is None or name == "-":
            self.handle: IO[str] = sys.stdout
            self.owned = False
        else:
            self.handle = open(  # noqa: SIM115 - closed in close()
                name, "a" if append else "w", encoding="utf-8", errors="surrogateescape",
                newline="")
            self.owned = True
        self.csv = csv.writer(self.handle) if kind == "csv" else None
        if self.csv is not None and not append:
            self.csv.writerow(columns)

    def write(self, record: Any) -> None:
        if self.csv is not None:
            self.csv.writerow(record)
        else:
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.handle.flush()
        if self.owned:
            os.fsync(self.handle.fileno())
            self.handle.close()


class _Splits:
    """``--split-dir``: one output per status, opened on first use."""

    def __init__(self, directory: str | None, kind: str, columns: list[str], *, append: bool):
        self.directory = None if directory is None else Path(directory)
        self.kind = kind
        self.columns = columns
        self.append = append
        self.outputs: dict[str, _Output] = {}
        if self.directory is not None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise UsageError(f"cannot create {directory}: {error.strerror}") from None

    def write(self, status: str, record: Any) -> None:
        if self.directory is None:
            return
        output = self.outputs.get(status)
        if output is None:
            path = self.directory / f"{status}.{self.kind}"
            output = self.outputs[status] = _Output(
                str(path), self.kind, self.columns, append=self.append and path.exists())
        output.write(record)

    def close(self) -> None:
        for output in self.outputs.values():
            output.close()


def _complete_rows(path: Path, kind: str) -> int:
    """Records already in an earlier run's output; a torn last line is cut off."""
    with open(path, "rb+") as handle:
        data = handle.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            handle.truncate(end)
    text = data[:end].decode("utf-8", "surrogateescape")
    if kind == "jsonl":
        return text.count("\n")
    return max(0, sum(1 for _ in csv.reader(text.splitlines(keepends=True))) - 1)


def _count_lines(name: str) -> int | None:
    try:
        with open(name, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None


class _Progress:
    """A one-line bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int | None, done: int, *, quiet: bool) -> None:
        self.total = total
        self.done = done
        self.started = time.monotonic()
        self.first = done
        self.drawn = 0.0
        self.on = not quiet and sys.stderr.isatty()

    def tick(self) -> None:
        self.done += 1
        if self.on and time.monotonic() - self.drawn >= _PROGRESS_EVERY:
            self.draw()

    def draw(self) -> None:
        now = time.monotonic()
        self.drawn = now
        rate = (self.done - self.first) / max(now - self.started, 1e-9)
        if self.total:
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            text = f"[{bar:<30}] {self.done:,}/{self.total:,} {share:6.1%}"
        else:
            text = f"{self.done:,}"
        sys.stderr.write(f"\r{text}  {rate:,.0f}/s ")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.on:
            self.draw()
            sys.stderr.write("\n")


def _summary(counts: Counter[str], done_before: int, interrupted: bool) -> None:
    parts = [f"{status} {counts[status]:,}" for status in (*STATUSES, ERROR_STATUS)
             if counts[status]]
    total = sum(counts.values())
    note = f" (plus {done_before:,} from the earlier run)" if done_before else ""
    state = "interrupted after" if interrupted else "checked"
    print(f"emailcheck: {state} {total:,} rows{note}: {', '.join(parts) or 'nothing'}",
          file=sys.stderr)
