"""verify_many()/averify_many() over the loopback sandbox: sessions, limits, greylisting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from emailcheck import Reason, Result, Status, Verifier
from emailcheck.testing import MailDomain, Sandbox
from sandbox_world import DOMAINS

SCENARIOS = [
    "alice@shop.test", "zed@shop.test", "sales@shop.test", "anyone@catchall.test",
    "boss@catchall.test", "x@nullmx.test", "bob@implicit.test", "x@missing.test",
    "x@servfail.test", "x@nomail.test", "x@deadmx.test", "x@nowhere.test",
    "carol@backup.test", "erin@full.test", "frank@disabled.test", "gina@blocked.test",
    "x@busy.test", "josé@ascii.test", "hans@ascii.test", "josé@shop.test",
    "ivy@tls.test", "jan@limit.test", "x@limit.test", "x@silent.test", "x@garbage.test",
    "kim@hotmall.com", "not an address",
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DOMAINS) as running:
        yield running


def fast(sandbox: Sandbox, **changes: object) -> Verifier:
    return sandbox.verifier(dns_timeout=0.5, smtp_timeout=0.5, timeout=5.0, **changes)


def verdict(result: Result) -> tuple[Status, str]:
    return result.status, str(result.reason)


def test_verdicts_equal_verify(sandbox: Sandbox) -> None:
    expected = [verdict(fast(sandbox).verify(address)) for address in SCENARIOS]
    results = list(fast(sandbox).verify_many(SCENARIOS))
    assert [verdict(result) for result in results] == expected
    for address, result in zip(SCENARIOS, results, strict=True):
        assert result.input == address
        smtp = result.check("smtp")
        if smtp is not None and smtp.data.get("transcript"):
            # Each result carries its own conversation, naming its own recipient.
            lines = " ".join(line for _, line in smtp.data["transcript"])
            assert address.split("@")[0] in lines or "RCPT" not in lines


def test_async_face_matches_and_unordered_yields_everything(sandbox: Sandbox) -> None:
    expected = {address: verdict(fast(sandbox).verify(address)) for address in SCENARIOS}

    async def collect() -> list[Result]:
        verifier = fast(sandbox)
        return [result async for result in verifier.averify_many(SCENARIOS, ordered=False)]

    results = asyncio.run(collect())
    assert sorted(result.input for result in results) == sorted(SCENARIOS)
    assert {result.input: verdict(result) for result in results} == expected


def test_one_session_serves_many_recipients() -> None:
    names = [f"user{i}" for i in range(12)]
    with Sandbox({"many.test": MailDomain(mailboxes=set(names[::2]))}) as sandbox:
        results = list(sandbox.verifier(per_host_concurrency=2).verify_many(
            f"{name}@many.test" for name in names))
        sessions = sandbox.host("many.test").sessions
    assert [result.status for result in results] == [
        Status.VALID if i % 2 == 0 else Status.INVALID for i in range(12)]
    assert 1 <= len(sessions) <= 2
    assert sum(session.verbs().count("RCPT") for session in sessions) == 12 + 1  # + catch-all
    assert not any("DATA" in session.verbs() for session in sessions)


def test_too_many_recipients_continues_in_a_new_session() -> None:
    names = [f"user{i}" for i in range(7)]
    domain = MailDomain(max_recipients=2, mailboxes=set(names[:4]))
    with Sandbox({"limit.test": domain}) as sandbox:
        verifier = sandbox.verifier(per_host_concurrency=1, catch_all=False)
        results = list(verifier.verify_many(f"{name}@limit.test" for name in names))
        sessions = sandbox.host("limit.test").sessions
    assert [verdict(result) for result in results] == (
        [(Status.VALID, "accepted")] * 4 + [(Status.INVALID, "mailbox_not_found")] * 3)
    assert len(sessions) == 4  # two recipients per session, then 452


def test_catch_all_is_probed_once_per_domain() -> None:
    with Sandbox({"any.test": MailDomain(catch_all=True)}) as sandbox:
        addresses = [f"person{i}@any.test" for i in range(10)]
        results = list(sandbox.verifier().verify_many(addresses))
        recipients = [line for line in sandbox.host("any.test").commands
                      if line.upper().startswith("RCPT")]
    assert {result.status for result in results} == {Status.CATCH_ALL}
    probes = [line for line in recipients if "person" not in line]
    assert len(probes) == 1


def test_greylisted_addresses_are_probed_again_within_the_window() -> None:
    domain = MailDomain(greylist=True, greylist_retry=0, mailboxes={"dan", "eve"})
    with Sandbox({"grey.test": domain}) as sandbox:
        verifier = sandbox.verifier(greylist_retry_window=10.0)
        results = list(verifier.verify_many(["dan@grey.test", "eve@grey.test"]))
    assert [verdict(result) for result in results] == [(Status.VALID, "accepted")] * 2


def test_greylisted_past_the_window_stay_unknown_with_a_hint() -> None:
    domain = MailDomain(greylist=True, greylist_retry=120, mailboxes={"dan"})
    with Sandbox({"grey.test": domain}) as sandbox:
        verifier = sandbox.verifier(greylist_retry_window=2.0)
        (result,) = verifier.verify_many(["dan@grey.test"])
        rcpts = [line for line in sandbox.host("grey.test").commands if line.startswith("RCPT")]
    assert verdict(result) == (Status.UNKNOWN, Reason.GREYLISTED)
    smtp = result.check("smtp")
    assert smtp is not None
    assert smtp.data["retry_after"] == 120
    assert len(rcpts) == 1


def test_per_host_concurrency_is_respected() -> None:
    domain = MailDomain(reply_delay=0.02, catch_all=True)
    with Sandbox({"slow.test": domain}) as sandbox:
        server = sandbox.host("slow.test")
        peak = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, len(server._transports))
                stop.wait(0.002)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            verifier = sandbox.verifier(per_host_concurrency=3, concurrency=20)
            results = list(verifier.verify_many(f"u{i}@slow.test" for i in range(30)))
        finally:
            stop.set()
            watcher.join()
        sessions = server.sessions
    assert len(results) == 30
    assert 1 <= peak <= 3
    assert len(sessions) <= 3


def test_duplicates_are_verified_once() -> None:
    with Sandbox({"shop.test": MailDomain(mailboxes={"alice"})}) as sandbox:
        addresses = ["alice@shop.test", "alice@SHOP.test", "bob@shop.test",
                     "alice@shop.test"]
        results = list(sandbox.verifier(catch_all=False).verify_many(addresses))
        rcpts = [line for line in sandbox.host("shop.test").commands if line.startswith("RCPT")]
    assert [result.status for result in results] == [
        Status.VALID, Status.VALID, Status.INVALID, Status.VALID]
    assert results[0] is results[1] is results[3]
    assert len(rcpts) == 2


def test_offline_input_is_read_lazily_with_progress() -> None:
    taken = 0

    def addresses() -> Iterator[str]:
        nonlocal taken
        for i in range(200_000):
            taken += 1
            yield f"user{i}@example{i % 50}.com"

    seen: list[tuple[int, int | None]] = []
    stream = Verifier().verify_many(addresses(), dns=False,
                                    progress=lambda done, total: seen.append((done, total)))
    first = [next(stream) for _ in range(5)]
    assert taken <= 5  # nothing is read ahead offline
    assert [result.status for result in first] == [Status.UNKNOWN] * 5
    assert seen == [(n, None) for n in range(1, 6)]
    assert sum(1 for _ in stream) == 200_000 - 5


def test_network_input_is_read_within_a_bounded_window(sandbox: Sandbox) -> None:
    taken = 0

    def addresses() -> Iterator[str]:
        nonlocal taken
        for i in range(100_000):
            taken += 1
            yield f"u{i}@shop.test"

    verifier = fast(sandbox, concurrency=2)
    stream = verifier.verify_many(addresses())
    next(stream)
    assert taken <= 2 * 20 + 1  # concurrency x window per worker
    stream.close()


def test_sync_iterator_inside_a_running_loop(sandbox: Sandbox) -> None:
    async def inside() -> list[Result]:
        return list(fast(sandbox).verify_many(["alice@shop.test", "zed@shop.test"],
                                              progress=lambda done, total: None))

    results = asyncio.run(inside())
    assert [result.status for result in results] == [Status.VALID, Status.INVALID]


def test_offline_batch_starts_no_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("an offline batch started an event loop")

    monkeypatch.setattr(asyncio, "new_event_loop", refuse)
    monkeypatch.setattr(asyncio, "run", refuse)
    statuses = [r.status for r in Verifier().verify_many(["a@b.com", "x"], dns=False)]
    assert statuses == [Status.UNKNOWN, Status.INVALID]


@pytest.mark.parametrize(
    "change",
    [{"concurrency": 0}, {"per_host_concurrency": -1}, {"per_host_interval": -1.0},
     {"greylist_retry_window": float("inf")}],
)
def test_bulk_options_are_validated(change: dict[str, object]) -> None:
    from emailcheck import ConfigurationError

    with pytest.raises(ConfigurationError):
        Verifier(**change)


def test_progress_knows_the_total_of_a_list_and_a_str_is_refused() -> None:
    seen: list[tuple[int, int | None]] = []
    list(Verifier().verify_many(["a@b.com", "c@d.com"], dns=False,
                                progress=lambda done, total: seen.append((done, total))))
    assert seen == [(1, 2), (2, 2)]
    with pytest.raises(TypeError):
        Verifier().verify_many("a@b.com")


# -- back-off after 421 / rate-limit answers -------------------------------------------


class RefusingMailHost:
    """A loopback mail host that refuses once, then behaves; it records server-side
    (monotonic) when each connection opened, each RCPT arrived and the refusal went out.

    Modes: ``greeting`` (the first session is greeted with 421), ``rcpt_421`` (its first
    RCPT gets 421 and the connection closes), ``rate_limited`` (its first RCPT gets a
    450 rate-limit answer; the session stays open).
    """

    def __init__(self, mode: str, mailboxes: set[str]) -> None:
        import socketserver

        self.mode = mode
        self.mailboxes = mailboxes
        self.events: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        self.refused = False
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                owner.serve(self.rfile, self.wfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RefusingMailHost:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def record(self, event: str) -> None:
        import time

        with self.lock:
            self.events.append((event, time.monotonic()))

    def refuse_now(self) -> bool:
        with self.lock:
            first, self.refused = not self.refused, True
        return first

    def serve(self, rfile: Any, wfile: Any) -> None:
        def send(reply: str, event: str | None = None) -> None:
            wfile.write(reply.encode() + b"\r\n")
            wfile.flush()
            if event:
                self.record(event)

        self.record("connect")
        if self.mode == "greeting" and self.refuse_now():
            send("421 4.3.2 too busy, come back later", "refused")
            return
        send("220 mx.backoff.test ESMTP")
        while True:
            line = rfile.readline(1024).decode("ascii", "replace").strip()
            verb = line.split(" ", 1)[0].upper()
            if not line or verb == "QUIT":
                if line:
                    send("221 2.0.0 bye")
                return
            if verb == "EHLO":
                send("250-mx.backoff.test\r\n250 8BITMIME")
            elif verb in ("MAIL", "RSET", "HELO"):
                send("250 2.0.0 OK")
            elif verb == "RCPT":
                self.record("rcpt")
                if self.mode == "rcpt_421" and self.refuse_now():
                    send("421 4.7.0 Too many connections, try again later", "refused")
                    return
                if self.mode == "rate_limited" and self.refuse_now():
                    send("450 4.7.1 Rate limit exceeded, slow down", "refused")
                    continue
                local = line.partition("<")[2].partition("@")[0].lower()
                send("250 2.1.5 OK" if local in self.mailboxes
                     else "550 5.1.1 no such user")
            else:
                send("502 5.5.2 command not recognized")


@pytest.mark.parametrize("mode", ["greeting", "rcpt_421", "rate_limited"])
def test_a_refusal_delays_the_next_probe_at_that_host_by_the_back_off(
    mode: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emailcheck import _smtp
    from emailcheck.testing import DNSServer, DomainSpec

    backoff = 0.2
    monkeypatch.setattr(_smtp, "BACKOFF_START_SECONDS", backoff)
    zone = {"backoff.test": DomainSpec(mx=[(10, "mx.backoff.test")]),
            "mx.backoff.test": DomainSpec(a=["127.0.0.1"])}
    with DNSServer(zone) as dns, RefusingMailHost(mode, {"bob"}) as host:
        verifier = Verifier(
            nameservers=(dns.host,), dns_port=dns.port, smtp_port=host.port,
            allow_private_hosts=True, allow_special_use={"test"},
            helo_name="probe.backoff.test", mail_from="probe@backoff.test",
            per_host_concurrency=1, catch_all=False, smtp_timeout=5.0, timeout=20.0)
        results = list(verifier.verify_many(["ann@backoff.test", "bob@backoff.test"]))
        events = list(host.events)
    # The refused address is not concluded about (never invalid); the next one is.
    assert results[0].status is Status.UNKNOWN
    assert verdict(results[1]) == (Status.VALID, "accepted")
    refused = next(at for event, at in events if event == "refused")
    # What starts the next probe at the host: a new connection after a 421 (the server
    # closed the channel), the next RCPT on the kept session after a rate-limit answer.
    starts = "rcpt" if mode == "rate_limited" else "connect"
    after = [at for event, at in events if event == starts and at > refused]
    assert after, events
    # A lower bound only: a slow machine can delay the next probe, never hasten it.
    assert after[0] - refused >= backoff
    assert sum(event == "connect" for event, _ in events) == (
        1 if mode == "rate_limited" else 2)


def test_back_off_doubles_and_resets_when_the_host_recovers() -> None:
    from emailcheck._smtp import MAX_BACKOFF_SECONDS, SessionPool

    pool = SessionPool(2, 0.0, backoff_start=0.25)
    pool.back_off("192.0.2.1", 25)
    pool.back_off("192.0.2.1", 25)
    host = pool._host("192.0.2.1", 25)
    assert host.backoff == 0.5
    for _ in range(20):
        pool.back_off("192.0.2.1", 25)
    assert host.backoff == MAX_BACKOFF_SECONDS
    pool.recovered("192.0.2.1", 25)
    assert host.backoff == 0.0


def test_mail_hosts_of_waiting_domains_are_looked_up_ahead_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emailcheck._dns import MXChecker

    started: list[str] = []
    real_prefetch = MXChecker._prefetch

    async def prefetch(self: MXChecker, options: object, resolver: object,
                       key: tuple[str, bool, int]) -> None:
        started.append(key[0])
        await real_prefetch(self, options, resolver, key)  # type: ignore[arg-type]

    monkeypatch.setattr(MXChecker, "_prefetch", prefetch)
    domains = [f"d{n}.test" for n in range(12)]
    world = {domain: MailDomain(mailboxes={"ann"}, reply_delay=0.01) for domain in domains}
    with Sandbox(world) as sandbox:
        verifier = sandbox.verifier(concurrency=2, catch_all=False)
        addresses = [f"{name}@{domain}" for name in ("ann", "bob") for domain in domains]
        results = list(verifier.verify_many(addresses))
        assert sandbox.dns is not None
        asked = {domain: sandbox.dns.query_count(domain, "MX") for domain in domains}
    assert [verdict(result) for result in results] == (
        [(Status.VALID, "accepted")] * 12 + [(Status.INVALID, "mailbox_not_found")] * 12)
    assert started  # domains waiting their turn were looked up ahead of it
    assert asked == dict.fromkeys(domains, 1)  # and never twice
