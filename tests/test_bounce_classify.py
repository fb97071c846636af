"""Bounce classification: realistic diagnostics to (kind, category, reason), and the rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emailcheck import Reason
from emailcheck.bounces import BounceCategory, BounceClassification, BounceKind, classify_bounce
from emailcheck.bounces._classify import find_reply

HARD, SOFT, NONE = BounceKind.HARD, BounceKind.SOFT, BounceKind.NOT_A_FAILURE
C = BounceCategory


def case(code: int | None, text: str, enhanced: str | None, *expected: object, id: str) -> object:
    """(code, text, enhanced) as a bounce gives them, then (kind, category, reason)."""
    return pytest.param(code, text, enhanced, expected, id=id)


TABLE = [
    # -- dead mailboxes and domains: hard
    case(550, "5.1.1 <jo@example.org>: Recipient address rejected: User unknown in virtual "
         "mailbox table", None, HARD, C.BAD_MAILBOX, Reason.MAILBOX_NOT_FOUND,
         id="postfix-user-unknown"),
    case(550, "5.1.1 The email account that you tried to reach does not exist.", None,
         HARD, C.BAD_MAILBOX, Reason.MAILBOX_NOT_FOUND, id="gmail-no-such-user"),
    case(None, "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
         "address lookup", "5.1.10", HARD, C.BAD_MAILBOX, Reason.MAILBOX_NOT_FOUND,
         id="o365-recipient-not-found"),
    case(553, "5.1.3 Bad recipient address syntax", None, HARD, C.BAD_MAILBOX,
         Reason.MAILBOX_NAME_INVALID, id="bad-address-syntax"),
    case(None, "Host or domain name not found. Name service error for name=nowhere.example "
         "type=MX: Host not found", "5.4.4", HARD, C.BAD_DOMAIN, Reason.DOMAIN_NOT_SERVED,
         id="postfix-domain-not-found"),
    case(None, "Sorry, I couldn't find any host named nowhere.example. (#5.1.2)", None,
         HARD, C.BAD_DOMAIN, Reason.DOMAIN_NOT_SERVED, id="qmail-no-host"),
    case(556, "5.1.10 Recipient address has null MX", None, HARD, C.BAD_DOMAIN,
         Reason.DOMAIN_NOT_SERVED, id="null-mx"),
    case(550, "5.2.1 The email account that you tried to reach is disabled.", None,
         HARD, C.INACTIVE_MAILBOX, Reason.MAILBOX_DISABLED, id="gmail-disabled"),
    case(550, "", None, HARD, C.BAD_MAILBOX, Reason.MAILBOX_NOT_FOUND, id="bare-550"),
    # -- the exception: a 4xx "user unknown" is still a dead mailbox ...
    case(450, "4.1.1 <jo@example.org>: Recipient address rejected: User unknown in local "
         "recipient table", None, HARD, C.BAD_MAILBOX, Reason.MAILBOX_NOT_FOUND,
         id="4xx-user-unknown-is-hard"),
    # ... unless the server has not finished looking.
    case(450, "4.1.1 <jo@example.org>: Recipient address rejected: unverified address: "
         "Address verification in progress", None, SOFT, C.BAD_MAILBOX,
         Reason.MAILBOX_NOT_FOUND, id="4xx-verification-in-progress-is-soft"),
    case(451, "4.1.2 Domain not found", None, SOFT, C.BAD_DOMAIN, Reason.DOMAIN_NOT_SERVED,
         id="4xx-domain-not-found-is-soft"),
    case(450, "4.2.1 Account is inactive, try later", None, SOFT, C.INACTIVE_MAILBOX,
         Reason.MAILBOX_DISABLED, id="4xx-inactive-is-soft"),
    # -- the other exception: a 5xx refusal of the sender is not proof the mailbox is gone
    case(550, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
         "zen.spamhaus.org", None, SOFT, C.SPAM_RELATED, Reason.BLOCKED, id="spamhaus-block"),
    case(554, "5.7.1 Your IP has a poor reputation; see https://postmaster.example/rep",
         None, SOFT, C.SPAM_RELATED, Reason.BLOCKED, id="reputation"),
    case(550, "5.7.1 Message rejected as spam by Content Filtering.", None, SOFT,
         C.SPAM_RELATED, Reason.POLICY_REJECTION, id="rejected-as-spam"),
    case(550, "5.7.1 Our system has detected an unusual rate of unsolicited mail", None, SOFT,
         C.SPAM_RELATED, Reason.POLICY_REJECTION, id="unsolicited"),
    case(550, "5.7.26 Unauthenticated email from example.com is not accepted due to domain's "
         "DMARC policy.", None, SOFT, C.POLICY_RELATED, Reason.POLICY_REJECTION,
         id="dmarc"),
    case(550, "5.7.1 SPF check failed: 192.0.2.1 is not allowed to send for example.com",
         None, SOFT, C.POLICY_RELATED, Reason.POLICY_REJECTION, id="spf"),
    case(554, "5.7.1 Message rejected: contains a virus (Eicar-Test-Signature)", None, SOFT,
         C.CONTENT_RELATED, Reason.POLICY_REJECTION, id="virus"),
    case(554, "5.6.0 Message content rejected", None, SOFT, C.CONTENT_RELATED,
         Reason.POLICY_REJECTION, id="x.6-content"),
    case(550, "5.7.1 Delivery not authorized, message refused", None, SOFT, C.POLICY_RELATED,
         Reason.POLICY_REJECTION, id="not-authorised"),
    case(554, "5.7.1 <jo@example.org>: Relay access denied", None, SOFT, C.RELAYING_ISSUES,
         Reason.RELAY_DENIED, id="relay-denied"),
    # -- soft by nature
    case(552, "5.2.2 <jo@example.org>: Mailbox full", None, SOFT, C.MAILBOX_FULL,
         Reason.MAILBOX_FULL, id="5xx-mailbox-full"),
    case(452, "4.2.2 The email account that you tried to reach is over quota.", None, SOFT,
         C.MAILBOX_FULL, Reason.MAILBOX_FULL, id="over-quota"),
    case(552, "5.3.4 Message size exceeds fixed limit", None, SOFT, C.MESSAGE_TOO_LARGE,
         Reason.MESSAGE_TOO_LARGE, id="too-large"),
    case(421, "4.7.28 Our system has detected an unusual rate of mail from your IP", None,
         SOFT, C.RATE_LIMITED, Reason.RATE_LIMITED, id="mail-flood"),
    case(450, "4.7.1 Too many messages from your IP, slow down", None, SOFT, C.RATE_LIMITED,
         Reason.RATE_LIMITED, id="slow-down"),
    case(452, "4.5.3 Too many recipients", None, SOFT, C.RATE_LIMITED,
         Reason.TOO_MANY_RECIPIENTS, id="too-many-recipients"),
    case(450, "4.7.1 <jo@example.org>: Recipient address rejected: Greylisted, see "
         "https://postgrey.example", None, SOFT, C.POLICY_RELATED, Reason.GREYLISTED,
         id="greylisted"),
    case(None, "connect to mx.example.org[192.0.2.9]:25: Connection timed out", "4.4.1",
         SOFT, C.NO_ANSWER_FROM_HOST, Reason.CONNECTION_FAILED, id="connection-timed-out"),
    case(None, "delivery time expired", "4.4.7", SOFT, C.NO_ANSWER_FROM_HOST,
         Reason.CONNECTION_FAILED, id="expired"),
    case(None, "retry timeout exceeded", None, SOFT, C.NO_ANSWER_FROM_HOST,
         Reason.SMTP_UNCLASSIFIED, id="exim-retry-timeout"),
    case(451, "4.4.0 DNS resolution failed", None, SOFT, C.ROUTING_ISSUES,
         Reason.TEMPORARY_FAILURE, id="dns-failure"),
    case(554, "5.4.6 Hop count exceeded - possible mail loop", None, SOFT, C.ROUTING_ISSUES,
         Reason.DOMAIN_NOT_SERVED, id="mail-loop"),
    case(550, "5.4.14 Hop count exceeded", None, SOFT, C.ROUTING_ISSUES,
         Reason.SMTP_UNCLASSIFIED, id="hop-count"),
    case(451, "4.3.0 Local error in processing", None, SOFT, C.OTHER,
         Reason.TEMPORARY_FAILURE, id="local-error"),
    case(None, "", None, SOFT, C.OTHER, Reason.SMTP_UNCLASSIFIED, id="nothing-said"),
    case(None, "", "5.0.0", SOFT, C.OTHER, Reason.SMTP_UNCLASSIFIED, id="status-5.0.0-only"),
    # -- not failures
    case(250, "2.0.0 Ok: queued as 4QxT2k0mZbz9v3", None, NONE, None, Reason.ACCEPTED,
         id="delivered"),
    case(None, "", "2.0.0", NONE, None, Reason.ACCEPTED, id="status-2.0.0-only"),
]


@pytest.mark.parametrize(("code", "text", "enhanced", "expected"), TABLE)
def test_classification_table(
    code: int | None, text: str, enhanced: str | None, expected: tuple[object, ...],
) -> None:
    found = classify_bounce(code, text, enhanced)
    assert (found.kind, found.category, found.reason) == expected


def test_one_vocabulary_with_reply_classification() -> None:
    """The reason is exactly what classify_reply says for the same reply."""
    from emailcheck import classify_reply

    for code, text in [(550, "5.1.1 user unknown"), (452, "4.2.2 over quota"),
                       (554, "5.7.1 blocked using bl.example"), (450, "4.7.1 greylisted")]:
        assert classify_bounce(code, text).reason is classify_reply(code, text).reason


def test_the_code_is_read_from_the_diagnostic() -> None:
    found = classify_bounce(None, "host mx.example.org[192.0.2.5] said: 550 5.1.1 "
                            "<jo@example.org>: Recipient address rejected (in reply to RCPT TO)")
    assert (found.code, found.enhanced, found.kind) == (550, "5.1.1", HARD)


@pytest.mark.parametrize(("text", "code", "enhanced"), [
    ("host mx.example[192.0.2.5] said: 552 5.2.2 Mailbox full", 552, "5.2.2"),
    ("Remote Server returned '550 5.1.1 <a@b.example> unknown'", 550, "5.1.1"),
    ("#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", 550, "5.1.1"),
    ("550-5.1.1 The email account\n550 5.1.1 does not exist", 550, "5.1.1"),
    ("554: delivery error: dd This user doesn't have an account", 554, None),
    ("<<< 550 User unknown", 550, None),
    ("Sorry, no host named x.example. (#5.1.2)", None, "5.1.2"),
    ("connect to 192.0.2.250:25: Connection refused", None, None),  # no code in an address
    ("after 450 seconds the connection timed out", None, None),
])
def test_find_reply(text: str, code: int | None, enhanced: str | None) -> None:
    assert find_reply(text)[:2] == (code, enhanced)


def test_a_generic_status_gives_way_to_the_specific_code_in_the_text() -> None:
    found = classify_bounce(None, "550 5.1.1 <jo@example.org>... User unknown", "5.0.0")
    assert found.enhanced == "5.1.1"
    assert found.category is C.BAD_MAILBOX


def test_a_status_of_another_class_than_the_code_is_ignored() -> None:
    # RFC 3463 2: the class of the status must match the reply's.
    found = classify_bounce(452, "mailbox over quota", "5.1.1")
    assert (found.kind, found.category) == (SOFT, C.MAILBOX_FULL)


def test_to_dict_is_json_native() -> None:
    found = classify_bounce(550, "5.1.1 user unknown")
    assert isinstance(found, BounceClassification)
    assert found.hard
    assert found.to_dict() == {
        "kind": "hard", "category": "bad_mailbox", "reason": "mailbox_not_found",
        "code": 550, "enhanced": "5.1.1",
    }


def test_out_of_range_codes_are_ignored() -> None:
    found = classify_bounce(999, "user unknown")
    assert found.code is None
    assert found.kind is HARD


@settings(max_examples=300, deadline=None)
@given(code=st.one_of(st.none(), st.integers(-10, 1000)), text=st.text(max_size=300),
       enhanced=st.one_of(st.none(), st.text(max_size=12)))
def test_never_raises(code: int | None, text: str, enhanced: str | None) -> None:
    found = classify_bounce(code, text, enhanced)
    assert found.kind in BounceKind
    assert (found.category is None) == (found.kind is NONE)
