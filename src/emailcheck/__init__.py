"""emailcheck: tell whether an email address is worth sending to, before sending."""

from typing import TYPE_CHECKING

from ._address import Address
from ._batch import Batch
from ._checkers import (
    CheckContext,
    Checker,
    DisposableChecker,
    FreeProviderChecker,
    RoleChecker,
    Scope,
    Stage,
    TypoChecker,
    checker,
    default_checkers,
)
from ._errors import ConfigurationError, EmailCheckError, InvalidAddress
from ._lists import DomainList, Lists, LocalPartList
from ._options import Options
from ._policy import DefaultPolicy, Policy
from ._reasons import REASON_INFO, Reason
from ._replies import ReplyKind, ReplyMeaning, classify_reply
from ._types import CheckOutcome, Decision, Finding, Outcome, Result, Status
from ._typo import TypoSuggester
from ._verifier import Verifier, averify, default_verifier, parse_address, verify

__all__ = [
    "REASON_INFO",
    "Address",
    "Batch",
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
    "Scope",
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

if TYPE_CHECKING:
    from ._dns import MailHost, MXChecker
    from ._smtp import SMTPChecker

# The network checkers' modules pull in asyncio and more; they load on first use so that
# `import emailcheck` stays fast for offline use.
_LAZY = {"MailHost": "._dns", "MXChecker": "._dns", "SMTPChecker": "._smtp"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emailcheck' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
