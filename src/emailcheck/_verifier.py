"""The Verifier: options, the checker pipeline and caches behind verify() and averify().

The pipeline is written once, as a generator that yields each checker to run and
receives its finding (no I/O inside, like h11). Two small drivers run it: the sync one
calls checkers directly and only needs an event loop once a checker turns out to be
async; the async one awaits. So an offline ``verify()`` never starts an event loop.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._address import Address, AddressFields, AddressParser
from ._bridge import run_sync
from ._checkers import (
    CheckContext,
    Checker,
    Scope,
    Stage,
    _FunctionChecker,
    as_checker,
    default_checkers,
    scope_of,
)
from ._errors import ConfigurationError, InvalidAddress
from ._options import OPTION_NAMES, Options
from ._policy import DefaultPolicy, PolicyLike, as_policy
from ._reasons import Reason
from ._syntax import SyntaxRejection
from ._types import CheckOutcome, Decision, Finding, Outcome, Result, make_result

if TYPE_CHECKING:
    from ._batch import Batch
    from ._bulk import Progress
    from ._lists import Lists

_perf = time.perf_counter
_now = time.time
_PASS = Finding(Outcome.PASS)
# Enum member access costs a class-attribute lookup; the hot loop uses this instead.
_FAIL = Outcome.FAIL
_ERROR = Outcome.ERROR

# The pipeline yields only what must be awaited: (awaitable, checker, deadline), and is
# sent back what the awaitable produced.
_Pending = tuple[Awaitable[Any], Checker, float]
_Pipeline = Generator[_Pending, Any, Result]

# Offline verification runs its plan as segments: a fixed run of trace entries (checks
# whose stage is off), a run of domain-scoped checks (memoised per domain), or one
# address-scoped check. Kinds are small ints: the loop compares them per address.
_FIXED, _PER_DOMAIN, _PER_ADDRESS = 0, 1, 2
_Segment = tuple[int, Any, Any, Any]
# Bounds of the per-domain memo (domains) and of each domain's remembered decisions.
_MEMO_DOMAINS = 16384
_MEMO_DECISIONS = 16


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
        # Per (dns, smtp): each checker with its pre-built "stage is off" step, if off.
        self._plans = {
            dns: {smtp: tuple(self._plan_step(item, dns, dns and smtp) for item in self.checkers)
                  for smtp in (False, True)}
            for dns in (False, True)
        }
        self._parser = AddressParser(options.syntax_rules)
        self._segments = self._offline_segments(self._plans[False][False])
        self._run_known_domain = _compile_known_domain(self._segments, options.timeout)
        # ascii domain -> [trace fragments of its domain-scoped checks, {mixed ids of
        # address-scoped findings: (those findings, decision, (name, finding) pairs)}].
        # Plain dicts, cleared or capped when full: clear() is atomic, so threads sharing
        # a Verifier need no lock.
        self._memo: dict[str, list[Any]] = {}
        # (reason, message) -> (the syntax failure's trace entry, decision): the same
        # mistakes recur in a list, and one shared Finding costs the collector nothing.
        self._rejections: dict[tuple[str, str], tuple[tuple[Any, ...], Decision]] = {}
        # The default policy is a pure function of the findings: its decisions can be
        # remembered per domain and per combination of address-scoped findings.
        self._pure_policy = type(self.policy) is DefaultPolicy

    @staticmethod
    def _plan_step(
        item: Checker, dns: bool, smtp: bool
    ) -> tuple[Checker, str, tuple[str, Finding, float] | None, bool]:
        stage = item.stage
        enabled = stage is Stage.OFFLINE or (stage is Stage.DNS and dns) or smtp
        off = None if enabled else (
            item.name, Finding.skipped(f"skipped: {stage.value} checks are off"), 0.0)
        return item, item.name, off, stage is not Stage.OFFLINE

    @staticmethod
    def _offline_segments(
        plan: tuple[tuple[Checker, str, tuple[str, Finding, float] | None, bool], ...],
    ) -> tuple[_Segment, ...]:
        segments: list[_Segment] = []
        run: list[Any] = []  # consecutive off or domain-scoped steps

        def close_run() -> None:
            if not run:
                return
            if all(off is not None for _item, _name, off in run):
                fixed = tuple(value for _item, _name, off in run for value in off)
                segments.append((_FIXED, fixed, None, None))
            else:
                index = sum(segment[0] == _PER_DOMAIN for segment in segments)
                segments.append((_PER_DOMAIN, index, tuple(run), None))
            run.clear()

        for item, name, off, _network in plan:
            if off is not None or scope_of(item) is Scope.DOMAIN:
                run.append((item, name, off))
            else:
                close_run()
                segments.append((_PER_ADDRESS, item, name, _direct_call(item)))
        close_run()
        return tuple(segments)

    def __repr__(self) -> str:
        names = ", ".join(item.name for item in self.checkers)
        return f"<Verifier checkers=[{names}] options={self.options!r}>"

    # -- public faces -----------------------------------------------------------------

    def verify(
        self, address: str, /, *, dns: bool = True, smtp: bool = True,
        timeout: float | None = None,
    ) -> Result:
        """Verify one address. Works with or without a running event loop."""
        if not dns:
            return self._verify_offline(address, timeout)
        return self._drive_sync(self._pipeline(address, dns, smtp, timeout))

    async def averify(
        self, address: str, /, *, dns: bool = True, smtp: bool = True,
        timeout: float | None = None,
    ) -> Result:
        """Verify one address from async code."""
        return await self._drive_async(self._pipeline(address, dns, smtp, timeout))

    def verify_many(
        self, addresses: Iterable[str], /, *, dns: bool = True, smtp: bool = True,
        timeout: float | None = None, ordered: bool = True, progress: Progress | None = None,
    ) -> Iterator[Result]:
        """Verify a stream of addresses; see docs/bulk.md.

        Input is read lazily with bounded memory; duplicates are verified once; one SMTP
        session serves many recipients at a host. Results come in input order, or as
        they complete with ``ordered=False``; ``progress(done, total_or_None)`` is called
        after each. Offline (``dns=False``) batches never start an event loop.
        """
        from ._bulk import verify_many

        return verify_many(self, addresses, dns=dns, smtp=smtp, timeout=timeout,
                           ordered=ordered, progress=progress)

    def verify_batch(
        self, addresses: Iterable[str], /, *, dns: bool = True, smtp: bool = True,
        timeout: float | None = None, progress: Progress | None = None,
    ) -> Batch:
        """``verify_many()`` collected, in input order, into a ``Batch``."""
        from ._batch import Batch

        return Batch(self.verify_many(addresses, dns=dns, smtp=smtp, timeout=timeout,
                                      progress=progress))

    def averify_many(
        self, addresses: Iterable[str] | AsyncIterable[str], /, *, dns: bool = True,
        smtp: bool = True, timeout: float | None = None, ordered: bool = True,
        progress: Progress | None = None,
    ) -> AsyncIterator[Result]:
        """``verify_many()`` for async code: ``async for result in ...``."""
        from ._bulk import averify_many

        return averify_many(self, addresses, dns=dns, smtp=smtp, timeout=timeout,
                            ordered=ordered, progress=progress)

    def parse(self, address: str, /) -> Address:
        """Parse and normalise under this verifier's syntax options.

        Raises ``InvalidAddress`` (with ``.reason`` and ``.message``) for bad syntax.
        """
        try:
            return self._parser.parse(address)
        except SyntaxRejection as rejection:
            raise InvalidAddress(rejection.reason.value, rejection.message) from None

    # -- the pipeline (no I/O) --------------------------------------------------------

    def _pipeline(
        self, text: str, dns: bool, smtp: bool, timeout: float | None,
        parsed: Address | None = None,
    ) -> _Pipeline:
        """``parsed``: ``text`` already parsed by this verifier's parser (bulk callers
        parse once to find duplicates and lanes)."""
        if timeout is None:
            timeout = self.options.timeout
        elif not timeout > 0:
            raise ConfigurationError(f"timeout must be positive, not {timeout!r}")
        timestamp = _now()
        started = _perf()
        deadline = started + timeout  # perf_counter is monotonic too
        try:
            address = self._parser.parse(text) if parsed is None else parsed
        except SyntaxRejection as rejection:
            failed = Finding(Outcome.FAIL, rejection.reason, rejection.message)
            return self._result(text, None, ["syntax", failed, _perf() - started], timestamp)
        now = _perf()
        trace: list[Any] = ["syntax", _PASS, now - started]
        context = CheckContext(address, self.options, dns, dns and smtp, trace)
        failed_check: str | None = None
        for item, name, off, network in self._plans[dns][smtp]:
            if off is not None:
                trace.extend(off)
                continue
            # After a definite failure no network round-trip can change the verdict; the
            # offline checks still run, as their flags and suggestion help the person.
            if network and failed_check is not None:
                trace.extend((name, Finding.skipped(f"skipped: {failed_check} failed"), 0.0))
                continue
            started = now
            try:
                raw = item(context)
            except Exception as error:  # a checker's bug must not lose the verdict
                raw = _error_finding(item, error)
            if type(raw) is not Finding:
                if raw is not None and inspect.isawaitable(raw):
                    raw = yield raw, item, deadline
                raw = _as_finding(item, raw)
            now = _perf()
            trace.extend((name, raw, now - started))
            if raw.outcome is _FAIL:
                failed_check = name
        return self._result(text, address, trace, timestamp)

    def _result(
        self, text: str, address: Address | AddressFields | None, trace: list[Any],
        timestamp: float,
    ) -> Result:
        decision = self._decide(trace)
        if isinstance(address, Address):
            address = address.as_tuple()
        result: Result = make_result(
            text, decision, address, _pairs(trace), tuple(trace[2::3]), timestamp,
        )
        return result

    def _rejected(
        self, text: str, rejection: SyntaxRejection, started: float, timestamp: float,
    ) -> Result:
        """The result for text the parser refused (the offline path's common failure)."""
        if not self._pure_policy:
            failed = Finding(Outcome.FAIL, rejection.reason, rejection.message)
            return self._result(text, None, ["syntax", failed, _perf() - started], timestamp)
        key = (rejection.reason, rejection.message)
        known = self._rejections.get(key)
        if known is None:
            failed = Finding(Outcome.FAIL, rejection.reason, rejection.message)
            known = (("syntax", failed), self._decide(["syntax", failed, 0.0]))
            if len(self._rejections) >= _MEMO_DOMAINS:
                self._rejections.clear()
            self._rejections[key] = known
        result: Result = make_result(
            text, known[1], None, known[0], (_perf() - started,), timestamp,
        )
        return result

    def _decide(self, trace: list[Any]) -> Decision:
        policy = self.policy
        if self._pure_policy:
            return policy.decide_findings(trace[1::3])  # type: ignore[attr-defined, no-any-return]
        return policy.decide(list(map(CheckOutcome, trace[0::3], trace[1::3], trace[2::3])))

    # -- offline verification: no generator, and domain-scoped work once per domain ------

    def _verify_offline(
        self, text: str, timeout: float | None, parsed: Address | None = None,
    ) -> Result:
        """``verify(dns=False)``: the pipeline's rules, run as a plain function.

        Findings of domain-scoped checks come from a per-domain memo (their trace entry
        then shows 0.0 s: nothing ran for this address); with the default policy the
        decision is remembered per domain and combination of the other findings.
        """
        if timeout is not None and not timeout > 0:
            raise ConfigurationError(f"timeout must be positive, not {timeout!r}")
        timestamp = _now()
        started = _perf()
        if parsed is None:
            try:
                address = self._parser.parse_fields(text)
            except SyntaxRejection as rejection:
                return self._rejected(text, rejection, started, timestamp)
        else:
            address = parsed.as_tuple()
        now = _perf()
        trace: list[Any] = ["syntax", _PASS, now - started]
        context = CheckContext(address, self.options, False, False, trace)
        entry = self._memo.get(address[2])
        if entry is None:
            return self._verify_offline_first(text, address, context, timestamp, timeout)
        ran, key, times = self._run_known_domain(
            context, trace, entry[0], now, started, timeout)
        if not self._pure_policy:
            return self._result(text, address, trace, timestamp)
        # Remembered per combination of this address's findings: the key mixes their
        # ids, and a hit must hold the very same findings (a mixed key can collide).
        decisions = entry[1]
        known = decisions.get(key)
        if known is None or known[0] != ran:  # tuples of the same findings: `is` each
            known = (ran, self._decide(trace), _pairs(trace))
            if len(decisions) < _MEMO_DECISIONS:
                decisions[key] = known
        result: Result = make_result(text, known[1], address, known[2], times, timestamp)
        return result

    def _verify_offline_first(
        self, text: str, address: AddressFields, context: CheckContext, timestamp: float,
        timeout: float | None,
    ) -> Result:
        """A domain not in the memo: run every check, and remember the domain's part."""
        trace = context.trace
        started = now = _perf()
        fragments: list[tuple[Any, ...]] = []
        reusable = True
        for kind, value, name, _call in self._segments:
            if kind == _FIXED:
                trace += value
                continue
            steps = ((value, name, None),) if kind == _PER_ADDRESS else name
            remembered: list[Any] = []
            for item, step_name, off in steps:
                if off is not None:
                    trace += off
                    remembered += off
                    continue
                try:
                    finding = item(context)
                except Exception as error:
                    finding = _error_finding(item, error)
                if type(finding) is not Finding:
                    finding = _settle(item, finding, started, timeout, self.options.timeout)
                then = now
                now = _perf()
                trace += (step_name, finding, now - then)
                remembered += (step_name, finding, 0.0)
                if kind == _PER_DOMAIN and finding.outcome is _ERROR:
                    reusable = False  # a checker's failure is not the domain's answer
            if kind == _PER_DOMAIN:
                fragments.append(tuple(remembered))
        if reusable:
            memo = self._memo
            if len(memo) >= _MEMO_DOMAINS:
                memo.clear()
            memo[address[2]] = [tuple(fragments), {}]
        return self._result(text, address, trace, timestamp)

    # -- drivers ----------------------------------------------------------------------

    def _drive_sync(self, pipeline: _Pipeline) -> Result:
        try:
            pending = next(pipeline)
        except StopIteration as stop:
            result: Result = stop.value
            return result
        # A checker turned out to be async: only now is an event loop needed.
        return run_sync(self._drive_async(pipeline, pending))

    async def _drive_async(self, pipeline: _Pipeline, pending: _Pending | None = None) -> Result:
        try:
            if pending is None:
                pending = next(pipeline)
            while True:
                awaitable, item, deadline = pending
                pending = pipeline.send(await _await_within(item, awaitable, deadline))
        except StopIteration as stop:
            result: Result = stop.value
            return result


async def _await_within(item: Checker, awaitable: Awaitable[Any], deadline: float) -> Any:
    import asyncio  # here, not at module level: offline use never needs asyncio

    remaining = deadline - _perf()
    if remaining <= 0:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never started: close it so no "never awaited" warning
        return Finding(
            Outcome.ERROR, Reason.DEADLINE_EXCEEDED, f"{item.name}: the overall deadline passed"
        )
    try:
        timeout = getattr(asyncio, "timeout", None)
        if timeout is None:  # Python 3.10
            return await asyncio.wait_for(awaitable, remaining)
        # 3.11+: bound the await in the current task; wait_for would wrap every checker
        # in a task of its own, which bulk verification pays for per address.
        async with timeout(remaining):
            return await awaitable
    except asyncio.TimeoutError:
        return Finding(
            Outcome.ERROR, Reason.DEADLINE_EXCEEDED,
            f"{item.name}: the overall deadline passed before it finished",
        )
    except Exception as error:
        return _error_finding(item, error)


def _compile_known_domain(segments: tuple[_Segment, ...], default_timeout: float) -> Any:
    """The offline plan for a domain already in the memo, as one straight-line function.

    ``run(context, trace, fragments, now, started, timeout) -> (findings, key, times)``
    extends ``trace`` with each segment in order (fixed entries, the domain's remembered
    fragments, the address-scoped checks run now and timed) and returns the
    address-scoped findings, their mixed ids and every check's seconds (0.0 for fixed
    and remembered entries, which is what the trace holds for them). Generated like a dataclass's
    ``__init__``: the loop over segments it replaces cost a tenth of a verification.
    """
    namespace: dict[str, Any] = {
        "perf": _perf, "Finding": Finding, "error_finding": _error_finding,
        "settle": _settle, "default_timeout": default_timeout,
    }
    lines = ["def run(context, trace, fragments, now, started, timeout):",
             "    syntax_time = trace[2]"]
    found: list[str] = []
    times = ["syntax_time"]
    for index, (kind, value, name, call) in enumerate(segments):
        if kind == _FIXED:
            namespace[f"fixed_{index}"] = value
            lines.append(f"    trace += fixed_{index}")
            times += ["0.0"] * (len(value) // 3)
        elif kind == _PER_DOMAIN:
            lines.append(f"    trace += fragments[{value}]")
            times += ["0.0"] * len(name)  # one remembered entry per step of the run
        else:
            namespace.update({f"checker_{index}": value, f"call_{index}": call,
                              f"name_{index}": name})
            finding = f"finding_{index}"
            found.append(finding)
            lines += [
                "    try:",
                f"        {finding} = call_{index}(context)",
                "    except Exception as error:  # a checker's bug must not lose the verdict",
                f"        {finding} = error_finding(checker_{index}, error)",
                f"    if type({finding}) is not Finding:",
                f"        {finding} = settle(checker_{index}, {finding}, started, timeout,"
                " default_timeout)",
                "    then, now = now, perf()",
                f"    seconds_{index} = now - then",
                f"    trace += (name_{index}, {finding}, seconds_{index})",
            ]
            times.append(f"seconds_{index}")
    key = "0"
    for finding in found:
        key = f"({key}) * 31 + id({finding})"
    lines.append(f"    return ({''.join(f + ', ' for f in found)}), {key}, "
                 f"({''.join(t + ', ' for t in times)})")
    exec("\n".join(lines), namespace)  # the plan is ours: names and indexes, no input
    return namespace["run"]


def _direct_call(item: Checker) -> Callable[[CheckContext], Any]:
    """What calling ``item`` runs, without the detour through ``type(item).__call__``."""
    if isinstance(item, _FunctionChecker):
        return item.func
    if inspect.isfunction(item) or inspect.ismethod(item) or inspect.isbuiltin(item):
        return item
    call: Callable[[CheckContext], Any] = item.__call__
    return call


def _pairs(trace: list[Any]) -> tuple[Any, ...]:
    """(name, finding, name, finding, …) of a (name, finding, seconds, …) trace."""
    pairs: list[Any] = [None] * (len(trace) // 3 * 2)
    pairs[0::2] = trace[0::3]
    pairs[1::2] = trace[1::3]
    return tuple(pairs)


def _settle(
    item: Checker, raw: Any, started: float, timeout: float | None, default_timeout: float,
) -> Finding:
    """A checker's return value other than a Finding, as a Finding (sync callers)."""
    if raw is not None and inspect.isawaitable(raw):
        deadline = started + (default_timeout if timeout is None else timeout)
        raw = run_sync(_await_within(item, raw, deadline))
    return _as_finding(item, raw)


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
