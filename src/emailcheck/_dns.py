"""DNS for mail: MX and address lookups behind a shared TTL cache, and the mx check."""

from __future__ import annotations

import asyncio
import ipaddress
import math
import random
import re
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from ._checkers import CheckContext, Stage
from ._enum import StrEnum
from ._reasons import Reason
from ._types import Finding, Outcome

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.message
    import dns.rrset

    from ._address import Address
    from ._options import Options

__all__ = [
    "DNSCache",
    "Lookup",
    "LookupStatus",
    "MXChecker",
    "MXPlan",
    "MXVerdict",
    "MailHost",
    "Resolver",
    "decide_mail_hosts",
    "is_null_mx",
    "is_public_address",
    "literal_verdict",
    "merge_address_lookups",
    "order_mx",
    "plan_mail_hosts",
    "usable_addresses",
]

MXRecord = tuple[int, str]  # (preference, exchange host name)

MAX_MX_RECORDS: Final = 10  # MX records considered per domain, best preference first
MAX_STORED_MX: Final = 50  # MX records kept from one answer (before ordering)
MAX_ADDRESSES_PER_HOST: Final = 16
POSITIVE_TTL: Final = (5.0, 86_400.0)
# RFC 2308 section 5: negative answers are cached for min(SOA TTL, SOA MINIMUM); one to
# three hours is the sensible ceiling it suggests.
NEGATIVE_TTL: Final = (5.0, 10_800.0)
DEFAULT_NEGATIVE_TTL: Final = 300.0
TRANSIENT_TTL: Final = 5.0  # SERVFAIL / timeout: reused briefly so a bulk run does not hammer
_GRACE: Final = 0.5  # extra seconds past dnspython's own lifetime before we give up on it
_MAX_RESOLVERS: Final = 8
_MAX_DETAIL: Final = 300
_LOOPBACK: Final = ("127.0.0.1", "::1")
_HOST_NAME: Final = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                               r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


@dataclass(frozen=True, slots=True)
class MailHost:
    """One host to deliver to, with the addresses that are safe to connect to."""

    name: str  # host name (A-label, no trailing dot), or the IP for a domain literal
    preference: int  # MX preference (0 for implicit MX / domain literal)
    addresses: tuple[str, ...]  # IPv4 and IPv6 addresses to try, already filtered for safety
    implicit: bool = False  # the domain had no MX and its A/AAAA serves (RFC 5321 5.1)


# -- lookup results ------------------------------------------------------------------


class LookupStatus(StrEnum):
    """How one DNS question ended."""

    ANSWER = "answer"
    NXDOMAIN = "nxdomain"  # the name does not exist
    NO_ANSWER = "no_answer"  # the name exists, without records of this type
    ERROR = "error"  # SERVFAIL, REFUSED, no nameserver, no configuration
    TIMEOUT = "timeout"


_TRANSIENT: Final = frozenset({LookupStatus.ERROR, LookupStatus.TIMEOUT})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lookup(Generic[T]):
    """The answer to one DNS question: a status, the records and a human detail."""

    status: LookupStatus
    records: tuple[T, ...] = ()
    detail: str = ""

    @property
    def transient(self) -> bool:
        """The question could not be answered now (error or timeout); ask again later."""
        return self.status in _TRANSIENT


# A cached answer as (expires on the cache's clock, lookup); 0.0: not kept.
_Entry = tuple[float, Lookup[Any]]
# The answers a conclusion was drawn from: ((name, rdtype), lookup) pairs.
_Answers = tuple[tuple[tuple[str, str], Lookup[Any]], ...]


def merge_address_lookups(a: Lookup[str], aaaa: Lookup[str]) -> Lookup[str]:
    """One answer for a host from its A and AAAA answers (IPv4 first).

    Any address wins; else NXDOMAIN from either (the name does not exist); else a
    transient failure (the missing half might have held an address); else no answer.
    """
    records = a.records + aaaa.records
    if records:
        return Lookup(LookupStatus.ANSWER, records)
    for status in (LookupStatus.NXDOMAIN, LookupStatus.ERROR, LookupStatus.TIMEOUT):
        for lookup in (a, aaaa):
            if lookup.status is status:
                return lookup
    return Lookup(LookupStatus.NO_ANSWER, (), a.detail or aaaa.detail)


# -- the cache -----------------------------------------------------------------------


class DNSCache:
    """A bounded LRU map whose entries expire; safe to share across threads and loops.

    ``evictions`` counts entries dropped before they expired (by the size bound or
    ``clear()``): what was derived from the cache's answers (the mx check's verdicts)
    checks that its answers are still held once it has changed.
    """

    def __init__(
        self, max_size: int = 10_000, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not (isinstance(max_size, int) and max_size > 0):
            raise ValueError(f"max_size must be a positive integer, not {max_size!r}")
        self.max_size = max_size
        self.evictions = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        """The live value under ``key``, or None (missing or expired)."""
        entry = self.entry(key)
        return None if entry is None else entry[1]

    def entry(self, key: Hashable) -> tuple[float, Any] | None:
        """``(expires, value)`` for a live ``key`` (expiry on the cache's clock), or None."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, value: Any, ttl: float) -> float:
        """Keep ``value`` for ``ttl`` seconds (not at all when ``ttl <= 0``).

        Returns when it expires on the cache's clock (0.0 when it was not kept)."""
        if not ttl > 0:
            return 0.0
        expires = self._clock() + ttl
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)
                self.evictions += 1
        return expires

    def clear(self) -> None:
        with self._lock:
            self.evictions += len(self._entries)
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __repr__(self) -> str:
        return f"<DNSCache {len(self)}/{self.max_size}>"


