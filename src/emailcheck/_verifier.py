"""The Verifier: options, the checker pipeline and caches behind verify() and averify().

The pipeline is written once, as a generator that yields each checker to run and
receives its finding (no I/O inside, like h11). Two small drivers run it: the sync one
calls checkers directly and only needs an event loop once a checker turns out to be
async; the async one awaits. So an offline ``verify()`` never starts an event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Generator, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ._address import Address, AddressParser
from ._bridge import run_sync
from ._checkers import CheckContext, Checker, Stage, as_checker, default_checkers
from ._errors import ConfigurationError, InvalidAddress
from ._options import OPTION_NAMES, Options
from ._policy import PolicyLike, as_policy
from ._reasons import Reason
from ._syntax import SyntaxRejection
from ._types import CheckOutcome, Finding, Outcome, Result

if TYPE_CHECKING:
    from ._lists import Lists

_UTC = timezone.utc
_perf = time.perf_counter
_PASS = Finding(Outcome.PASS)
_FLAGS = ("disposable", "role", "free")

# A step of the pipeline: the checker to call, its context, and the deadline (monotonic).
_Step = tuple[Checker, CheckContext, float]
_Pipeline = Generator[_Step, tuple[Finding, float], Result]


class Verifier:
    """Options, checkers, policy and caches; ``verify()`` and ``averify()`` share them.

    Args:
        options: an ``Options``; keyword arguments override its fields
            (``Verifier(allow_special_use={"test"})``).
        checkers: checkers to run after syntax, in order (default: typo, disposable,
            role, free, then the network checks). Plain and async functions are accepted.
        policy: turns check outcomes into a status (default ``DefaultPolicy()``).
        lists: domain and role lists for the built-in list checkers.

    A Verifier holds no event-loop state: share one across threads and loops.
    """

    def __init__(
        self,
        options: Options | None = None,
        *,
        checkers: Iterable[Any] | None = None,
        policy: PolicyLike | None = None,
        lists: Lists | None = None,
        **changes: Any,
    ) -> None:
        if options is None:
            options = Options()
        elif not isinstance(options, Options):
            raise ConfigurationError(f"options must be an Options, not {type(options).__name__}")
        unknown = sorted(set(changes) - OPTION_NAMES)
        if unknown:
            raise ConfigurationError(
                f"unknown option(s) {', '.join(unknown)}; see emailcheck.Options"
            )
        if changes:
            options = replace(options, **changes)
        self.options = options
        self.checkers: tuple[Checker, ...] = tuple(
            as_checker(item) for item in (default_checkers(lists) if checkers is None else checkers)
        )
        names = [item.name for item in self.checkers]
        duplicated = sorted({name for name in names if names.count(name) > 1} | (
            {"syntax"} & set(names)))
        if duplicated:
            raise ConfigurationError(
                f"checker names must be unique and not 'syntax': {', '.join(duplicated)}"
            )
        self.policy = as_policy(policy)
        self._parser = AddressParser(options.syntax_rules)
        self._skips: dict[tuple[str, str], CheckOutcome] = {}

    def __repr__(self) -> str:
        names = ", ".join(item.name for item in self.checkers)
        return f"<Verifier checkers=[{names}] options={self.options!r}>"

    # -- public faces -----------------------------------------------------------------

    def verify(
        self, address: str, /, *, dns: bool = True, smtp: bool = True,
        timeout: float | None = None,
    ) -> Result:
        """Verify one address. Works with or without a running event loop."""
        return self._drive_sync(self._pipeline(address, dns, smtp, timeout))

    async def averify(
        self, address: str, /, *, dns: bool = True, smtp: bool = True,
        timeout: float | None = None,
    ) -> Result:
        """Verify one address from async code."""
        return await self._drive_async(self._pipeline(address, dns, smtp, timeout))

    def parse(self, address: str, /) -> Address:
        """Parse and normalise under this verifier's syntax options.

        Raises ``InvalidAddress`` (with ``.reason`` and ``.message``) for bad syntax.
        """
        try:
            return self._parser.parse(address)
        except SyntaxRejection as rejection:
            raise InvalidAddress(rejection.reason.value, rejection.message) from None

    # -- the pipeline (no I/O) --------------------------------------------------------

    def _pipeline(self, text: str, dns: bool, smtp: bool, timeout: float | None) -> _Pipeline:
        checked_at = datetime.now(_UTC)
        budget = self.options.timeout if timeout is None else timeout
        if not budget > 0:
            raise ConfigurationError(f"timeout must be positive, not {timeout!r}")
        started = _perf()
        deadline = time.monotonic() + budget
        try:
            address = self._parser.parse(text)
        except SyntaxRejection as rejection:
            failed = CheckOutcome(
                "syntax", Outcome.FAIL, rejection.reason, rejection.message, _perf() - started
            )
            return self._result(text, None, [failed], checked_at)
        outcomes = [CheckOutcome("syntax", Outcome.PASS, None, "", _perf() - started)]
        context = CheckContext(address, self.options, dns, dns and smtp)
        findings = context.findings
        failed_check: str | None = None
        for item in self.checkers:
            stage = item.stage
            if failed_check is not None:
                outcomes.append(self._skip(item.name, f"skipped: {failed_check} failed"))
                continue
            if (stage is Stage.DNS and not dns) or (stage is Stage.SMTP and not context.smtp):
                outcomes.append(self._skip(item.name, f"skipped: {stage.value} checks are off"))
                continue
            finding, elapsed = yield item, context, deadline
            findings[item.name] = finding
            outcomes.append(CheckOutcome(
                item.name, finding.outcome, finding.reason, finding.detail, elapsed, finding.data
            ))
            if finding.outcome is Outcome.FAIL:
                failed_check = item.name
        return self._result(text, address, outcomes, checked_at)

    def _skip(self, name: str, detail: str) -> CheckOutcome:
        key = (name, detail)
        outcome = self._skips.get(key)
        if outcome is None:
            if len(self._skips) > 4096:  # bounded even with endlessly renamed checkers
                self._skips.clear()
            outcome = self._skips[key] = CheckOutcome(name, Outcome.SKIP, None, detail, 0.0)
        return outcome

    def _result(
        self, text: str, address: Address | None, outcomes: list[CheckOutcome],
        checked_at: datetime,
    ) -> Result:
        decision = self.policy.decide(outcomes)
        flags: dict[str, bool] = {}
        suggestion: str | None = None
        for outcome in outcomes:
            data = outcome.data
            if not data:
                continue
            for key in _FLAGS:
                value = data.get(key)
                if value is not None:
                    flags[key] = bool(value) or flags.get(key, False)
            if suggestion is None and data.get("suggestion"):
                suggestion = str(data["suggestion"])
        if address is None:
            return Result(
                text, decision.status, decision.reason, decision.message, decision.score,
                None, None, None, None, None, None, suggestion, None, None, None, None,
                tuple(outcomes), checked_at,
            )
        return Result(
            text, decision.status, decision.reason, decision.message, decision.score,
            address.email, address.ascii_email, address.local_part, address.domain,
            address.ascii_domain, address.registrable_domain, suggestion,
            flags.get("disposable"), flags.get("role"), flags.get("free"), address.smtputf8,
            tuple(outcomes), checked_at,
        )

    # -- drivers ----------------------------------------------------------------------

    def _drive_sync(self, pipeline: _Pipeline) -> Result:
        try:
            step = next(pipeline)
            while True:
                item, context, _deadline = step
                started = _perf()
                try:
                    raw = item(context)
                except Exception as error:  # a checker's bug must not lose the verdict
                    raw = _error_finding(item, error)
                if inspect.isawaitable(raw):
                    return run_sync(self._drive_async(pipeline, step, raw, started))
                step = pipeline.send((_as_finding(item, raw), _perf() - started))
        except StopIteration as stop:
            result: Result = stop.value
            return result

    async def _drive_async(
        self, pipeline: _Pipeline, step: _Step | None = None,
        pending: Awaitable[Any] | None = None, started: float = 0.0,
    ) -> Result:
        try:
            if step is None:
                step = next(pipeline)
            while True:
                item, context, deadline = step
                if pending is None:
                    started = _perf()
                    try:
                        raw = item(context)
                    except Exception as error:
                        raw = _error_finding(item, error)
                else:
                    raw, pending = pending, None
                if inspect.isawaitable(raw):
                    raw = await _await_within(item, raw, deadline)
                step = pipeline.send((_as_finding(item, raw), _perf() - started))
        except StopIteration as stop:
            result: Result = stop.value
            return result


async def _await_within(item: Checker, awaitable: Awaitable[Any], deadline: float) -> Any:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never started: close it so no "never awaited" warning
        return Finding(
            Outcome.ERROR, Reason.DEADLINE_EXCEEDED, f"{item.name}: the overall deadline passed"
        )
    try:
        return await asyncio.wait_for(awaitable, remaining)
    except asyncio.TimeoutError:
        return Finding(
            Outcome.ERROR, Reason.DEADLINE_EXCEEDED,
            f"{item.name}: the overall deadline passed before it finished",
        )
    except Exception as error:
        return _error_finding(item, error)


def _as_finding(item: Checker, raw: Any) -> Finding:
    if type(raw) is Finding:
        return raw
    if raw is None:
        return _PASS
    if isinstance(raw, Finding):
        return raw
    return Finding(
        Outcome.ERROR, Reason.CHECKER_ERROR,
        f"checker {item.name!r} returned {type(raw).__name__}, not a Finding or None",
    )


def _error_finding(item: Checker, error: Exception) -> Finding:
    return Finding(
        Outcome.ERROR, Reason.CHECKER_ERROR,
        f"checker {item.name!r} raised {type(error).__name__}: {error}",
    )


# -- module-level faces over one shared default Verifier ---------------------------------

_default: Verifier | None = None


def default_verifier() -> Verifier:
    """The Verifier behind the module-level functions (created on first use)."""
    global _default
    if _default is None:
        _default = Verifier()
    return _default


def verify(
    address: str, /, *, dns: bool = True, smtp: bool = True, timeout: float | None = None,
) -> Result:
    """Verify one address with the default Verifier. ``dns=False`` is fully offline."""
    return default_verifier().verify(address, dns=dns, smtp=smtp, timeout=timeout)


async def averify(
    address: str, /, *, dns: bool = True, smtp: bool = True, timeout: float | None = None,
) -> Result:
    """Async ``verify()``."""
    return await default_verifier().averify(address, dns=dns, smtp=smtp, timeout=timeout)


def parse_address(address: str, /) -> Address:
    """Parse and normalise under the default options; raise ``InvalidAddress`` if bad."""
    return default_verifier().parse(address)
