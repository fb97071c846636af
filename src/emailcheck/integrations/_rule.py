"""The accept-or-reject rule shared by the framework integrations (no framework imports)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .._types import Result
from .._verifier import Verifier, default_verifier

# Offline, "risky" means a likely typo or a disposable domain: both worth stopping in a
# form. "unknown" and "catch_all" pass, since a form cannot confirm a mailbox anyway.
DEFAULT_REJECT: frozenset[str] = frozenset({"invalid", "risky"})


@dataclass(frozen=True)
class Rejection:
    """Why a form value was refused: the reason code, a human message, a suggestion."""

    reason: str
    message: str
    suggestion: str | None
    status: str
    result: Result


@dataclass(frozen=True)
class EmailRule:
    """Verify a value and decide whether a form accepts it.

    Args:
        dns: also look up the domain's mail servers (default: offline only).
        smtp: with ``dns``, also probe the mailbox (slow; off by default).
        reject: statuses and reason codes to refuse (default ``{"invalid", "risky"}``); a
            reason matches the result's or any check's (so ``role_account`` works too).
        verifier: the Verifier to use (default: the shared ``default_verifier()``).
        timeout: overall seconds per address for network checks (default: the option's).
    """

    dns: bool = False
    smtp: bool = False
    reject: Collection[str] = DEFAULT_REJECT
    verifier: Verifier | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reject", frozenset(str(item) for item in self.reject))

    def verify(self, value: str) -> Result:
        verifier = self.verifier if self.verifier is not None else default_verifier()
        return verifier.verify(value, dns=self.dns, smtp=self.dns and self.smtp,
                               timeout=self.timeout)

    def judge(self, result: Result) -> Rejection | None:
        """The rejection for ``result``, or None when it is acceptable."""
        status = result.status.value
        reason = _plain(result.reason)
        if status in self.reject or reason in self.reject:
            return Rejection(reason, message_for(result), result.suggestion, status, result)
        # A reason the policy only flags (role_account, free_provider) can be refused too.
        for check in result.checks:
            if check.reason is not None and _plain(check.reason) in self.reject:
                message = check.detail or _plain(check.reason)
                return Rejection(_plain(check.reason), message, result.suggestion, status,
                                 result)
        return None


def _plain(reason: object) -> str:
    return str(getattr(reason, "value", reason))


def message_for(result: Result) -> str:
    """The result's message, ending with "did you mean …?" when there is a suggestion."""
    message = result.message or str(result.reason)
    suggestion = result.suggestion
    if suggestion and suggestion not in message:
        message = f"{message}; did you mean {suggestion}?"
    return message
