"""The resolver's fast path on the wire: queries it builds, answers it understands, and
everything it leaves to dnspython (checked against messages dnspython itself writes)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from emailcheck._dnswire import IGNORE, Parsed, build_query, parse_response

QID = 0x1234


Record = tuple[str, str, int, str]  # owner, type, TTL, rdata text
SOA: Record = ("test", "SOA", 900, "ns.test. host.test. 1 3600 600 86400 300")


def response(name: str, rdtype: str, *, answers: Sequence[Record] = (),
             authority: Sequence[Record] = (), rcode: int = 0, flags: int = 0,
             query_id: int = QID) -> bytes:
    """dnspython's wire form of a response to ``name``/``rdtype`` (names compressed)."""
    query = dns.message.make_query(name, rdtype)
    query.id = query_id
    reply = dns.message.make_response(query)
    reply.set_rcode(rcode)
    reply.flags |= flags
    for section, records in ((reply.answer, answers), (reply.authority, authority)):
        for owner, kind, ttl, text in records:
            section.append(dns.rrset.from_text(owner + ".", ttl, "IN", kind, text))
    return bytes(reply.to_wire())


def parsed(wire: bytes, name: str, rdtype: str) -> Any:
    return parse_response(wire, QID, name, rdtype)


def test_the_query_is_what_dnspython_would_send() -> None:
    wire = build_query(QID, "mx.shop.test", "MX")
    assert wire is not None
    message = dns.message.from_wire(wire)
    assert message.id == QID
    assert message.flags == dns.flags.RD
    assert message.edns < 0  # no EDNS, as the resolver's dnspython is configured
    assert [(str(q.name), q.rdtype, q.rdclass) for q in message.question] == [
        ("mx.shop.test.", 15, 1)]


@pytest.mark.parametrize("name", ["", "a..b", "x" * 64 + ".test", "bücher.test",
                                  "a b.test", "a\\.b.test", ".".join(["abcdefgh"] * 32)])
def test_names_outside_the_plain_form_are_left_to_dnspython(name: str) -> None:
    assert build_query(QID, name, "A") is None
    assert build_query(QID, "shop.test", "TXT") is None


def test_mx_answer_with_compression_duplicates_and_the_smallest_ttl() -> None:
    wire = response("shop.test", "MX", answers=[
        ("shop.test", "MX", 300, "20 MX2.Shop.Test."),
        ("shop.test", "MX", 120, "10 mx1.shop.test."),
        ("shop.test", "MX", 300, "20 mx2.shop.test."),  # the same record, other case
    ])
    result = parsed(wire, "shop.test", "MX")
    assert result == Parsed(0, ((20, "mx2.shop.test"), (10, "mx1.shop.test")), 120.0, None)
    # dnspython agrees on the set of records and the TTL.
    rrset = dns.message.from_wire(wire).answer[0]
    assert len(rrset) == 2
    assert rrset.ttl == 120


def test_null_mx_and_addresses() -> None:
    null = response("nomail.test", "MX", answers=[("nomail.test", "MX", 60, "0 .")])
    assert parsed(null, "nomail.test", "MX").records == ((0, "."),)
    a = response("mx.shop.test", "A", answers=[
        ("mx.shop.test", "A", 60, "192.0.2.1"), ("mx.shop.test", "A", 60, "192.0.2.10")])
    assert parsed(a, "mx.shop.test", "A").records == ("192.0.2.1", "192.0.2.10")
    aaaa = response("mx.shop.test", "AAAA", answers=[
        ("mx.shop.test", "AAAA", 60, "2001:DB8:0:0:0:0:0:1"),
        ("mx.shop.test", "AAAA", 60, "::ffff:192.0.2.1")])
    # The same text as ipaddress.ip_address(...).compressed, which the dnspython path uses.
    assert parsed(aaaa, "mx.shop.test", "AAAA").records == ("2001:db8::1", "::ffff:c000:201")


