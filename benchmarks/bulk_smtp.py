"""Bulk SMTP verification against loopback servers that wait before every reply.

    python benchmarks/bulk_smtp.py [--addresses 10000] [--domains 500] [--delay 0.02]
                                   [--concurrency 50] [--per-host 2] [--fixture light]

Starts (in a child process, so they do not compete with the client for the GIL) one
DNS server and one SMTP listener per domain (127.0.x.y, all on one port), each
waiting ``--delay`` seconds before every reply, as a distant server would. The default
``light`` fixture answers every domain from one event loop (the replies and verdicts of
the sandbox's server); ``--fixture sandbox`` uses ``emailcheck.testing.SMTPServer``,
whose one thread and event loop per server (500 threads sharing one GIL) add their own
milliseconds to every reply. Then, in the same run, with the same global concurrency
limit and fresh caches each time:

(a) the library: ``Verifier.averify_many`` (shared sessions, per-domain lanes);
(b) a one-session-per-address prober built from the same parts: ``Verifier.averify``
    per address under a semaphore of the same size (connect, EHLO, MAIL, RCPT, RSET,
    QUIT for every address, the catch-all verdict cached per domain);
(c) the round-trip lower bound of (a)'s work: every reply the verdicts need (per
    session greeting, EHLO and MAIL; one RCPT per address; one catch-all RCPT per
    domain) costs ``--delay``, at most ``--concurrency`` replies are awaited at once,
    and a domain's replies go over at most ``--per-host`` sessions. The total counts
    one session per domain (the fewest replies) and the per-domain critical path
    ``--per-host`` sessions (the most parallel): no schedule beats either.
(d) the same bound for (b): six replies per address (greeting, EHLO, MAIL, RCPT, RSET,
    QUIT) plus one catch-all RCPT per domain. (d) / (c) is the most that sharing
    sessions can gain at equal concurrency.

Prints the times, the verdict counts (which must agree) and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from emailcheck import Verifier
from emailcheck.testing._dns_server import DNSServer, DomainSpec
from emailcheck.testing._smtp_server import SMTPServer

MAILBOXES = 10  # user0..user9 exist at every domain; the rest do not


def host_address(index: int) -> str:
    return f"127.0.{index // 250 + 1}.{index % 250 + 2}"


def start_dns(stack: ExitStack, domains: int) -> DNSServer:
    zone: dict[str, DomainSpec] = {}
    for index in range(domains):
        name = f"d{index}.test"
        zone[name] = DomainSpec(mx=[(10, f"mx.{name}")], ttl=3600)
        zone[f"mx.{name}"] = DomainSpec(a=[host_address(index)], ttl=3600)
    dns = DNSServer(zone, host="127.0.0.1", port=0)
    stack.enter_context(dns)
    return dns


def start_sandbox(stack: ExitStack, domains: int, delay: float) -> tuple[int, Callable[[], int]]:
    servers: list[SMTPServer] = []
    port = 0
    for index in range(domains):
        server = SMTPServer(host_address(index), port,
                            mailboxes={f"user{i}" for i in range(MAILBOXES)}, reply_delay=delay)
        stack.enter_context(server)
        port = server.port
        servers.append(server)

    def count() -> int:
        sessions = sum(len(server.sessions) for server in servers)
        for server in servers:
            server.reset()
        return sessions

    return port, count


class LightSMTP(asyncio.Protocol):
    """Answers one connection like the sandbox's server (same replies, same verdicts),
    each reply ``delay`` seconds after the command; commands are answered in order."""

    MAX_LINE = 4096

    def __init__(self, delay: float, opened: list[int]) -> None:
        self.delay = delay
        self.opened = opened
        self.buffer = b""
        self.lines: deque[bytes] = deque()
        self.answering = False
        self.in_mail = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.opened[0] += 1
        self.lines.append(b"")  # b"": the greeting
        self._next()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.lines.append(line.rstrip(b"\r"))
        if len(self.buffer) > self.MAX_LINE and self.transport is not None:
            self.transport.abort()
            return
        self._next()

    def _next(self) -> None:
        if not self.answering and self.lines:
            self.answering = True
            asyncio.get_running_loop().call_later(self.delay, self._answer)

    def _answer(self) -> None:
        self.answering = False
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        line = self.lines.popleft().decode("utf-8", "replace")
        verb, _, argument = line.partition(" ")
        verb = verb.upper()
        if not line:
            reply = "220 mx.bench.test ESMTP"
        elif verb == "EHLO":
            reply = "250-mx.bench.test\r\n250-8BITMIME\r\n250 SMTPUTF8"
        elif verb == "HELO":
            reply = "250 mx.bench.test"
        elif verb == "MAIL":
            reply = "503 Error: nested MAIL command" if self.in_mail else "250 OK"
            self.in_mail = True
        elif verb == "RCPT":
            address = argument.partition("<")[2].partition(">")[0]
            local = address.rpartition("@")[0].lower()
            reply = ("250 2.1.5 OK" if local in MAILBOX_NAMES else
                     f"550 5.1.1 <{address}>: Recipient address rejected: User unknown")
        elif verb == "RSET":
            self.in_mail = False
            reply = "250 OK"
        elif verb == "QUIT":
            transport.write(b"221 Bye\r\n")
            transport.close()
            return
        else:
            reply = "502 5.5.2 Error: command not recognized"
        transport.write(reply.encode() + b"\r\n")
        self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


MAILBOX_NAMES = frozenset(f"user{i}" for i in range(MAILBOXES))


def start_light(stack: ExitStack, domains: int, delay: float) -> tuple[int, Callable[[], int]]:
    """One event loop in one thread serves every domain's listener."""
    loop = asyncio.new_event_loop()
    opened = [0]
    servers: list[asyncio.Server] = []
    port = 0
    for index in range(domains):
        server = loop.run_until_complete(loop.create_server(
            lambda: LightSMTP(delay, opened), host_address(index), port, reuse_address=True))
        port = server.sockets[0].getsockname()[1]
        servers.append(server)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        for server in servers:
            server.close()
        loop.close()

    stack.callback(stop)

    def count() -> int:
        sessions, opened[0] = opened[0], 0
        return sessions

    return port, count


