"""The suppression ledger: bounces per address, and whether to stop sending there.

Rules (``SuppressionRules``), applied as each event is recorded:

- a failed delivery with a hard bounce (or one whose category is in
  ``hard_categories``) suppresses the address at once (cause ``hard_bounce``);
- a soft one suppresses it when it is the ``soft_limit``-th soft bounce (default 3)
  within ``soft_window`` (default 30 days; None counts them all) (cause ``soft_bounces``);
- a delayed delivery only marks the address pending until a final answer arrives; a
  delivered, relayed or expanded one clears that mark;
- a verification result with status ``invalid`` suppresses (cause ``invalid_address``)
  when ``suppress_invalid_results`` is on;
- ``mark_left`` suppresses (cause ``left_organisation``), ``suppress`` too (``manual``);
- ``unsuppress`` lifts the suppression and restarts the soft count: bounces recorded
  before it no longer count toward the limit. The history stays; ``delete`` erases the
  address and its history.

Addresses are compared in the form ``normalize_address`` gives: all lower case, the
domain as its IDNA A-label. Times are UTC; a naive ``at`` is taken as UTC.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from .._checkers import CheckContext, Stage
from .._enum import StrEnum
from .._errors import ConfigurationError, EmailCheckError
from .._reasons import Reason
from .._types import Finding, JSONValue, Outcome
from ._classify import BounceCategory, BounceClassification, BounceKind
from ._parse import Action, BouncedRecipient, BounceReport, normalize_address

if TYPE_CHECKING:
    import sqlite3

    from .._types import Result

_UTC = timezone.utc
T = TypeVar("T")


class LedgerError(EmailCheckError):
    """The ledger's store cannot be used (a newer schema, or busy beyond every retry)."""


class SuppressionCause(StrEnum):
    """Why an address is suppressed."""

    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCES = "soft_bounces"
    INVALID_ADDRESS = "invalid_address"
    LEFT_ORGANISATION = "left_organisation"
    MANUAL = "manual"


class EventType(StrEnum):
    """What one ledger event recorded."""

    BOUNCE = "bounce"  # a failed delivery
    DELAYED = "delayed"
    DELIVERED = "delivered"  # delivered, relayed or expanded
    RESULT = "result"  # a verification result
    SUPPRESSED = "suppressed"
    UNSUPPRESSED = "unsuppressed"
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class SuppressionRules:
    """When bounces suppress an address.

    Args:
        soft_limit: the soft bounce that suppresses (3: the third within the window).
        soft_window: how far back soft bounces count; None counts them all.
        hard_categories: categories that suppress at once even as soft bounces (e.g.
            ``{BounceCategory.SPAM_RELATED}`` for tools that treat blocks as hard).
        suppress_invalid_results: ``record_result`` suppresses invalid addresses.
    """

    soft_limit: int = 3
    soft_window: timedelta | None = timedelta(days=30)
    hard_categories: frozenset[BounceCategory] = field(default_factory=frozenset)
    suppress_invalid_results: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.soft_limit, int) or self.soft_limit < 1:
            raise ConfigurationError(f"soft_limit must be a positive int, not {self.soft_limit!r}")
        if self.soft_window is not None and self.soft_window <= timedelta(0):
            raise ConfigurationError(f"soft_window must be positive, not {self.soft_window!r}")
        object.__setattr__(self, "hard_categories", frozenset(
            BounceCategory(category) for category in self.hard_categories))


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One thing recorded about an address."""

    address: str
    at: datetime
    type: EventType
    action: Action | None = None
    kind: BounceKind | None = None
    category: BounceCategory | None = None
    reason: str | None = None
    status: str | None = None
    diagnostic: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "address": self.address, "at": self.at.isoformat(), "type": self.type.value,
            "action": _value(self.action), "kind": _value(self.kind),
            "category": _value(self.category), "reason": self.reason, "status": self.status,
            "diagnostic": self.diagnostic, "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What the ledger knows about one address: whether it is suppressed, why, since when.

    ``detail`` is the evidence in words: the deciding bounce's diagnostic, or the note.
    ``category`` and ``reason`` are those of the last failure.
    """

    address: str
    suppressed: bool
    cause: SuppressionCause | None
    since: datetime | None
    detail: str
    category: BounceCategory | None
    reason: str | None
    hard_bounces: int
    soft_bounces: int
    delayed: int
    pending_since: datetime | None  # a delivery still being retried
    counted_from: datetime | None  # soft bounces before this do not count (unsuppress)
    note: str
    updated_at: datetime

    @property
    def pending(self) -> bool:
        return self.pending_since is not None

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "address": self.address, "suppressed": self.suppressed,
            "cause": _value(self.cause), "since": _iso(self.since), "detail": self.detail,
            "category": _value(self.category), "reason": self.reason,
            "hard_bounces": self.hard_bounces, "soft_bounces": self.soft_bounces,
            "delayed": self.delayed, "pending_since": _iso(self.pending_since),
            "counted_from": _iso(self.counted_from), "note": self.note,
            "updated_at": self.updated_at.isoformat(),
        }