def test_negative_answers_carry_the_soa_negative_ttl() -> None:
    nxdomain = parsed(response("gone.test", "MX", authority=[SOA], rcode=dns.rcode.NXDOMAIN),
                      "gone.test", "MX")
    assert nxdomain == Parsed(3, (), None, 300.0)
    nodata = parsed(response("shop.test", "AAAA", authority=[SOA]), "shop.test", "AAAA")
    assert nodata == Parsed(0, (), None, 300.0)
    bare = parsed(response("shop.test", "AAAA"), "shop.test", "AAAA")
    assert bare == Parsed(0, (), None, None)


def test_failures_are_reported_with_their_rcode() -> None:
    result = parsed(response("shop.test", "MX", rcode=dns.rcode.SERVFAIL), "shop.test", "MX")
    assert isinstance(result, Parsed)
    assert (result.rcode, result.records, result.rcode_text) == (2, (), "SERVFAIL")


def test_other_answers_are_ignored_while_waiting() -> None:
    wire = response("shop.test", "MX", answers=[("shop.test", "MX", 60, "10 mx.shop.test.")])
    assert parse_response(wire, QID + 1, "shop.test", "MX") is IGNORE  # another ID
    assert parsed(wire, "other.test", "MX") is IGNORE  # another question
    assert parsed(wire, "shop.test", "A") is IGNORE  # another type
    query = build_query(QID, "shop.test", "MX")
    assert query is not None
    assert parsed(query, "shop.test", "MX") is IGNORE  # not a response (QR clear)
    assert parsed(b"\x12\x34", "shop.test", "MX") is IGNORE  # too short to be anything


LEFT_TO_DNSPYTHON: dict[str, tuple[str, str, bytes]] = {
    "truncated": ("big.test", "MX", response("big.test", "MX", flags=dns.flags.TC)),
    "cname": ("www.shop.test", "A", response("www.shop.test", "A", answers=[
        ("www.shop.test", "CNAME", 60, "shop.test."), ("shop.test", "A", 60, "192.0.2.1")])),
    "cname_in_authority": ("shop.test", "A", response(
        "shop.test", "A", authority=[("shop.test", "CNAME", 60, "x.test.")])),
    "odd_label": ("shop.test", "MX", response("shop.test", "MX", answers=[
        ("shop.test", "MX", 60, "10 mx\\032host.shop.test.")])),
    "trailing": ("shop.test", "A", response("shop.test", "A", answers=[
        ("shop.test", "A", 60, "192.0.2.1")]) + b"\x00"),
    "cut": ("shop.test", "A", response("shop.test", "A", answers=[
        ("shop.test", "A", 60, "192.0.2.1")])[:-2]),
    "two_soa": ("shop.test", "A", response("shop.test", "A", authority=[
        SOA, ("test", "SOA", 900, "ns2.test. host.test. 2 3600 600 86400 300")])),
    "nxdomain_with_records": ("gone.test", "A", response(
        "gone.test", "A", answers=[("gone.test", "A", 60, "192.0.2.1")],
        rcode=dns.rcode.NXDOMAIN)),
}


@pytest.mark.parametrize("case", sorted(LEFT_TO_DNSPYTHON))
def test_what_the_fast_path_leaves_to_dnspython(case: str) -> None:
    name, rdtype, wire = LEFT_TO_DNSPYTHON[case]
    assert parsed(wire, name, rdtype) is None


def test_compression_pointers_must_point_backwards() -> None:
    wire = bytearray(response("shop.test", "A", answers=[("shop.test", "A", 60, "192.0.2.1")]))
    # The answer's owner is a pointer to the question (offset 12); make it point at itself.
    answer_at = 12 + len(b"\x04shop\x04test\x00") + 4
    assert wire[answer_at] & 0xC0 == 0xC0
    struct.pack_into("!H", wire, answer_at, 0xC000 | answer_at)
    assert parsed(bytes(wire), "shop.test", "A") is None
