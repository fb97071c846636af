"""The policy: how check outcomes become one status, reason, message and score."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from ._address import _fast_constructor
from ._errors import ConfigurationError
from ._reasons import REASON_INFO, Reason
from ._types import CheckOutcome, Decision, Finding, Outcome, Status


@runtime_checkable
class Policy(Protocol):
    """Anything with ``decide(checks) -> Decision``."""

    def decide(self, checks: Sequence[CheckOutcome], /) -> Decision: ...


PolicyLike = Policy | Callable[[Sequence[CheckOutcome]], Decision]

# Most severe first: the verdict is the most severe status any check asks for.
SEVERITY: tuple[Status, ...] = (
    Status.INVALID, Status.RISKY, Status.UNKNOWN, Status.CATCH_ALL, Status.VALID,
)
_RANK = {status: rank for rank, status in enumerate(SEVERITY)}
_PASS = Outcome.PASS

_OUTCOME_DEFAULT: Mapping[Outcome, Status | None] = MappingProxyType({
    Outcome.FAIL: Status.INVALID,
    Outcome.WARN: Status.RISKY,
    Outcome.ERROR: Status.UNKNOWN,
    Outcome.PASS: None,
    Outcome.SKIP: None,
})

# Only reasons whose status does not depend on the outcome are listed; a checker says
# FAIL only for a permanent, definite answer, so e.g. a 4xx "mailbox disabled" (WARN)
# stays risky while a 5xx one (FAIL) is invalid.
DEFAULT_REASON_STATUS: Mapping[str, Status | None] = MappingProxyType({
    Reason.DISPOSABLE.value: Status.RISKY,
    Reason.POSSIBLE_TYPO.value: Status.RISKY,
    Reason.ROLE_ACCOUNT.value: None,  # flag only: role inboxes are real inboxes
    Reason.FREE_PROVIDER.value: None,
    Reason.ACCEPTED.value: Status.VALID,
    Reason.CATCH_ALL.value: Status.CATCH_ALL,
    Reason.MAILBOX_FULL.value: Status.RISKY,
    # The server would not tell: never invalid, never risky on their own.
    **{
        reason.value: Status.UNKNOWN
        for reason in (
            Reason.UNSAFE_MX_ADDRESS, Reason.DNS_TIMEOUT, Reason.DNS_ERROR,
            Reason.GREYLISTED, Reason.TEMPORARY_FAILURE, Reason.TOO_MANY_RECIPIENTS,
            Reason.RATE_LIMITED, Reason.BLOCKED, Reason.POLICY_REJECTION,
            Reason.RELAY_DENIED, Reason.AUTHENTICATION_REQUIRED, Reason.PROTOCOL_ERROR,
            Reason.SMTPUTF8_UNSUPPORTED, Reason.SMTP_TIMEOUT, Reason.CONNECTION_FAILED,
            Reason.SERVER_MISBEHAVED, Reason.PROVIDER_UNVERIFIABLE, Reason.SMTP_UNCLASSIFIED,
            Reason.MESSAGE_TOO_LARGE,
            Reason.DEADLINE_EXCEEDED, Reason.CHECKER_ERROR,
        )
    },
})

DEFAULT_STATUS_SCORE: Mapping[Status, int] = MappingProxyType({
    Status.VALID: 95,
    Status.CATCH_ALL: 60,
    Status.UNKNOWN: 50,
    Status.RISKY: 25,
    Status.INVALID: 0,
})


@dataclass(frozen=True, slots=True)
class DefaultPolicy:
    """Status by reason, else by outcome; the most severe wins; ties go to the first check.

    Each check's reason is looked up in ``reason_status`` (None there means "flag only");
    a reason not in the table takes its outcome's default: fail -> invalid, warn -> risky,
    error -> unknown, pass/skip -> no opinion. When no check has an opinion the address
    passed everything that ran, yet nothing confirmed the mailbox: status unknown, reason
    ``mailbox_not_checked`` (an offline pass is never called deliverable).

    The score (0-100) starts from ``status_score``, can be set per reason in
    ``reason_score``, and loses ``role_penalty`` for a role account.
    """

    reason_status: Mapping[str, Status | None] = field(
        default_factory=lambda: DEFAULT_REASON_STATUS
    )
    status_score: Mapping[Status, int] = field(default_factory=lambda: DEFAULT_STATUS_SCORE)
    reason_score: Mapping[str, int] = field(default_factory=dict)
    role_penalty: int = 10

    def with_reasons(self, **statuses: Status | str | None) -> DefaultPolicy:
        """A copy with some reasons mapped anew, e.g. ``with_reasons(role_account="risky")``."""
        table = dict(self.reason_status)
        for reason, status in statuses.items():
            table[reason] = None if status is None else Status(status)
        return DefaultPolicy(table, self.status_score, self.reason_score, self.role_penalty)

    def decide(self, checks: Sequence[CheckOutcome], /) -> Decision:
        return self.decide_findings([check.finding for check in checks])

    def decide_findings(self, findings: Iterable[Finding], /) -> Decision:
        """``decide()`` over the checks' findings alone: all the rule needs."""
        chosen: Finding | None = None
        chosen_rank = len(SEVERITY)
        role = False
        table = self.reason_status
        for finding in findings:
            reason = finding.reason
            if reason is None:
                if finding.outcome is _PASS:
                    continue
                status = _OUTCOME_DEFAULT[finding.outcome]
            else:
                if reason == "role_account":
                    role = True
                status = (
                    table[reason] if reason in table else _OUTCOME_DEFAULT[finding.outcome]
                )
            if status is None:
                continue
            rank = _RANK[status]
            if rank < chosen_rank:
                chosen, chosen_rank = finding, rank
                if rank == 0:
                    break
        if chosen is None:
            if self is DEFAULT_POLICY:
                return _NOT_CHECKED_ROLE if role else _NOT_CHECKED
            status = Status.UNKNOWN
            reason_code: str = Reason.MAILBOX_NOT_CHECKED
            message = _NOT_CHECKED_MESSAGE
        else:
            status = SEVERITY[chosen_rank]
            reason_code = chosen.reason or (
                Reason.CHECK_FAILED if chosen.outcome is Outcome.FAIL else Reason.CHECKER_ERROR
            )
            message = chosen.detail or describe(reason_code)
        score = self.reason_score.get(reason_code, self.status_score.get(status, 0))
        if role:
            score -= self.role_penalty
        decision: Decision = _make_decision(status, reason_code, message, max(0, min(100, score)))
        return decision


