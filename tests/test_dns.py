"""MX resolution: pure interpretation tables, the cache, and the mx check end to end
against a real DNS server on loopback."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from emailcheck import CheckContext, Outcome, Reason, Result, Status, Verifier, checker
from emailcheck._dns import (
    DNSCache,
    Lookup,
    LookupStatus,
    MailHost,
    MXChecker,
    Resolver,
    cache_ttl,
    decide_mail_hosts,
    is_null_mx,
    is_public_address,
    literal_address,
    merge_address_lookups,
    order_mx,
    plan_mail_hosts,
    usable_addresses,
)

pytest.importorskip("dnslib")

from emailcheck.testing._dns_server import DNSServer, DomainSpec

ANSWER, NXDOMAIN, NO_ANSWER = LookupStatus.ANSWER, LookupStatus.NXDOMAIN, LookupStatus.NO_ANSWER
ERROR, TIMEOUT = LookupStatus.ERROR, LookupStatus.TIMEOUT


def hit(*records: Any) -> Lookup[Any]:
    return Lookup(ANSWER, records)


# -- address safety ------------------------------------------------------------------


@pytest.mark.parametrize(("ip", "public"), [
    ("8.8.8.8", True),
    ("93.184.216.34", True),
    ("2607:f8b0:4004:800::200e", True),
    ("::ffff:8.8.8.8", True),  # IPv4-mapped form of a public address
    ("64:ff9b::808:808", True),  # NAT64 form of a public address
    ("2002:808:808::1", True),  # 6to4 form of a public address
    ("127.0.0.1", False),
    ("127.255.0.9", False),
    ("0.0.0.0", False),
    ("0.1.2.3", False),
    ("10.1.2.3", False),
    ("172.16.0.1", False),
    ("172.31.255.254", False),
    ("192.168.1.1", False),
    ("100.64.0.1", False),  # CGNAT
    ("100.127.255.254", False),
    ("169.254.10.1", False),
    ("192.0.0.8", False),
    ("192.0.2.1", False),  # documentation
    ("198.51.100.7", False),
    ("203.0.113.9", False),
    ("198.18.0.1", False),  # benchmarking
    ("198.19.255.1", False),
    ("192.88.99.1", False),
    ("224.0.0.1", False),
    ("239.255.255.250", False),
    ("240.0.0.1", False),
    ("255.255.255.255", False),
    ("::", False),
    ("::1", False),
    ("::127.0.0.1", False),  # deprecated IPv4-compatible form
    ("fc00::1", False),
    ("fd12:3456::1", False),
    ("fe80::1", False),
    ("fe80::1%eth0", False),
    ("fec0::1", False),
    ("ff02::1", False),
    ("2001:db8::1", False),
    ("3fff::1", False),
    ("2001::1", False),  # Teredo
    ("2001:2::1", False),  # benchmarking
    ("::ffff:127.0.0.1", False),
    ("::ffff:10.0.0.1", False),
    ("::ffff:100.64.0.1", False),
    ("::ffff:169.254.169.254", False),
    ("64:ff9b::7f00:1", False),  # NAT64 form of 127.0.0.1
    ("64:ff9b::a00:1", False),
    ("64:ff9b:1::808:808", False),  # local-use NAT64 prefix
    ("2002:7f00:1::1", False),  # 6to4 form of 127.0.0.1
    ("2002:c0a8:101::1", False),  # 6to4 form of 192.168.1.1
    ("not an ip", False),
    ("", False),
    ("1.2.3", False),
    ("010.0.0.1", False),
    (" 8.8.8.8", False),
])
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


def test_usable_addresses_filters_unless_private_allowed() -> None:
    mixed = ["127.0.0.2", "8.8.8.8", "::1", "8.8.8.8", "224.0.0.1", "0.0.0.0", "::"]
    assert usable_addresses(mixed) == ("8.8.8.8",)
    # The opt-in lets tests reach loopback, never addresses nothing can connect to.
    assert usable_addresses(mixed, allow_private=True) == ("127.0.0.2", "8.8.8.8", "::1")


@pytest.mark.parametrize(("text", "ip"), [
    ("[192.0.2.1]", "192.0.2.1"),
    ("[IPv6:2001:db8::1]", "2001:db8::1"),
    ("[ipv6:2001:DB8:0::1]", "2001:db8::1"),
    ("127.0.0.1", "127.0.0.1"),
    ("mx1.shop.test", None),
    ("[mx1.shop.test]", None),
    ("localhost", None),
])
def test_literal_address(text: str, ip: str | None) -> None:
    assert literal_address(text) == ip


# -- MX interpretation ---------------------------------------------------------------


@pytest.mark.parametrize(("records", "null"), [
    ([(0, ".")], True),
    ([(0, "")], True),
    ([(10, ".")], True),  # preference aside, a lone "." names no host
    ([(0, "."), (10, ".")], True),
    ([(0, "."), (10, "mx.shop.test")], False),  # misconfigured: "." is ignored instead
    ([(10, "mx.shop.test")], False),
    ([], False),
])
def test_is_null_mx(records: list[tuple[int, str]], null: bool) -> None:
    assert is_null_mx(records) is null


def test_order_mx_sorts_by_preference_and_drops_root_and_duplicates() -> None:
    records = [(20, "MX2.Shop.Test."), (0, "."), (10, "mx1.shop.test"), (30, "mx1.shop.test.")]
    assert order_mx(records, random.Random(1)) == ((10, "mx1.shop.test"), (20, "mx2.shop.test"))


def test_order_mx_caps_the_number_of_hosts() -> None:
    records = [(preference, f"mx{preference}.shop.test") for preference in range(40)]
    ordered = order_mx(records, random.Random(1))
    assert [name for _preference, name in ordered] == [f"mx{n}.shop.test" for n in range(10)]
    assert len(order_mx(records, limit=3)) == 3


def test_order_mx_randomises_equal_preferences_only() -> None:
    records = [(10, "a.shop.test"), (10, "b.shop.test"), (10, "c.shop.test"),
               (5, "first.shop.test"), (20, "last.shop.test")]
    firsts = set()
    for seed in range(50):
        ordered = order_mx(records, random.Random(seed))
        assert ordered == order_mx(records, random.Random(seed))  # a seed reproduces
        assert ordered[0] == (5, "first.shop.test")
        assert ordered[-1] == (20, "last.shop.test")
        assert sorted(ordered[1:4]) == [(10, "a.shop.test"), (10, "b.shop.test"),
                                        (10, "c.shop.test")]
        firsts.add(ordered[1][1])
    assert firsts == {"a.shop.test", "b.shop.test", "c.shop.test"}


@pytest.mark.parametrize(("lookup", "outcome", "reason"), [
    (Lookup(NXDOMAIN), Outcome.FAIL, Reason.DOMAIN_NOT_FOUND),
    (Lookup(ERROR, (), "SERVFAIL"), Outcome.ERROR, Reason.DNS_ERROR),
    (Lookup(TIMEOUT), Outcome.ERROR, Reason.DNS_TIMEOUT),
    (hit((0, ".")), Outcome.FAIL, Reason.NULL_MX),
])
def test_plan_concludes_from_the_mx_answer(
    lookup: Lookup[tuple[int, str]], outcome: Outcome, reason: Reason
) -> None:
    plan = plan_mail_hosts("shop.test", lookup)
    assert plan.verdict is not None
    assert (plan.verdict.outcome, plan.verdict.reason) == (outcome, reason)
    assert plan.verdict.hosts == ()


def test_plan_without_mx_records_uses_the_domain_as_implicit_mx() -> None:
    plan = plan_mail_hosts("shop.test", Lookup(NO_ANSWER))
    assert plan.verdict is None
    assert plan.implicit
    assert plan.candidates == ((0, "shop.test"),)


def test_plan_with_root_among_real_exchanges_ignores_the_root() -> None:
    plan = plan_mail_hosts("shop.test", hit((0, "."), (10, "mx.shop.test")))
    assert plan.verdict is None
    assert not plan.implicit
    assert plan.candidates == ((10, "mx.shop.test"),)
    assert plan.complete


def test_plan_marks_an_mx_set_larger_than_considered_incomplete() -> None:
    records = [(n, f"mx{n}.shop.test") for n in range(12)]
    plan = plan_mail_hosts("shop.test", hit(*records))
    assert len(plan.candidates) == 10
    assert not plan.complete


MX = ((10, "mx1.shop.test"), (20, "mx2.shop.test"))


@pytest.mark.parametrize(("lookups", "options", "outcome", "reason", "hosts"), [
    pytest.param(
        {"mx1.shop.test": hit("8.8.8.8"), "mx2.shop.test": hit("8.8.4.4", "2001:4860::8888")},
        {}, Outcome.PASS, None,
        (MailHost("mx1.shop.test", 10, ("8.8.8.8",)),
         MailHost("mx2.shop.test", 20, ("8.8.4.4", "2001:4860::8888"))),
        id="both-usable"),
    pytest.param(
        {"mx1.shop.test": Lookup(NXDOMAIN), "mx2.shop.test": hit("8.8.4.4")},
        {}, Outcome.PASS, None, (MailHost("mx2.shop.test", 20, ("8.8.4.4",)),),
        id="dead-primary-skipped"),
    pytest.param(
        {"mx1.shop.test": hit("8.8.8.8"), "mx2.shop.test": hit("8.8.4.4")},
        {"limit": 1}, Outcome.PASS, None, (MailHost("mx1.shop.test", 10, ("8.8.8.8",)),),
        id="limit"),
    pytest.param(
        {"mx1.shop.test": hit("127.0.0.1", "8.8.8.8"), "mx2.shop.test": hit("10.0.0.1")},
        {}, Outcome.PASS, None, (MailHost("mx1.shop.test", 10, ("8.8.8.8",)),),
        id="unsafe-addresses-dropped"),
    pytest.param(
        {"mx1.shop.test": Lookup(NXDOMAIN), "mx2.shop.test": Lookup(NO_ANSWER)},
        {}, Outcome.FAIL, Reason.NO_MAIL_SERVER, (), id="all-dead"),
    pytest.param(
        {"mx1.shop.test": Lookup(NXDOMAIN), "mx2.shop.test": Lookup(TIMEOUT)},
        {}, Outcome.ERROR, Reason.DNS_TIMEOUT, (), id="dead-and-timeout"),
    pytest.param(
        {"mx1.shop.test": Lookup(ERROR), "mx2.shop.test": Lookup(TIMEOUT)},
        {}, Outcome.ERROR, Reason.DNS_ERROR, (), id="error-and-timeout"),
    pytest.param(
        {"mx1.shop.test": hit("127.0.0.1"), "mx2.shop.test": hit("::ffff:10.0.0.1")},
        {}, Outcome.WARN, Reason.UNSAFE_MX_ADDRESS, (), id="all-unsafe"),
    pytest.param(
        {"mx1.shop.test": hit("127.0.0.1"), "mx2.shop.test": Lookup(NXDOMAIN)},
        {"allow_private": True}, Outcome.PASS, None,
        (MailHost("mx1.shop.test", 10, ("127.0.0.1",)),), id="unsafe-allowed"),
    pytest.param(
        {"mx1.shop.test": Lookup(NXDOMAIN)}, {}, Outcome.ERROR, Reason.DNS_ERROR, (),
        id="not-looked-up-is-not-dead"),
    pytest.param(
        {"mx1.shop.test": Lookup(NXDOMAIN), "mx2.shop.test": Lookup(NXDOMAIN)},
        {"complete": False}, Outcome.ERROR, Reason.DNS_ERROR, (), id="more-mx-than-considered"),
])
def test_decide_mail_hosts(
    lookups: dict[str, Lookup[str]], options: dict[str, Any], outcome: Outcome,
    reason: Reason | None, hosts: tuple[MailHost, ...],
) -> None:
    verdict = decide_mail_hosts(MX, lookups, domain="shop.test", **options)
    assert (verdict.outcome, verdict.reason, verdict.hosts) == (outcome, reason, hosts)
    assert verdict.has_mail is {Outcome.PASS: True, Outcome.FAIL: False}.get(outcome)


def test_decide_implicit_mx() -> None:
    candidates = ((0, "shop.test"),)
    verdict = decide_mail_hosts(candidates, {"shop.test": hit("8.8.8.8")}, implicit=True)
    assert verdict.hosts == (MailHost("shop.test", 0, ("8.8.8.8",), implicit=True),)
    assert "implicit MX" in verdict.detail
    dead = decide_mail_hosts(candidates, {"shop.test": Lookup(NO_ANSWER)}, implicit=True)
    assert (dead.outcome, dead.reason) == (Outcome.FAIL, Reason.NO_MAIL_SERVER)
    # Implicit MX only to a public address (RFC 5321 5.1 gives no licence to probe loopback).
    unsafe = decide_mail_hosts(candidates, {"shop.test": hit("127.0.0.1")}, implicit=True)
    assert (unsafe.outcome, unsafe.reason) == (Outcome.WARN, Reason.UNSAFE_MX_ADDRESS)


@pytest.mark.parametrize(("a", "aaaa", "status", "records"), [
    (hit("192.0.2.1"), hit("2001:db8::1"), ANSWER, ("192.0.2.1", "2001:db8::1")),
    (hit("192.0.2.1"), Lookup(TIMEOUT), ANSWER, ("192.0.2.1",)),
    (Lookup(NO_ANSWER), hit("2001:db8::1"), ANSWER, ("2001:db8::1",)),
    (Lookup(NXDOMAIN), Lookup(NXDOMAIN), NXDOMAIN, ()),
    (Lookup(NO_ANSWER), Lookup(TIMEOUT), TIMEOUT, ()),
    (Lookup(ERROR), Lookup(TIMEOUT), ERROR, ()),
    (Lookup(NO_ANSWER), Lookup(NO_ANSWER), NO_ANSWER, ()),
])
def test_merge_address_lookups(
    a: Lookup[str], aaaa: Lookup[str], status: LookupStatus, records: tuple[str, ...]
) -> None:
    merged = merge_address_lookups(a, aaaa)
    assert (merged.status, merged.records) == (status, records)


# -- the cache -----------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_expires_entries_after_their_ttl() -> None:
    clock = FakeClock()
    cache = DNSCache(10, clock=clock)
    cache.put("a", 1, 30)
    cache.put("never", 2, 0)
    clock.now += 29
    assert cache.get("a") == 1
    assert cache.get("never") is None
    clock.now += 2
    assert cache.get("a") is None
    assert len(cache) == 0


def test_cache_evicts_the_least_recently_used() -> None:
    cache = DNSCache(2)
    cache.put("a", 1, 60)
    cache.put("b", 2, 60)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3, 60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


@pytest.mark.parametrize(("status", "ttl", "expected"), [
    (ANSWER, 300, 300),
    (ANSWER, 0, 5),  # clamped up: protects servers from a stampede
    (ANSWER, 10**9, 86_400),
    (NXDOMAIN, 600, 600),
    (NXDOMAIN, None, 300),  # no SOA
    (NO_ANSWER, 10**6, 10_800),
    (ERROR, 3600, 5),
    (TIMEOUT, None, 5),
])
def test_cache_ttl(status: LookupStatus, ttl: float | None, expected: float) -> None:
    assert cache_ttl(status, ttl) == expected


# -- end to end: the mx check against a loopback DNS server ----------------------------


@pytest.fixture
def server() -> Iterator[DNSServer]:
    with DNSServer(negative_ttl=600) as running:
        yield running


class Run:
    """A Verifier with the mx check and a recorder of the facts it leaves."""

    def __init__(self, server: DNSServer, mx: MXChecker | None = None, **options: Any) -> None:
        self.mx = mx or MXChecker(rng=random.Random(7))
        self.facts: dict[str, Any] = {}
        settings: dict[str, Any] = {
            "nameservers": (server.host,), "dns_port": server.port, "dns_timeout": 0.5,
            "allow_special_use": {"test"},
        }
        settings.update(options)

        @checker(name="facts")
        def record(context: CheckContext) -> None:
            self.facts = dict(context.facts)

        self.verifier = Verifier(checkers=[self.mx, record], **settings)

    def __call__(self, address: str) -> Result:
        return self.verifier.verify(address, smtp=False)


def mx_data(result: Result) -> Any:
    check = result.check("mx")
    assert check is not None
    return check


def test_mx_ok_orders_hosts_by_preference(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(20, "mx2.shop.test"), (10, "mx1.shop.test")]))
    server.set("mx1.shop.test", DomainSpec(a=["127.0.0.2"], aaaa=["::1"]))
    server.set("mx2.shop.test", DomainSpec(a=["127.0.0.3"]))
    run = Run(server, allow_private_hosts=True)
    result = run("user@shop.test")
    check = mx_data(result)
    assert check.outcome is Outcome.PASS
    assert check.reason is None
    assert check.data["mx"] == ("mx1.shop.test", "mx2.shop.test")
    assert check.data["implicit"] is False
    assert dict(check.data["addresses"]) == {
        "mx1.shop.test": ("127.0.0.2", "::1"), "mx2.shop.test": ("127.0.0.3",)}
    assert "mx1.shop.test (10), mx2.shop.test (20)" in check.detail
    assert run.facts["mail_hosts"] == (
        MailHost("mx1.shop.test", 10, ("127.0.0.2", "::1")),
        MailHost("mx2.shop.test", 20, ("127.0.0.3",)),
    )
    assert run.facts["has_mail"] is True
    # A resolvable domain is not yet a confirmed mailbox.
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.MAILBOX_NOT_CHECKED)


def test_public_mail_host_needs_no_opt_in(server: DNSServer) -> None:
    # Only DNS data: nothing ever connects to this address.
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")]))
    server.set("mx.shop.test", DomainSpec(a=["93.184.216.34", "127.0.0.1"]))
    run = Run(server)
    assert mx_data(run("user@shop.test")).outcome is Outcome.PASS
    assert run.facts["mail_hosts"] == (MailHost("mx.shop.test", 10, ("93.184.216.34",)),)


def test_secondary_mx_serves_when_the_primary_has_no_address(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "mx1.shop.test"), (20, "mx2.shop.test")]))
    server.set("mx1.shop.test", DomainSpec())  # exists, no A/AAAA
    server.set("mx2.shop.test", DomainSpec(a=["127.0.0.3"]))
    run = Run(server, allow_private_hosts=True)
    check = mx_data(run("user@shop.test"))
    assert check.outcome is Outcome.PASS
    assert check.data["mx"] == ("mx2.shop.test",)
    assert check.data["skipped"]["mx1.shop.test"] == "has no address record"
    assert run.facts["mail_hosts"] == (MailHost("mx2.shop.test", 20, ("127.0.0.3",)),)


def test_mx_host_that_does_not_resolve_is_skipped(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(5, "gone.shop.test"), (10, "mx.shop.test")]))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True)
    check = mx_data(run("user@shop.test"))
    assert check.outcome is Outcome.PASS
    assert check.data["skipped"]["gone.shop.test"] == "does not exist"
    assert [host.name for host in run.facts["mail_hosts"]] == ["mx.shop.test"]


def test_all_mx_hosts_unresolvable_is_invalid(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "gone1.shop.test"), (20, "gone2.shop.test")]))
    server.set("gone2.shop.test", DomainSpec())
    run = Run(server, allow_private_hosts=True)
    result = run("user@shop.test")
    assert (result.status, result.reason) == (Status.INVALID, Reason.NO_MAIL_SERVER)
    assert run.facts["mail_hosts"] == ()
    assert run.facts["has_mail"] is False


def test_null_mx_is_invalid(server: DNSServer) -> None:
    server.set("nomail.test", DomainSpec(mx=[(0, ".")], a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True)
    result = run("user@nomail.test")
    assert (result.status, result.reason) == (Status.INVALID, Reason.NULL_MX)
    assert run.facts == {"mail_hosts": (), "has_mail": False}
    assert server.query_count("nomail.test", "A") == 0  # no implicit MX behind a null MX


def test_nxdomain_is_invalid(server: DNSServer) -> None:
    run = Run(server)
    result = run("user@missing.test")
    assert (result.status, result.reason) == (Status.INVALID, Reason.DOMAIN_NOT_FOUND)
    assert run.facts["has_mail"] is False


@pytest.mark.parametrize("behaviour", ["servfail", "refused"])
def test_dns_failure_is_unknown_never_invalid(server: DNSServer, behaviour: Any) -> None:
    server.set("broken.test", DomainSpec(behaviour=behaviour))
    run = Run(server)
    result = run("user@broken.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.DNS_ERROR)
    assert mx_data(result).outcome is Outcome.ERROR
    assert run.facts["has_mail"] is None


def test_timeout_is_unknown_and_bounded_by_dns_timeout(server: DNSServer) -> None:
    server.set("slow.test", DomainSpec(behaviour="timeout"))
    run = Run(server)
    started = time.monotonic()
    result = run("user@slow.test")
    elapsed = time.monotonic() - started
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.DNS_TIMEOUT)
    assert run.facts["has_mail"] is None
    assert elapsed < 3  # dns_timeout is 0.5 s; dnspython's own default would be 5 s


def test_mail_host_lookup_timeout_is_unknown(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "gone.shop.test"), (20, "slow.shop.test")]))
    server.set("slow.shop.test", DomainSpec(behaviour="timeout"))
    result = Run(server, allow_private_hosts=True)("user@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.DNS_TIMEOUT)


def test_no_mx_but_address_record_is_implicit_mx(server: DNSServer) -> None:
    server.set("bare.test", DomainSpec(a=["127.0.0.5"]))
    run = Run(server, allow_private_hosts=True)
    check = mx_data(run("user@bare.test"))
    assert check.outcome is Outcome.PASS
    assert check.data["implicit"] is True
    assert check.data["mx"] == ("bare.test",)
    assert run.facts["mail_hosts"] == (MailHost("bare.test", 0, ("127.0.0.5",), implicit=True),)


def test_implicit_mx_to_loopback_is_refused_without_opt_in(server: DNSServer) -> None:
    server.set("bare.test", DomainSpec(a=["127.0.0.5"], aaaa=["::1"]))
    run = Run(server)
    result = run("user@bare.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.UNSAFE_MX_ADDRESS)
    assert run.facts["mail_hosts"] == ()


def test_no_mx_and_no_address_is_invalid(server: DNSServer) -> None:
    server.set("empty.test", DomainSpec())
    result = Run(server, allow_private_hosts=True)("user@empty.test")
    assert (result.status, result.reason) == (Status.INVALID, Reason.NO_MAIL_SERVER)


def test_loopback_mx_is_refused_without_opt_in_and_allowed_with_it(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")]))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"], aaaa=["fd00::25"]))
    refused = Run(server)
    result = refused("user@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.UNSAFE_MX_ADDRESS)
    assert mx_data(result).outcome is Outcome.WARN
    assert refused.facts["mail_hosts"] == ()
    allowed = Run(server, allow_private_hosts=True)
    assert mx_data(allowed("user@shop.test")).outcome is Outcome.PASS
    assert allowed.facts["mail_hosts"] == (
        MailHost("mx.shop.test", 10, ("127.0.0.2", "fd00::25")),)


def test_ip_literal_and_localhost_exchanges_are_never_asked_of_dns(server: DNSServer) -> None:
    server.set("odd.test", DomainSpec(mx=[(10, "127.0.0.1"), (20, "localhost")]))
    refused = Run(server)
    result = refused("user@odd.test")
    assert result.reason == Reason.UNSAFE_MX_ADDRESS
    allowed = Run(server, allow_private_hosts=True)
    allowed("user@odd.test")
    assert allowed.facts["mail_hosts"] == (
        MailHost("127.0.0.1", 10, ("127.0.0.1",)),
        MailHost("localhost", 20, ("127.0.0.1", "::1")),
    )
    assert set(server.queries) == {("odd.test", "MX")}


def test_domain_literal_needs_no_dns(server: DNSServer) -> None:
    refused = Run(server, allow_domain_literal=True)
    result = refused("user@[127.0.0.1]")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.UNSAFE_MX_ADDRESS)
    allowed = Run(server, allow_domain_literal=True, allow_private_hosts=True)
    assert mx_data(allowed("user@[IPv6:::1]")).outcome is Outcome.PASS
    assert allowed.facts["mail_hosts"] == (MailHost("::1", 0, ("::1",)),)
    assert server.queries == {}


def test_answers_are_cached_across_verifications(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")]))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True)
    run("ann@shop.test")
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.9"]))  # within the TTL: not seen
    run("bob@shop.test")
    assert server.query_count("shop.test", "MX") == 1
    assert server.query_count("mx.shop.test", "A") == 1
    assert run.facts["mail_hosts"][0].addresses == ("127.0.0.2",)


def test_nxdomain_is_cached_for_the_soa_negative_ttl(server: DNSServer) -> None:
    run = Run(server)
    assert run("ann@late.test").reason == Reason.DOMAIN_NOT_FOUND
    server.set("late.test", DomainSpec(a=["93.184.216.34"]))
    assert run("bob@late.test").reason == Reason.DOMAIN_NOT_FOUND
    assert server.query_count("late.test") == 1


def test_transient_failures_are_reused_only_briefly(server: DNSServer) -> None:
    clock = FakeClock()
    server.set("flaky.test", DomainSpec(behaviour="servfail"))
    resolver = Resolver([server.host], port=server.port, timeout=0.5, clock=clock)

    async def ask() -> Lookup[tuple[int, str]]:
        return await resolver.mx("flaky.test")

    assert asyncio.run(ask()).status is ERROR
    server.set("flaky.test", DomainSpec(mx=[(10, "mx.flaky.test")]))
    assert asyncio.run(ask()).status is ERROR  # reused within a few seconds
    clock.now += 6
    assert asyncio.run(ask()).records == ((10, "mx.flaky.test"),)
    assert server.query_count("flaky.test", "MX") == 2


def test_cache_is_bounded_by_dns_cache_size(server: DNSServer) -> None:
    for name in ("a", "b"):
        server.set(f"{name}.test", DomainSpec(mx=[(10, f"mx.{name}.test")]))
        server.set(f"mx.{name}.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True, dns_cache_size=3)
    run("ann@a.test")  # MX a.test, A and AAAA of mx.a.test: three entries
    run("ann@b.test")  # three more: a.test's are evicted
    run("bob@a.test")
    assert server.query_count("a.test", "MX") == 2
    assert server.query_count("b.test", "MX") == 1
    assert len(run.mx.resolver_for(run.verifier.options).cache) == 3


def test_many_mx_records_are_bounded(server: DNSServer) -> None:
    # 40 records overflow a 512-byte UDP answer: the resolver retries over TCP.
    server.set("big.test", DomainSpec(mx=[(n, f"mx{n}.big.test") for n in range(40)]))
    server.set("mx0.big.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True, max_mx_hosts=3)
    check = mx_data(run("user@big.test"))
    assert check.outcome is Outcome.PASS
    assert check.data["mx"] == ("mx0.big.test",)
    looked_up = {name for name, rtype in server.queries if rtype == "A"}
    assert "mx0.big.test" in looked_up
    assert len(looked_up) <= 10
    assert "mx39.big.test" not in looked_up


def test_no_verdict_of_no_mail_server_from_a_partial_look(server: DNSServer) -> None:
    server.set("big.test", DomainSpec(mx=[(n, f"mx{n}.big.test") for n in range(12)]))
    result = Run(server, allow_private_hosts=True)("user@big.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.DNS_ERROR)


def test_only_the_needed_mail_hosts_are_looked_up(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(n, f"mx{n}.shop.test") for n in (1, 2, 3)]))
    for n in (1, 2, 3):
        server.set(f"mx{n}.shop.test", DomainSpec(a=[f"127.0.0.{n}"]))
    run = Run(server, allow_private_hosts=True, max_mx_hosts=1)
    run("user@shop.test")
    assert [host.name for host in run.facts["mail_hosts"]] == ["mx1.shop.test"]
    assert server.query_count("mx2.shop.test") == server.query_count("mx3.shop.test") == 0


def test_unreachable_nameserver_is_unknown(server: DNSServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    result = Run(server, dns_port=closed_port)("user@shop.test")
    assert result.status is Status.UNKNOWN
    assert result.reason in (Reason.DNS_ERROR, Reason.DNS_TIMEOUT)


def test_one_verifier_serves_several_event_loops_and_threads(server: DNSServer) -> None:
    for name in ("a", "b", "c", "d"):
        server.set(f"{name}.test", DomainSpec(mx=[(10, f"mx.{name}.test")]))
        server.set(f"mx.{name}.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True)
    outcomes: list[Outcome] = []
    outcomes.append(mx_data(asyncio.run(run.verifier.averify("x@a.test", smtp=False))).outcome)
    outcomes.append(mx_data(asyncio.run(run.verifier.averify("x@b.test", smtp=False))).outcome)
    thread = threading.Thread(target=lambda: outcomes.append(mx_data(run("x@c.test")).outcome))
    thread.start()
    thread.join(10)
    outcomes.append(mx_data(run("x@d.test")).outcome)
    outcomes.append(mx_data(run("y@a.test")).outcome)  # from the cache, on yet another loop
    assert outcomes == [Outcome.PASS] * 5


def test_concurrent_lookups_of_one_domain_share_a_query(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")], delay=0.2))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True)

    async def both() -> list[Result]:
        return await asyncio.gather(*(
            run.verifier.averify(f"{name}@shop.test", smtp=False) for name in ("ann", "bob")))

    results = asyncio.run(both())
    assert [mx_data(result).outcome for result in results] == [Outcome.PASS, Outcome.PASS]
    assert server.query_count("shop.test", "MX") == 1


def test_server_counts_queries_and_answers_negatively(server: DNSServer) -> None:
    import dns.message
    import dns.query
    import dns.rcode

    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"]))
    missing = dns.query.udp(dns.message.make_query("nope.test", "A"), server.host,
                            timeout=2, port=server.port)
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.authority[0].ttl == 600
    parent = dns.query.udp(dns.message.make_query("shop.test", "A"), server.host,
                           timeout=2, port=server.port)
    assert parent.rcode() == dns.rcode.NOERROR  # an empty non-terminal exists
    assert not parent.answer
    garbage = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    garbage.sendto(b"\x00\x01garbage", (server.host, server.port))
    garbage.close()
    answer = dns.query.tcp(dns.message.make_query("mx.shop.test", "A"), server.host,
                           timeout=2, port=server.port)
    assert [rdata.address for rdata in answer.answer[0]] == ["127.0.0.2"]
    assert server.queries == {("nope.test", "A"): 1, ("shop.test", "A"): 1,
                              ("mx.shop.test", "A"): 1}


def test_importing_the_modules_loads_no_dns_library() -> None:
    code = (
        "import sys, emailcheck._dns, emailcheck.testing._dns_server\n"
        "loaded = {'dns', 'dnslib'} & {name.split('.')[0] for name in sys.modules}\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the per-domain verdict cache ------------------------------------------------------


def test_a_known_domain_is_answered_without_awaiting(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")]))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"]))
    verifier = Verifier(checkers=[], nameservers=(server.host,), dns_port=server.port,
                        allow_special_use={"test"}, allow_private_hosts=True)
    mx = MXChecker()

    def context(address: str) -> CheckContext:
        return CheckContext(verifier.parse(address), verifier.options, dns=True)

    first = context("ann@shop.test")
    pending = mx(first)
    assert asyncio.iscoroutine(pending)  # the first one looks it up
    found = asyncio.run(pending)
    again = context("bob@shop.test")
    known = mx(again)  # a plain Finding: no await, no event loop needed
    assert known is found
    assert again.facts == first.facts == {
        "mail_hosts": (MailHost("mx.shop.test", 10, ("127.0.0.2",)),), "has_mail": True}
    assert server.query_count("shop.test", "MX") == 1


def test_a_verdict_lives_as_long_as_the_first_of_its_answers(server: DNSServer) -> None:
    clock = FakeClock()
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")], ttl=300))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"], ttl=60))
    run = Run(server, MXChecker(clock=clock), allow_private_hosts=True)
    run("ann@shop.test")
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.9"], ttl=60))
    clock.now += 59
    run("bob@shop.test")
    assert run.facts["mail_hosts"][0].addresses == ("127.0.0.2",)
    clock.now += 2  # the A answer expired: so did the verdict built on it
    run("cid@shop.test")
    assert run.facts["mail_hosts"][0].addresses == ("127.0.0.9",)
    assert server.query_count("shop.test", "MX") == 1  # the MX answer is still cached
    assert server.query_count("mx.shop.test", "A") == 2


def test_a_failed_lookup_is_reused_only_briefly(server: DNSServer) -> None:
    clock = FakeClock()
    server.set("flaky.test", DomainSpec(behaviour="servfail"))
    run = Run(server, MXChecker(clock=clock), allow_private_hosts=True)
    assert run("ann@flaky.test").reason == Reason.DNS_ERROR
    server.set("flaky.test", DomainSpec(mx=[(10, "mx.flaky.test")]))
    server.set("mx.flaky.test", DomainSpec(a=["127.0.0.2"]))
    assert run("bob@flaky.test").reason == Reason.DNS_ERROR  # within the transient TTL
    clock.now += 6
    assert mx_data(run("cid@flaky.test")).outcome is Outcome.PASS


def test_equal_preferences_keep_their_order_while_cached(server: DNSServer) -> None:
    names = [f"mx{n}.shop.test" for n in range(4)]
    server.set("shop.test", DomainSpec(mx=[(10, name) for name in names]))
    for n, name in enumerate(names):
        server.set(name, DomainSpec(a=[f"127.0.0.{n + 2}"]))
    run = Run(server, allow_private_hosts=True, max_mx_hosts=4)
    orders = set()
    for n in range(10):
        run(f"user{n}@shop.test")
        orders.add(tuple(host.name for host in run.facts["mail_hosts"]))
    assert len(orders) == 1
    assert sorted(next(iter(orders))) == names


def test_clearing_the_dns_cache_forgets_the_verdicts_built_on_it(server: DNSServer) -> None:
    server.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")]))
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.2"]))
    run = Run(server, allow_private_hosts=True)
    run("ann@shop.test")
    run.mx.resolver_for(run.verifier.options).cache.clear()
    server.set("mx.shop.test", DomainSpec(a=["127.0.0.9"]))
    run("bob@shop.test")
    assert run.facts["mail_hosts"][0].addresses == ("127.0.0.9",)
    assert server.query_count("shop.test", "MX") == 2


# -- the resolver's fast path: failing over as dnspython would --------------------------


@pytest.fixture
def second() -> Iterator[tuple[DNSServer, DNSServer]]:
    """Two nameservers on one port (127.0.0.1 and 127.0.0.2): dnspython asks every
    nameserver on the resolver's one port."""
    with DNSServer(negative_ttl=600) as first:
        try:
            other = DNSServer(host="127.0.0.2", port=first.port, negative_ttl=600).start()
        except OSError:
            pytest.skip("the port is taken on 127.0.0.2")
        try:
            yield first, other
        finally:
            other.stop()


