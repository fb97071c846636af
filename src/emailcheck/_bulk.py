"""Bulk verification: streamed input, bounded memory, shared SMTP sessions, polite limits.

One batch runs every verification through the Verifier's own pipeline, so each result
is exactly what ``verify()`` would give and carries its own evidence. What the batch
adds is scheduling: addresses wait in per-domain lanes (at most
``per_host_concurrency`` of a domain in flight), at most ``concurrency`` run at once,
and the SMTP checker borrows open sessions from a per-batch ``SessionPool`` instead of
connecting once per address.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from ._bridge import _helper_loop
from ._reasons import Reason
from ._smtp import SessionPool, session_pool
from ._syntax import SyntaxRejection

if TYPE_CHECKING:
    from ._address import Address
    from ._dns import MXChecker
    from ._types import Result
    from ._verifier import Verifier

__all__ = ["Progress", "averify_many", "verify_many"]

Progress = Callable[[int, "int | None"], None]
"""Called after each result with (results so far, input length or None if unknown)."""

# Distinct addresses whose results are kept to answer later duplicates. Exact
# de-duplication of an endless stream would need unbounded memory; lists put
# duplicates close together (same export, same sort) far more often than not.
RECENT_RESULTS: Final = 10_000
# Output slots in flight per unit of concurrency: room to group a domain's addresses
# and to wait for a slow head-of-line result without starving the workers.
WINDOW_PER_WORKER: Final = 20
# Mail-host lookups ahead of their domain's turn: at most concurrency / this at once.
LOOKAHEAD_SHARE: Final = 4
MAX_GREYLIST_ROUNDS: Final = 5
DEFAULT_GREYLIST_WAIT: Final = 60.0  # when the server names no delay


def verify_many(
    verifier: Verifier, addresses: Iterable[str], *, dns: bool, smtp: bool,
    timeout: float | None, ordered: bool, progress: Progress | None,
) -> Iterator[Result]:
    """The sync face: offline batches run inline (no event loop); network ones drive
    the async batch step by step, on a private loop or, inside a running loop, on the
    bridge's helper thread."""
    if isinstance(addresses, str):
        raise TypeError("verify_many takes an iterable of addresses, not one str")
    if not dns:
        return _offline(verifier, addresses, timeout, progress)
    return _drive(lambda: averify_many(
        verifier, addresses, dns=dns, smtp=smtp, timeout=timeout, ordered=ordered,
        progress=progress,
    ))


def _offline(
    verifier: Verifier, addresses: Iterable[str], timeout: float | None,
    progress: Progress | None,
) -> Iterator[Result]:
    total = _length(addresses)
    recent = _Recent(RECENT_RESULTS)
    for done, text in enumerate(addresses, 1):
        key, address = _key(verifier, text)
        result = recent.get(key)
        if result is None:
            result = verifier._verify_offline(text, timeout, parsed=address)
            recent.put(key, result)
        if progress is not None:
            progress(done, total)
        yield result


def _drive(make: Callable[[], AsyncIterator[Result]]) -> Iterator[Result]:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        own: asyncio.AbstractEventLoop | None = asyncio.new_event_loop()
    else:
        own = None  # this thread's loop cannot be re-entered: use the helper thread's

    def run(coroutine: Any) -> Any:
        """Run to the end; on Ctrl-C (or any exception here) cancel it and wait, so the
        batch is never left half-way through a step when it is closed."""
        if own is not None:
            task = own.create_task(coroutine)
            try:
                return own.run_until_complete(task)
            except BaseException:
                if not task.done():
                    task.cancel()
                    own.run_until_complete(asyncio.gather(task, return_exceptions=True))
                raise
        future = asyncio.run_coroutine_threadsafe(coroutine, _helper_loop())
        try:
            return future.result()
        except BaseException:
            if not future.done():
                future.cancel()
                with contextlib.suppress(BaseException):
                    future.result(timeout=30)
            raise

    async def start() -> AsyncIterator[Result]:
        return make()  # created on the loop that will run it

    async def step(batch: AsyncIterator[Result]) -> Result:
        return await batch.__anext__()

    batch: AsyncIterator[Result] = run(start())
    try:
        while True:
            try:
                result = run(step(batch))
            except StopAsyncIteration:
                return
            yield result
    finally:
        try:
            run(batch.aclose())  # type: ignore[attr-defined]
        finally:
            if own is not None:
                own.run_until_complete(own.shutdown_asyncgens())
                own.close()


async def averify_many(
    verifier: Verifier, addresses: Iterable[str] | AsyncIterable[str], *, dns: bool,
    smtp: bool, timeout: float | None, ordered: bool, progress: Progress | None,
) -> AsyncIterator[Result]:
    """The async face: see ``Verifier.averify_many``."""
    if isinstance(addresses, str):
        raise TypeError("averify_many takes an iterable of addresses, not one str")
    batch = _Batch(verifier, dns, smtp, timeout)
    try:
        async for result in batch.run(addresses, ordered, progress):
            yield result
    finally:
        await batch.close()