def cache_ttl(status: LookupStatus, ttl: float | None, transient_ttl: float = TRANSIENT_TTL
              ) -> float:
    """Seconds to keep an answer: its TTL for records, the SOA's for negative answers
    (300 s without an SOA), ``transient_ttl`` for failures; each clamped to sane bounds."""
    if status is LookupStatus.ANSWER:
        low, high = POSITIVE_TTL
        return min(max(float(ttl if ttl is not None else low), low), high)
    if status in (LookupStatus.NXDOMAIN, LookupStatus.NO_ANSWER):
        low, high = NEGATIVE_TTL
        return min(max(float(ttl if ttl is not None else DEFAULT_NEGATIVE_TTL), low), high)
    return transient_ttl


# -- the resolver --------------------------------------------------------------------


class Resolver:
    """Async MX and address lookups with a shared cache.

    Owns its own dnspython resolver (never dnspython's default one). It keeps no
    event-loop state between calls, so one instance serves any number of threads and
    loops; concurrent lookups of one name on one loop share a single query.

    Args:
        nameservers: resolver IP addresses; None reads the system configuration.
        port: the port of ``nameservers``.
        timeout: seconds for one lookup, retries included.
        cache_size: answers kept.
        transient_ttl: seconds a failure (SERVFAIL, timeout) is reused; 0 to never.
        clock: monotonic clock of the cache (tests pass a fake one).
    """

    def __init__(
        self, nameservers: Sequence[str] | None = None, *, port: int = 53,
        timeout: float = 5.0, cache_size: int = 10_000, transient_ttl: float = TRANSIENT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(nameservers, str):
            nameservers = (nameservers,)
        self.nameservers = None if nameservers is None else tuple(nameservers)
        self.port = port
        self.timeout = timeout
        self.transient_ttl = transient_ttl
        self.cache = DNSCache(cache_size, clock=clock)
        # The mx check's interpreted verdicts over this cache's answers (MXChecker).
        self.verdicts = DNSCache(cache_size, clock=clock)
        self._lock = threading.Lock()
        self._resolver: dns.asyncresolver.Resolver | None = None
        # dnspython resolvers over other orders of the nameservers (after a fast-path
        # attempt at the first one): "rest" without it, "rotated" with it last.
        self._fallbacks: dict[str, dns.asyncresolver.Resolver] = {}
        self._fast: _FastPlan | None = None
        self._inflight: dict[tuple[asyncio.AbstractEventLoop, str, str],
                             asyncio.Task[_Entry]] = {}

    @classmethod
    def from_options(cls, options: Options, *, transient_ttl: float = TRANSIENT_TTL,
                     clock: Callable[[], float] = time.monotonic) -> Resolver:
        """A resolver for the DNS settings of ``options``."""
        return cls(
            options.nameservers, port=options.dns_port, timeout=options.dns_timeout,
            cache_size=options.dns_cache_size, transient_ttl=transient_ttl, clock=clock,
        )

    def __repr__(self) -> str:
        servers = "system" if self.nameservers is None else ",".join(self.nameservers)
        return f"<Resolver {servers} port={self.port} timeout={self.timeout:g} {self.cache!r}>"

    async def mx(self, domain: str) -> Lookup[MXRecord]:
        """The MX records of ``domain`` as (preference, exchange), best first."""
        lookup: Lookup[MXRecord] = await self._lookup(_name_key(domain), "MX")
        return lookup

    async def addresses(self, host: str) -> Lookup[str]:
        """The IPv4 and IPv6 addresses of ``host`` (A and AAAA, asked concurrently)."""
        lookup, _answers, _expires = await self._addresses_entry(host)
        return lookup

    async def _addresses_entry(self, host: str) -> tuple[Lookup[str], _Answers, float]:
        """``addresses()`` with the A and AAAA answers it merged and when the first of
        them expires from the cache (0.0: one was not kept)."""
        name = _name_key(host)
        a_key, aaaa_key = (name, "A"), (name, "AAAA")
        a_cached, aaaa_cached = self.cache.entry(a_key), self.cache.entry(aaaa_key)
        if a_cached is not None and aaaa_cached is not None:
            a, aaaa = a_cached, aaaa_cached
        else:
            a, aaaa = await asyncio.gather(self._lookup_entry(name, "A"),
                                           self._lookup_entry(name, "AAAA"))
        return (merge_address_lookups(a[1], aaaa[1]), ((a_key, a[1]), (aaaa_key, aaaa[1])),
                min(a[0], aaaa[0]))

    async def _lookup(self, name: str, rdtype: str) -> Lookup[Any]:
        lookup: Lookup[Any] = (await self._lookup_entry(name, rdtype))[1]
        return lookup

    async def _lookup_entry(self, name: str, rdtype: str) -> _Entry:
        """``(expires, lookup)``: the cached answer, else a (shared) query's."""
        cached: _Entry | None = self.cache.entry((name, rdtype))
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        key = (loop, name, rdtype)
        with self._lock:
            task = self._inflight.get(key)
            if task is None:
                task = loop.create_task(self._query_and_keep(name, rdtype))
                self._inflight[key] = task
                task.add_done_callback(lambda done: self._forget(key, done))
        # shield: one caller's deadline must not cancel the query the others wait for.
        return await asyncio.shield(task)

    def _forget(self, key: tuple[asyncio.AbstractEventLoop, str, str],
                task: asyncio.Task[_Entry]) -> None:
        with self._lock:
            if self._inflight.get(key) is task:
                del self._inflight[key]

    async def _query_and_keep(self, name: str, rdtype: str) -> _Entry:
        lookup, ttl = await self._query(name, rdtype)
        expires = self.cache.put(
            (name, rdtype), lookup, cache_ttl(lookup.status, ttl, self.transient_ttl))
        return expires, lookup

    def _dnspython(self) -> dns.asyncresolver.Resolver:
        with self._lock:
            if self._resolver is None:
                self._resolver = self._build()
            return self._resolver

    def _fallback(self, which: str) -> dns.asyncresolver.Resolver:
        """A dnspython resolver over the nameservers after a fast-path attempt at the
        first: ``rest`` without it (it failed), ``rotated`` with it last (timed out)."""
        with self._lock:
            resolver = self._fallbacks.get(which)
            if resolver is None:
                resolver = self._build()
                servers = list(resolver.nameservers)
                resolver.nameservers = (servers[1:] if which == "rest"
                                        else servers[1:] + servers[:1])
                self._fallbacks[which] = resolver
            return resolver

    def _build(self) -> dns.asyncresolver.Resolver:
        import dns.asyncresolver

        if self.nameservers is None:
            # Raises NoResolverConfiguration without a resolv.conf; _query maps it.
            resolver = dns.asyncresolver.Resolver(configure=True)
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.port = self.port
            resolver.nameservers = list(self.nameservers)
        resolver.lifetime = self.timeout
        resolver.cache = None  # ours is shared, bounded and loop-free
        resolver.use_search_by_default = False
        return resolver

    async def _query(self, name: str, rdtype: str) -> tuple[Lookup[Any], float | None]:
        """Ask once; every failure becomes a Lookup. Returns it with its TTL, if any.

        A plain question goes straight to the first nameserver over UDP (``_dnswire``);
        whatever that cannot settle (truncation, CNAME chains, odd or malformed answers,
        socket errors, another nameserver to try) goes to dnspython, within what is
        left of the lookup's time."""
        started = time.monotonic()
        fallback = "all"
        plan = self._fast_plan()
        if plan is not None:
            fast = await self._query_fast(plan, name, rdtype)
            if isinstance(fast, tuple):
                return fast
            fallback = fast
        lifetime = self.timeout - (time.monotonic() - started)
        if lifetime <= 0:
            return self._timed_out(name, rdtype), None
        return await self._query_dnspython(name, rdtype, lifetime, fallback)

    def _timed_out(self, name: str, rdtype: str) -> Lookup[Any]:
        return Lookup(LookupStatus.TIMEOUT, (), (
            f"no answer to {name} {rdtype} within {self.timeout:g} s"))

    def _fast_plan(self) -> _FastPlan | None:
        """The nameservers to ask directly and the time one attempt may take; None when
        the fast path does not apply (no plain IP nameservers, or ``rotate``)."""
        plan = self._fast
        if plan is None:
            plan = self._fast = self._make_fast_plan()
        return plan if plan.servers else None

    def _make_fast_plan(self) -> _FastPlan:
        if self.nameservers is not None:
            servers = [(server, self.port) for server in self.nameservers]
            per_try = _PER_TRY
        else:
            try:
                resolver = self._dnspython()
            except Exception:
                return _FastPlan((), 0.0)  # dnspython reports the configuration problem
            listed = list(resolver.nameservers)
            if resolver.rotate or not all(isinstance(server, str) for server in listed):
                return _FastPlan((), 0.0)
            servers = [(str(server), resolver.nameserver_ports.get(str(server), resolver.port))
                       for server in listed]
            per_try = float(resolver.timeout)
        for server, _port in servers:
            try:
                ipaddress.ip_address(server)
            except ValueError:
                return _FastPlan((), 0.0)
        return _FastPlan(tuple(servers), per_try)

    async def _query_fast(self, plan: _FastPlan, name: str, rdtype: str,
                          ) -> tuple[Lookup[Any], float | None] | str:
        """The first nameserver's answer, or which dnspython resolver asks next:
        ``all`` (as configured), ``rotated`` (the first timed out) or ``rest`` (the
        first reported a failure)."""
        from ._dnswire import Parsed, build_query

        query_id = secrets.randbits(16)
        query = build_query(query_id, name, rdtype)
        if query is None:
            return "all"
        server, port = plan.servers[0]
        try:
            parsed = await _ask_udp(server, port, query, query_id=query_id, name=name,
                                    rdtype=rdtype, timeout=min(plan.per_try, self.timeout))
        except NotImplementedError:  # a loop without add_reader (Windows' proactor)
            self._fast = _FastPlan((), 0.0)  # nothing was sent: dnspython from now on
            return "all"
        except OSError:
            return "all"  # refused, unreachable: dnspython tries (and reports) it too
        several = len(plan.servers) > 1
        if parsed is None:
            return "all"
        if parsed is _TIMED_OUT:
            if several:
                return "rotated"
            if plan.per_try < self.timeout:
                return "all"  # dnspython asks it again while time is left, as it would
            return self._timed_out(name, rdtype), None
        assert isinstance(parsed, Parsed)
        if parsed.rcode == 0:
            records = _fast_records(parsed.records, rdtype)
            if records:
                return Lookup(LookupStatus.ANSWER, records), parsed.ttl
            return (Lookup(LookupStatus.NO_ANSWER, (), f"{name} has no {rdtype} record"),
                    parsed.negative_ttl)
        if parsed.rcode == 3:
            return (Lookup(LookupStatus.NXDOMAIN, (), f"{name} does not exist (NXDOMAIN)"),
                    parsed.negative_ttl)
        if several:
            return "rest"  # dnspython drops a failing nameserver and asks the next
        return Lookup(LookupStatus.ERROR, (), (
            f"{name} {rdtype} failed: the nameserver {server} answered "
            f"{parsed.rcode_text}")), None

    async def _query_dnspython(self, name: str, rdtype: str, lifetime: float, which: str,
                               ) -> tuple[Lookup[Any], float | None]:
        import dns.asyncbackend
        import dns.exception
        import dns.name
        import dns.resolver

        try:
            resolver = self._dnspython() if which == "all" else self._fallback(which)
        except Exception as error:
            return Lookup(LookupStatus.ERROR, (), (
                "no usable DNS configuration (is /etc/resolv.conf missing?): "
                f"{_describe(error)}")), None
        try:
            qname = dns.name.from_text(name)
            answer = await asyncio.wait_for(
                resolver.resolve(
                    qname, rdtype, raise_on_no_answer=False, lifetime=lifetime,
                    search=False, backend=dns.asyncbackend.get_backend("asyncio"),
                ),
                lifetime + _GRACE,
            )
        except dns.resolver.NXDOMAIN as error:
            responses = error.kwargs.get("responses") or {}
            return (
                Lookup(LookupStatus.NXDOMAIN, (), f"{name} does not exist (NXDOMAIN)"),
                _negative_ttl(responses.values()),
            )
        except (dns.exception.Timeout, asyncio.TimeoutError, TimeoutError):
            return self._timed_out(name, rdtype), None
        except Exception as error:  # SERVFAIL/REFUSED (NoNameservers), sockets, bad names
            return Lookup(LookupStatus.ERROR, (), (
                f"{name} {rdtype} failed: {_describe(error)}")), None
        rrset = answer.rrset
        records = () if rrset is None else _records(rrset)
        if not records:
            return (
                Lookup(LookupStatus.NO_ANSWER, (), f"{name} has no {rdtype} record"),
                _negative_ttl((answer.response,)),
            )
        assert rrset is not None
        return Lookup(LookupStatus.ANSWER, records), float(rrset.ttl)


@dataclass(frozen=True, slots=True)
class _FastPlan:
    servers: tuple[tuple[str, int], ...]  # (IP, port), in the configured order
    per_try: float  # seconds one attempt at one nameserver may take


_PER_TRY: Final = 2.0  # dnspython's default per-nameserver timeout
_MAX_DATAGRAM: Final = 65_535


class _TimedOut:
    __repr__ = object.__repr__


_TIMED_OUT: Final = _TimedOut()


async def _ask_udp(server: str, port: int, query: bytes, *, query_id: int, name: str,
                   rdtype: str, timeout: float) -> Any:
    """Send ``query`` from a fresh socket (a new random source port each time, as
    dnspython does) and wait for its answer: a ``Parsed``, None (dnspython's to
    handle) or ``_TIMED_OUT``. Datagrams answering something else are ignored; the
    connected socket only receives from ``server``."""
    from ._dnswire import IGNORE, parse_response

    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.connect((server, port))
        waiter: asyncio.Future[Any] = loop.create_future()

        def readable() -> None:
            while not waiter.done():
                try:
                    data = sock.recv(_MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as error:  # e.g. ICMP port unreachable
                    waiter.set_exception(error)
                    return
                parsed = parse_response(data, query_id, name, rdtype)
                if parsed is not IGNORE:
                    waiter.set_result(parsed)

        def expire() -> None:
            if not waiter.done():
                waiter.set_result(_TIMED_OUT)

        fd = sock.fileno()
        loop.add_reader(fd, readable)  # first: a loop without it raises before sending
        timer = loop.call_later(timeout, expire)
        try:
            sock.send(query)
            return await waiter
        finally:
            timer.cancel()
            loop.remove_reader(fd)
    finally:
        sock.close()


def _fast_records(records: tuple[Any, ...], rdtype: str) -> tuple[Any, ...]:
    """The fast path's records capped and ordered as ``_records`` does dnspython's."""
    if rdtype == "MX":
        found = [(preference, normalise_exchange(exchange)) for preference, exchange in records]
        found.sort(key=lambda record: record[0])
        return tuple(found[:MAX_STORED_MX])
    return records[:MAX_ADDRESSES_PER_HOST]


def _name_key(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _negative_ttl(responses: Iterable[dns.message.Message]) -> float | None:
    import dns.rdatatype
    from dns.rdtypes.ANY.SOA import SOA

    for response in responses:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                for rdata in rrset:
                    if isinstance(rdata, SOA):
                        return float(min(rrset.ttl, rdata.minimum))
    return None


def _records(rrset: dns.rrset.RRset) -> tuple[Any, ...]:
    from dns.rdtypes.ANY.MX import MX
    from dns.rdtypes.IN.A import A
    from dns.rdtypes.IN.AAAA import AAAA

    found: list[Any] = []
    for rdata in rrset:
        if isinstance(rdata, MX):
            found.append((int(rdata.preference), normalise_exchange(rdata.exchange.to_text())))
        elif isinstance(rdata, (A, AAAA)):
            found.append(ipaddress.ip_address(rdata.address).compressed)
    if found and isinstance(found[0], tuple):
        found.sort(key=lambda record: record[0])  # keep the best when capping
        return tuple(found[:MAX_STORED_MX])
    return tuple(found[:MAX_ADDRESSES_PER_HOST])


# -- address safety ------------------------------------------------------------------

_NON_PUBLIC_V4: Final = tuple(ipaddress.IPv4Network(net) for net in (
    "0.0.0.0/8",  # "this network" (RFC 791)
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private (RFC 1918)
    "100.64.0.0/10",  # shared address space / CGNAT (RFC 6598)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local (RFC 3927)
    "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation (RFC 5737)
    "192.88.99.0/24",  # former 6to4 relay anycast (RFC 7526)
    "198.18.0.0/15",  # benchmarking (RFC 2544)
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the limited broadcast address
))
_GLOBAL_UNICAST_V6: Final = ipaddress.IPv6Network("2000::/3")  # RFC 4291 2.4
_NON_PUBLIC_V6: Final = tuple(ipaddress.IPv6Network(net) for net in (
    "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID (RFC 2928)
    "2001:db8::/32", "3fff::/20",  # documentation (RFC 3849, RFC 9637)
))
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix (RFC 6052)
_RESERVED_V4: Final = ipaddress.IPv4Network("240.0.0.0/4")


def is_public_address(ip: str) -> bool:
    """Whether ``ip`` is a globally routable unicast address a probe may connect to.

    False for loopback, private (RFC 1918, ULA fc00::/7), link-local, multicast,
    reserved, unspecified, shared/CGNAT (100.64.0.0/10), benchmarking (198.18.0.0/15),
    documentation ranges, IPv6 outside 2000::/3, and for IPv4-mapped, NAT64 (64:ff9b::/96)
    and 6to4 (2002::/16) forms of any of those. Not an IP address: False.
    """
    if not isinstance(ip, str):
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address)
    if address.scope_id:  # a zone index only means something on a local link
        return False
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return _public_v4(embedded)
    return (
        address in _GLOBAL_UNICAST_V6
        and not any(address in net for net in _NON_PUBLIC_V6)
        and address.is_global
    )


def _public_v4(address: ipaddress.IPv4Address) -> bool:
    return not any(address in net for net in _NON_PUBLIC_V4) and address.is_global


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _connectable(ip: str) -> bool:
    """Unicast and addressable at all: what ``allow_private_hosts`` still demands."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (address.is_unspecified or address.is_multicast or (
        isinstance(address, ipaddress.IPv4Address) and address in _RESERVED_V4))


def usable_addresses(addresses: Iterable[str], *, allow_private: bool = False
                     ) -> tuple[str, ...]:
    """The addresses a probe may connect to, in order, without duplicates."""
    check = _connectable if allow_private else is_public_address
    return tuple(dict.fromkeys(ip for ip in addresses if check(ip)))


def literal_address(text: str) -> str | None:
    """The IP in a domain literal or IP-literal host (``[192.0.2.1]``, ``[IPv6:…]``,
    ``192.0.2.1``), in canonical form; None when ``text`` is not one."""
    inner = text.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
        if inner[:5].lower() == "ipv6:":
            inner = inner[5:]
    try:
        return ipaddress.ip_address(inner.rstrip(".") if "." in inner else inner).compressed
    except ValueError:
        return None


def _is_localhost(name: str) -> bool:
    # RFC 6761 6.3: localhost names are loopback, never to be asked of a nameserver.
    return name == "localhost" or name.endswith(".localhost")


# -- pure interpretation -------------------------------------------------------------

_RNG: Final = random.Random()


def normalise_exchange(exchange: str) -> str:
    """An MX exchange as a lower-case name without its final dot; the root stays "."."""
    name = exchange.strip().lower()
    if name in ("", ".", "@"):
        return "."
    return name[:-1] if name.endswith(".") else name


def is_null_mx(records: Iterable[MXRecord]) -> bool:
    """RFC 7505: the domain's only MX exchange is the root ".": it accepts no mail.

    A "." next to real exchanges is a misconfiguration; those "." entries are ignored.
    """
    names = [normalise_exchange(exchange) for _preference, exchange in records]
    return bool(names) and all(name == "." for name in names)


def order_mx(
    records: Iterable[MXRecord], rng: random.Random | None = None, *,
    limit: int = MAX_MX_RECORDS,
) -> tuple[MXRecord, ...]:
    """Exchanges in the order to try them, at most ``limit``.

    Lowest preference first; hosts of equal preference in random order (RFC 5321 5.1);
    "." entries (RFC 7505) dropped; a host listed twice keeps its best preference.
    """
    best: dict[str, int] = {}
    for preference, exchange in records:
        name = normalise_exchange(exchange)
        if name != "." and (name not in best or preference < best[name]):
            best[name] = preference
    groups: dict[int, list[str]] = {}
    for name, preference in best.items():
        groups.setdefault(preference, []).append(name)
    shuffle = (rng if rng is not None else _RNG).shuffle
    ordered: list[MXRecord] = []
    for preference in sorted(groups):
        names = sorted(groups[preference])  # a seeded rng then gives a reproducible order
        shuffle(names)
        ordered.extend((preference, name) for name in names)
    return tuple(ordered[:limit])


@dataclass(frozen=True, slots=True)
class MXVerdict:
    """What the mx check concluded: an outcome, and the usable hosts on success."""

    outcome: Outcome
    reason: Reason | None = None
    detail: str = ""
    hosts: tuple[MailHost, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (host, why it is not used)
    implicit: bool = False

    @property
    def has_mail(self) -> bool | None:
        """True on success, False on a definite failure, None when DNS could not tell."""
        if self.outcome is Outcome.PASS:
            return True
        return False if self.outcome is Outcome.FAIL else None


@dataclass(frozen=True, slots=True)
class MXPlan:
    """What an MX answer means: a verdict already, or the hosts to resolve next."""

    verdict: MXVerdict | None
    candidates: tuple[MXRecord, ...] = ()
    implicit: bool = False
    complete: bool = True  # False when more MX hosts exist than are considered


def _transient_verdict(lookup: Lookup[Any], detail: str) -> MXVerdict:
    reason = Reason.DNS_TIMEOUT if lookup.status is LookupStatus.TIMEOUT else Reason.DNS_ERROR
    return MXVerdict(Outcome.ERROR, reason, detail)


def plan_mail_hosts(
    domain: str, lookup: Lookup[MXRecord], rng: random.Random | None = None, *,
    limit: int = MAX_MX_RECORDS,
) -> MXPlan:
    """Interpret the MX answer of ``domain`` (an A-label name)."""
    status = lookup.status
    if status is LookupStatus.NXDOMAIN:
        return MXPlan(MXVerdict(Outcome.FAIL, Reason.DOMAIN_NOT_FOUND,
                                f"the domain {domain} does not exist (NXDOMAIN)"))
    if lookup.transient:
        return MXPlan(_transient_verdict(lookup, f"the MX lookup of {domain} failed: "
                                                 f"{lookup.detail or status.value}"))
    if status is LookupStatus.ANSWER and is_null_mx(lookup.records):
        return MXPlan(MXVerdict(
            Outcome.FAIL, Reason.NULL_MX,
            f"{domain} publishes a null MX (RFC 7505): it accepts no mail"))
    ordered = order_mx(lookup.records, rng, limit=len(lookup.records))
    if not ordered:
        # RFC 5321 5.1: without MX records the domain's own address is the mail host.
        return MXPlan(None, ((0, _name_key(domain)),), implicit=True)
    return MXPlan(None, ordered[:limit], complete=len(ordered) <= limit)


def decide_mail_hosts(
    candidates: Sequence[MXRecord], lookups: Mapping[str, Lookup[str]], *,
    allow_private: bool = False, limit: int = 3, implicit: bool = False, domain: str = "",
    complete: bool = True,
) -> MXVerdict:
    """The verdict from the candidates (in order) and their address lookups.

    A host that does not exist or has no address is skipped; one whose addresses are
    all non-public is refused (unless ``allow_private``). Pass with the first ``limit``
    usable hosts; else error when a lookup failed transiently; else warn
    ``unsafe_mx_address`` when some host was refused; else error when a candidate was not
    looked up or ``complete`` is False (more MX hosts exist than were considered); else
    fail ``no_mail_server``.
    """
    hosts: list[MailHost] = []
    skipped: list[tuple[str, str]] = []
    unsafe = False
    transient: list[Lookup[str]] = []
    unchecked = False
    for preference, name in candidates:
        lookup = lookups.get(name)
        if lookup is None:
            unchecked = True
            continue
        if lookup.status is LookupStatus.ANSWER:
            addresses = usable_addresses(lookup.records, allow_private=allow_private)
            if addresses:
                hosts.append(MailHost(name, preference, addresses, implicit))
            else:
                unsafe = True
                skipped.append((name, "non-public address " + ", ".join(lookup.records[:4])))
        elif lookup.transient:
            transient.append(lookup)
            skipped.append((name, lookup.detail or lookup.status.value))
        elif lookup.status is LookupStatus.NXDOMAIN:
            skipped.append((name, "does not exist"))
        else:
            skipped.append((name, "has no address record"))
    subject = domain or (candidates[0][1] if candidates else "the domain")
    why = "; ".join(f"{name}: {reason}" for name, reason in skipped)
    if hosts:
        usable = tuple(hosts[:limit])
        detail = "mail hosts: " + ", ".join(
            f"{host.name} (implicit MX)" if host.implicit else f"{host.name} ({host.preference})"
            for host in usable)
        return MXVerdict(Outcome.PASS, None, detail + (f"; skipped {why}" if why else ""),
                         usable, tuple(skipped), implicit)
    if transient:
        timeouts = all(lookup.status is LookupStatus.TIMEOUT for lookup in transient)
        return MXVerdict(Outcome.ERROR, Reason.DNS_TIMEOUT if timeouts else Reason.DNS_ERROR,
                         f"could not resolve the mail hosts of {subject}: {why}",
                         (), tuple(skipped), implicit)
    if unsafe:
        return MXVerdict(
            Outcome.WARN, Reason.UNSAFE_MX_ADDRESS,
            f"every mail host of {subject} points at a non-public address; not used: {why}",
            (), tuple(skipped), implicit)
    if unchecked or not complete:
        # "No mail server" is a definite verdict: only when every MX host was checked.
        return MXVerdict(Outcome.ERROR, Reason.DNS_ERROR, (
            f"none of the {len(lookups)} MX hosts of {subject} looked up has an address, "
            f"and more were not looked up: {why}"), (), tuple(skipped), implicit)
    if implicit:
        detail = f"{subject} has no MX record and no address record"
    else:
        detail = f"no MX host of {subject} has an address: {why}"
    return MXVerdict(Outcome.FAIL, Reason.NO_MAIL_SERVER, detail, (), tuple(skipped), implicit)


def literal_verdict(domain_literal: str, *, allow_private: bool = False) -> MXVerdict:
    """The verdict for a domain literal (``[192.0.2.1]``): its IP is the mail host."""
    ip = literal_address(domain_literal)
    if ip is None:
        return MXVerdict(Outcome.ERROR, Reason.DNS_ERROR,
                         f"{domain_literal} is not an IP address literal")
    return decide_mail_hosts(
        [(0, ip)], {ip: Lookup(LookupStatus.ANSWER, (ip,))}, allow_private=allow_private,
        limit=1, domain=domain_literal,
    )


# -- the checker ---------------------------------------------------------------------


class MXChecker:
    """The ``mx`` check: finds the domain's mail hosts and refuses unsafe ones.

    Leaves ``mail_hosts`` (a tuple of ``MailHost``, in the order to try) and
    ``has_mail`` (True / False / None) in ``context.facts``. Keeps one ``Resolver`` (and
    so one cache) per set of DNS options it has seen.

    The interpreted verdict of a domain (its hosts in order, their safe addresses, the
    finding) is kept next to the DNS answers it came from, until the first of them
    expires: a domain seen before is a dictionary lookup, answered without awaiting
    anything. So mail hosts of equal preference keep the (random) order they were given
    for as long as the answers are cached, rather than being shuffled per address.

    Args:
        rng: orders MX hosts of equal preference (seed one for reproducible tests).
        transient_ttl: seconds a DNS failure is reused before asking again.
        clock: monotonic clock of the caches (tests pass a fake one).
    """

    name = "mx"
    stage = Stage.DNS

    def __init__(self, *, rng: random.Random | None = None,
                 transient_ttl: float = TRANSIENT_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rng = rng if rng is not None else random.Random()
        self.transient_ttl = transient_ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._resolvers: OrderedDict[tuple[Any, ...], Resolver] = OrderedDict()
        # The options object seen last and its resolver: a batch shares one Options.
        self._last: tuple[Options, Resolver] | None = None

    def __repr__(self) -> str:
        return f"<MXChecker resolvers={len(self._resolvers)}>"

    def resolver_for(self, options: Options) -> Resolver:
        """The resolver (and cache) serving ``options``' DNS settings."""
        last = self._last
        if last is not None and last[0] is options:
            return last[1]
        key = (options.nameservers, options.dns_port, options.dns_timeout,
               options.dns_cache_size)
        with self._lock:
            resolver = self._resolvers.get(key)
            if resolver is None:
                resolver = Resolver.from_options(
                    options, transient_ttl=self.transient_ttl, clock=self.clock)
                self._resolvers[key] = resolver
                while len(self._resolvers) > _MAX_RESOLVERS:
                    self._resolvers.popitem(last=False)
                    self._last = None  # it may have been the one dropped
            else:
                self._resolvers.move_to_end(key)
            self._last = (options, resolver)
            return resolver

    def __call__(self, context: CheckContext, /) -> Finding | Coroutine[Any, Any, Finding]:
        """The finding at once when the domain's verdict is known (a literal, or cached);
        else an awaitable that looks it up."""
        options = context.options
        address = context.address
        if address.domain_literal:
            verdict = literal_verdict(address.domain, allow_private=options.allow_private_hosts)
            return _conclude(context, _Known(verdict, (), 0))
        resolver = self.resolver_for(options)
        key = (address.ascii_domain, options.allow_private_hosts, options.max_mx_hosts)
        known = _known(resolver, key)
        if known is not None:
            return _conclude(context, known)
        return self._look_up(context, resolver, key)

    def prefetch(self, address: Address, options: Options
                 ) -> Coroutine[Any, Any, None] | None:
        """Look up the verdict of ``address``'s domain ahead of its verification (bulk
        batches call this for domains waiting their turn). None when it is known."""
        if address.domain_literal:
            return None
        resolver = self.resolver_for(options)
        key = (address.ascii_domain, options.allow_private_hosts, options.max_mx_hosts)
        if _known(resolver, key) is not None:
            return None
        return self._prefetch(options, resolver, key)

    async def _prefetch(self, options: Options, resolver: Resolver,
                        key: tuple[str, bool, int]) -> None:
        await self._learn(options, resolver, key)

    async def _look_up(self, context: CheckContext, resolver: Resolver,
                       key: tuple[str, bool, int]) -> Finding:
        return _conclude(context, await self._learn(context.options, resolver, key))

    async def _learn(self, options: Options, resolver: Resolver,
                     key: tuple[str, bool, int]) -> _Known:
        """Resolve the domain's verdict and keep it while its answers are cached."""
        evictions = resolver.cache.evictions  # before the answers are read
        verdict, answers, expires = await self._resolve(key[0], options, resolver)
        known = _Known(verdict, answers, evictions)
        if expires < math.inf:
            resolver.verdicts.put(key, known, expires - self.clock())
        return known

    async def _resolve(self, domain: str, options: Options, resolver: Resolver | None = None,
                       ) -> tuple[MXVerdict, _Answers, float]:
        """The verdict, the DNS answers it rests on, and when the first of them expires
        (0.0 when one of them was not cached: the verdict is not kept either)."""
        if resolver is None:
            resolver = self.resolver_for(options)
        mx_key = (_name_key(domain), "MX")
        expires, mx = await resolver._lookup_entry(*mx_key)
        answers: list[tuple[tuple[str, str], Lookup[Any]]] = [(mx_key, mx)]
        plan = plan_mail_hosts(domain, mx, self.rng)
        if plan.verdict is not None:
            return plan.verdict, tuple(answers), expires
        limit = options.max_mx_hosts
        allow_private = options.allow_private_hosts
        candidates = plan.candidates
        lookups, first_expiry = await _resolve_hosts(
            resolver, [name for _p, name in candidates[:limit]], answers)
        expires = min(expires, first_expiry)
        usable = sum(
            1 for lookup in lookups.values() if lookup.status is LookupStatus.ANSWER
            and usable_addresses(lookup.records, allow_private=allow_private))
        rest = [name for _p, name in candidates[limit:]]
        if rest and usable < limit:
            # Look further only as far as needed; with nothing usable yet, look at all
            # (at most MAX_MX_RECORDS), since "no mail server" needs every host checked.
            more, first_expiry = await _resolve_hosts(
                resolver, rest if usable == 0 else rest[: limit - usable], answers)
            lookups.update(more)
            expires = min(expires, first_expiry)
        verdict = decide_mail_hosts(
            candidates, lookups, allow_private=allow_private, limit=limit,
            implicit=plan.implicit, domain=domain, complete=plan.complete,
        )
        return verdict, tuple(answers), expires


class _Known:
    """A domain's verdict as the mx check reports it, and the answers behind it."""

    __slots__ = ("answers", "evictions", "finding", "has_mail", "hosts")

    def __init__(self, verdict: MXVerdict, answers: _Answers, evictions: int) -> None:
        self.hosts = verdict.hosts
        self.has_mail = verdict.has_mail
        self.finding = Finding(verdict.outcome, verdict.reason, verdict.detail, {
            "mx": tuple(host.name for host in verdict.hosts),
            "implicit": verdict.implicit,
            "addresses": MappingProxyType({host.name: host.addresses
                                           for host in verdict.hosts}),
            "skipped": MappingProxyType(dict(verdict.skipped)),
        })
        self.answers = answers
        self.evictions = evictions  # the cache's eviction count when last known whole

    def answers_held(self, cache: DNSCache) -> bool:
        """Whether the cache still holds every answer this verdict rests on (it has
        evicted some entries since): kept to the cache's bound, never beyond."""
        evictions = cache.evictions
        if any(cache.get(key) is not lookup for key, lookup in self.answers):
            return False
        self.evictions = evictions
        return True


def _known(resolver: Resolver, key: tuple[str, bool, int]) -> _Known | None:
    """The live verdict under ``key``, if its answers are still in the cache."""
    known: _Known | None = resolver.verdicts.get(key)
    if known is not None and (known.evictions == resolver.cache.evictions
                              or known.answers_held(resolver.cache)):
        return known
    return None


def _conclude(context: CheckContext, known: _Known) -> Finding:
    facts = context.facts
    facts["mail_hosts"] = known.hosts
    facts["has_mail"] = known.has_mail
    return known.finding


async def _resolve_hosts(
    resolver: Resolver, names: Sequence[str],
    answers: list[tuple[tuple[str, str], Lookup[Any]]],
) -> tuple[dict[str, Lookup[str]], float]:
    """The address lookups of ``names``; their DNS answers are added to ``answers``.
    Also returns when the first of those answers expires from the cache."""
    found = await asyncio.gather(*(_host_addresses(resolver, name) for name in names))
    lookups: dict[str, Lookup[str]] = {}
    expires = math.inf
    for name, (lookup, used, until) in zip(names, found, strict=True):
        lookups[name] = lookup
        answers.extend(used)
        expires = min(expires, until)
    return lookups, expires


async def _host_addresses(resolver: Resolver, name: str,
                          ) -> tuple[Lookup[str], _Answers, float]:
    """A host's addresses, the DNS answers they came from, and when the first of those
    expires (math.inf when DNS was not asked)."""
    ip = literal_address(name)
    if ip is not None:
        # An MX naming an IP breaks RFC 5321 5.1; use the IP itself (still safety-checked)
        # rather than ask DNS for a name that cannot exist.
        return Lookup(LookupStatus.ANSWER, (ip,)), (), math.inf
    if _is_localhost(name):
        return Lookup(LookupStatus.ANSWER, _LOOPBACK), (), math.inf
    if not _HOST_NAME.fullmatch(name):
        return Lookup(LookupStatus.NXDOMAIN, (), f"{name!r} is not a host name"), (), math.inf
    return await resolver._addresses_entry(name)
