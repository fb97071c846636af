"""Bounce messages: RFC 3464 reports and the common free-text formats, per recipient.

``parse_bounce`` never raises and works in bounded time and memory: it reads at most
``max_bytes`` of a message (``truncated`` says when it stopped short), at most
``MAX_DEPTH`` levels of MIME nesting and ``MAX_PARTS`` parts, and scans at most
``TEXT_LIMIT`` characters of any text. It reads MIME itself, with no recursion, rather
than through ``email.parser``, whose feed parser recurses once per nesting level and
costs several times more per message.

What a message is, first match wins:

1. ``dsn``: a ``message/delivery-status`` part (RFC 3464, or RFC 6533's global form);
2. ``feedback_report``: an ARF report (RFC 5965), a complaint rather than a bounce;
3. ``non_standard``: a free-text bounce one of the readers knows by its signature
   (Exim, qmail, Yahoo, Postfix, old Sendmail, Exchange);
4. ``auto_reply``: ``Auto-Submitted`` other than ``no`` (RFC 3834), the other
   auto-responder headers, or an out-of-office subject, unless a mailer daemon sent it;
5. ``non_standard`` again: a message from a mail system (a daemon sender,
   ``X-Failed-Recipients``, a null return path) whose notice names the failed addresses;
6. ``not_a_bounce``, and ``error`` when the input is no message at all.
"""

from __future__ import annotations

import binascii
import html
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.message import Message
from typing import IO

from .._enum import StrEnum
from .._types import JSONValue
from ._classify import BounceClassification, BounceKind, classify_bounce

DEFAULT_MAX_BYTES = 2 * 1024 * 1024  # a bounce's report comes first; the rest is its copy
MAX_DEPTH = 16  # MIME nesting levels read
MAX_PARTS = 256  # MIME parts read per message
MAX_HEADER_BYTES = 256 * 1024  # of one header block
MAX_FIELDS = 1000  # header fields read per block
MAX_RECIPIENTS = 1000  # per report
TEXT_LIMIT = 64 * 1024  # characters of one text part that the readers scan
_MBOX_LINE = 64 * 1024  # bytes read at a time from an mbox


class ReportKind(StrEnum):
    """What a message turned out to be."""

    DSN = "dsn"
    NON_STANDARD = "non_standard"
    AUTO_REPLY = "auto_reply"
    FEEDBACK_REPORT = "feedback_report"
    NOT_A_BOUNCE = "not_a_bounce"
    ERROR = "error"


class Action(StrEnum):
    """What happened to one recipient (RFC 3464 2.3.3)."""

    FAILED = "failed"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RELAYED = "relayed"
    EXPANDED = "expanded"


@dataclass(frozen=True, slots=True)
class BouncedRecipient:
    """One recipient of a bounce: what happened to it and what the server said."""

    address: str  # normalised, see normalize_address()
    action: Action
    status: str | None  # RFC 3463 status code, "5.1.1"
    diagnostic: str  # the server's words, or the notice's
    remote_mta: str | None
    classification: BounceClassification
    original_recipient: str | None = None

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "address": self.address,
            "original_recipient": self.original_recipient,
            "action": self.action.value,
            "status": self.status,
            "diagnostic": self.diagnostic,
            "remote_mta": self.remote_mta,
            **self.classification.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class BounceReport:
    """One parsed message: its kind, and for a bounce, each recipient."""

    kind: ReportKind
    recipients: tuple[BouncedRecipient, ...] = ()
    format: str | None = None  # "rfc3464", "exim", "qmail", "postfix", "sendmail" …
    reporting_mta: str | None = None
    subject: str = ""
    message_id: str | None = None  # of the bounce itself
    original_message_id: str | None = None  # of the message that bounced, when quoted
    feedback_type: str | None = None  # ARF Feedback-Type ("abuse") of a feedback report
    error: str | None = None  # why the kind is error
    truncated: bool = False  # only the first max_bytes were read

    @property
    def is_bounce(self) -> bool:
        return self.kind is ReportKind.DSN or self.kind is ReportKind.NON_STANDARD

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "kind": self.kind.value,
            "format": self.format,
            "reporting_mta": self.reporting_mta,
            "subject": self.subject,
            "message_id": self.message_id,
            "original_message_id": self.original_message_id,
            "feedback_type": self.feedback_type,
            "error": self.error,
            "truncated": self.truncated,
            "recipients": [recipient.to_dict() for recipient in self.recipients],
        }


# -- addresses ------------------------------------------------------------------------------


_SPACE = re.compile(r"\s")


