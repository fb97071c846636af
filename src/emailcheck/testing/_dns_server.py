"""A loopback DNS server for tests, answering from a declarative, mutable zone."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from ._background import START_TIMEOUT, BackgroundServer

if TYPE_CHECKING:
    pass

__all__ = ["DNSServer", "DomainSpec", "Zone"]

Behaviour = Literal["answer", "nxdomain", "servfail", "timeout", "refused"]
_BEHAVIOURS: Final = frozenset({"answer", "nxdomain", "servfail", "timeout", "refused"})
_MAX_DATAGRAM: Final = 4096  # larger queries are not DNS queries we answer
_MAX_UDP_PAYLOAD: Final = 4096  # the most an EDNS client may ask us to send over UDP
_MAX_TCP_MESSAGE: Final = 65_535  # the two-byte length prefix allows no more
_TCP_IDLE: Final = 10.0
_MAX_TCP_CONNECTIONS: Final = 64
_MAX_TCP_QUERIES: Final = 256  # per connection
_BIND_ATTEMPTS: Final = 20
_SOA_MNAME: Final = "ns.sandbox.test"
_SOA_RNAME: Final = "hostmaster.sandbox.test"


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """What the server says about one name.

    Args:
        mx: (preference, exchange) records; ``[(0, ".")]`` is a null MX (RFC 7505).
        a: IPv4 addresses.
        aaaa: IPv6 addresses.
        behaviour: ``answer``; or ``nxdomain``, ``servfail``, ``refused`` for every
            question about the name; or ``timeout`` (never reply).
        ttl: TTL of the records, in seconds.
        delay: seconds to wait before replying.
    """

    mx: Sequence[tuple[int, str]] = ()
    a: Sequence[str] = ()
    aaaa: Sequence[str] = ()
    behaviour: Behaviour = "answer"
    ttl: int = 300
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.behaviour not in _BEHAVIOURS:
            raise ValueError(
                f"behaviour must be one of {', '.join(sorted(_BEHAVIOURS))}, "
                f"not {self.behaviour!r}")
        if not (isinstance(self.ttl, int) and 0 <= self.ttl < 2**31):
            raise ValueError(f"ttl must be an integer from 0 to 2**31-1, not {self.ttl!r}")
        if not 0 <= self.delay <= 60:
            raise ValueError(f"delay must be 0 to 60 seconds, not {self.delay!r}")
        for field_name in ("mx", "a", "aaaa"):
            if isinstance(getattr(self, field_name), (str, bytes)):
                raise TypeError(f"{field_name} takes a sequence, not a single string")
        mx = tuple((int(preference), str(exchange)) for preference, exchange in self.mx)
        for preference, exchange in mx:
            if not 0 <= preference < 65536 or not exchange:
                raise ValueError(f"not an MX record: ({preference!r}, {exchange!r})")
        object.__setattr__(self, "mx", mx)
        object.__setattr__(
            self, "a", tuple(str(ipaddress.IPv4Address(address)) for address in self.a))
        object.__setattr__(
            self, "aaaa",
            tuple(ipaddress.IPv6Address(address).compressed for address in self.aaaa))


Zone = Mapping[str, DomainSpec]


def _name(name: str) -> str:
    key = name.strip().rstrip(".").lower()
    if not key:
        raise ValueError(f"not a domain name: {name!r}")
    return key


class DNSServer(BackgroundServer):
    """An authoritative-style DNS server on loopback (UDP and TCP, one port).

    A name missing from the zone gets NXDOMAIN, with an SOA in the authority section
    whose TTL and MINIMUM are ``negative_ttl`` (None: no SOA); a name without records of
    the asked type gets NOERROR and no answer (same SOA). UDP replies larger than the
    client's limit (512 bytes, or its EDNS size) come back truncated, so clients retry
    over TCP. Malformed packets are ignored.

    Use as a context manager (``with DNSServer(zone) as server:``) or with ``start()`` /
    ``stop()``; it serves from a background thread, so sync and async tests can use it.
    ``queries`` counts the questions asked per (name, type); ``set()`` changes the zone
    while running.
    """

    def __init__(
        self, zone: Zone | None = None, *, host: str = "127.0.0.1", port: int = 0,
        negative_ttl: int | None = 300,
    ) -> None:
        if negative_ttl is not None and not 0 <= negative_ttl < 2**31:
            raise ValueError(f"negative_ttl must be 0 to 2**31-1 or None, not {negative_ttl!r}")
        self._bind_to(host, port)
        self.negative_ttl = negative_ttl
        self._lock = threading.Lock()
        self._zone: dict[str, DomainSpec] = {}
        self._queries: Counter[tuple[str, str]] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._tcp_connections = 0  # touched on the server's loop only
        for name, spec in (zone or {}).items():
            self.set(name, spec)

    # -- the zone and the record of queries -------------------------------------------

    def set(self, name: str, spec: DomainSpec | None) -> None:
        """Answer for ``name`` from ``spec`` from now on (None: forget the name)."""
        if spec is not None and not isinstance(spec, DomainSpec):
            raise TypeError(f"spec must be a DomainSpec or None, not {type(spec).__name__}")
        key = _name(name)
        with self._lock:
            if spec is None:
                self._zone.pop(key, None)
            else:
                self._zone[key] = spec

    @property
    def zone(self) -> dict[str, DomainSpec]:
        """A copy of the zone as it stands."""
        with self._lock:
            return dict(self._zone)

    @property
    def queries(self) -> dict[tuple[str, str], int]:
        """Questions received so far per (name, type), e.g. ``("shop.test", "MX")``."""
        with self._lock:
            return dict(self._queries)

    def query_count(self, name: str, rtype: str | None = None) -> int:
        """Questions received about ``name`` (of type ``rtype``, or of any type)."""
        key = _name(name)
        with self._lock:
            return sum(count for (qname, qtype), count in self._queries.items()
                       if qname == key and (rtype is None or qtype == rtype.upper()))

    def reset_queries(self) -> None:
        """Forget the counted questions."""
        with self._lock:
            self._queries.clear()

    # -- answering (no I/O) -----------------------------------------------------------

    def respond(self, packet: bytes, *, tcp: bool = False) -> tuple[bytes | None, float]:
        """The reply to one query packet (None: stay silent) and the delay before it."""
        from dnslib import QTYPE, RCODE, DNSRecord

        try:
            request = DNSRecord.parse(packet)
        except Exception:  # dnslib raises several kinds on garbage; all mean "ignore"
            return None, 0.0
        header = request.header
        if header.qr or len(request.questions) != 1:
            return None, 0.0
        reply = request.reply(ra=1, aa=1)
        if header.opcode != 0:
            reply.header.rcode = RCODE.NOTIMP
            return self._pack(reply, request, tcp), 0.0
        question = request.questions[0]
        qname = str(question.qname).rstrip(".").lower()
        qtype = str(QTYPE.get(question.qtype, question.qtype))
        with self._lock:
            if len(self._queries) < 100_000:  # bounded even under a query flood
                self._queries[(qname, qtype)] += 1
            spec = self._zone.get(qname)
            parent_only = spec is None and any(
                name.endswith("." + qname) for name in self._zone)
        if spec is None:
            # An empty non-terminal (the parent of a listed name) exists without records.
            self._negative(reply, qname, RCODE.NOERROR if parent_only else RCODE.NXDOMAIN)
            return self._pack(reply, request, tcp), 0.0
        behaviour = spec.behaviour
        if behaviour == "timeout":
            return None, 0.0
        if behaviour == "nxdomain":
            self._negative(reply, qname, RCODE.NXDOMAIN)
        elif behaviour == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
        elif behaviour == "refused":
            reply.header.rcode = RCODE.REFUSED
        else:
            records = self._records(qname, qtype, spec)
            if records:
                reply.add_answer(*records)
            else:
                self._negative(reply, qname, RCODE.NOERROR)
        return self._pack(reply, request, tcp), spec.delay

    @staticmethod
    def _records(qname: str, qtype: str, spec: DomainSpec) -> list[Any]:
        from dnslib import AAAA, MX, QTYPE, RR, A

        if qtype == "MX":
            return [RR(qname, QTYPE.MX, rdata=MX(exchange, preference), ttl=spec.ttl)
                    for preference, exchange in spec.mx]
        if qtype == "A":
            return [RR(qname, QTYPE.A, rdata=A(address), ttl=spec.ttl) for address in spec.a]
        if qtype == "AAAA":
            return [RR(qname, QTYPE.AAAA, rdata=AAAA(address), ttl=spec.ttl)
                    for address in spec.aaaa]
        return []

    def _negative(self, reply: Any, qname: str, rcode: int) -> None:
        from dnslib import QTYPE, RR, SOA

        reply.header.rcode = rcode
        if self.negative_ttl is None:
            return
        # RFC 2308: the SOA's TTL and MINIMUM bound how long resolvers keep the answer.
        apex = qname.rsplit(".", 1)[-1]
        times = (1, 3600, 600, 86400, self.negative_ttl)
        reply.add_auth(RR(apex, QTYPE.SOA, ttl=self.negative_ttl,
                          rdata=SOA(_SOA_MNAME, _SOA_RNAME, times)))

    @staticmethod
    def _pack(reply: Any, request: Any, tcp: bool) -> bytes:
        from dnslib import QTYPE, RCODE, DNSHeader, DNSRecord

        wire = bytes(reply.pack())  # dnspython cannot parse dnslib's bytearray
        if tcp:
            limit = _MAX_TCP_MESSAGE
        else:
            limit = 512
            for extra in request.ar:
                if extra.rtype == QTYPE.OPT:  # EDNS (RFC 6891): the class is the UDP size
                    limit = max(512, min(int(extra.rclass), _MAX_UDP_PAYLOAD))
        if len(wire) <= limit:
            return wire
        header = request.header
        if tcp:
            failed = DNSHeader(id=header.id, qr=1, aa=1, ra=1, rd=header.rd,
                               rcode=RCODE.SERVFAIL)
            return bytes(DNSRecord(failed, q=request.q).pack())
        truncated = DNSHeader(id=header.id, qr=1, aa=1, ra=1, tc=1, rd=header.rd)
        return bytes(DNSRecord(truncated, q=request.q).pack())

    # -- life cycle -------------------------------------------------------------------

    def stop(self) -> None:
        """Close the sockets and end the thread."""
        loop, thread, stopped = self._loop, self._thread, self._stopped
        if loop is None or thread is None or stopped is None:
            return
        loop.call_soon_threadsafe(stopped.set)
        thread.join(START_TIMEOUT)
        self._thread = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(ready, failure))
        finally:
            self._loop = None
            loop.close()

    async def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.get_running_loop()
        try:
            udp, tcp = await self._bind(loop)
        except BaseException as error:
            failure.append(error)
            ready.set()
            return
        self._stopped = asyncio.Event()
        self._loop = loop
        ready.set()
        try:
            await self._stopped.wait()
        finally:
            udp.close()
            tcp.close()
            others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await tcp.wait_closed()

    async def _bind(
        self, loop: asyncio.AbstractEventLoop
    ) -> tuple[asyncio.DatagramTransport, asyncio.Server]:
        # UDP and TCP must share one port number; with port 0 the kernel picks the UDP
        # one, which TCP may find taken: then try again.
        last: OSError | None = None
        for _attempt in range(_BIND_ATTEMPTS if self.port == 0 else 1):
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _UDPProtocol(self), local_addr=(self.host, self.port))
            port = int(transport.get_extra_info("sockname")[1])
            try:
                server = await asyncio.start_server(
                    self._serve_tcp, self.host, port, reuse_address=True)
            except OSError as error:
                transport.close()
                last = error
                continue
            self.port = port
            return transport, server
        assert last is not None
        raise last

    async def _serve_tcp(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._tcp_connections += 1
        crowded = self._tcp_connections > _MAX_TCP_CONNECTIONS
        try:
            if crowded:
                return
            for _query in range(_MAX_TCP_QUERIES):
                try:
                    prefix = await asyncio.wait_for(reader.readexactly(2), _TCP_IDLE)
                    size = int.from_bytes(prefix, "big")
                    packet = await asyncio.wait_for(reader.readexactly(size), _TCP_IDLE)
                except (asyncio.IncompleteReadError, asyncio.TimeoutError, OSError):
                    return
                reply, delay = self.respond(packet, tcp=True)
                if reply is None:
                    continue  # "timeout": the client gives up on its own
                if delay:
                    await asyncio.sleep(delay)
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            self._tcp_connections -= 1
            writer.close()


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DNSServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.DatagramTransport", transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if len(data) > _MAX_DATAGRAM or self.transport is None:
            return
        reply, delay = self.server.respond(data)
        if reply is None:
            return
        transport = self.transport
        if delay:
            asyncio.get_running_loop().call_later(delay, _send, transport, reply, addr)
        else:
            _send(transport, reply, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for one client must not stop the server


def _send(transport: asyncio.DatagramTransport, reply: bytes, addr: Any) -> None:
    if not transport.is_closing():
        transport.sendto(reply, addr)
