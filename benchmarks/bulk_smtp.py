"""Bulk SMTP verification against loopback servers that wait before every reply.

    python benchmarks/bulk_smtp.py [--addresses 10000] [--domains 500] [--delay 0.02]
                                   [--concurrency 50] [--per-host 2]

Starts (in a child process, so they do not compete with the client for the GIL) one
DNS server and one SMTP server per domain (127.0.x.y, all on one port), each
waiting ``--delay`` seconds before every reply, as a distant server would. Then, in the
same run, with the same global concurrency limit and fresh caches each time:

(a) the library: ``Verifier.averify_many`` (shared sessions, per-domain lanes);
(b) a one-session-per-address prober built from the same parts: ``Verifier.averify``
    per address under a semaphore of the same size (connect, EHLO, MAIL, RCPT, RSET,
    QUIT for every address, the catch-all verdict cached per domain);
(c) the round-trip lower bound of (a)'s work: every reply the verdicts need (per
    session greeting, EHLO and MAIL; one RCPT per address; one catch-all RCPT per
    domain) costs ``--delay``, at most ``--concurrency`` replies are awaited at once,
    and a domain's replies go over at most ``--per-host`` sessions.

Prints the times, the verdict counts (which must agree) and both ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from emailcheck import Verifier
from emailcheck.testing._dns_server import DNSServer, DomainSpec
from emailcheck.testing._smtp_server import SMTPServer

MAILBOXES = 10  # user0..user9 exist at every domain; the rest do not


def host_address(index: int) -> str:
    return f"127.0.{index // 250 + 1}.{index % 250 + 2}"


def start_world(stack: ExitStack, domains: int, delay: float) -> tuple[DNSServer, int,
                                                                          list[SMTPServer]]:
    zone: dict[str, DomainSpec] = {}
    servers: list[SMTPServer] = []
    port = 0
    for index in range(domains):
        name = f"d{index}.test"
        address = host_address(index)
        server = SMTPServer(address, port, mailboxes={f"user{i}" for i in range(MAILBOXES)},
                            reply_delay=delay)
        stack.enter_context(server)
        port = server.port
        servers.append(server)
        zone[name] = DomainSpec(mx=[(10, f"mx.{name}")], ttl=3600)
        zone[f"mx.{name}"] = DomainSpec(a=[address], ttl=3600)
    dns = DNSServer(zone, host="127.0.0.1", port=0)
    stack.enter_context(dns)
    return dns, port, servers


def serve(domains: int, delay: float) -> None:
    """The servers' process: its own GIL, so the servers do not slow the client down.

    Prints ``dns_port smtp_port``; then each line ``count`` on stdin is answered with
    the number of SMTP sessions since the last count; EOF stops the servers.
    """
    with ExitStack() as stack:
        dns, port, servers = start_world(stack, domains, delay)
        print(dns.port, port, flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(sum(len(server.sessions) for server in servers), flush=True)
                for server in servers:
                    server.reset()


class World:
    """The server process, seen from the client."""

    def __init__(self, domains: int, delay: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--domains", str(domains), "--delay",
             str(delay)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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
    per_domain = addresses / domains
    sessions = min(per_host, per_domain)
    replies_per_domain = sessions * 3 + 1 + per_domain
    total = domains * replies_per_domain * delay / concurrency
    critical_path = replies_per_domain / sessions * delay
    return max(total, critical_path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addresses", type=int, default=10_000)
    parser.add_argument("--domains", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.domains, args.delay)
        return
    per_domain = args.addresses // args.domains
    addresses = [f"user{i}@d{d}.test" for i in range(per_domain) for d in range(args.domains)]
    world = World(args.domains, args.delay)
    try:
        print(f"{len(addresses):,} addresses over {args.domains} domains, "
              f"{args.delay * 1000:g} ms before every SMTP reply, concurrency "
              f"{args.concurrency}, {args.per_host} sessions per host")

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
    print(f"(c) round-trip lower bound     {bound:8.2f} s")
    print(f"library / lower bound  {took_a / bound:.2f}x   (target <= 1.3x)")
    print(f"one-per-address / library  {took_b / took_a:.1f}x   (target >= 10x)")
    if counts_a != counts_b:
        print("VERDICTS DIFFER", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