class _Job:
    """One distinct address: its result, and how many output slots wait for it."""

    __slots__ = ("address", "first_started", "key", "lane", "result", "rounds", "text",
                 "waiting")

    def __init__(self, key: str, text: str, address: Address | None) -> None:
        self.key = key
        self.text = text
        self.address = address  # parsed once, when read: the pipeline does not again
        self.lane = _lane_of(key)
        self.result: Result | None = None
        self.waiting = 0
        self.rounds = 0
        self.first_started = 0.0


class _Lane:
    """A domain's queue: its addresses run at most ``limit`` at a time."""

    __slots__ = ("limit", "queue", "ready", "running")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.queue: deque[_Job] = deque()
        self.running = 0
        self.ready = False


class _Batch:
    def __init__(self, verifier: Verifier, dns: bool, smtp: bool, timeout: float | None):
        options = verifier.options
        self.verifier = verifier
        self.dns = dns
        self.smtp = smtp
        self.timeout = timeout
        self.concurrency = options.concurrency
        self.per_domain = options.per_host_concurrency if smtp else options.concurrency
        self.window = options.concurrency * WINDOW_PER_WORKER
        self.greylist_window = options.greylist_retry_window
        self.pool = SessionPool(options.per_host_concurrency, options.per_host_interval)
        self.lanes: dict[str, _Lane] = {}
        self.ready: deque[_Lane] = deque()
        self.running = 0
        self.closing = False
        # Domains waiting in the window get their mail hosts looked up ahead of their
        # turn (at most a quarter of ``concurrency`` at once, so the resolver sees no
        # burst), and a worker reaching one finds the mx verdict cached instead of
        # holding its slot through DNS round trips.
        self.mx: MXChecker | None = None
        if dns:
            from ._dns import MXChecker

            self.mx = next((item for item in verifier.checkers
                            if isinstance(item, MXChecker)), None)
        self.lookups: deque[tuple[str, _Lane, Address]] = deque()
        self.looking_up = 0
        self.lookahead = max(1, options.concurrency // LOOKAHEAD_SHARE)
        self.tasks: set[asyncio.Task[None]] = set()
        # Finished verifications, and the future the consumer sleeps on while none is.
        self.finished: deque[tuple[_Job, Result | BaseException]] = deque()
        self.wakeup: asyncio.Future[None] | None = None

    async def run(
        self, addresses: Iterable[str] | AsyncIterable[str], ordered: bool,
        progress: Progress | None,
    ) -> AsyncIterator[Result]:
        total = _length(addresses)
        next_sync, next_async = _reader(addresses)
        recent = _Recent(RECENT_RESULTS)
        in_flight: dict[str, _Job] = {}
        out: deque[_Job] = deque()  # ordered: the output slots, in input order
        ready: deque[Result] = deque()  # unordered: results to hand out now
        pending = 0  # output slots taken from the input but not yet handed out
        done = 0
        exhausted = False
        while True:
            while not exhausted and pending < self.window:
                text = next(next_sync, None) if next_sync is not None else await next_async()
                if text is None:
                    exhausted = True
                    break
                pending += 1
                key, address = _key(self.verifier, text)
                job = in_flight.get(key)
                if job is None:
                    job = _Job(key, text, address)
                    cached = recent.get(key)
                    if cached is not None:
                        job.result = cached
                    else:
                        in_flight[key] = job
                        self._enqueue(job)
                job.waiting += 1
                if ordered:
                    out.append(job)
                elif job.result is not None:
                    ready.append(job.result)
                    job.waiting -= 1
            while True:
                if ordered and out and out[0].result is not None:
                    result = out.popleft().result
                elif not ordered and ready:
                    result = ready.popleft()
                else:
                    break
                assert result is not None
                pending -= 1
                done += 1
                if progress is not None:
                    progress(done, total)
                yield result
            if exhausted and pending == 0:
                return
            if not self.finished:
                await self._finished()
            job, outcome = self.finished.popleft()
            if isinstance(outcome, BaseException):
                raise outcome
            wait = self._greylist_wait(job, outcome)
            if wait is not None:
                self._later(job, wait)
                continue
            job.result = outcome
            del in_flight[job.key]
            recent.put(job.key, outcome)
            if not ordered:
                ready.extend([outcome] * job.waiting)
                job.waiting = 0

    async def _finished(self) -> None:
        """Wait until a verification has finished."""
        while not self.finished:
            self.wakeup = asyncio.get_running_loop().create_future()
            try:
                await self.wakeup
            finally:
                self.wakeup = None

    # -- scheduling -------------------------------------------------------------------

    def _enqueue(self, job: _Job) -> None:
        lane = self.lanes.get(job.lane)
        new = lane is None
        if lane is None:
            limit = self.concurrency if not job.lane else self.per_domain
            lane = self.lanes[job.lane] = _Lane(limit)
        lane.queue.append(job)
        self._offer(lane)
        self._start_more()
        if new and lane.ready and job.address is not None and self.mx is not None:
            self.lookups.append((job.lane, lane, job.address))  # it waits: look ahead
            self._look_up_more()

    def _look_up_more(self) -> None:
        mx = self.mx
        assert mx is not None
        while not self.closing and self.looking_up < self.lookahead and self.lookups:
            key, lane, address = self.lookups.popleft()
            if lane.running or self.lanes.get(key) is not lane:
                continue  # its verification has begun: its own mx check looks it up
            try:
                lookup = mx.prefetch(address, self.verifier.options)
            except Exception:  # the verification's own mx check will report it
                continue
            if lookup is not None:
                # The lookup is the task itself: cancelled before it starts (the batch
                # closing), it is closed with it, never left un-awaited.
                task = asyncio.ensure_future(lookup)
                self.looking_up += 1
                self.tasks.add(task)
                task.add_done_callback(self._looked_up)

    def _looked_up(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.looking_up -= 1
        if not task.cancelled():
            task.exception()  # retrieved: the verification's own mx check reports
        self._look_up_more()

    def _offer(self, lane: _Lane) -> None:
        if lane.queue and lane.running < lane.limit and not lane.ready:
            lane.ready = True
            self.ready.append(lane)

    def _start_more(self) -> None:
        while not self.closing and self.running < self.concurrency and self.ready:
            self.running += 1
            self._spawn(self._work(*self._take()))

    def _take(self) -> tuple[_Job, _Lane]:
        lane = self.ready.popleft()
        lane.ready = False
        job = lane.queue.popleft()
        lane.running += 1
        self._offer(lane)
        return job, lane

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _work(self, job: _Job, lane: _Lane) -> None:
        """A worker: verifies jobs while lanes have some ready, so a task, its context
        and its session-pool binding serve many addresses rather than one each."""
        session_pool.set(self.pool)  # in this task's own copy of the context: no leak
        try:
            while True:
                try:
                    outcome = await self._verify(job)
                finally:
                    lane.running -= 1
                    if not lane.running and not lane.queue:
                        self.lanes.pop(job.lane, None)
                    else:
                        self._offer(lane)
                self.finished.append((job, outcome))
                wakeup = self.wakeup
                if wakeup is not None and not wakeup.done():
                    wakeup.set_result(None)
                if self.closing or not self.ready:
                    return
                job, lane = self._take()
        finally:
            self.running -= 1
            self._start_more()

    async def _verify(self, job: _Job) -> Result | BaseException:
        if not job.first_started:
            job.first_started = time.monotonic()
        job.rounds += 1
        verifier = self.verifier
        try:
            return await verifier._drive_async(verifier._pipeline(
                job.text, self.dns, self.smtp, self.timeout, parsed=job.address))
        except Exception as error:  # misuse (a non-str address): the consumer sees it
            return error

    def _greylist_wait(self, job: _Job, result: Result) -> float | None:
        """Seconds until a greylisted address is probed again, or None to keep it."""
        if not self.greylist_window or result.reason != Reason.GREYLISTED:
            return None
        smtp = result.check("smtp")
        hinted = None if smtp is None else smtp.data.get("retry_after")
        wait = DEFAULT_GREYLIST_WAIT if hinted is None else max(float(hinted), 0.0)
        # A little past the hint: greylisting servers count whole seconds.
        wait += 0.5
        if (job.rounds >= MAX_GREYLIST_ROUNDS
                or time.monotonic() + wait > job.first_started + self.greylist_window):
            return None
        return wait

    def _later(self, job: _Job, wait: float) -> None:
        async def again() -> None:
            await asyncio.sleep(wait)
            if not self.closing:
                self._enqueue(job)

        self._spawn(again())

    async def close(self) -> None:
        self.closing = True  # cancelled workers must not start queued ones
        while self.tasks:
            tasks = list(self.tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.pool.close()


# -- helpers -------------------------------------------------------------------------


class _Recent:
    """The results of the last ``size`` distinct addresses."""

    __slots__ = ("entries", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, Result] = OrderedDict()

    def get(self, key: str) -> Result | None:
        return self.entries.get(key)

    def put(self, key: str, result: Result) -> None:
        entries = self.entries
        entries[key] = result
        if len(entries) > self.size:
            entries.popitem(last=False)


def _key(verifier: Verifier, text: str) -> tuple[str, Address | None]:
    """The normalised address (domain lower-cased, IDNA) and the parsed address; the
    text itself and None if it does not parse."""
    try:
        address = verifier._parser.parse(text)
    except SyntaxRejection:
        return text, None
    return address.email, address


def _lane_of(key: str) -> str:
    local, at, domain = key.rpartition("@")
    return domain if at and local else ""


def _length(addresses: object) -> int | None:
    try:
        return len(addresses)  # type: ignore[arg-type]
    except TypeError:
        return None


def _reader(
    addresses: Iterable[str] | AsyncIterable[str],
) -> tuple[Iterator[str] | None, Callable[[], Any]]:
    """``(iterator, None-returning awaitable next)``: a sync iterable is read with
    ``next()`` (no coroutine per address), an async one through the awaitable."""
    if isinstance(addresses, AsyncIterable):
        iterator = addresses.__aiter__()

        async def next_async() -> str | None:
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                return None

        return None, next_async

    async def exhausted() -> None:
        return None

    return iter(addresses), exhausted
