"""emailcheck: tell whether an email address is worth sending to, before sending."""

from ._address import Address
from ._checkers import (
    CheckContext,
    Checker,
    DisposableChecker,
    FreeProviderChecker,
    RoleChecker,
    Stage,
    TypoChecker,
    checker,
    default_checkers,
)
from ._dns import MailHost, MXChecker
from ._errors import ConfigurationError, EmailCheckError, InvalidAddress
from ._lists import DomainList, Lists, LocalPartList
from ._options import Options
from ._policy import Decision, DefaultPolicy, Policy
from ._reasons import REASON_INFO, Reason
from ._replies import ReplyKind, ReplyMeaning, classify_reply
from ._smtp import SMTPChecker
from ._types import CheckOutcome, Finding, Outcome, Result, Status
from ._typo import TypoSuggester
from ._verifier import Verifier, averify, default_verifier, parse_address, verify

__all__ = [
    "REASON_INFO",
    "Address",
    "CheckContext",
    "CheckOutcome",
    "Checker",
    "ConfigurationError",
    "Decision",
    "DefaultPolicy",
    "DisposableChecker",
    "DomainList",
    "EmailCheckError",
    "Finding",
    "FreeProviderChecker",
    "InvalidAddress",
    "Lists",
    "LocalPartList",
    "MXChecker",
    "MailHost",
    "Options",
    "Outcome",
    "Policy",
    "Reason",
    "ReplyKind",
    "ReplyMeaning",
    "Result",
    "RoleChecker",
    "SMTPChecker",
    "Stage",
    "Status",
    "TypoChecker",
    "TypoSuggester",
    "Verifier",
    "averify",
    "checker",
    "classify_reply",
    "default_checkers",
    "default_verifier",
    "parse_address",
    "verify",
]

__version__ = "0.1.0"