EXPORT_FIELDS = (
    "address", "suppressed", "cause", "since", "detail", "category", "reason",
    "hard_bounces", "soft_bounces", "delayed", "pending_since", "counted_from", "note",
    "updated_at",
)


def _value(member: Enum | None) -> str | None:
    return None if member is None else str(member.value)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(_UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def _key(address: str) -> str:
    key = normalize_address(address) if isinstance(address, str) else None
    if key is None:
        raise ValueError(f"not an email address: {address!r}")
    return key


# -- the rules, as one pure step --------------------------------------------------------------


def _fresh(address: str, at: datetime) -> LedgerEntry:
    return LedgerEntry(address, False, None, None, "", None, None, 0, 0, 0, None, None, "", at)


def _suppress(
    entry: LedgerEntry, cause: SuppressionCause, at: datetime, detail: str,
) -> LedgerEntry:
    if entry.suppressed:
        return entry
    return replace(entry, suppressed=True, cause=cause, since=at, detail=detail)


def _step(
    entry: LedgerEntry | None, event: LedgerEvent, soft_before: int, rules: SuppressionRules,
) -> LedgerEntry:
    """The entry after ``event``; ``soft_before``: the soft bounces already in the window."""
    at = event.at
    current = _fresh(event.address, at) if entry is None else entry
    current = replace(current, updated_at=max(at, current.updated_at))
    kind = event.type
    if kind is EventType.BOUNCE:
        hard = event.kind is BounceKind.HARD
        soft = event.kind is BounceKind.SOFT
        current = replace(
            current, pending_since=None,
            hard_bounces=current.hard_bounces + hard, soft_bounces=current.soft_bounces + soft,
            category=event.category or current.category, reason=event.reason or current.reason,
        )
        detail = event.diagnostic or (event.reason or "")
        if hard or (soft and event.category in rules.hard_categories):
            if current.cause is SuppressionCause.SOFT_BOUNCES:  # a final verdict now
                return replace(current, cause=SuppressionCause.HARD_BOUNCE, detail=detail)
            return _suppress(current, SuppressionCause.HARD_BOUNCE, at, detail)
        if soft and soft_before + 1 >= rules.soft_limit:
            return _suppress(current, SuppressionCause.SOFT_BOUNCES, at, detail)
        return current
    if kind is EventType.DELAYED:
        return replace(current, delayed=current.delayed + 1,
                       pending_since=current.pending_since or at)
    if kind is EventType.DELIVERED:
        return replace(current, pending_since=None)
    if kind is EventType.RESULT:
        return _suppress(current, SuppressionCause.INVALID_ADDRESS, at, event.diagnostic)
    if kind is EventType.SUPPRESSED:
        return replace(_suppress(current, SuppressionCause.MANUAL, at, event.note),
                       note=event.note)
    if kind is EventType.LEFT:
        since = current.since if current.suppressed else at
        return replace(current, suppressed=True, cause=SuppressionCause.LEFT_ORGANISATION,
                       since=since, detail=event.note or "left the organisation",
                       note=event.note)
    # UNSUPPRESSED: counts stay as history; the soft count starts again.
    return replace(current, suppressed=False, cause=None, since=None, detail="",
                   pending_since=None, counted_from=at, note=event.note)


class _Transaction(Protocol):
    """What the rules need from a store, inside one transaction."""

    def get(self, address: str) -> LedgerEntry | None: ...
    def count_soft(self, address: str, start: datetime | None, end: datetime) -> int: ...
    def put(self, entry: LedgerEntry) -> None: ...
    def add_event(self, event: LedgerEvent) -> None: ...
    def delete(self, address: str) -> bool: ...


# -- the public face, shared by the stores -------------------------------------------------------


class SuppressionLedger:
    """The ledger's API; ``MemoryLedger`` and ``SQLiteLedger`` store it.

    Every recording method applies the rules and returns the address's entry after it.
    """

    rules: SuppressionRules

    def __init__(self, rules: SuppressionRules | None = None) -> None:
        if rules is not None and not isinstance(rules, SuppressionRules):
            raise ConfigurationError(f"rules must be SuppressionRules, not {type(rules).__name__}")
        self.rules = rules or SuppressionRules()

    # -- what a store provides --

    def _run(self, work: Callable[[_Transaction], T]) -> T:
        raise NotImplementedError

    def get(self, address: str) -> LedgerEntry | None:
        """The entry for ``address``, suppressed or not; None when never recorded."""
        raise NotImplementedError

    def entries(self, *, suppressed: bool | None = None) -> Iterator[LedgerEntry]:
        """Every entry in address order; ``suppressed=True`` (or False) filters."""
        raise NotImplementedError

    def history(self, address: str) -> list[LedgerEvent]:
        """The events recorded for ``address``, oldest first."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the store; the ledger cannot be used afterwards."""

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- recording --

    def _record(self, events: Iterable[LedgerEvent]) -> list[LedgerEntry]:
        rules = self.rules
        todo = list(events)

        def work(txn: _Transaction) -> list[LedgerEntry]:
            done = []
            for event in todo:
                entry = txn.get(event.address)
                soft_before = 0
                if event.type is EventType.BOUNCE and event.kind is BounceKind.SOFT:
                    start = None if rules.soft_window is None else event.at - rules.soft_window
                    if entry is not None and entry.counted_from is not None:
                        start = entry.counted_from if start is None else max(
                            start, entry.counted_from)
                    soft_before = txn.count_soft(event.address, start, event.at)
                after = _step(entry, event, soft_before, rules)
                txn.add_event(event)
                txn.put(after)
                done.append(after)
            return done

        return self._run(work)

    def record_bounce(
        self, bounce: BouncedRecipient | str, classification: BounceClassification | None = None,
        *, action: Action | str | None = None, diagnostic: str | None = None,
        at: datetime | None = None,
    ) -> LedgerEntry:
        """Record one recipient of a bounce (or an address and its classification).

        Args:
            bounce: a ``BouncedRecipient`` from ``parse_bounce``, or an address.
            classification: required with an address; overrides the recipient's.
            action: failed (default for an address), delayed, delivered …
            diagnostic: the server's words, kept as evidence.
            at: when it happened (default now).
        """
        return self._record([self._bounce_event(bounce, classification, action, diagnostic, at)])[0]

    def record_report(
        self, report: BounceReport, *, at: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Record every recipient of a parsed bounce, in one transaction."""
        moment = _utc(at)
        return self._record(
            self._bounce_event(recipient, None, None, None, moment)
            for recipient in report.recipients
        )

    @staticmethod
    def _bounce_event(
        bounce: BouncedRecipient | str, classification: BounceClassification | None,
        action: Action | str | None, diagnostic: str | None, at: datetime | None,
    ) -> LedgerEvent:
        if isinstance(bounce, BouncedRecipient):
            address, found = bounce.address, bounce.classification
            action = action or bounce.action
            diagnostic = bounce.diagnostic if diagnostic is None else diagnostic
            status = bounce.status
        else:
            if classification is None:
                raise ValueError("record_bounce(address, …) needs the bounce's classification")
            address, found, status = bounce, classification, classification.enhanced
        found = classification or found
        resolved = Action(action or Action.FAILED)
        if resolved is Action.DELAYED:
            kind = EventType.DELAYED
        elif resolved is Action.FAILED:
            kind = EventType.BOUNCE
        else:
            kind = EventType.DELIVERED
        return LedgerEvent(
            _key(address), _utc(at), kind, resolved, found.kind, found.category,
            found.reason.value, status, (diagnostic or "")[:4096],
        )

    def record_result(self, result: Result, *, at: datetime | None = None) -> LedgerEntry | None:
        """Record a verification result: an ``invalid`` one suppresses (see the rules).

        Returns the entry, or None when nothing was recorded (any other status, a
        result that came from the ledger itself, or input that is no address).
        """
        from .._types import Status

        if (result.status is not Status.INVALID or not self.rules.suppress_invalid_results
                or result.reason == Reason.SUPPRESSED or result.address is None):
            return None
        address = result.address
        detail = f"{_plain(result.reason)}: {result.message}"
        event = LedgerEvent(
            _key(f"{address.local_part}@{address.ascii_domain}"), _utc(at or result.checked_at),
            EventType.RESULT, reason=str(_plain(result.reason)), diagnostic=detail[:4096],
        )
        return self._record([event])[0]

    def suppress(self, address: str, note: str = "", *, at: datetime | None = None) -> LedgerEntry:
        """Suppress by hand (cause ``manual``); an already suppressed address keeps its cause."""
        return self._record([LedgerEvent(_key(address), _utc(at), EventType.SUPPRESSED,
                                         note=note)])[0]

    def mark_left(self, address: str, note: str = "", *, at: datetime | None = None) -> LedgerEntry:
        """Suppress because the person left the organisation (cause ``left_organisation``)."""
        return self._record([LedgerEvent(_key(address), _utc(at), EventType.LEFT, note=note)])[0]

    def unsuppress(self, address: str, note: str = "", *, at: datetime | None = None) -> bool:
        """Lift a suppression (the bounce was a configuration or temporary problem).

        The history stays; soft bounces before now stop counting. Returns whether the
        address was suppressed.
        """
        key, moment = _key(address), _utc(at)

        def work(txn: _Transaction) -> bool:
            entry = txn.get(key)
            if entry is None or not entry.suppressed:
                return False
            event = LedgerEvent(key, moment, EventType.UNSUPPRESSED, note=note)
            txn.add_event(event)
            txn.put(_step(entry, event, 0, self.rules))
            return True

        return self._run(work)

    def delete(self, address: str) -> bool:
        """Erase the address and its history. Returns whether it was there."""
        key = _key(address)
        return self._run(lambda txn: txn.delete(key))

    # -- reading --

    def is_suppressed(self, address: str) -> LedgerEntry | None:
        """The entry when ``address`` is suppressed (why, since when, counts), else None."""
        key = normalize_address(address) if isinstance(address, str) else None
        if key is None:
            return None
        entry = self.get(key)
        return entry if entry is not None and entry.suppressed else None

    def export(
        self, file: IO[str], *, format: Literal["csv", "jsonl"] = "csv",
        suppressed: bool | None = None,
    ) -> int:
        """Write the entries to a text file as CSV (with a header row) or JSON lines.

        In CSV, text that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
        ``@`` first) gets a leading ``'``. Returns the number of entries written.
        """
        count = 0
        if format == "jsonl":
            for entry in self.entries(suppressed=suppressed):
                file.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
                count += 1
            return count
        if format != "csv":
            raise ValueError(f"format must be 'csv' or 'jsonl', not {format!r}")
        writer = csv.writer(file)
        writer.writerow(EXPORT_FIELDS)
        for entry in self.entries(suppressed=suppressed):
            row = entry.to_dict()
            writer.writerow([_cell(row[name]) for name in EXPORT_FIELDS])
            count += 1
        return count


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _cell(value: JSONValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # OWASP CSV injection: never let a bounce's words run as a formula
    return text


# -- in memory ------------------------------------------------------------------------------------


class _MemoryTransaction:
    """Writes held aside until the work succeeds: all or nothing, like SQLite's."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger
        self.entries: dict[str, LedgerEntry | None] = {}  # None: deleted
        self.events: list[LedgerEvent] = []
        self.cleared: set[str] = set()  # addresses whose stored events were deleted

    def get(self, address: str) -> LedgerEntry | None:
        if address in self.entries:
            return self.entries[address]
        return self.ledger._entries.get(address)

    def _events_of(self, address: str) -> Iterator[LedgerEvent]:
        if address not in self.cleared:
            yield from self.ledger._events.get(address, ())
        yield from (event for event in self.events if event.address == address)

    def count_soft(self, address: str, start: datetime | None, end: datetime) -> int:
        return sum(
            1 for event in self._events_of(address)
            if event.type is EventType.BOUNCE and event.kind is BounceKind.SOFT
            and (start is None or event.at >= start) and event.at <= end
        )

    def put(self, entry: LedgerEntry) -> None:
        self.entries[entry.address] = entry

    def add_event(self, event: LedgerEvent) -> None:
        self.events.append(event)

    def delete(self, address: str) -> bool:
        existed = self.get(address) is not None
        self.entries[address] = None
        self.cleared.add(address)
        self.events = [event for event in self.events if event.address != address]
        return existed

    def commit(self) -> None:
        ledger = self.ledger
        for address in self.cleared:
            ledger._events.pop(address, None)
        for address, entry in self.entries.items():
            if entry is None:
                ledger._entries.pop(address, None)
            else:
                ledger._entries[address] = entry
        for event in self.events:
            kept = ledger._events.setdefault(event.address, [])
            kept.append(event)
            if len(kept) > ledger.max_events:
                del kept[: len(kept) - ledger.max_events]


class MemoryLedger(SuppressionLedger):
    """A ledger in this process's memory: for tests, and for short-lived jobs.

    Thread-safe. Keeps at most ``max_events`` events per address (the newest).
    """

    def __init__(self, rules: SuppressionRules | None = None, *, max_events: int = 1000) -> None:
        super().__init__(rules)
        self.max_events = max_events
        self._lock = threading.RLock()
        self._entries: dict[str, LedgerEntry] = {}
        self._events: dict[str, list[LedgerEvent]] = {}

    def _run(self, work: Callable[[_Transaction], T]) -> T:
        with self._lock:
            transaction = _MemoryTransaction(self)
            result = work(transaction)
            transaction.commit()
            return result

    def get(self, address: str) -> LedgerEntry | None:
        key = normalize_address(address)
        with self._lock:
            return None if key is None else self._entries.get(key)

    def entries(self, *, suppressed: bool | None = None) -> Iterator[LedgerEntry]:
        with self._lock:
            chosen = sorted(self._entries.items())
        return iter([entry for _, entry in chosen
                     if suppressed is None or entry.suppressed == suppressed])

    def history(self, address: str) -> list[LedgerEvent]:
        key = normalize_address(address)
        with self._lock:
            return [] if key is None else sorted(self._events.get(key, ()), key=lambda e: e.at)

    def __repr__(self) -> str:
        return f"<MemoryLedger {len(self._entries)} addresses rules={self.rules!r}>"


# -- SQLite ---------------------------------------------------------------------------------------

SCHEMA_VERSION = 1

# _MIGRATIONS[n] takes a database from schema version n to n + 1 (PRAGMA user_version).
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE addresses (
            address TEXT PRIMARY KEY NOT NULL,
            suppressed INTEGER NOT NULL,
            cause TEXT,
            since TEXT,
            detail TEXT NOT NULL,
            category TEXT,
            reason TEXT,
            hard_bounces INTEGER NOT NULL,
            soft_bounces INTEGER NOT NULL,
            delayed INTEGER NOT NULL,
            pending_since TEXT,
            counted_from TEXT,
            note TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            action TEXT,
            kind TEXT,
            category TEXT,
            reason TEXT,
            status TEXT,
            diagnostic TEXT NOT NULL,
            note TEXT NOT NULL
        )""",
        "CREATE INDEX events_by_address ON events (address, type, at)",
        "CREATE INDEX addresses_by_state ON addresses (suppressed, address)",
    ),
)

# Fixed width, so that text order is time order in SQL comparisons.
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _stored(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(_UTC).strftime(_TIME_FORMAT)


def _loaded(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=_UTC)


def _entry_from_row(row: tuple[Any, ...]) -> LedgerEntry:
    (address, suppressed, cause, since, detail, category, reason, hard, soft, delayed,
     pending, counted_from, note, updated_at) = row
    return LedgerEntry(
        address, bool(suppressed), None if cause is None else SuppressionCause(cause),
        _loaded(since), detail, None if category is None else BounceCategory(category),
        reason, hard, soft, delayed, _loaded(pending), _loaded(counted_from), note,
        _loaded(updated_at) or datetime.now(_UTC),
    )


def _event_from_row(row: tuple[Any, ...]) -> LedgerEvent:
    address, at, kind, action, bounce_kind, category, reason, status, diagnostic, note = row
    return LedgerEvent(
        address, _loaded(at) or datetime.now(_UTC), EventType(kind),
        None if action is None else Action(action),
        None if bounce_kind is None else BounceKind(bounce_kind),
        None if category is None else BounceCategory(category), reason, status, diagnostic,
        note,
    )


class _SQLiteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection

    def get(self, address: str) -> LedgerEntry | None:
        row = self.db.execute("SELECT * FROM addresses WHERE address = ?", (address,)).fetchone()
        return None if row is None else _entry_from_row(row)

    def count_soft(self, address: str, start: datetime | None, end: datetime) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM events WHERE address = ? AND type = 'bounce' "
            "AND kind = 'soft' AND at >= ? AND at <= ?",
            (address, _stored(start) or "", _stored(end)),
        ).fetchone()
        return int(row[0])

    def put(self, entry: LedgerEntry) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO addresses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.address, int(entry.suppressed), _value(entry.cause), _stored(entry.since),
             entry.detail, _value(entry.category), entry.reason, entry.hard_bounces,
             entry.soft_bounces, entry.delayed, _stored(entry.pending_since),
             _stored(entry.counted_from), entry.note, _stored(entry.updated_at)),
        )

    def add_event(self, event: LedgerEvent) -> None:
        self.db.execute(
            "INSERT INTO events (address, at, type, action, kind, category, reason, status, "
            "diagnostic, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event.address, _stored(event.at), event.type.value, _value(event.action),
             _value(event.kind), _value(event.category), event.reason, event.status,
             event.diagnostic, event.note),
        )

    def delete(self, address: str) -> bool:
        self.db.execute("DELETE FROM events WHERE address = ?", (address,))
        return self.db.execute("DELETE FROM addresses WHERE address = ?", (address,)).rowcount > 0


def _is_busy(error: Exception) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def migrate(connection: sqlite3.Connection) -> int:
    """Bring a ledger database to ``SCHEMA_VERSION``, in one transaction; the version.

    Raises ``LedgerError`` for a database written by a newer version of this library.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"the ledger database has schema version {version}; this emailcheck "
                f"knows up to {SCHEMA_VERSION}: upgrade emailcheck"
            )
        for step in _MIGRATIONS[version:]:
            for statement in step:
                connection.execute(statement)
        if version != SCHEMA_VERSION:
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