def serve(domains: int, delay: float, fixture: str) -> None:
    """The servers' process: its own GIL, so the servers do not slow the client down.

    Prints ``dns_port smtp_port``; then each line ``count`` on stdin is answered with
    the number of SMTP sessions since the last count; EOF stops the servers.
    """
    with ExitStack() as stack:
        dns = start_dns(stack, domains)
        start = start_light if fixture == "light" else start_sandbox
        port, count = start(stack, domains, delay)
        print(dns.port, port, flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(count(), flush=True)


class World:
    """The server process, seen from the client."""

    def __init__(self, domains: int, delay: float, fixture: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--domains", str(domains), "--delay",
             str(delay), "--fixture", fixture],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        dns_port, smtp_port = self.process.stdout.readline().split()
        self.dns_port, self.smtp_port = int(dns_port), int(smtp_port)

    def sessions(self) -> int:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


def verifier(world: World, concurrency: int, per_host: int) -> Verifier:
    return Verifier(
        nameservers=("127.0.0.1",), dns_port=world.dns_port, smtp_port=world.smtp_port,
        allow_private_hosts=True,
        allow_special_use={"test"}, helo_name="probe.bench.test", mail_from="probe@bench.test",
        dns_timeout=5.0, smtp_timeout=10.0, timeout=300.0, concurrency=concurrency,
        per_host_concurrency=per_host,
    )


async def library(check: Verifier, addresses: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    async for result in check.averify_many(addresses, ordered=False):
        counts[result.status.value] += 1
    return counts


async def one_session_each(check: Verifier, addresses: list[str], limit: int) -> Counter[str]:
    gate = asyncio.Semaphore(limit)
    counts: Counter[str] = Counter()

    async def one(address: str) -> None:
        async with gate:
            result = await check.averify(address)
        counts[result.status.value] += 1

    await asyncio.gather(*(one(address) for address in addresses))
    return counts


def lower_bound(addresses: int, domains: int, delay: float, concurrency: int,
                per_host: int) -> float:
    """(c): shared sessions. Each session costs greeting, EHLO and MAIL; each address one
    RCPT; each domain one catch-all RCPT. One session per domain has the fewest replies
    in all, ``per_host`` sessions the shortest chain at a domain; a real schedule is
    bounded by both at once, so the larger of the two is a true lower bound."""
    per_domain = addresses / domains
    fewest = domains * (3 + 1 + per_domain) * delay / concurrency
    sessions = max(1.0, min(per_host, per_domain))
    chain = (3 + (1 + per_domain) / sessions) * delay
    return max(fewest, chain)


def per_address_bound(addresses: int, domains: int, delay: float, concurrency: int) -> float:
    """(d): a session per address, six replies each, plus a catch-all RCPT per domain."""
    return (addresses * 6 + domains) * delay / concurrency


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addresses", type=int, default=10_000)
    parser.add_argument("--domains", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--fixture", choices=("light", "sandbox"), default="light")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.domains, args.delay, args.fixture)
        return
    per_domain = args.addresses // args.domains
    addresses = [f"user{i}@d{d}.test" for i in range(per_domain) for d in range(args.domains)]
    world = World(args.domains, args.delay, args.fixture)
    try:
        print(f"{len(addresses):,} addresses over {args.domains} domains, "
              f"{args.delay * 1000:g} ms before every SMTP reply, concurrency "
              f"{args.concurrency}, {args.per_host} sessions per host, "
              f"{args.fixture} fixture")

        # Imports and first-use set-up land on neither design: (b) used to run warm after
        # (a) paid them. Each timed run still starts with a fresh Verifier and caches.
        asyncio.run(verifier(world, args.concurrency, args.per_host).averify(addresses[0]))
        world.sessions()

        started = time.perf_counter()
        counts_a = asyncio.run(library(
            verifier(world, args.concurrency, args.per_host), addresses))
        took_a = time.perf_counter() - started
        sessions_a = world.sessions()

        started = time.perf_counter()
        counts_b = asyncio.run(one_session_each(
            verifier(world, args.concurrency, args.per_host), addresses, args.concurrency))
        took_b = time.perf_counter() - started
        sessions_b = world.sessions()
    finally:
        world.stop()

    bound = lower_bound(len(addresses), args.domains, args.delay, args.concurrency,
                        args.per_host)
    print(f"(a) library, shared sessions   {took_a:8.2f} s  {len(addresses) / took_a:8,.0f}/s"
          f"  {sessions_a:,} sessions  {dict(sorted(counts_a.items()))}")
    print(f"(b) one session per address    {took_b:8.2f} s  {len(addresses) / took_b:8,.0f}/s"
          f"  {sessions_b:,} sessions  {dict(sorted(counts_b.items()))}")
    bound_b = per_address_bound(len(addresses), args.domains, args.delay, args.concurrency)
    print(f"(c) round-trip lower bound     {bound:8.2f} s")
    print(f"(d) lower bound of (b)         {bound_b:8.2f} s")
    print(f"library / lower bound  {took_a / bound:.2f}x   (target <= 1.3x)")
    print(f"one-per-address / library  {took_b / took_a:.1f}x   (target >= 10x; "
          f"at most (d) / (c) = {bound_b / bound:.1f}x at equal concurrency)")
    if counts_a != counts_b:
        print("VERDICTS DIFFER", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