def normalize_address(text: str) -> str | None:
    """The form bounces and the ledger compare: lower case, IDNA A-label domain.

    Accepts ``<a@b>``, ``mailto:a@b`` and ``Name <a@b>``; None when there is no
    ``local@domain``. The local part is lower-cased too: RFC 5321 lets a server tell
    ``Jane`` from ``jane``, but no mainstream one does, and a suppression that misses a
    case variant costs more than one that merges two.
    """
    value = text.strip()[:512]
    if "<" in value:
        inner = value[value.rfind("<") + 1:]
        value = inner.split(">", 1)[0]
    value = value.strip().strip("<>").strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    local, at, domain = value.rpartition("@")
    domain = domain.strip().rstrip(".")
    if not at or not local or not domain or _SPACE.search(domain):
        return None
    domain = domain.lower()
    if not domain.isascii():
        try:
            import idna

            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            pass
    return f"{local.lower()}@{domain}"


# -- a bounded MIME reader --------------------------------------------------------------------

_FIELD_NAME = re.compile(rb"[!-9;-~]{1,100}:")
_PARAM = re.compile(r'([A-Za-z0-9!#$%&\'*+.^_`|~-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')


class _Part:
    """One MIME part: its header fields and where its body lies in the buffer."""

    __slots__ = ("body", "children", "ctype", "embedded", "end", "fields", "params", "unread")

    def __init__(self, fields: dict[str, str], body: int, end: int, embedded: bool) -> None:
        self.fields = fields
        self.body = body
        self.end = end
        self.embedded = embedded  # inside a quoted message (message/rfc822)
        self.children: list[_Part] = []
        self.unread = False  # past the depth or part limit: its body is not looked at
        raw = fields.get("content-type", "text/plain")
        ctype, _, rest = raw.partition(";")
        ctype = ctype.strip().lower()
        self.ctype = ctype if "/" in ctype else "text/plain"
        self.params: dict[str, str] = {}
        if rest:
            for name, raw_value in _PARAM.findall(rest[:2048]):
                value = raw_value
                if value[:1] == '"':
                    value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                self.params.setdefault(name.lower(), value)


def _header_fields(buf: bytes, start: int, end: int) -> tuple[dict[str, str], int]:
    """The fields of the header block at ``start`` (first occurrence of each name; all
    of X-Failed-Recipients), and where the body starts."""
    stop = buf.find(b"\n\n", start, end)
    if buf.startswith(b"\n", start):
        return {}, start + 1
    body = end if stop == -1 else stop + 2
    block = buf[start:min(stop if stop != -1 else end, start + MAX_HEADER_BYTES)]
    fields: dict[str, str] = {}
    name = ""
    value: list[str] = []
    count = 0
    for line in block.decode("utf-8", "replace").split("\n"):
        if line[:1] in (" ", "\t"):
            if name:
                value.append(line.strip())
            continue
        if name:
            _add_field(fields, name, value)
        colon = line.find(":")
        name = line[:colon].strip().lower() if colon > 0 else ""
        value = [line[colon + 1:].strip()] if name else []
        count += 1
        if count > MAX_FIELDS:
            name = ""
            break
    if name:
        _add_field(fields, name, value)
    return fields, body


def _add_field(fields: dict[str, str], name: str, value: list[str]) -> None:
    text = " ".join(value)
    if name not in fields:
        fields[name] = text
    elif name == "x-failed-recipients":
        fields[name] += ", " + text


