"""Result types: statuses, check outcomes and the immutable verification result."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

JSONValue = Any  # None | bool | int | float | str | list[JSONValue] | dict[str, JSONValue]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Status(str, Enum):
    """The one label a team acts on."""

    VALID = "valid"  # send
    INVALID = "invalid"  # suppress
    CATCH_ALL = "catch_all"  # domain accepts anything: own segment
    RISKY = "risky"  # disposable, typo, full mailbox …: slow lane
    UNKNOWN = "unknown"  # not confirmed either way: re-check later

    def __str__(self) -> str:
        return self.value


class Outcome(str, Enum):
    """What one check concluded."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


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
    """One check as it ran: its name, finding and how long it took (seconds)."""

    name: str
    outcome: Outcome
    reason: str | None
    detail: str
    elapsed: float
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "reason": None if self.reason is None else str(_plain(self.reason)),
            "detail": self.detail,
            "elapsed_ms": round(self.elapsed * 1000, 3),
            "data": _jsonable(self.data),
        }


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one address, with the evidence behind it.

    ``disposable``, ``role`` and ``free`` are True / False, or None when not checked.
    Address fields are None when the input could not be parsed.
    """

    input: str
    status: Status
    reason: str
    message: str
    score: int
    email: str | None  # normalised, Unicode domain
    ascii_email: str | None  # IDNA (A-label) domain; None when the local part needs SMTPUTF8
    local_part: str | None
    domain: str | None  # Unicode form
    ascii_domain: str | None
    registrable_domain: str | None
    suggestion: str | None
    disposable: bool | None
    role: bool | None
    free: bool | None
    smtputf8: bool | None  # delivering needs the SMTPUTF8 extension
    checks: tuple[CheckOutcome, ...]
    checked_at: datetime

    def check(self, name: str) -> CheckOutcome | None:
        """The outcome of the check called ``name``, if it ran."""
        for outcome in self.checks:
            if outcome.name == name:
                return outcome
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