class SQLiteLedger(SuppressionLedger):
    """A ledger in an SQLite file: WAL mode, one transaction per recording.

    Safe to share between threads (each gets its own connection) and between processes
    opening the same file. Every write is committed before the method returns, with
    ``synchronous=FULL`` by default, so a killed process loses nothing it reported as
    recorded. A write that finds the database busy waits up to ``timeout`` seconds,
    then is retried a bounded number of times before ``LedgerError`` is raised.

    Args:
        path: the database file (created, with its schema, when missing).
        rules: the suppression rules.
        timeout: seconds SQLite waits for a lock before each retry.
        synchronous: ``"FULL"`` (durable across power loss) or ``"NORMAL"`` (across
            process crashes only; faster).
    """

    SCHEMA_VERSION = SCHEMA_VERSION
    MAX_ATTEMPTS = 8

    def __init__(
        self, path: str | os.PathLike[str], rules: SuppressionRules | None = None, *,
        timeout: float = 30.0, synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        super().__init__(rules)
        self.path = os.fspath(path)
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            raise ConfigurationError("an in-memory SQLite ledger would be one per thread: "
                                     "use MemoryLedger")
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigurationError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.timeout = timeout
        self.synchronous = synchronous
        self._local = threading.local()
        # Each thread's connection, with the thread: closed once the thread is gone.
        self._connections: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self._closed = False
        connection = self._connection()
        self._retrying(lambda: self._set_wal(connection))
        self._retrying(lambda: migrate(connection))

    @staticmethod
    def _set_wal(connection: sqlite3.Connection) -> None:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            connection.execute("PRAGMA journal_mode = WAL")

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise LedgerError("the ledger is closed")
        local = self._local
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        # A connection must not cross a fork: the child opens its own.
        if connection is None or local.pid != os.getpid():
            import sqlite3

            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False,
            )
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            local.connection, local.pid = connection, os.getpid()
            with self._lock:
                dead = [(owner, kept) for owner, kept in self._connections
                        if (thread := owner()) is None or not thread.is_alive()]
                self._connections = [item for item in self._connections if item not in dead]
                self._connections.append((weakref.ref(threading.current_thread()), connection))
            for _, kept in dead:
                with contextlib.suppress(Exception):
                    kept.close()
        return connection

    def _retrying(self, work: Callable[[], T]) -> T:
        import sqlite3

        for attempt in range(self.MAX_ATTEMPTS):
            try:
                return work()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or attempt == self.MAX_ATTEMPTS - 1:
                    if _is_busy(error):
                        raise LedgerError(f"the ledger database stayed busy: {error}") from error
                    raise
            time.sleep(min(0.5, 0.01 * 2 ** attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, work: Callable[[_Transaction], T]) -> T:
        connection = self._connection()

        def attempt() -> T:
            connection.execute("BEGIN IMMEDIATE")  # the write lock first: no upgrade deadlock
            try:
                result = work(_SQLiteTransaction(connection))
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            return result

        return self._retrying(attempt)

    def get(self, address: str) -> LedgerEntry | None:
        key = normalize_address(address)
        if key is None:
            return None
        connection = self._connection()
        return self._retrying(lambda: _SQLiteTransaction(connection).get(key))

    def entries(self, *, suppressed: bool | None = None) -> Iterator[LedgerEntry]:
        connection = self._connection()
        arguments: tuple[int, ...] = ()
        if suppressed is None:
            query = "SELECT * FROM addresses ORDER BY address"
        else:
            query = "SELECT * FROM addresses WHERE suppressed = ? ORDER BY address"
            arguments = (int(suppressed),)
        rows = self._retrying(lambda: connection.execute(query, arguments).fetchall())
        return iter([_entry_from_row(row) for row in rows])

    def history(self, address: str) -> list[LedgerEvent]:
        key = normalize_address(address)
        if key is None:
            return []
        connection = self._connection()
        rows = self._retrying(lambda: connection.execute(
            "SELECT address, at, type, action, kind, category, reason, status, diagnostic, "
            "note FROM events WHERE address = ? ORDER BY at, id", (key,)).fetchall())
        return [_event_from_row(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for _, connection in connections:
            # Closed already, or in use by a thread that is exiting.
            with contextlib.suppress(Exception):
                connection.close()

    def __repr__(self) -> str:
        return f"<SQLiteLedger {self.path!r} rules={self.rules!r}>"


# -- the checker ----------------------------------------------------------------------------------


class LedgerChecker:
    """An offline checker: a suppressed address fails with reason ``suppressed``.

    Put it first, ``Verifier(checkers=[LedgerChecker(ledger), *default_checkers()])``,
    so that a suppressed address is answered before any DNS or SMTP work (the verifier
    skips network checks after a failure).
    """

    name = "ledger"
    stage = Stage.OFFLINE

    def __init__(self, ledger: SuppressionLedger) -> None:
        self.ledger = ledger

    def __call__(self, context: CheckContext, /) -> Finding:
        address = context.address
        entry = self.ledger.is_suppressed(f"{address.local_part}@{address.ascii_domain}")
        if entry is None:
            return _NOT_SUPPRESSED
        since = "" if entry.since is None else f" since {entry.since.date().isoformat()}"
        because = f": {entry.detail}" if entry.detail else ""
        return Finding(
            Outcome.FAIL, Reason.SUPPRESSED,
            f"suppressed{since} ({_value(entry.cause)}){because}"[:500],
            {"suppressed": True, "cause": _value(entry.cause), "since": _iso(entry.since),
             "category": _value(entry.category), "hard_bounces": entry.hard_bounces,
             "soft_bounces": entry.soft_bounces},
        )

    def __repr__(self) -> str:
        return f"<checker ledger (offline) {self.ledger!r}>"


_NOT_SUPPRESSED = Finding(Outcome.PASS, None, "", {"suppressed": False})
