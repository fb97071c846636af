"""The suppression ledger: rules, both stores, concurrency, crash safety, the checker."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import emailcheck
from emailcheck import CheckContext, Finding, Outcome, Reason, Status, Verifier, checker
from emailcheck.bounces import (
    Action,
    BounceCategory,
    EventType,
    LedgerChecker,
    LedgerError,
    MemoryLedger,
    SQLiteLedger,
    SuppressionCause,
    SuppressionLedger,
    SuppressionRules,
    classify_bounce,
    parse_bounce,
)
from emailcheck.bounces._ledger import SCHEMA_VERSION, migrate

SAMPLES = Path(__file__).resolve().parent / "samples" / "bounces"
SRC = str(Path(emailcheck.__file__).resolve().parent.parent)
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
HARD = classify_bounce(550, "5.1.1 <jo@example.org>: Recipient address rejected: User unknown")
FULL = classify_bounce(452, "4.2.2 Mailbox over quota")
BLOCKED = classify_bounce(554, "5.7.1 Client host blocked using zen.spamhaus.org")


def days(count: float) -> datetime:
    return T0 + timedelta(days=count)


@pytest.fixture(params=["memory", "sqlite"])
def make_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[type]:
    """A factory of ledgers of one store kind, closed after the test."""
    made: list[SuppressionLedger] = []

    def make(rules: SuppressionRules | None = None) -> SuppressionLedger:
        ledger: SuppressionLedger = (
            MemoryLedger(rules) if request.param == "memory"
            else SQLiteLedger(tmp_path / f"ledger{len(made)}.db", rules)
        )
        made.append(ledger)
        return ledger

    yield make  # type: ignore[misc]
    for ledger in made:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: type) -> SuppressionLedger:
    return make_ledger()  # type: ignore[no-any-return]


# -- the rules ----------------------------------------------------------------------------------


def test_a_hard_bounce_suppresses_at_once(ledger: SuppressionLedger) -> None:
    assert ledger.is_suppressed("jo@example.org") is None
    entry = ledger.record_bounce("jo@example.org", HARD, diagnostic="550 5.1.1 unknown", at=T0)
    assert entry.suppressed
    found = ledger.is_suppressed("JO@Example.ORG")
    assert found is not None
    assert (found.cause, found.since, found.detail) == (
        SuppressionCause.HARD_BOUNCE, T0, "550 5.1.1 unknown")
    assert (found.category, found.reason, found.hard_bounces) == (
        BounceCategory.BAD_MAILBOX, "mailbox_not_found", 1)


def test_soft_bounces_suppress_at_the_limit_within_the_window(ledger: SuppressionLedger) -> None:
    for day in (0, 20):
        assert not ledger.record_bounce("jo@example.org", FULL, at=days(day)).suppressed
    # Day 40: the bounce of day 0 left the 30-day window, so only two count.
    assert not ledger.record_bounce("jo@example.org", FULL, at=days(40)).suppressed
    entry = ledger.record_bounce("jo@example.org", FULL, at=days(45))
    assert (entry.suppressed, entry.cause, entry.since, entry.soft_bounces) == (
        True, SuppressionCause.SOFT_BOUNCES, days(45), 4)
    assert entry.category is BounceCategory.MAILBOX_FULL


def test_soft_thresholds_are_configurable(make_ledger: type) -> None:
    strict = make_ledger(SuppressionRules(soft_limit=1))
    assert strict.record_bounce("a@example.org", FULL, at=T0).suppressed
    forever = make_ledger(SuppressionRules(soft_limit=2, soft_window=None))
    forever.record_bounce("a@example.org", FULL, at=T0)
    assert forever.record_bounce("a@example.org", FULL, at=days(400)).suppressed


def test_hard_categories_make_blocks_suppress_at_once(make_ledger: type) -> None:
    default = make_ledger()
    assert not default.record_bounce("a@example.org", BLOCKED, at=T0).suppressed
    strict = make_ledger(SuppressionRules(hard_categories=frozenset({"spam_related"})))
    entry = strict.record_bounce("a@example.org", BLOCKED, at=T0)
    assert (entry.suppressed, entry.cause) == (True, SuppressionCause.HARD_BOUNCE)


def test_delayed_is_pending_and_never_suppresses(ledger: SuppressionLedger) -> None:
    for hour in range(10):
        entry = ledger.record_bounce("jo@example.org", FULL, action="delayed",
                                     at=T0 + timedelta(hours=hour))
    assert (entry.suppressed, entry.pending, entry.pending_since, entry.delayed) == (
        False, True, T0, 10)
    entry = ledger.record_bounce("jo@example.org", classify_bounce(250, "ok"),
                                 action=Action.DELIVERED, at=days(1))
    assert (entry.pending, entry.suppressed) == (False, False)
    ledger.record_bounce("jo@example.org", FULL, action="delayed", at=days(2))
    assert not ledger.record_bounce("jo@example.org", FULL, at=days(3)).pending


def test_a_soft_suppression_becomes_hard_on_a_hard_bounce(ledger: SuppressionLedger) -> None:
    for day in range(3):
        ledger.record_bounce("jo@example.org", FULL, at=days(day))
    entry = ledger.record_bounce("jo@example.org", HARD, diagnostic="gone", at=days(4))
    assert (entry.cause, entry.since, entry.detail) == (
        SuppressionCause.HARD_BOUNCE, days(2), "gone")


def test_unsuppress_lifts_the_mark_and_restarts_the_soft_count(ledger: SuppressionLedger) -> None:
    for day in range(3):
        ledger.record_bounce("jo@example.org", FULL, at=days(day))
    assert ledger.is_suppressed("jo@example.org") is not None
    assert ledger.unsuppress("jo@example.org", "our DNS was broken", at=days(3)) is True
    assert ledger.unsuppress("jo@example.org", at=days(3)) is False  # not suppressed now
    assert ledger.is_suppressed("jo@example.org") is None
    # The three earlier soft bounces no longer count: two more do not suppress.
    for day in (4, 5):
        entry = ledger.record_bounce("jo@example.org", FULL, at=days(day))
    assert (entry.suppressed, entry.soft_bounces, entry.note) == (
        False, 5, "our DNS was broken")
    assert ledger.record_bounce("jo@example.org", FULL, at=days(6)).suppressed
    types = [event.type for event in ledger.history("jo@example.org")]
    assert types == [EventType.BOUNCE] * 3 + [EventType.UNSUPPRESSED] + [EventType.BOUNCE] * 3


def test_mark_left_suppress_and_delete(ledger: SuppressionLedger) -> None:
    entry = ledger.mark_left("Jane@Corp.example", "moved to a competitor", at=T0)
    assert (entry.address, entry.suppressed, entry.cause, entry.detail) == (
        "jane@corp.example", True, SuppressionCause.LEFT_ORGANISATION, "moved to a competitor")
    manual = ledger.suppress("ceo@corp.example", "asked not to be mailed", at=T0)
    assert (manual.cause, manual.note) == (SuppressionCause.MANUAL, "asked not to be mailed")
    ledger.record_bounce("jane@corp.example", HARD, at=days(1))
    assert ledger.is_suppressed("jane@corp.example").cause is (  # type: ignore[union-attr]
        SuppressionCause.LEFT_ORGANISATION)
    assert ledger.delete("jane@corp.example") is True
    assert ledger.delete("jane@corp.example") is False
    assert ledger.get("jane@corp.example") is None
    assert ledger.history("jane@corp.example") == []
    assert [entry.address for entry in ledger.entries()] == ["ceo@corp.example"]


def test_record_report_records_every_recipient(ledger: SuppressionLedger) -> None:
    report = parse_bounce((SAMPLES / "multi_recipient_dsn.eml").read_bytes())
    entries = ledger.record_report(report, at=T0)
    assert [(e.address, e.suppressed) for e in entries] == [
        ("m.santos@ribeira.example", True),
        ("pieter.devries@polder-bouw.example", False),  # mailbox full: soft
        ("a.kowalczyk@wisla-logistyka.example", True),
    ]
    (event,) = ledger.history("m.santos@ribeira.example")
    assert (event.type, event.status, event.action) == (EventType.BOUNCE, "5.1.1", Action.FAILED)
    assert event.diagnostic.startswith("550 5.1.1 <m.santos@ribeira.example>")
    delayed = parse_bounce((SAMPLES / "postfix_delayed_dsn.eml").read_bytes())
    (entry,) = ledger.record_report(delayed, at=T0)
    assert (entry.pending, entry.suppressed) == (True, False)


def test_record_result_suppresses_invalid_addresses(ledger: SuppressionLedger) -> None:
    @checker
    def mailbox_gone(context: CheckContext) -> Finding:
        return Finding.failed(Reason.MAILBOX_NOT_FOUND, "550 5.1.1 no such user")

    result = Verifier(checkers=[mailbox_gone]).verify("Gone@Company.co.uk", dns=False)
    assert result.status is Status.INVALID
    entry = ledger.record_result(result, at=T0)
    assert entry is not None
    assert (entry.address, entry.cause) == ("gone@company.co.uk", SuppressionCause.INVALID_ADDRESS)
    assert entry.detail.startswith("mailbox_not_found")
    valid = Verifier(checkers=[]).verify("fine@company.co.uk", dns=False)
    assert ledger.record_result(valid) is None
    assert ledger.record_result(Verifier().verify("no at sign", dns=False)) is None
    assert ledger.get("fine@company.co.uk") is None


def test_addresses_are_compared_case_insensitively_and_as_a_labels(
        ledger: SuppressionLedger) -> None:
    ledger.record_bounce("Jörg@Bücher.example", HARD, at=T0)
    assert ledger.is_suppressed("jörg@xn--bcher-kva.example") is not None
    assert ledger.is_suppressed("JÖRG@BÜCHER.EXAMPLE") is not None
    assert ledger.is_suppressed("not an address") is None
    with pytest.raises(ValueError, match="not an email address"):
        ledger.record_bounce("not an address", HARD)
    with pytest.raises(ValueError, match="classification"):
        ledger.record_bounce("jo@example.org")


def test_export_csv_and_jsonl(ledger: SuppressionLedger) -> None:
    ledger.record_bounce("b@example.org", HARD, diagnostic="=HYPERLINK(\"x\")", at=T0)
    ledger.record_bounce("a@example.org", FULL, at=T0)
    text = io.StringIO()
    assert ledger.export(text) == 2
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert [row["address"] for row in rows] == ["a@example.org", "b@example.org"]
    assert rows[1]["suppressed"] == "true"
    assert rows[1]["detail"] == "'=HYPERLINK(\"x\")"  # no formula for the spreadsheet
    lines = io.StringIO()
    assert ledger.export(lines, format="jsonl", suppressed=True) == 1
    (data,) = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert (data["address"], data["cause"], data["since"]) == (
        "b@example.org", "hard_bounce", T0.isoformat())
    with pytest.raises(ValueError, match="format"):
        ledger.export(io.StringIO(), format="xml")  # type: ignore[arg-type]


def test_rules_are_validated() -> None:
    with pytest.raises(emailcheck.ConfigurationError):
        SuppressionRules(soft_limit=0)
    with pytest.raises(emailcheck.ConfigurationError):
        SuppressionRules(soft_window=timedelta(0))
    with pytest.raises(ValueError, match="not_a_category"):
        SuppressionRules(hard_categories=frozenset({"not_a_category"}))  # type: ignore[arg-type]


# -- the SQLite store ---------------------------------------------------------------------------


def test_sqlite_schema_wal_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteLedger(path) as ledger:
        ledger.record_bounce("jo@example.org", HARD, at=T0)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with SQLiteLedger(path) as again:
        entry = again.is_suppressed("jo@example.org")
        assert entry is not None
        assert entry.since == T0


def test_sqlite_migrates_an_empty_file_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    assert migrate(db) == SCHEMA_VERSION
    assert migrate(db) == SCHEMA_VERSION  # idempotent
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        SQLiteLedger(tmp_path / "old.db")


def test_sqlite_in_memory_is_refused() -> None:
    with pytest.raises(emailcheck.ConfigurationError, match="MemoryLedger"):
        SQLiteLedger(":memory:")


def test_sqlite_threads_lose_no_record(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "threads.db", synchronous="NORMAL")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for index in range(200):
                ledger.record_bounce(f"t{worker}-{index}@example.org", FULL, at=T0)
                ledger.record_bounce("shared@example.org", FULL, action="delayed", at=T0)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(list(ledger.entries())) == 8 * 200 + 1
    shared = ledger.get("shared@example.org")
    assert shared is not None
    assert shared.delayed == 8 * 200  # read-modify-write in one transaction: no lost update
    ledger.close()


def test_sqlite_closes_the_connections_of_finished_threads(tmp_path: Path) -> None:
    with SQLiteLedger(tmp_path / "pool.db", synchronous="NORMAL") as ledger:
        for index in range(30):
            thread = threading.Thread(
                target=ledger.record_bounce, args=(f"t{index}@example.org", FULL))
            thread.start()
            thread.join()
        assert len(list(ledger.entries())) == 30
        assert len(ledger._connections) <= 3  # not one per thread that ever wrote


def test_sqlite_busy_beyond_every_retry_is_a_ledger_error(tmp_path: Path) -> None:
    class Impatient(SQLiteLedger):
        MAX_ATTEMPTS = 3

    path = tmp_path / "busy.db"
    ledger = Impatient(path, timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
    try:
        with pytest.raises(LedgerError, match="busy"):
            ledger.record_bounce("jo@example.org", HARD)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert ledger.record_bounce("jo@example.org", HARD).suppressed  # and then it works
    ledger.close()
    with pytest.raises(LedgerError, match="closed"):
        ledger.get("jo@example.org")


WRITER = """
import sys
from datetime import datetime, timezone
from emailcheck.bounces import SQLiteLedger, classify_bounce
path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
soft = classify_bounce(452, "4.2.2 over quota")
ledger = SQLiteLedger(path, synchronous="NORMAL")
at = datetime(2025, 3, 1, tzinfo=timezone.utc)
for index in range(count):
    ledger.record_bounce(f"{name}-{index}@example.org", soft, at=at)
    ledger.record_bounce("shared@example.org", soft, action="delayed", at=at)
    print(index, flush=True)  # after the commit
