"""Result types: statuses, check outcomes and the immutable verification result."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from types import MappingProxyType
from typing import Any

from ._address import Address, AddressFields, _fast_constructor, _make_address
from ._enum import StrEnum

JSONValue = Any  # None | bool | int | float | str | list[JSONValue] | dict[str, JSONValue]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Status(StrEnum):
    """The one label a team acts on."""

    VALID = "valid"  # send
    INVALID = "invalid"  # suppress
    CATCH_ALL = "catch_all"  # domain accepts anything: own segment
    RISKY = "risky"  # disposable, typo, full mailbox …: slow lane
    UNKNOWN = "unknown"  # not confirmed either way: re-check later


class Outcome(StrEnum):
    """What one check concluded."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"


def _frozen(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not data:
        return _EMPTY
    if isinstance(data, MappingProxyType):
        return data
    return MappingProxyType(dict(data))


@dataclass(frozen=True, slots=True)
class Finding:
    """What a checker returns: its outcome, a reason code, a human detail and evidence.

    ``data`` carries machine-readable evidence. Keys the verifier lifts into the
    result: ``disposable``, ``role``, ``free`` (bool) and ``suggestion`` (str).
    """

    outcome: Outcome
    reason: str | None = None
    detail: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.outcome, Outcome):
            object.__setattr__(self, "outcome", Outcome(self.outcome))
        if type(self.data) is not MappingProxyType:
            object.__setattr__(self, "data", _frozen(self.data))

    @classmethod
    def passed(cls, detail: str = "", **data: Any) -> Finding:
        return cls(Outcome.PASS, None, detail, data)

    @classmethod
    def failed(cls, reason: str, detail: str = "", **data: Any) -> Finding:
        return cls(Outcome.FAIL, reason, detail, data)

    @classmethod
    def warned(cls, reason: str, detail: str = "", **data: Any) -> Finding:
        return cls(Outcome.WARN, reason, detail, data)

    @classmethod
    def skipped(cls, detail: str = "") -> Finding:
        return cls(Outcome.SKIP, None, detail)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One check as it ran: its name, its finding and how long it took (seconds)."""

    name: str
    finding: Finding
    elapsed: float

    @property
    def outcome(self) -> Outcome:
        return self.finding.outcome

    @property
    def reason(self) -> str | None:
        return self.finding.reason

    @property
    def detail(self) -> str:
        return self.finding.detail

    @property
    def data(self) -> Mapping[str, Any]:
        return self.finding.data

    def to_dict(self) -> dict[str, JSONValue]:
        finding = self.finding
        return {
            "name": self.name,
            "outcome": finding.outcome.value,
            "reason": None if finding.reason is None else str(_plain(finding.reason)),
            "detail": finding.detail,
            "elapsed_ms": round(self.elapsed * 1000, 3),
            "data": _jsonable(finding.data),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's verdict: status, reason code, human message and score (0-100)."""

    status: Status
    reason: str
    message: str
    score: int


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one address, with the evidence behind it.

    ``disposable``, ``role`` and ``free`` are True / False, or None when not checked.
    The address properties (``email``, ``domain`` …) are None when the input could not
    be parsed.
    """

    input: str
    # The policy's verdict; ``status``, ``reason``, ``message`` and ``score`` read it.
    # Shared between results alike (one object, not four fields per result).
    decision: Decision = field(repr=False)
    # The parsed address's fields, in ``Address`` order; None when the input could not
    # be parsed. ``address`` rebuilds the Address: a tuple of strings is soon dropped by
    # the garbage collector from the objects it scans, an Address never is.
    address_fields: AddressFields | None = field(repr=False)
    # Flat (name, finding, name, finding, …) per check in order, and each check's
    # seconds in ``check_times``; ``checks`` presents both as CheckOutcome objects. Flat
    # tuples, not an object per check, and two of them: in bulk, addresses alike in
    # every finding share one ``check_findings`` tuple, and a tuple of floats is soon
    # dropped by the garbage collector from the objects it scans. Both mattered: the
    # collector's passes over results kept in memory cost more than verifying them.
    check_findings: tuple[Any, ...] = field(repr=False)
    check_times: tuple[float, ...] = field(repr=False)
    # Unix time; ``checked_at`` presents it as a datetime. A float costs a quarter of a
    # datetime to take, which bulk verification pays per address.
    timestamp: float

    @property
    def status(self) -> Status:
        """valid, invalid, catch_all, risky or unknown: what to do with the address."""
        return self.decision.status

    @property
    def reason(self) -> str:
        """The stable snake_case code behind the status (see docs/reasons.md)."""
        return self.decision.reason

    @property
    def message(self) -> str:
        """The reason in words, for people."""
        return self.decision.message

    @property
    def score(self) -> int:
        """0-100: how confident the policy is that mail to the address will be delivered."""
        return self.decision.score

    @property
    def checked_at(self) -> datetime:
        """When the verification started, in UTC."""
        return datetime.fromtimestamp(self.timestamp, timezone.utc)

    @property
    def checks(self) -> tuple[CheckOutcome, ...]:
        """Every check as it ran, in order: name, outcome, reason, detail, elapsed."""
        pairs = self.check_findings
        return tuple(map(CheckOutcome, pairs[0::2], pairs[1::2], self.check_times))

    def finding(self, name: str) -> Finding | None:
        """The finding of the check called ``name``, if it ran (cheaper than ``check``)."""
        pairs = self.check_findings
        for index in range(0, len(pairs), 2):
            if pairs[index] == name:
                finding: Finding = pairs[index + 1]
                return finding
        return None

    @property
    def suggestion(self) -> str | None:
        """A corrected address to show the person ("did you mean …?"), if any."""
        for finding in self.check_findings[1::2]:
            value = finding.data.get("suggestion") if finding.data else None
            if value:
                return str(value)
        return None

    @property
    def disposable(self) -> bool | None:
        """True / False from the disposable check; None if no check said."""
        return self._flag("disposable")

    @property
    def role(self) -> bool | None:
        """True / False from the role-account check; None if no check said."""
        return self._flag("role")

    @property
    def free(self) -> bool | None:
        """True / False from the free-provider check; None if no check said."""
        return self._flag("free")

    def _flag(self, key: str) -> bool | None:
        seen: bool | None = None
        for finding in self.check_findings[1::2]:
            value = finding.data.get(key) if finding.data else None
            if value is not None:
                seen = bool(value) or bool(seen)
        return seen

    @property
    def address(self) -> Address | None:
        """The parsed, normalised address; None when the input could not be parsed."""
        fields = self.address_fields
        return None if fields is None else _make_address(*fields)

    @property
    def email(self) -> str | None:
        """The normalised address (Unicode domain)."""
        fields = self.address_fields
        return None if fields is None else f"{fields[0]}@{fields[1]}"

    @property
    def ascii_email(self) -> str | None:
        """The IDNA (A-label) form; None when the local part needs SMTPUTF8."""
        fields = self.address_fields
        return None if fields is None or fields[4] else f"{fields[0]}@{fields[2]}"

    @property
    def local_part(self) -> str | None:
        fields = self.address_fields
        return None if fields is None else fields[0]

    @property
    def domain(self) -> str | None:
        """The domain in Unicode form."""
        fields = self.address_fields
        return None if fields is None else fields[1]

    @property
    def ascii_domain(self) -> str | None:
        fields = self.address_fields
        return None if fields is None else fields[2]

    @property
    def registrable_domain(self) -> str | None:
        fields = self.address_fields
        return None if fields is None else fields[3]

    @property
    def smtputf8(self) -> bool | None:
        """Delivering needs the SMTPUTF8 extension (the local part is not ASCII)."""
        fields = self.address_fields
        return None if fields is None else fields[4]

    def check(self, name: str) -> CheckOutcome | None:
        """The outcome of the check called ``name``, if it ran."""
        for check in self.checks:
            if check.name == name:
                return check
        return None

    def to_dict(self) -> dict[str, JSONValue]:
        """JSON-native values only: enums become strings, times ISO 8601 (UTC)."""
        return {
            "input": self.input,
            "email": self.email,
            "ascii_email": self.ascii_email,
            "status": self.status.value,
            "reason": str(_plain(self.reason)),
            "message": self.message,
            "score": self.score,
            "local_part": self.local_part,
            "domain": self.domain,
            "ascii_domain": self.ascii_domain,
            "registrable_domain": self.registrable_domain,
            "suggestion": self.suggestion,
            "disposable": self.disposable,
            "role": self.role,
            "free": self.free,
            "smtputf8": self.smtputf8,
            "checked_at": self.checked_at.isoformat(),
            "checks": [outcome.to_dict() for outcome in self.checks],
        }

    def to_json(self, **dumps_kwargs: Any) -> str:
        """``to_dict()`` as a JSON string (keyword arguments go to ``json.dumps``)."""
        dumps_kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **dumps_kwargs)

    def __repr__(self) -> str:
        shown = self.email if self.email is not None else self.input
        if len(shown) > 80:
            shown = shown[:77] + "..."
        parts = [
            f"email={shown!r}",
            f"status={self.status.value}",
            f"reason={_plain(self.reason)}",
        ]
        if self.suggestion is not None:
            parts.append(f"suggestion={self.suggestion!r}")
        flags = [name for name in ("disposable", "role", "free") if getattr(self, name)]
        if flags:
            parts.append("flags=" + ",".join(flags))
        return f"<Result {' '.join(parts)}>"

    def _repr_html_(self) -> str:
        rows = [
            ("email", self.email if self.email is not None else self.input),
            ("status", self.status.value),
            ("reason", str(_plain(self.reason))),
            ("message", self.message),
            ("score", str(self.score)),
            ("suggestion", self.suggestion or ""),
            ("disposable / role / free", " / ".join(
                _tri(v) for v in (self.disposable, self.role, self.free))),
            ("checked at", self.checked_at.isoformat(timespec="seconds")),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        checks = "".join(
            "<tr>" + "".join(
                f"<td style='text-align:left'>{html.escape(cell)}</td>"
                for cell in (
                    c.name, c.outcome.value, str(_plain(c.reason or "")), c.detail,
                    f"{c.elapsed * 1000:.2f} ms",
                )
            ) + "</tr>"
            for c in self.checks
        )
        return (
            f"<table class='emailcheck-result'>{body}</table>"
            "<table class='emailcheck-checks'><tr><th>check</th><th>outcome</th>"
            f"<th>reason</th><th>detail</th><th>time</th></tr>{checks}</table>"
        )


def _tri(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _plain(value: Any) -> Any:
    """A str enum member as its plain value (str() of a mixin enum is not always it)."""
    return value.value if isinstance(value, Enum) else value


def _jsonable(value: Any) -> JSONValue:
    if value is None or isinstance(value, (bool, int, float, str)):
        return _plain(value)
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


make_result = _fast_constructor(Result)