@pytest.mark.parametrize("behaviour", ["servfail", "refused", "timeout"])
def test_the_next_nameserver_answers_when_the_first_fails(
    second: tuple[DNSServer, DNSServer], behaviour: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emailcheck import _dns

    monkeypatch.setattr(_dns, "_PER_TRY", 0.3)  # one attempt at one nameserver
    first, other = second
    first.set("shop.test", DomainSpec(behaviour=behaviour))
    other.set("shop.test", DomainSpec(mx=[(10, "mx.shop.test")]))
    resolver = Resolver([first.host, other.host], port=first.port, timeout=3.0)
    lookup = asyncio.run(resolver.mx("shop.test"))
    assert lookup.records == ((10, "mx.shop.test"),)
    assert first.query_count("shop.test", "MX") >= 1
    assert other.query_count("shop.test", "MX") >= 1
    if behaviour != "timeout":  # a failing nameserver is not asked twice in one lookup
        assert first.query_count("shop.test", "MX") == 1


def test_one_failing_nameserver_is_an_error_after_one_query(server: DNSServer) -> None:
    server.set("broken.test", DomainSpec(behaviour="servfail"))
    resolver = Resolver([server.host], port=server.port, timeout=1.0)
    lookup = asyncio.run(resolver.mx("broken.test"))
    assert lookup.status is ERROR
    assert "SERVFAIL" in lookup.detail
    assert server.query_count("broken.test", "MX") == 1
