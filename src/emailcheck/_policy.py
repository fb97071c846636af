"""The policy: how check outcomes become one status, reason, message and score."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from ._reasons import REASON_INFO, Reason
from ._types import CheckOutcome, Outcome, Status


@dataclass(frozen=True, slots=True)
class Decision:
    status: Status
    reason: str
    message: str
    score: int


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

_OUTCOME_DEFAULT: Mapping[Outcome, Status | None] = MappingProxyType({
    Outcome.FAIL: Status.INVALID,
    Outcome.WARN: Status.RISKY,
    Outcome.ERROR: Status.UNKNOWN,
    Outcome.PASS: None,
    Outcome.SKIP: None,
})

DEFAULT_REASON_STATUS: Mapping[str, Status | None] = MappingProxyType({
    Reason.DISPOSABLE.value: Status.RISKY,
    Reason.POSSIBLE_TYPO.value: Status.RISKY,
    Reason.ROLE_ACCOUNT.value: None,  # flag only: role inboxes are real inboxes
    Reason.FREE_PROVIDER.value: None,
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

    reason_status: Mapping[str, Status | None] = field(default_factory=lambda: DEFAULT_REASON_STATUS)
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
        chosen: CheckOutcome | None = None
        chosen_status: Status | None = None
        role = False
        table = self.reason_status
        for check in checks:
            reason = check.reason
            if reason is None:
                status = _OUTCOME_DEFAULT[check.outcome]
            else:
                if reason == "role_account":
                    role = True
                status = (
                    table[reason] if reason in table else _OUTCOME_DEFAULT[check.outcome]
                )
            if status is None:
                continue
            if chosen_status is None or _RANK[status] < _RANK[chosen_status]:
                chosen, chosen_status = check, status
                if status is Status.INVALID:
                    break
        if chosen is None or chosen_status is None:
            reason_code: str = Reason.MAILBOX_NOT_CHECKED
            status = Status.UNKNOWN
            message = describe(reason_code)
        else:
            status = chosen_status
            reason_code = chosen.reason or (
                Reason.CHECK_FAILED if chosen.outcome is Outcome.FAIL else Reason.CHECKER_ERROR
            )
            message = chosen.detail or describe(reason_code)
        score = self.reason_score.get(reason_code, self.status_score.get(status, 0))
        if role:
            score -= self.role_penalty
        return Decision(status, reason_code, message, max(0, min(100, score)))


def describe(reason: str) -> str:
    """The documented description of a reason code (the code itself if unknown)."""
    try:
        return REASON_INFO[Reason(reason)][0]
    except ValueError:
        return str(reason)


def as_policy(policy: PolicyLike | None) -> Policy:
    if policy is None:
        return DEFAULT_POLICY
    if isinstance(policy, Policy):
        return policy
    if callable(policy):
        return _FunctionPolicy(policy)
    raise TypeError(f"a policy needs a decide() method or must be callable, not {policy!r}")


class _FunctionPolicy:
    __slots__ = ("func",)

    def __init__(self, func: Callable[[Sequence[CheckOutcome]], Decision]) -> None:
        self.func = func

    def decide(self, checks: Sequence[CheckOutcome], /) -> Decision:
        return self.func(checks)


DEFAULT_POLICY = DefaultPolicy()
