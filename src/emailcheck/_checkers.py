"""The checker protocol and the built-in offline checkers.

A checker is any callable taking a ``CheckContext`` and returning a ``Finding`` (or
None, meaning "pass"), directly or as an awaitable. It has a ``name`` and a ``stage``:
``offline`` checkers always run, ``dns`` ones only with ``dns=True``, ``smtp`` ones only
with ``smtp=True`` as well. Plain and async functions are accepted as they are (named
after the function, stage offline); ``@checker(name=…, stage=…)`` sets both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from ._errors import ConfigurationError
from ._reasons import Reason
from ._types import Finding, Outcome

if TYPE_CHECKING:
    from ._address import Address
    from ._lists import Lists
    from ._options import Options
    from ._typo import TypoSuggester


class Stage(str, Enum):
    """When a checker may run: always, with DNS allowed, or with SMTP allowed."""

    OFFLINE = "offline"
    DNS = "dns"
    SMTP = "smtp"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class CheckContext:
    """What a checker sees: the parsed address, the options and earlier findings."""

    address: Address
    options: Options
    dns: bool
    smtp: bool
    findings: dict[str, Finding] = field(default_factory=dict)
    # Shared facts for later checkers (e.g. whether the domain has mail servers).
    facts: dict[str, Any] = field(default_factory=dict)


CheckerReturn = Finding | None | Awaitable[Finding | None]


@runtime_checkable
class Checker(Protocol):
    """A named check over one parsed address."""

    name: str
    stage: Stage

    def __call__(self, context: CheckContext, /) -> CheckerReturn: ...


F = TypeVar("F", bound=Callable[..., Any])


def checker(
    func: F | None = None, *, name: str | None = None, stage: Stage | str = Stage.OFFLINE
) -> Any:
    """Mark a function as a checker, giving it a name and a stage.

    Usable bare (``@checker``) or with arguments (``@checker(name="mx", stage="dns")``).
    """

    def mark(target: F) -> F:
        target.name = name or target.__name__  # type: ignore[attr-defined]
        target.stage = Stage(stage)  # type: ignore[attr-defined]
        return target

    return mark(func) if func is not None else mark


class _FunctionChecker:
    __slots__ = ("func", "name", "stage")

    def __init__(self, func: Callable[[CheckContext], CheckerReturn], name: str,
                 stage: Stage) -> None:
        self.func = func
        self.name = name
        self.stage = stage

    def __call__(self, context: CheckContext, /) -> CheckerReturn:
        return self.func(context)

    def __repr__(self) -> str:
        return f"<checker {self.name} ({self.stage.value})>"


def as_checker(obj: Any) -> Checker:
    """Accept a Checker, or wrap a plain or async function as one."""
    if not callable(obj):
        raise ConfigurationError(f"a checker must be callable, not {type(obj).__name__}")
    name = getattr(obj, "name", None) or getattr(obj, "__name__", None)
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"checker {obj!r} needs a name (set .name or use @checker)")
    try:
        stage = Stage(getattr(obj, "stage", Stage.OFFLINE))
    except ValueError:
        raise ConfigurationError(
            f"checker {name!r} has stage {obj.stage!r}; use offline, dns or smtp"
        ) from None
    if getattr(obj, "name", None) == name and getattr(obj, "stage", None) == stage:
        return obj  # type: ignore[no-any-return]
    return _FunctionChecker(obj, name, stage)


# -- built-in offline checkers --------------------------------------------------------


class TypoChecker:
    """Suggests a correction when the domain is a near-miss of a popular provider."""

    name = "typo"
    stage = Stage.OFFLINE

    def __init__(self, suggester: TypoSuggester | None = None) -> None:
        if suggester is None:
            from ._typo import TypoSuggester

            suggester = TypoSuggester()
        self.suggester = suggester

    def __call__(self, context: CheckContext, /) -> Finding:
        address = context.address
        if address.domain_literal:
            return _PASS
        has_mail = context.facts.get("has_mail")
        fixed = self.suggester.suggest(address.ascii_domain, has_mail=has_mail)
        if fixed is None:
            return _PASS
        suggestion = f"{address.local_part}@{_unicode_domain(fixed)}"
        return Finding(
            Outcome.WARN,
            Reason.POSSIBLE_TYPO,
            f"did you mean {suggestion}?",
            {"suggestion": suggestion},
        )


def _unicode_domain(ascii_domain: str) -> str:
    if "xn--" not in ascii_domain:
        return ascii_domain
    import idna

    try:
        return str(idna.decode(ascii_domain))
    except (idna.IDNAError, UnicodeError):
        return ascii_domain


class _ListChecker:
    """Shared shape of the list lookups: one list, one flag, one reason."""

    name: str
    stage = Stage.OFFLINE
    flag: str
    reason: Reason
    outcome: Outcome
    label: str

    def __init__(self, lists: Lists | None = None) -> None:
        self._lists = lists
        self._negative = Finding(Outcome.PASS, None, "", {self.flag: False})

    @property
    def lists(self) -> Lists:
        if self._lists is None:
            from ._lists import Lists

            self._lists = Lists.default()
        return self._lists

    def _match(self, address: Address) -> str | None:
        raise NotImplementedError

    def __call__(self, context: CheckContext, /) -> Finding:
        address = context.address
        if address.domain_literal:
            return self._negative
        entry = self._match(address)
        if entry is None:
            return self._negative
        return Finding(
            self.outcome, self.reason, f"{self.label} (list entry {entry!r})", {self.flag: True}
        )


class DisposableChecker(_ListChecker):
    """Flags domains of disposable (temporary inbox) services, and their subdomains."""

    name = "disposable"
    flag = "disposable"
    reason = Reason.DISPOSABLE
    outcome = Outcome.WARN
    label = "a disposable-mail domain"

    def _match(self, address: Address) -> str | None:
        return self.lists.disposable.match(address.ascii_domain)


class RoleChecker(_ListChecker):
    """Flags role local parts (info@, sales@ …). Flag only under the default policy."""

    name = "role"
    flag = "role"
    reason = Reason.ROLE_ACCOUNT
    outcome = Outcome.WARN
    label = "a role account"

    def _match(self, address: Address) -> str | None:
        return self.lists.role.match(address.local_part)


class FreeProviderChecker(_ListChecker):
    """Marks free consumer mailbox providers (gmail.com …); never a warning."""

    name = "free"
    flag = "free"
    reason = Reason.FREE_PROVIDER
    outcome = Outcome.PASS
    label = "a free mailbox provider"

    def _match(self, address: Address) -> str | None:
        return self.lists.free.match(address.ascii_domain)


_PASS = Finding(Outcome.PASS)


def default_checkers(lists: Lists | None = None) -> list[Checker]:
    """The built-in checkers in their default order (syntax always runs first)."""
    return [TypoChecker(), DisposableChecker(lists), RoleChecker(lists), FreeProviderChecker(lists)]


def lifted_flags(findings: Mapping[str, Finding]) -> dict[str, Any]:
    """The result-level facts (flags, suggestion) carried in findings' data."""
    lifted: dict[str, Any] = {}
    for finding in findings.values():
        data = finding.data
        if not data:
            continue
        for key in ("disposable", "role", "free"):
            value = data.get(key)
            if value is not None:
                lifted[key] = bool(value) or bool(lifted.get(key))
        if "suggestion" not in lifted and data.get("suggestion"):
            lifted["suggestion"] = str(data["suggestion"])
    return lifted
