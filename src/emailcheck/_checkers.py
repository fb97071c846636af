"""The checker protocol and the built-in offline checkers.

A checker is any callable taking a ``CheckContext`` and returning a ``Finding`` (or
None, meaning "pass"), directly or as an awaitable. It has a ``name`` and a ``stage``:
``offline`` checkers always run, ``dns`` ones only with ``dns=True``, ``smtp`` ones only
with ``smtp=True`` as well. Plain and async functions are accepted as they are (named
after the function, stage offline); ``@checker(name=…, stage=…)`` sets both.

A checker may also declare ``scope = "domain"``: its finding depends only on the
domain (and the verifier's configuration), never on the local part or on other checks'
findings. Offline verification then runs it once per domain and reuses the finding.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

from ._enum import StrEnum
from ._errors import ConfigurationError
from ._reasons import Reason
from ._types import Finding, Outcome

if TYPE_CHECKING:
    from ._address import Address, AddressFields
    from ._lists import Lists
    from ._options import Options
    from ._typo import TypoSuggester


class Stage(StrEnum):
    """When a checker may run: always, with DNS allowed, or with SMTP allowed."""

    OFFLINE = "offline"
    DNS = "dns"
    SMTP = "smtp"


class Scope(StrEnum):
    """What a checker's finding depends on: the whole address, or only its domain."""

    ADDRESS = "address"
    DOMAIN = "domain"


def scope_of(item: object) -> Scope:
    """A checker's declared scope (``address`` unless it says ``domain``)."""
    return Scope(getattr(item, "scope", Scope.ADDRESS))


class CheckContext:
    """What a checker sees: the parsed address, the options and earlier findings.

    ``facts`` is a scratch dict shared by the checkers of one verification (the mx
    check leaves ``mail_hosts`` and ``has_mail`` there for the smtp and typo checks).
    ``fields`` holds the address's fields as a tuple (``Address`` order); ``address``
    is built from it on first use, which most offline checks never need.
    """

    __slots__ = ("_address", "_facts", "dns", "fields", "options", "smtp", "trace")

    def __init__(
        self, address: Address | AddressFields, options: Options, dns: bool = False,
        smtp: bool = False, trace: list[Any] | None = None,
    ) -> None:
        if type(address) is tuple:
            self.fields: AddressFields = address
            self._address: Address | None = None
        else:
            self._address = address  # type: ignore[assignment]
            self.fields = address.as_tuple()  # type: ignore[union-attr]
        self.options = options
        self.dns = dns
        self.smtp = smtp
        self.trace = [] if trace is None else trace
        self._facts: dict[str, Any] | None = None

    @property
    def address(self) -> Address:
        address = self._address
        if address is None:
            from ._address import _make_address

            address = self._address = _make_address(*self.fields)
        return address

    @property
    def findings(self) -> dict[str, Finding]:
        """Findings of the checks that ran so far, by check name."""
        trace = self.trace
        return dict(zip(trace[0::3], trace[1::3], strict=True))

    @property
    def facts(self) -> dict[str, Any]:
        if self._facts is None:
            self._facts = {}
        return self._facts

    def __repr__(self) -> str:
        return f"<CheckContext {self.address.email!r} dns={self.dns} smtp={self.smtp}>"


CheckerReturn = Finding | None | Awaitable[Finding | None]


@runtime_checkable
class Checker(Protocol):
    """A named check over one parsed address."""

    name: str
    stage: Stage

    def __call__(self, context: CheckContext, /) -> CheckerReturn: ...


F = TypeVar("F", bound=Callable[..., Any])


@overload
def checker(func: F, /) -> F: ...
@overload
def checker(
    *, name: str | None = None, stage: Stage | str = Stage.OFFLINE,
    scope: Scope | str = Scope.ADDRESS,
) -> Callable[[F], F]: ...
def checker(
    func: F | None = None, /, *, name: str | None = None, stage: Stage | str = Stage.OFFLINE,
    scope: Scope | str = Scope.ADDRESS,
) -> F | Callable[[F], F]:
    """Mark a function as a checker, giving it a name, a stage and a scope.

    Usable bare (``@checker``) or with arguments (``@checker(name="mx", stage="dns")``).
    ``scope="domain"`` promises the finding depends on the domain alone (see above).
    """
    resolved = Stage(stage)
    resolved_scope = Scope(scope)

    def mark(target: F) -> F:
        target.name = name or target.__name__  # type: ignore[attr-defined]
        target.stage = resolved  # type: ignore[attr-defined]
        target.scope = resolved_scope  # type: ignore[attr-defined]
        return target

    return mark(func) if func is not None else mark