_make_decision = _fast_constructor(Decision)
_DESCRIPTIONS = {reason.value: info[0] for reason, info in REASON_INFO.items()}
_NOT_CHECKED_MESSAGE = _DESCRIPTIONS[Reason.MAILBOX_NOT_CHECKED.value]


def describe(reason: str) -> str:
    """The documented description of a reason code (the code itself if unknown)."""
    return _DESCRIPTIONS.get(reason, str(reason))


def as_policy(policy: PolicyLike | None) -> Policy:
    if policy is None:
        return DEFAULT_POLICY
    if isinstance(policy, Policy):
        return policy
    if callable(policy):
        return _FunctionPolicy(policy)
    raise ConfigurationError(
        f"a policy needs a decide() method or must be callable, not {policy!r}"
    )


class _FunctionPolicy:
    __slots__ = ("func",)

    def __init__(self, func: Callable[[Sequence[CheckOutcome]], Decision]) -> None:
        self.func = func

    def decide(self, checks: Sequence[CheckOutcome], /) -> Decision:
        return self.func(checks)


DEFAULT_POLICY = DefaultPolicy()
# The default policy's most common decisions, built once (bulk verification hot path).
_NOT_CHECKED = Decision(
    Status.UNKNOWN, Reason.MAILBOX_NOT_CHECKED, _NOT_CHECKED_MESSAGE,
    DEFAULT_STATUS_SCORE[Status.UNKNOWN],
)
_NOT_CHECKED_ROLE = replace(_NOT_CHECKED, score=_NOT_CHECKED.score - DEFAULT_POLICY.role_penalty)