def _boundaries(buf: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """Spans of the parts between the delimiter lines of ``boundary`` (RFC 2046 5.1.1).

    A missing close delimiter ends the last part at ``end``; no delimiter at all gives
    no parts (the caller then reads the body as text).
    """
    delimiter = b"--" + boundary
    spans: list[tuple[int, int]] = []
    part_start = -1
    position = start
    while len(spans) <= MAX_PARTS:
        found = buf.find(delimiter, position, end)
        if found == -1:
            break
        position = found + len(delimiter)
        if found != start and buf[found - 1] != 0x0A:
            continue  # not at a line start: part of the content
        closing = buf.startswith(b"--", position)
        line_end = buf.find(b"\n", position, end)
        # RFC 2046 5.1.1: only "--" or white space may follow the boundary on its line;
        # "--b10" is no delimiter of boundary "b1".
        if not closing and buf[position:end if line_end == -1 else line_end].strip(b" \t\r"):
            continue
        if part_start != -1:
            spans.append((part_start, max(part_start, found - 1)))
        if closing:
            return spans
        part_start = end if line_end == -1 else line_end + 1
        position = part_start
    if part_start != -1 and part_start < end and len(spans) <= MAX_PARTS:
        spans.append((part_start, end))
    return spans


def _read_tree(buf: bytes) -> _Part | None:
    """The MIME tree of a message, breadth-bounded and depth-bounded, without recursion."""
    start = 0
    if buf.startswith(b"From "):  # an mbox "From " line before the header
        line_end = buf.find(b"\n")
        start = len(buf) if line_end == -1 else line_end + 1
    if _FIELD_NAME.match(buf, start) is None:
        return None
    fields, body = _header_fields(buf, start, len(buf))
    root = _Part(fields, body, len(buf), False)
    pending = [(root, 0)]
    count = 1
    while pending:
        part, depth = pending.pop()
        if depth >= MAX_DEPTH or count >= MAX_PARTS:
            part.unread = True
            continue
        if part.ctype.startswith("multipart/"):
            boundary = part.params.get("boundary", "")[:200].encode("utf-8", "replace")
            if not boundary:
                continue
            for child_start, child_end in _boundaries(buf, part.body, part.end, boundary):
                if count >= MAX_PARTS:
                    break
                child_fields, child_body = _header_fields(buf, child_start, child_end)
                child = _Part(child_fields, child_body, child_end, part.embedded)
                part.children.append(child)
                pending.append((child, depth + 1))
                count += 1
        elif part.ctype in ("message/rfc822", "message/global") and not part.embedded:
            # The quoted original: its header block only (its Message-ID), never its parts.
            child_fields, child_body = _header_fields(buf, part.body, part.end)
            part.children.append(_Part(child_fields, child_body, part.end, True))
            count += 1
    return root


def _walk(root: _Part) -> Iterator[_Part]:
    """Every part in document order, quoted messages included (see ``embedded``)."""
    pending = [root]
    while pending:
        part = pending.pop()
        yield part
        pending.extend(reversed(part.children))


def _text(buf: bytes, part: _Part) -> str:
    """A part's body as text: transfer encoding undone, charset decoded, bounded."""
    data = buf[part.body:min(part.end, part.body + TEXT_LIMIT * 2)]
    encoding = part.fields.get("content-transfer-encoding", "").strip().lower()
    try:
        if encoding == "base64":
            cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
            try:
                data = binascii.a2b_base64(cleaned)
            except binascii.Error:  # cut short by the limit: decode the whole groups
                cleaned = cleaned.replace(b"=", b"")
                data = binascii.a2b_base64(cleaned[: len(cleaned) // 4 * 4])
        elif encoding == "quoted-printable":
            data = binascii.a2b_qp(data)
    except (binascii.Error, ValueError):
        pass
    charset = part.params.get("charset", "utf-8").strip().lower()[:40] or "utf-8"
    try:
        text = data.decode(charset, "replace")
    except Exception:  # unknown charset, or a codec that is no text codec
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")  # the likeliest 8-bit guess
    return text[:TEXT_LIMIT]


def _strip_html(text: str) -> str:
    lowered = text.lower()
    kept: list[str] = []
    position = 0
    while True:  # drop <style> and <script> blocks; str.find keeps it linear
        starts = [found for found in (lowered.find("<style", position),
                                      lowered.find("<script", position)) if found != -1]
        if not starts:
            break
        start = min(starts)
        kept.append(text[position:start])
        closing = "</style" if lowered.startswith("<style", start) else "</script"
        end = lowered.find(closing, start)
        end = -1 if end == -1 else lowered.find(">", end)
        position = len(text) if end == -1 else end + 1
    kept.append(text[position:])
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|tr|li|h[1-6])\s*>", "\n", "".join(kept))
    text = html.unescape(re.sub(r"<[^<>]{0,2000}>", " ", text))
    return "\n".join(line.strip() for line in text.split("\n"))


# -- RFC 3464 delivery status -------------------------------------------------------------------


_CONTINUED_CODE = re.compile(r"^[245][0-9][0-9][ -](?:[245]\.[0-9]{1,3}\.[0-9]{1,3}\s+)?")


def _field_blocks(text: str) -> list[dict[str, str]]:
    """The field groups of a delivery-status body; a repeated field also starts a group
    (some MTAs forget the blank line between recipients)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    name = ""
    for line in text.split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, name = {}, ""
            continue
        if line[:1] in (" ", "\t"):
            if name:
                # RFC 5321 4.2.1: the code repeated on each line of a multiline reply.
                rest = _CONTINUED_CODE.sub("", line.strip(), count=1)
                current[name] = f"{current[name]} {rest}"
            continue
        colon = line.find(":")
        if colon <= 0:
            continue
        name = line[:colon].strip().lower()
        if name in current:
            blocks.append(current)
            current = {}
        current[name] = line[colon + 1:].strip()
        if len(blocks) > MAX_RECIPIENTS:
            break
    if current:
        blocks.append(current)
    return blocks


def _typed(value: str | None) -> str | None:
    """The value of a typed field ("dns; mx.example.com" -> "mx.example.com")."""
    if not value:
        return None
    kind, semicolon, rest = value.partition(";")
    found = (rest if semicolon and len(kind) <= 20 else value).strip()
    return found or None


_ACTIONS = {action.value: action for action in Action}
_ACTION_BY_CLASS = {"2": Action.DELIVERED, "4": Action.DELAYED, "5": Action.FAILED}
_NOT_FAILURES = (Action.DELIVERED, Action.RELAYED, Action.EXPANDED)


def _recipient(
    address: str, action: Action, status: str | None, diagnostic: str,
    remote_mta: str | None, *, original: str | None = None,
) -> BouncedRecipient:
    if status is None and action is Action.DELAYED:
        classification = classify_bounce(None, diagnostic, "4.0.0")
    else:
        classification = classify_bounce(None, diagnostic, status)
    if action in _NOT_FAILURES and classification.kind is not BounceKind.NOT_A_FAILURE:
        classification = replace(classification, kind=BounceKind.NOT_A_FAILURE, category=None)
    return BouncedRecipient(
        address, action, status or classification.enhanced, diagnostic, remote_mta,
        classification, original,
    )


def _dsn_recipients(text: str) -> tuple[list[BouncedRecipient], str | None]:
    from .._replies import parse_enhanced

    recipients: list[BouncedRecipient] = []
    reporting_mta = None
    for block in _field_blocks(text):
        final = _typed(block.get("final-recipient"))
        original = _typed(block.get("original-recipient"))
        if final is None and original is None:
            reporting_mta = reporting_mta or _typed(block.get("reporting-mta"))
            continue
        address = normalize_address(final or original or "")
        if address is None:
            continue
        status = parse_enhanced(block.get("status", "").strip())
        action = _ACTIONS.get(block.get("action", "").strip().lower().split(" ")[0])
        if action is None:
            action = _ACTION_BY_CLASS.get(status[0] if status else "5", Action.FAILED)
        diagnostic = _typed(block.get("diagnostic-code")) or ""
        remote = _typed(block.get("remote-mta"))
        recipients.append(_recipient(
            address, action, status, diagnostic[:4096],
            remote.split()[0].rstrip(".") if remote else None,
            original=None if original is None else normalize_address(original),
        ))
        if len(recipients) >= MAX_RECIPIENTS:
            break
    return recipients, reporting_mta


# -- free-text bounces --------------------------------------------------------------------------

_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"'@]{1,64}@[^\s<>()\[\],;:\"'@]{1,253}")
_ANGLE_LINE = re.compile(r"^<([^<>\s]{1,320}@[^<>\s]{1,253})>:?[ \t]*(.*)$")
_COPY_MARKERS = (
    "--- below this line is a copy", "------ this is a copy", "--- enclosed are the original",
    "----- original message -----", "original message follows", "----- transcript of session",
    "-----original message-----", "original message headers:",
)
_MAX_FOUND = MAX_RECIPIENTS


class _Found:
    """A recipient a free-text reader found: the raw parts before classification."""

    __slots__ = ("action", "address", "diagnostic", "remote")

    def __init__(self, address: str, diagnostic: str, action: Action, remote: str | None):
        self.address, self.diagnostic, self.action, self.remote = (
            address, diagnostic, action, remote)


def _address_in(text: str) -> str | None:
    match = _ADDRESS.search(text)
    return None if match is None else match.group(0).rstrip(".")


def _cut_copy(text: str) -> str:
    """The notice without the quoted original message that follows it."""
    lowered = text.lower()
    cut = len(text)
    for marker in _COPY_MARKERS:
        found = lowered.find(marker)
        if found != -1:
            cut = min(cut, found)
    return text[:cut]


def _paragraphs(text: str) -> list[list[str]]:
    result: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            result[-1].append(line)
        elif result[-1]:
            result.append([])
    return [paragraph for paragraph in result if paragraph]


def _joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())[:4096]


_HOST_SAID = re.compile(r"\bhost ([A-Za-z0-9.-]{1,253})\s*\[")
_GIVING_UP = re.compile(r"Giving up on (\S{1,253}?)\.?$|^(\S{1,253}) does not like recipient",
                        re.MULTILINE)


def _remote_in(text: str) -> str | None:
    host = _HOST_SAID.search(text)
    if host is not None:
        return host.group(1)
    giving = _GIVING_UP.search(text)
    return None if giving is None else (giving.group(1) or giving.group(2))


def _read_exim(text: str) -> list[_Found] | None:
    lowered = text.lower()
    marker = -1
    for phrase in ("following address(es) failed:", "address(es) failed:",
                   "has not yet been delivered is:", "have not yet been delivered are:"):
        marker = lowered.find(phrase)
        if marker != -1:
            break
    if marker == -1:
        return None
    delayed = "has not yet been delivered" in lowered or "have not yet been delivered" in lowered
    action = Action.DELAYED if delayed else Action.FAILED
    found: list[_Found] = []
    entries: list[tuple[str, list[str]]] = []
    indent = -1
    for line in _cut_copy(text[marker:]).split("\n")[1:]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            break  # the list ends at the first unindented line
        if indent == -1 or depth <= indent:
            indent = depth
            first = line.strip().split(" ")[0]
            address = _address_in(first) or ""
            entries.append((address, [line.strip()[len(first):]]))
            if len(entries) > _MAX_FOUND:
                break
        else:
            entries[-1][1].append(line)
    for address, lines in entries:
        if address:
            found.append(_Found(address, _joined(lines), action, _remote_in(_joined(lines))))
    return found


def _read_angle_paragraphs(text: str, action: Action) -> list[_Found]:
    """qmail, Yahoo and Postfix: a paragraph per recipient, opening with ``<address>:``."""
    found: list[_Found] = []
    for paragraph in _paragraphs(_cut_copy(text)):
        match = _ANGLE_LINE.match(paragraph[0].strip())
        if match is None:
            continue
        rest = [match.group(2), *paragraph[1:]]
        remote = _remote_in("\n".join(line.strip() for line in rest))
        found.append(_Found(match.group(1), _joined(rest), action, remote))
        if len(found) >= _MAX_FOUND:
            break
    return found


def _read_sendmail(text: str) -> list[_Found] | None:
    lowered = text.lower()
    permanent = lowered.find("addresses had permanent fatal errors")
    transient = lowered.find("addresses had transient non-fatal errors")
    if permanent == -1 and transient == -1:
        return None
    talking = re.search(r"while talking to ([A-Za-z0-9.-]{1,253}?)\.?:", text)
    remote = talking.group(1) if talking else None
    found: list[_Found] = []
    for start, action in ((permanent, Action.FAILED), (transient, Action.DELAYED)):
        if start == -1:
            continue
        for line in text[start:start + TEXT_LIMIT].split("\n")[1:]:
            stripped = line.strip()
            if stripped.startswith("-----") or len(found) >= _MAX_FOUND:
                break  # the next section: the transcript or the original message
            candidate = None if line[:1].isspace() else _address_in(stripped)
            if candidate:
                found.append(_Found(candidate, "", action, remote))
            elif found and found[-1].action is action and stripped:
                reason = re.sub(r"^\(reason:\s*|\)$", "", stripped)
                found[-1].diagnostic = f"{found[-1].diagnostic} {reason}".strip()
    transcript = re.findall(r"(?m)^<<< ([45][0-9][0-9][ -].*)$", text[:TEXT_LIMIT])
    for item in found:
        if not item.diagnostic and transcript:
            about = [line for line in transcript if item.address.lower() in line.lower()]
            item.diagnostic = (about or transcript)[-1]
    return found


_EXCHANGE_MARKERS = (
    "delivery has failed to these recipients", "following recipient(s) cannot be reached",
    "diagnostic information for administrators", "your message couldn't be delivered",
    "your message to", "couldn't be delivered",
)
_EXCHANGE_DIAGNOSTIC = re.compile(
    r"^#([245][0-9][0-9][ -].*?)\s*(?:##.*)?$"
    r"|^Remote Server returned '(.{1,4000})'$"
    r"|^<([A-Za-z0-9.-]{1,253}) #[245]\.[0-9]{1,3}\.[0-9]{1,3} (?:smtp;)?(.{0,4000})>$",
    re.IGNORECASE,
)
_NOT_A_RECIPIENT_LINE = ("generating server", "receiving server", "from:", "to:", "sent:",
                         "subject:", "cc:", "reply-to:")


def _read_exchange(text: str) -> list[_Found] | None:
    lowered = text.lower()
    if not any(marker in lowered for marker in _EXCHANGE_MARKERS):
        return None
    receiving = re.search(r"(?im)^\s*Receiving server:\s*(\S{1,253})", text)
    remote = receiving.group(1) if receiving else None
    found: dict[str, _Found] = {}
    current: _Found | None = None
    for line in _cut_copy(text).split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        match = _EXCHANGE_DIAGNOSTIC.match(stripped)
        if match is not None:
            if current is not None:  # the server's own words beat the description
                current.diagnostic = (match.group(1) or match.group(2) or match.group(4))
                current.remote = match.group(3) or current.remote
            continue
        candidate = _address_in(stripped)
        if (candidate and len(stripped) <= len(candidate) + 60
                and not stripped.lower().startswith(_NOT_A_RECIPIENT_LINE)):
            address = normalize_address(candidate.rstrip("."))
            if address is None or (address not in found and len(found) >= _MAX_FOUND):
                continue
            current = found.setdefault(address, _Found(address, "", Action.FAILED, remote))
        elif current is not None and not current.diagnostic:
            current.diagnostic = stripped[:4096]  # the sentence about the recipient
    return list(found.values())


_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail delivery", "mail-daemon", "mdaemon")
_BOUNCE_SUBJECTS = (
    "undeliver", "undelivered", "delivery status notification", "delivery failure",
    "delivery has failed", "delivery failed", "failure notice", "returned mail",
    "mail delivery failed", "could not be delivered", "non-delivery", "nondelivery",
    "not delivered", "delivery problem", "delayed mail", "delivery delayed",
    "delivery notification", "unzustellbar", "non remis", "no se puede entregar",
    "non recapitabile", "onbestelbaar", "niedostarczon",
)
_DELAY_WORDS = (
    "will continue to try", "still being retried", "will be retried", "will retry",
    "warning only", "not yet been delivered", "delivery attempts will continue",
    "has been delayed", "delivery delayed", "delayed mail",
)


def _from_daemon(fields: dict[str, str]) -> bool:
    sender = fields.get("from", "").lower()
    return any(word in sender for word in _BOUNCE_SENDERS) or "x-failed-recipients" in fields


def _looks_like_bounce(fields: dict[str, str], subject: str) -> bool:
    """From a mail system, not a person: a daemon sender, X-Failed-Recipients, a null
    return path, or a bounce subject on an automatic message."""
    if _from_daemon(fields) or fields.get("return-path", "").strip() == "<>":
        return True
    lowered = subject.lower()
    return "auto-submitted" in fields and any(word in lowered for word in _BOUNCE_SUBJECTS)


def _read_generic(
    text: str, fields: dict[str, str], subject: str, failed: list[str],
) -> list[_Found]:
    """Any notice: the addresses it names, each with its paragraph as the diagnostic."""
    notice = _cut_copy(text)
    lowered = (subject + "\n" + notice).lower()
    delayed = any(word in lowered for word in _DELAY_WORDS)
    action = Action.DELAYED if delayed else Action.FAILED
    exclude = {
        normalize_address(match)
        for name in ("from", "to", "return-path", "sender", "reply-to")
        for match in _ADDRESS.findall(fields.get(name, "")[:2000])
    }
    paragraphs = _paragraphs(notice)
    found: dict[str, _Found] = {}
    wanted = [address for address in (normalize_address(item) for item in failed) if address]
    for index, paragraph in enumerate(paragraphs):
        text_of = _joined(paragraph)
        for candidate in _ADDRESS.findall(text_of):
            address = normalize_address(candidate.rstrip("."))
            if (address is None or address in found or address in exclude
                    or "." not in address.rpartition("@")[2]
                    or address.startswith(("mailer-daemon@", "postmaster@"))
                    or (wanted and address not in wanted)):
                continue
            diagnostic = text_of
            if text_of.strip(" <>.:").lower() == candidate.rstrip(".").lower() and (
                    index + 1 < len(paragraphs)):
                diagnostic = _joined(paragraphs[index + 1])  # the reason stands below it
            found[address] = _Found(address, diagnostic, action, _remote_in(diagnostic))
            if len(found) >= _MAX_FOUND:
                return list(found.values())
    summary = _joined([line for paragraph in paragraphs[:3] for line in paragraph])
    for address in wanted:  # named in X-Failed-Recipients only: the notice says why
        found.setdefault(address, _Found(address, summary, action, _remote_in(summary)))
    return list(found.values())


def _read_known(text: str, subject: str) -> tuple[list[_Found], str | None]:
    """The formats with a signature of their own, tried before anything else."""
    lowered = text.lower()
    if "address(es) failed" in lowered or "not yet been delivered" in lowered:
        found = _read_exim(text)
        if found:
            return found, "exim"
    if "qmail-send program" in lowered:
        found = _read_angle_paragraphs(text, Action.FAILED)
        if found:
            return found, "qmail"
    if "unable to deliver your message to the following" in lowered:
        found = _read_angle_paragraphs(text, Action.FAILED)
        if found:
            return found, "yahoo"
    if "this is the mail system at host" in lowered:
        delayed = "warning only" in lowered or "delayed mail" in subject.lower()
        found = _read_angle_paragraphs(text, Action.DELAYED if delayed else Action.FAILED)
        if found:
            return found, "postfix"
    for name, reader in (("sendmail", _read_sendmail), ("exchange", _read_exchange)):
        found_or_none = reader(text)
        if found_or_none:
            return found_or_none, name
    return [], None


def _read_unknown(
    text: str, fields: dict[str, str], subject: str,
) -> tuple[list[_Found], str | None]:
    """A bounce in no known format: ``<address>:`` paragraphs, else addresses named."""
    failed = _ADDRESS.findall(fields.get("x-failed-recipients", "")[:64 * 1024])[:_MAX_FOUND]
    angle = _read_angle_paragraphs(text, Action.FAILED)
    if angle and not failed:
        return angle, "plain"
    generic = _read_generic(text, fields, subject, failed)
    return generic, "x-failed-recipients" if failed else "plain"


# -- auto-replies ---------------------------------------------------------------------------

_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply")
_AUTO_SUBJECTS = (
    "out of office", "out of the office", "automatic reply", "auto:", "autoreply",
    "auto-reply", "auto reply", "auto response", "autoresponse", "vacation", "away from",
    "abwesenheit", "automatische antwort", "réponse automatique", "absence",
    "respuesta automática", "fuera de la oficina", "risposta automatica", "fuori sede",
    "automatisch antwoord", "afwezig", "odpowiedź automatyczna", "автоответ",
)


def _is_auto_reply(fields: dict[str, str], subject: str) -> bool:
    auto = fields.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return True  # RFC 3834 5
    if any(name in fields for name in _AUTO_HEADERS):
        return True
    if fields.get("precedence", "").strip().lower() == "auto_reply":
        return True
    lowered = subject.lower()
    return any(word in lowered for word in _AUTO_SUBJECTS)


# -- the whole message --------------------------------------------------------------------------


def _decoded_header(value: str) -> str:
    value = value[:1000]
    if "=?" not in value:
        return value
    try:
        from email.header import decode_header, make_header

        return str(make_header(decode_header(value)))
    except Exception:  # a broken encoded word: keep it as written
        return value


def _as_bytes(message: bytes | bytearray | memoryview | str | Message) -> bytes:
    if isinstance(message, bytes):
        return message
    if isinstance(message, (bytearray, memoryview)):
        return bytes(message)
    if isinstance(message, str):
        return message.encode("utf-8", "surrogateescape")
    if isinstance(message, Message):
        # Serialised and read like any other: one reader, whatever the input.
        try:
            return message.as_bytes()
        except Exception:  # a header the policy cannot encode
            return message.as_string().encode("utf-8", "surrogateescape")
    raise TypeError(f"a message must be bytes, str or email.message.Message, "
                    f"not {type(message).__name__}")


_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*(<[^>\r\n]{1,250}>)")


def _original_message_id(buf: bytes, root: _Part) -> str | None:
    for part in _walk(root):
        if part.embedded and "message-id" in part.fields:
            return part.fields["message-id"].strip() or None
        if part.ctype == "text/rfc822-headers" and not part.embedded:
            match = _MESSAGE_ID.search(buf, part.body, min(part.end, part.body + TEXT_LIMIT))
            if match:
                return match.group(1).decode("utf-8", "replace")
    # Free-text bounces quote the original inline, after their own header block.
    match = _MESSAGE_ID.search(buf, root.body, min(len(buf), root.body + 4 * TEXT_LIMIT))
    return None if match is None else match.group(1).decode("utf-8", "replace")


def _notice(buf: bytes, root: _Part) -> str:
    """The human-readable notice: the first text/plain part, else the first HTML one."""
    html_part = None
    for part in _walk(root):
        if part.embedded or part.unread:
            continue
        leaf = not part.children
        if part.ctype == "text/plain" and leaf:
            return _text(buf, part)
        if part.ctype.startswith("multipart/") and leaf:
            return _text(buf, part)  # a broken boundary: read the body as it stands
        if part.ctype == "text/html" and leaf and html_part is None:
            html_part = part
    return "" if html_part is None else _strip_html(_text(buf, html_part))


def _parse(message: bytes | bytearray | memoryview | str | Message, max_bytes: int) -> BounceReport:
    raw = _as_bytes(message)
    if not raw.strip():
        return BounceReport(ReportKind.ERROR, error="the message is empty")
    truncated = len(raw) > max_bytes
    buf = raw[:max_bytes].replace(b"\r\n", b"\n")
    root = _read_tree(buf)
    if root is None:
        return BounceReport(
            ReportKind.ERROR, error="no header fields: not an email message",
            truncated=truncated,
        )
    fields = root.fields
    subject = _decoded_header(fields.get("subject", ""))
    base = BounceReport(
        ReportKind.NOT_A_BOUNCE, subject=subject,
        message_id=fields.get("message-id", "").strip() or None, truncated=truncated,
    )
    status_part = feedback_part = None
    for part in _walk(root):
        if part.embedded:
            continue
        if status_part is None and part.ctype in (
                "message/delivery-status", "message/global-delivery-status"):
            status_part = part
        elif feedback_part is None and part.ctype == "message/feedback-report":
            feedback_part = part
    report_type = root.params.get("report-type", "").lower() if root.ctype == (
        "multipart/report") else ""
    if status_part is not None:
        recipients, reporting_mta = _dsn_recipients(_text(buf, status_part))
        if recipients:
            return replace(
                base, kind=ReportKind.DSN, recipients=tuple(recipients), format="rfc3464",
                reporting_mta=reporting_mta,
                original_message_id=_original_message_id(buf, root),
            )
    if feedback_part is not None or report_type == "feedback-report":
        feedback_type = None
        if feedback_part is not None:
            for block in _field_blocks(_text(buf, feedback_part)):
                feedback_type = feedback_type or block.get("feedback-type")
        return replace(
            base, kind=ReportKind.FEEDBACK_REPORT, format="arf", feedback_type=feedback_type,
            original_message_id=_original_message_id(buf, root),
        )
    is_report = status_part is not None or report_type == "delivery-status"
    notice = _notice(buf, root)
    found, name = _read_known(notice, subject)
    if not found:
        if not is_report and _is_auto_reply(fields, subject) and not _from_daemon(fields):
            return replace(base, kind=ReportKind.AUTO_REPLY)
        if is_report or _looks_like_bounce(fields, subject):
            found, name = _read_unknown(notice, fields, subject)
    if found:
        recipients = []
        for item in found:
            address = normalize_address(item.address)
            if address is not None:
                recipients.append(_recipient(
                    address, item.action, None, item.diagnostic, item.remote))
        return replace(
            base, kind=ReportKind.NON_STANDARD, recipients=tuple(recipients), format=name,
            original_message_id=_original_message_id(buf, root),
        )
    if is_report:
        return replace(base, kind=ReportKind.DSN, format="rfc3464")  # no readable recipient
    if _looks_like_bounce(fields, subject):
        return replace(base, kind=ReportKind.NON_STANDARD, format="unknown")
    return base


def parse_bounce(
    message: bytes | bytearray | str | Message, *, max_bytes: int = DEFAULT_MAX_BYTES,
) -> BounceReport:
    """Parse one message: a DSN, a free-text bounce, an auto-reply, a complaint or other.

    Args:
        message: the raw message (bytes, or str), or an ``email.message.Message``.
        max_bytes: read at most this many bytes; the report says ``truncated``.

    Never raises: input that is no message gives kind ``error`` with ``error`` set.
    """
    try:
        return _parse(message, max_bytes)
    except Exception as error:  # hostile input must cost a result, never a crash
        return BounceReport(ReportKind.ERROR, error=f"{type(error).__name__}: {error}"[:500])


def parse_mbox(
    source: str | os.PathLike[str] | IO[bytes], *, max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[BounceReport]:
    """Parse every message of an mbox file (a path, or a binary file object), lazily.

    Each message is cut at ``max_bytes`` (its report says ``truncated``); lines are
    read at most 64 KiB at a time, so no line, however long, is held whole. mboxrd
    ``>From`` quoting is undone. A file that cannot be opened raises ``OSError``.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            yield from _mbox_reports(stream, max_bytes)
    else:
        yield from _mbox_reports(source, max_bytes)


def _mbox_reports(stream: IO[bytes], max_bytes: int) -> Iterator[BounceReport]:
    for raw, truncated in _mbox_messages(stream, max_bytes):
        report = parse_bounce(raw, max_bytes=max_bytes)
        yield replace(report, truncated=True) if truncated and not report.truncated else report


_QUOTED_FROM = re.compile(rb"^>+From ")


def _mbox_messages(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[bytes, bool]]:
    chunks: list[bytes] = []
    size = 0
    truncated = False
    started = False
    line_start = True
    while True:
        line = stream.readline(_MBOX_LINE)
        if not line:
            break
        if line_start and line.startswith(b"From "):
            if started and (chunks or truncated):
                yield b"".join(chunks), truncated
            chunks, size, truncated, started = [], 0, False, True
        else:
            if line_start and _QUOTED_FROM.match(line):
                line = line[1:]
            started = True
            if size + len(line) <= max_bytes:
                chunks.append(line)
                size += len(line)
            else:
                truncated = True
        line_start = line.endswith(b"\n")
    if chunks or truncated:
        yield b"".join(chunks), truncated