class _FunctionChecker:
    __slots__ = ("func", "name", "scope", "stage")

    def __init__(self, func: Callable[[CheckContext], CheckerReturn], name: str,
                 stage: Stage, scope: Scope = Scope.ADDRESS) -> None:
        self.func = func
        self.name = name
        self.stage = stage
        self.scope = scope

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
    try:
        scope = scope_of(obj)
    except ValueError:
        raise ConfigurationError(
            f"checker {name!r} has scope {obj.scope!r}; use address or domain"
        ) from None
    if getattr(obj, "name", None) == name and getattr(obj, "stage", None) == stage:
        return obj  # type: ignore[no-any-return]
    return _FunctionChecker(obj, name, stage, scope)


# -- built-in offline checkers --------------------------------------------------------


class TypoChecker:
    """Suggests a correction when the domain is a near-miss of a popular provider."""

    name = "typo"
    stage = Stage.OFFLINE
    scope = Scope.ADDRESS  # the suggestion is the whole corrected address

    def __init__(self, suggester: TypoSuggester | None = None) -> None:
        if suggester is None:
            from ._typo import TypoSuggester

            suggester = TypoSuggester()
        self.suggester = suggester

    def __call__(self, context: CheckContext, /) -> Finding:
        local_part, _domain, ascii_domain, _registrable, _smtputf8, literal = context.fields
        if literal:
            return _PASS
        facts = context._facts
        has_mail = None if facts is None else facts.get("has_mail")
        fixed = self.suggester.suggest(ascii_domain, has_mail=has_mail)
        if fixed is None:
            return _PASS
        suggestion = f"{local_part}@{_unicode_domain(fixed)}"
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
    scope: Scope
    list_name: str  # attribute of Lists to look in
    by_domain: bool  # match the A-label domain (else the local part)
    flag: str
    reason: Reason
    outcome: Outcome
    label: str

    def __init__(self, lists: Lists | None = None) -> None:
        self._lists = lists
        self._lookup: Callable[[str], str | None] | None = None
        self._negative = Finding(Outcome.PASS, None, "", {self.flag: False})
        self._positive: dict[str, Finding] = {}  # per list entry: findings are immutable

    @property
    def lists(self) -> Lists:
        if self._lists is None:
            from ._lists import Lists

            self._lists = Lists.default()
        return self._lists

    def __call__(self, context: CheckContext, /) -> Finding:
        fields = context.fields
        if fields[5]:  # a domain literal is on no list
            return self._negative
        lookup = self._lookup
        if lookup is None:
            lookup = self._lookup = getattr(self.lists, self.list_name).match
        entry = lookup(fields[2] if self.by_domain else fields[0])
        if entry is None:
            return self._negative
        finding = self._positive.get(entry)
        if finding is None:
            if len(self._positive) >= 4096:
                self._positive.clear()
            finding = self._positive[entry] = Finding(
                self.outcome, self.reason, f"{self.label} (list entry {entry!r})",
                {self.flag: True},
            )
        return finding


class DisposableChecker(_ListChecker):
    """Flags domains of disposable (temporary inbox) services, and their subdomains."""

    name = "disposable"
    list_name = "disposable"
    scope = Scope.DOMAIN
    by_domain = True
    flag = "disposable"
    reason = Reason.DISPOSABLE
    outcome = Outcome.WARN
    label = "a disposable-mail domain"


class RoleChecker(_ListChecker):
    """Flags role local parts (info@, sales@ …). Flag only under the default policy."""

    name = "role"
    list_name = "role"
    scope = Scope.ADDRESS
    by_domain = False
    flag = "role"
    reason = Reason.ROLE_ACCOUNT
    outcome = Outcome.WARN
    label = "a role account"


class FreeProviderChecker(_ListChecker):
    """Marks free consumer mailbox providers (gmail.com …); never a warning."""

    name = "free"
    list_name = "free"
    scope = Scope.DOMAIN
    by_domain = True
    flag = "free"
    reason = Reason.FREE_PROVIDER
    outcome = Outcome.PASS
    label = "a free mailbox provider"


_PASS = Finding(Outcome.PASS)


def default_checkers(lists: Lists | None = None) -> list[Checker]:
    """The built-in checkers in their default order (syntax always runs first).

    The mx check comes first so the typo check can weigh whether the typed domain
    receives mail; the smtp probe comes last, as the slowest.
    """
    from ._dns import MXChecker
    from ._smtp import SMTPChecker

    return [
        MXChecker(), TypoChecker(), DisposableChecker(lists), RoleChecker(lists),
        FreeProviderChecker(lists), SMTPChecker(),
    ]
