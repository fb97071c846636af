"""Bounce classification: hard or soft, a category, and the reply reason behind them.

``classify_bounce(code, text, enhanced)`` is pure and never raises. The reason comes
from ``emailcheck._replies.classify_reply`` (the one vocabulary of what a server meant);
this module only adds the bounce category and the kind. When ``code`` is None it is read
from the text ("... said: 550 5.1.1 ..."); when neither the code nor the text gives one,
the class comes from ``enhanced``, else the answer is taken as a permanent failure (a
bounce reports a failure unless it says otherwise).

Kind, in this order:

1. class 2 (2xx, or a 2.x.x status alone): ``not_a_failure``;
2. category ``bad_mailbox`` (no such mailbox, invalid mailbox name): ``hard`` in class 5
   and also in class 4, because a 4xx "user unknown" still names a dead mailbox (Postfix
   with ``soft_bounce``, MTAs that never say 5xx); except a 4xx saying the check is
   unfinished ("address verification in progress", "try again"), which is ``soft``;
3. categories ``bad_domain`` and ``inactive_mailbox``: ``hard`` in class 5, ``soft`` in
   class 4 (a 4xx "domain not found" is usually a DNS failure of the moment);
4. everything else is ``soft`` whatever the class: a 5xx policy, spam, content,
   authentication, size, relaying, routing or quota refusal says nothing final about the
   mailbox (RFC 3463's class tells whether to retry this message, not whether the
   address lives). ``SuppressionRules.hard_categories`` can suppress at once on more.

Categories come from the reason, refined by the enhanced code's subject (RFC 3463 x.4
routing, x.6 content) and by a few words that split the reply vocabulary's
``policy_rejection`` into authentication, spam and content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .._enum import StrEnum
from .._reasons import Reason
from .._replies import _LINE_CODES, _row_pattern, _starts_a_word, classify_reply, parse_enhanced
from .._types import JSONValue

_SCAN_LIMIT = 4096  # characters of a diagnostic read, as in _replies


class BounceKind(StrEnum):
    """Whether a bounce condemns the address (hard), may pass (soft), or is no failure."""

    HARD = "hard"
    SOFT = "soft"
    NOT_A_FAILURE = "not_a_failure"


class BounceCategory(StrEnum):
    """The category a CRM shows next to a bounce."""

    BAD_DOMAIN = "bad_domain"
    BAD_MAILBOX = "bad_mailbox"
    INACTIVE_MAILBOX = "inactive_mailbox"
    MAILBOX_FULL = "mailbox_full"
    NO_ANSWER_FROM_HOST = "no_answer_from_host"
    ROUTING_ISSUES = "routing_issues"
    RELAYING_ISSUES = "relaying_issues"
    POLICY_RELATED = "policy_related"  # includes SPF, DKIM, DMARC authentication
    SPAM_RELATED = "spam_related"  # blocked, reputation, blocklists
    CONTENT_RELATED = "content_related"
    MESSAGE_TOO_LARGE = "message_too_large"
    RATE_LIMITED = "rate_limited"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class BounceClassification:
    """One failure answer, classified. ``category`` is None when it is no failure."""

    kind: BounceKind
    category: BounceCategory | None
    reason: Reason
    code: int | None  # the three-digit SMTP code, when known
    enhanced: str | None  # the RFC 3463 status code used ("5.1.1"), when known

    @property
    def hard(self) -> bool:
        return self.kind is BounceKind.HARD

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "kind": self.kind.value,
            "category": None if self.category is None else self.category.value,
            "reason": self.reason.value,
            "code": self.code,
            "enhanced": self.enhanced,
        }


_C = BounceCategory
_CATEGORY_BY_REASON: dict[Reason, BounceCategory] = {
    Reason.MAILBOX_NOT_FOUND: _C.BAD_MAILBOX,
    Reason.MAILBOX_NAME_INVALID: _C.BAD_MAILBOX,
    Reason.MAILBOX_DISABLED: _C.INACTIVE_MAILBOX,
    Reason.MAILBOX_FULL: _C.MAILBOX_FULL,
    Reason.DOMAIN_NOT_SERVED: _C.BAD_DOMAIN,
    Reason.DOMAIN_NOT_FOUND: _C.BAD_DOMAIN,
    Reason.NULL_MX: _C.BAD_DOMAIN,
    Reason.NO_MAIL_SERVER: _C.BAD_DOMAIN,
    Reason.CONNECTION_FAILED: _C.NO_ANSWER_FROM_HOST,
    Reason.SMTP_TIMEOUT: _C.NO_ANSWER_FROM_HOST,
    Reason.RELAY_DENIED: _C.RELAYING_ISSUES,
    Reason.BLOCKED: _C.SPAM_RELATED,
    Reason.POLICY_REJECTION: _C.POLICY_RELATED,
    Reason.AUTHENTICATION_REQUIRED: _C.POLICY_RELATED,
    Reason.GREYLISTED: _C.POLICY_RELATED,  # an anti-spam deferral, not a volume limit
    Reason.RATE_LIMITED: _C.RATE_LIMITED,
    Reason.TOO_MANY_RECIPIENTS: _C.RATE_LIMITED,
    Reason.MESSAGE_TOO_LARGE: _C.MESSAGE_TOO_LARGE,
}

# Reasons that say only "it failed": the enhanced subject or the words may say where.
_VAGUE = frozenset({
    Reason.TEMPORARY_FAILURE, Reason.SMTP_UNCLASSIFIED, Reason.PROTOCOL_ERROR,
    Reason.SERVER_MISBEHAVED,
})

# Extra category rules: words that split a vague reason or policy_rejection further.
# Matched like the reply vocabulary's phrases (case and accents ignored, word starts).
_AUTHENTICATION_WORDS = (
    "spf", "dkim", "dmarc", "domainkeys", "sender policy framework", "unauthenticated",
    "authentication", "not authenticated", "sender authentication",
)
_SPAM_WORDS = (
    "spam", "junk", "unsolicited", "bulk mail", "bulk email", "bulk e mail", "uce", "ube",
    "spamassassin", "scam",
)
_CONTENT_WORDS = (
    "virus", "malware", "phishing", "infected", "attachment", "content", "executable",
    "message format", "file type", "url", "links",
)
_NO_ANSWER_WORDS = (
    "connection refused", "connection timed out", "timed out", "timeout", "no answer",
    "not responding", "unreachable", "connection reset", "lost connection",
    "connection dropped", "could not connect", "unable to connect", "connect to",
)
_ROUTING_WORDS = (
    "mail loop", "loops back", "routing loop", "hop count", "too many hops", "no route",
    "routing", "name service error", "dns", "mx lookup",
)
# A 4xx "user unknown" is hard unless the server says it has not finished looking.
_UNFINISHED_WORDS = (
    "in progress", "unverified", "try again", "try later", "retry", "temporar",
)


@cache
def _words(group: str) -> re.Pattern[str]:
    table = {
        "authentication": _AUTHENTICATION_WORDS, "spam": _SPAM_WORDS,
        "content": _CONTENT_WORDS, "no_answer": _NO_ANSWER_WORDS, "routing": _ROUTING_WORDS,
        "unfinished": _UNFINISHED_WORDS,
    }
    return re.compile(_row_pattern(table[group]))


def _says(group: str, lowered: str) -> bool:
    return _starts_a_word(_words(group), lowered)


# -- finding the reply inside a diagnostic ----------------------------------------------

_ENHANCED_RE = r"#?([245]\.[0-9]{1,3}\.[0-9]{1,3})"
# A code followed by an enhanced code is a reply wherever it stands.
_CODE_AND_STATUS = re.compile(rf"(?<![\w.])([245][0-9][0-9])[ -]+{_ENHANCED_RE}(?![\w.])")
# A lone code counts only at a line start or after the words MTAs put before a reply.
_CODE_ALONE = re.compile(
    r"(?:^|\n|said:|said|<<<|returned '|smtp;|reason:|#|\()[ \t]*"
    r"([245][0-9][0-9])(?=[ -]|:\s|$)",
    re.IGNORECASE,
)
_STATUS_ALONE = re.compile(rf"(?<![\w.]){_ENHANCED_RE}(?![\w.])")


def find_reply(text: str) -> tuple[int | None, str | None, str]:
    """The SMTP code and enhanced code a diagnostic quotes, and the text from the code on.

    Returns ``(None, None, text)`` when it quotes neither; the enhanced code alone when
    only that is there (``"... (#5.1.1)"``).
    """
    head = text[:_SCAN_LIMIT]
    both = _CODE_AND_STATUS.search(head)
    if both is not None:
        return int(both.group(1)), both.group(2), head[both.start(1):]
    alone = _CODE_ALONE.search(head)
    if alone is not None:
        rest = head[alone.start(1):]
        return int(alone.group(1)), parse_enhanced(rest[4:]), rest
    status = _STATUS_ALONE.search(head)
    return None, (None if status is None else status.group(1)), head


# -- classification ---------------------------------------------------------------------

_STAND_IN_CODE = {2: 250, 4: 499, 5: 599}  # codes with no meaning of their own in _replies


def _subject(enhanced: str | None) -> int:
    return -1 if enhanced is None else int(enhanced.split(".")[1])


def _is_generic(enhanced: str | None) -> bool:
    return enhanced is None or enhanced.endswith(".0.0")


def _category(reason: Reason, enhanced: str | None, lowered: str) -> BounceCategory:
    subject = _subject(enhanced)
    if enhanced is not None and enhanced.split(".", 1)[1] in ("4.6", "4.14"):
        return _C.ROUTING_ISSUES  # routing loop, hop count exceeded: a broken setup
    if reason is Reason.POLICY_REJECTION:
        if subject == 6:
            return _C.CONTENT_RELATED  # RFC 3463 x.6: message content or media
        if _says("authentication", lowered):
            return _C.POLICY_RELATED
        if _says("spam", lowered):
            return _C.SPAM_RELATED
        if _says("content", lowered):
            return _C.CONTENT_RELATED
        return _C.POLICY_RELATED
    category = _CATEGORY_BY_REASON.get(reason)
    if category is not None:
        return category
    if reason in _VAGUE:
        if subject == 4 or _says("routing", lowered):
            return _C.NO_ANSWER_FROM_HOST if _says("no_answer", lowered) else _C.ROUTING_ISSUES
        if _says("no_answer", lowered):
            return _C.NO_ANSWER_FROM_HOST
        if subject == 6:
            return _C.CONTENT_RELATED
    return _C.OTHER


def classify_bounce(
    code: int | None, text: str, enhanced: str | None = None
) -> BounceClassification:
    """Classify one failure answer: kind, category and reason; never raises.

    Args:
        code: the three-digit SMTP code, or None to read it from ``text``.
        text: the server's reply or the bounce's diagnostic text.
        enhanced: an RFC 3463 status code known from elsewhere (a DSN's Status field).
            A generic one (``5.0.0``) gives way to a specific one in the text.
    """
    text = text if isinstance(text, str) else str(text)
    head = text[:_SCAN_LIMIT]
    if code is not None and not (isinstance(code, int) and 200 <= code <= 599):
        code = None
    status = enhanced if enhanced is None else parse_enhanced(enhanced.strip())
    found_code, found_status, reply_text = find_reply(head)
    if code is None:
        code = found_code
    else:
        reply_text = head
    if found_status is not None and _is_generic(status) and (
        status is None or status[0] == found_status[0]
    ):
        status = found_status
    klass = code // 100 if code is not None else int(status[0]) if status else 5
    if klass not in (2, 4, 5):
        klass = 5 if code is None or code >= 500 else 4  # 3xx as a final answer: a failure
    meaning = classify_reply(
        code if code is not None and code // 100 == klass else _STAND_IN_CODE[klass],
        reply_text, status,
    )
    if klass == 2:
        return BounceClassification(
            BounceKind.NOT_A_FAILURE, None, meaning.reason, code, meaning.enhanced)
    lowered = re.sub(_LINE_CODES, "", head.lower())
    category = _category(meaning.reason, meaning.enhanced, lowered)
    if category is _C.BAD_MAILBOX:
        unfinished = klass == 4 and _says("unfinished", lowered)
        kind = BounceKind.SOFT if unfinished else BounceKind.HARD
    elif category in (_C.BAD_DOMAIN, _C.INACTIVE_MAILBOX):
        kind = BounceKind.HARD if klass == 5 else BounceKind.SOFT
    else:
        kind = BounceKind.SOFT
    return BounceClassification(kind, category, meaning.reason, code, meaning.enhanced)
