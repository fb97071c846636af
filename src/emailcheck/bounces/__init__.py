"""Bounces: classify failure answers, parse bounce messages, keep a suppression ledger."""

from ._classify import BounceCategory, BounceClassification, BounceKind, classify_bounce
from ._ledger import (
    EventType,
    LedgerChecker,
    LedgerEntry,
    LedgerError,
    LedgerEvent,
    MemoryLedger,
    SQLiteLedger,
    SuppressionCause,
    SuppressionLedger,
    SuppressionRules,
)
from ._parse import (
    Action,
    BouncedRecipient,
    BounceReport,
    ReportKind,
    normalize_address,
    parse_bounce,
    parse_mbox,
)

__all__ = [
    "Action",
    "BounceCategory",
    "BounceClassification",
    "BounceKind",
    "BounceReport",
    "BouncedRecipient",
    "EventType",
    "LedgerChecker",
    "LedgerEntry",
    "LedgerError",
    "LedgerEvent",
    "MemoryLedger",
    "ReportKind",
    "SQLiteLedger",
    "SuppressionCause",
    "SuppressionLedger",
    "SuppressionRules",
    "classify_bounce",
    "normalize_address",
    "parse_bounce",
    "parse_mbox",
]
