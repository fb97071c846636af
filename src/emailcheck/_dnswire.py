"""The DNS wire format for the resolver's fast path: one question out, one answer in.

dnspython costs most of a millisecond of CPU per lookup (a datagram endpoint per query,
message objects, rdata sets), which a batch of many domains pays three times a domain.
The resolver asks the simple questions itself: MX, A or AAAA of a plain host name,
sent over UDP. ``parse_response`` understands only the plain answers (NOERROR or
NXDOMAIN, not truncated, records of exactly the question's name and type, labels of
letters, digits, ``-`` and ``_``, a well-formed message to its last byte) and says
``None`` for anything else, which the resolver then hands to dnspython: CNAME and DNAME
chains, truncation, odd label bytes, malformed or trailing data all go the old way.

No import of dnspython here: the fast path works without loading it.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["IGNORE", "QTYPES", "Parsed", "build_query", "parse_response"]

QTYPES: Final = {"A": 1, "MX": 15, "AAAA": 28}
_SOA: Final = 6
_CNAME: Final = 5
_DNAME: Final = 39
_IN: Final = 1
_NOERROR: Final = 0
_NXDOMAIN: Final = 3
_MAX_POINTERS: Final = 64
_MAX_NAME: Final = 255
# Labels the fast path passes on as they are; dnspython escapes anything else in text.
_PLAIN: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
_HEADER: Final = struct.Struct("!HHHHHH")
_RR: Final = struct.Struct("!HHIH")
_QUESTION_TAIL: Final = struct.Struct("!HH")
_RCODE_NAMES: Final = {1: "FORMERR", 2: "SERVFAIL", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
                       7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}


class _Malformed(Exception):
    pass


class _Ignore:
    """Not the answer to this query (another ID or question): keep waiting."""

    __repr__ = object.__repr__


IGNORE: Final = _Ignore()


@dataclass(frozen=True, slots=True)
class Parsed:
    """A response the fast path understood.

    ``rcode`` 0 (NOERROR, ``records`` possibly empty) or 3 (NXDOMAIN); any other rcode is
    a failure the nameserver reported (``records`` empty). ``ttl`` is the records' TTL,
    ``negative_ttl`` the SOA's (min of its TTL and MINIMUM) when the authority has one.
    """

    rcode: int
    records: tuple[Any, ...]
    ttl: float | None
    negative_ttl: float | None

    @property
    def rcode_text(self) -> str:
        return _RCODE_NAMES.get(self.rcode, f"rcode {self.rcode}")


def build_query(query_id: int, name: str, rdtype: str) -> bytes | None:
    """The query message (RD set, no EDNS, as dnspython's resolver sends it), or None
    when ``name`` is not a plain host name the fast path handles."""
    qtype = QTYPES.get(rdtype)
    if qtype is None or not name or not name.isascii():
        return None
    wire = bytearray(_HEADER.pack(query_id, 0x0100, 1, 0, 0, 0))
    for label in name.split("."):
        raw = label.encode("ascii")
        if not raw or len(raw) > 63 or not _PLAIN.issuperset(raw):
            return None
        wire.append(len(raw))
        wire += raw
    wire.append(0)
    if len(wire) - _HEADER.size > _MAX_NAME:
        return None
    wire += _QUESTION_TAIL.pack(qtype, _IN)
    return bytes(wire)


def parse_response(wire: bytes, query_id: int, name: str, rdtype: str,
                   ) -> Parsed | _Ignore | None:
    """What ``wire`` says to the question (``name`` lower case, no final dot).

    ``IGNORE`` when it answers another query; None when the fast path does not handle
    it (the resolver then asks dnspython)."""
    try:
        return _parse(wire, query_id, name, QTYPES[rdtype])
    except (_Malformed, IndexError, struct.error, UnicodeDecodeError, ValueError):
        return None


def _parse(wire: bytes, query_id: int, name: str, qtype: int) -> Parsed | _Ignore | None:
    if len(wire) < _HEADER.size:
        return IGNORE
    ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
    if ident != query_id or not flags & 0x8000 or flags & 0x7800:  # QR, opcode QUERY
        return IGNORE
    if qdcount != 1:
        return None
    owner, offset = _name(wire, _HEADER.size)
    asked_type, asked_class = _QUESTION_TAIL.unpack_from(wire, offset)
    offset += _QUESTION_TAIL.size
    if owner is None or owner.lower() != name or asked_type != qtype or asked_class != _IN:
        return IGNORE
    if flags & 0x0200:  # TC: truncated; dnspython retries over TCP
        return None
    rcode = flags & 0x000F
    records: list[Any] = []
    seen: set[Any] = set()
    ttl: int | None = None
    for _ in range(ancount):
        owner, rtype, rclass, rttl, offset, end = _record(wire, offset)
        if owner is None or owner.lower() != name or rtype != qtype or rclass != _IN:
            return None  # a CNAME/DNAME chain or anything unexpected: dnspython's way
        record = _rdata(wire, offset, end, qtype)
        if record is None:
            return None
        offset = end
        ttl = rttl if ttl is None else min(ttl, rttl)
        if record not in seen:  # dnspython keeps a set of rdatas: duplicates go
            seen.add(record)
            records.append(record)
    negative_ttl: int | None = None
    soa_seen = False
    for _ in range(nscount):
        _owner, rtype, _rclass, rttl, offset, end = _record(wire, offset)
        if rtype == _SOA:
            if soa_seen:
                return None  # several SOA records: leave it to dnspython
            soa_seen = True
            position = _skip_name(wire, _skip_name(wire, offset))  # MNAME, RNAME
            if position + 20 != end:
                raise _Malformed
            minimum = struct.unpack_from("!I", wire, position + 16)[0]
            negative_ttl = min(rttl, minimum)
        elif rtype in (_CNAME, _DNAME):
            return None
        offset = end
    for _ in range(arcount):
        offset = _record(wire, offset)[5]
    if offset != len(wire):
        return None  # trailing data or a cut message: dnspython decides
    if rcode == _NXDOMAIN and records:
        return None
    return Parsed(rcode, tuple(records), None if ttl is None else float(ttl),
                  None if negative_ttl is None else float(negative_ttl))


def _record(wire: bytes, offset: int) -> tuple[str | None, int, int, int, int, int]:
    """The resource record at ``offset``: owner, type, class, TTL, and where its data
    starts and ends (checked to lie inside the message)."""
    owner, offset = _name(wire, offset)
    rtype, rclass, ttl, length = _RR.unpack_from(wire, offset)
    start = offset + _RR.size
    end = start + length
    if end > len(wire):
        raise _Malformed
    return owner, rtype, rclass, ttl, start, end


def _rdata(wire: bytes, start: int, end: int, qtype: int) -> Any:
    if qtype == 1:
        if end - start != 4:
            raise _Malformed
        return ".".join(map(str, wire[start:end]))
    if qtype == 28:
        if end - start != 16:
            raise _Malformed
        return ipaddress.IPv6Address(wire[start:end]).compressed
    preference = struct.unpack_from("!H", wire, start)[0]
    exchange, position = _name(wire, start + 2)
    if position != end:
        raise _Malformed
    if exchange is None:
        return None
    return preference, exchange.lower()


def _name(wire: bytes, offset: int) -> tuple[str | None, int]:
    """The name at ``offset`` as text (``"."`` for the root, else no final dot) and the
    offset after it; None as the text when a label holds bytes the fast path leaves to
    dnspython. Compression pointers must point backwards (as dnspython requires)."""
    labels: list[bytes] = []
    plain = True
    position = offset
    after: int | None = None
    pointers = 0
    total = 1
    while True:
        length = wire[position]
        if length == 0:
            position += 1
            break
        if length >= 0xC0:
            target = ((length & 0x3F) << 8) | wire[position + 1]
            if after is None:
                after = position + 2
            if target >= position or pointers >= _MAX_POINTERS:
                raise _Malformed
            pointers += 1
            position = target
            continue
        if length > 63:
            raise _Malformed  # extended label types (RFC 6891 6.2)
        label = wire[position + 1:position + 1 + length]
        if len(label) != length:
            raise _Malformed
        total += length + 1
        if total > _MAX_NAME:
            raise _Malformed
        if plain and not _PLAIN.issuperset(label):
            plain = False
        labels.append(label)
        position += 1 + length
    if after is None:
        after = position
    if not plain:
        return None, after
    return (b".".join(labels).decode("ascii") if labels else "."), after


def _skip_name(wire: bytes, offset: int) -> int:
    return _name(wire, offset)[1]