"""


def _writer(path: Path, name: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [SRC, *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(count)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def test_sqlite_processes_lose_no_record(tmp_path: Path) -> None:
    path = tmp_path / "processes.db"
    SQLiteLedger(path).close()  # the schema exists before the race starts
    children = [_writer(path, f"p{number}", 100) for number in range(4)]
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert len(out.split()) == 100
    with SQLiteLedger(path) as ledger:
        assert len(list(ledger.entries())) == 4 * 100 + 1
        shared = ledger.get("shared@example.org")
        assert shared is not None
        assert shared.delayed == 4 * 100


def test_sqlite_survives_sigkill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    child = _writer(path, "k", 1_000_000)
    assert child.stdout is not None
    committed = []
    for line in child.stdout:  # wait until it is well into its loop
        committed.append(int(line))
        if len(committed) >= 200:
            break
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)
    committed += [int(line) for line in rest.split()]
    assert child.returncode == -signal.SIGKILL
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with SQLiteLedger(path) as ledger:
        stored = {entry.address for entry in ledger.entries()}
        missing = [index for index in committed if f"k-{index}@example.org" not in stored]
        assert missing == []
        # It may have committed one more than it lived to report; never fewer.
        assert len(stored) - 1 in (len(committed), len(committed) + 1)


# -- the checker --------------------------------------------------------------------------------


def test_the_ledger_checker_answers_before_any_network_check(ledger: SuppressionLedger) -> None:
    ledger.record_bounce("gone@company.co.uk", HARD, diagnostic="550 5.1.1 no such user", at=T0)
    calls: list[str] = []

    @checker(stage="dns")
    async def spy(context: CheckContext) -> Finding:
        calls.append(context.address.email)
        return Finding.passed()

    verifier = Verifier(checkers=[LedgerChecker(ledger), spy])
    result = verifier.verify("Gone@Company.co.uk", dns=True, smtp=True)
    assert (result.status, result.reason) == (Status.INVALID, Reason.SUPPRESSED)
    assert calls == []  # no DNS, no SMTP for a suppressed address
    check = result.check("ledger")
    assert check is not None
    assert check.outcome is Outcome.FAIL
    assert check.detail == "suppressed since 2025-03-01 (hard_bounce): 550 5.1.1 no such user"
    assert check.data["cause"] == "hard_bounce"
    assert result.check("spy").outcome is Outcome.SKIP  # type: ignore[union-attr]

    fine = verifier.verify("someone@company.co.uk", dns=True, smtp=True)
    assert calls == ["someone@company.co.uk"]
    assert fine.check("ledger").outcome is Outcome.PASS  # type: ignore[union-attr]


def test_the_ledger_checker_with_the_default_checkers(ledger: SuppressionLedger) -> None:
    ledger.mark_left("jane@company.co.uk", at=T0)
    verifier = Verifier(checkers=[LedgerChecker(ledger), *emailcheck.default_checkers()])
    result = verifier.verify("jane@company.co.uk", dns=False)
    assert (result.status, result.reason) == (Status.INVALID, Reason.SUPPRESSED)
    assert verifier.verify("john@company.co.uk", dns=False).reason != Reason.SUPPRESSED
