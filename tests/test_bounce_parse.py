"""Bounce parsing: every sample format, per-recipient fields, and hostile input."""

from __future__ import annotations

import email
import email.policy
import io
import random
from pathlib import Path

import pytest

from emailcheck.bounces import (
    Action,
    BounceCategory,
    BounceKind,
    BounceReport,
    ReportKind,
    normalize_address,
    parse_bounce,
    parse_mbox,
)
from emailcheck.bounces._parse import MAX_DEPTH

SAMPLES = Path(__file__).resolve().parent / "samples" / "bounces"
HARD, SOFT = BounceKind.HARD, BounceKind.SOFT
C = BounceCategory
FAILED, DELAYED = Action.FAILED, Action.DELAYED


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parsed(name: str) -> BounceReport:
    return parse_bounce(sample(name))


# file -> (report kind, format, [(address, action, status, kind, category, remote MTA)])
EXPECTED: dict[str, tuple[ReportKind, str | None, list[tuple[object, ...]]]] = {
    "postfix_dsn_user_unknown.eml": (ReportKind.DSN, "rfc3464", [
        ("h.lindqvist@nordfjord.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mx1.nordfjord.example"),
    ]),
    "postfix_delayed_dsn.eml": (ReportKind.DSN, "rfc3464", [
        ("r.okafor@lagos-textiles.example", DELAYED, "4.4.1", SOFT, C.NO_ANSWER_FROM_HOST,
         None),
    ]),
    "multi_recipient_dsn.eml": (ReportKind.DSN, "rfc3464", [
        ("m.santos@ribeira.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mx.ribeira.example"),
        ("pieter.devries@polder-bouw.example", FAILED, "5.2.2", SOFT, C.MAILBOX_FULL,
         "mail.polder-bouw.example"),
        ("a.kowalczyk@wisla-logistyka.example", FAILED, "5.4.4", HARD, C.BAD_DOMAIN, None),
    ]),
    "dmarc_reject_dsn.eml": (ReportKind.DSN, "rfc3464", [
        ("n.haddad@beirut-media.example", FAILED, "5.7.26", SOFT, C.POLICY_RELATED,
         "mx.beirut-media.example"),
        ("s.baker@big-retail.example", FAILED, "5.3.4", SOFT, C.MESSAGE_TOO_LARGE,
         "mx.big-retail.example"),
        ("jobs@staffing.example", FAILED, "4.7.0", SOFT, C.RATE_LIMITED,
         "mx.staffing.example"),
    ]),
    "sendmail_dsn.eml": (ReportKind.DSN, "rfc3464", [
        ("prof.ivanova@research-institute.example", FAILED, "5.7.1", SOFT, C.SPAM_RELATED,
         "mx.research-institute.example"),
    ]),
    "exchange_o365_ndr.eml": (ReportKind.DSN, "rfc3464", [
        ("l.fernandez@fabrikam.example", FAILED, "5.1.10", HARD, C.BAD_MAILBOX,
         "mail.protection.fabrikam.example"),
    ]),
    "gmail_dsn.eml": (ReportKind.DSN, "rfc3464", [
        ("priya.raman@oldco.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "gmail-smtp-in.l.google.example"),
    ]),
    "exim_failed.eml": (ReportKind.NON_STANDARD, "exim", [
        ("t.nakamura@kissaten.example", FAILED, "5.2.1", HARD, C.INACTIVE_MAILBOX,
         "mx01.kissaten.example"),
        ("orders-archive@old-bakery.example", FAILED, None, HARD, C.BAD_MAILBOX, None),
    ]),
    "exim_delayed.eml": (ReportKind.NON_STANDARD, "exim", [
        ("j.muller@alpenhof.example", DELAYED, "4.2.2", SOFT, C.MAILBOX_FULL,
         "mail.alpenhof.example"),
    ]),
    "qmail.eml": (ReportKind.NON_STANDARD, "qmail", [
        ("c.dubois@fromagerie.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "198.51.100.66"),
        ("ventes@ancienne-societe.example", FAILED, "5.1.2", HARD, C.BAD_DOMAIN, None),
    ]),
    "yahoo.eml": (ReportKind.NON_STANDARD, "yahoo", [
        ("akosua.mensah@accra-design.example", FAILED, None, HARD, C.INACTIVE_MAILBOX, None),
    ]),
    "sendmail_legacy.eml": (ReportKind.NON_STANDARD, "sendmail", [
        ("d.whitfield@township.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mail.township.example"),
        ("records@township.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mail.township.example"),
    ]),
    "exchange_legacy_ndr.eml": (ReportKind.NON_STANDARD, "exchange", [
        ("jorgen.hansen@supplier.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mx.supplier.example"),
    ]),
    "plain_notice.eml": (ReportKind.NON_STANDARD, "plain", [
        ("bärbel.krause@smallisp.example", FAILED, None, SOFT, C.MAILBOX_FULL, None),
    ]),
    "x_failed_recipients.eml": (ReportKind.NON_STANDARD, "x-failed-recipients", [
        ("o.petrov@volga-trade.example", FAILED, None, SOFT, C.POLICY_RELATED, None),
    ]),
    "broken_mime.eml": (ReportKind.NON_STANDARD, "postfix", [
        ("e.novak@brno-pharma.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mx.brno-pharma.example"),
    ]),
    "unknown_charset.eml": (ReportKind.NON_STANDARD, "postfix", [
        ("l.schröder@hafen-kiosk.example", FAILED, "5.1.1", HARD, C.BAD_MAILBOX,
         "mx.hafen-kiosk.example"),
    ]),
    "vacation_auto_reply.eml": (ReportKind.AUTO_REPLY, None, []),
    "out_of_office_exchange.eml": (ReportKind.AUTO_REPLY, None, []),
    "arf_feedback.eml": (ReportKind.FEEDBACK_REPORT, "arf", []),
    "not_a_bounce.eml": (ReportKind.NOT_A_BOUNCE, None, []),
    # The report lies deeper than MAX_DEPTH levels: not read, and no crash.
    "deeply_nested.eml": (ReportKind.NON_STANDARD, "unknown", []),
}


def test_every_sample_has_an_expectation() -> None:
    assert sorted(path.name for path in SAMPLES.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_samples(name: str) -> None:
    kind, format_, recipients = EXPECTED[name]
    report = parsed(name)
    assert (report.kind, report.format, report.error) == (kind, format_, None)
    assert [
        (r.address, r.action, r.status, r.classification.kind, r.classification.category,
         r.remote_mta)
        for r in report.recipients
    ] == recipients
    assert report.is_bounce == (kind in (ReportKind.DSN, ReportKind.NON_STANDARD))
    assert report.truncated is False


def test_dsn_fields() -> None:
    report = parsed("postfix_dsn_user_unknown.eml")
    assert report.reporting_mta == "mail.shop.example"
    assert report.subject == "Undelivered Mail Returned to Sender"
    assert report.message_id == "<20250114084107.0A1B2C3D4E@mail.shop.example>"
    assert report.original_message_id == "<winter-sale-2025.8812@shop.example>"
    (recipient,) = report.recipients
    assert recipient.original_recipient == "h.lindqvist@nordfjord.example"
    assert recipient.diagnostic == (
        "550 5.1.1 <h.lindqvist@nordfjord.example>: Recipient address rejected: User unknown "
        "in virtual mailbox table")
    assert recipient.classification.code == 550


def test_multiline_replies_lose_their_repeated_codes() -> None:
    (recipient,) = parsed("gmail_dsn.eml").recipients
    assert recipient.diagnostic.startswith(
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address")
    assert "550-5.1.1 double" not in recipient.diagnostic


def test_free_text_formats_quote_the_original_message_id() -> None:
    assert parsed("exim_failed.eml").original_message_id == "<order-55120@bakery.example>"
    assert parsed("qmail.eml").original_message_id == "<ticket-8841-update@saas.example>"
    assert parsed("multi_recipient_dsn.eml").original_message_id == (
        "<spring-meetup-invite-0042@events.example>")


def test_feedback_report_type() -> None:
    report = parsed("arf_feedback.eml")
    assert report.feedback_type == "abuse"
    assert report.original_message_id == "<winter-sale-2025.9931@shop.example>"


def test_to_dict_is_json_native() -> None:
    import json

    data = parsed("multi_recipient_dsn.eml").to_dict()
    assert json.loads(json.dumps(data)) == data
    first = data["recipients"][0]
    assert (first["address"], first["action"], first["kind"], first["category"]) == (
        "m.santos@ribeira.example", "failed", "hard", "bad_mailbox")


# -- inputs -----------------------------------------------------------------------------------


def test_str_message_and_crlf_give_the_same_report() -> None:
    raw = sample("multi_recipient_dsn.eml")
    expected = parse_bounce(raw)
    assert parse_bounce(raw.decode()) == expected
    assert parse_bounce(raw.replace(b"\n", b"\r\n")) == expected
    for policy in (email.policy.compat32, email.policy.default):
        message = email.message_from_bytes(raw, policy=policy)
        assert parse_bounce(message).recipients == expected.recipients


def test_an_auto_reply_with_a_null_return_path_is_not_a_bounce() -> None:
    # RFC 3834 3.3 asks auto-responders for an empty return path, as bounces have.
    report = parsed("vacation_auto_reply.eml")
    assert report.kind is ReportKind.AUTO_REPLY
    assert report.recipients == ()


def test_delivered_recipients_are_no_failure() -> None:
    raw = (b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
           b"report-type=delivery-status; boundary=b\n\n--b\nContent-Type: "
           b"message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
           b"Final-Recipient: rfc822; jo@example.org\nAction: relayed\nStatus: 2.0.0\n"
           b"Diagnostic-Code: smtp; 250 2.0.0 Ok\n--b--\n")
    (recipient,) = parse_bounce(raw).recipients
    assert recipient.action is Action.RELAYED
    assert recipient.classification.kind is BounceKind.NOT_A_FAILURE
    assert recipient.classification.category is None


def test_recipients_without_blank_lines_between_them() -> None:
    raw = (b"From: MAILER-DAEMON@mx.example\nContent-Type: message/delivery-status\n\n"
           b"Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@example.org\n"
           b"Action: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; b@example.org\n"
           b"Action: failed\nStatus: 5.2.2\n")
    report = parse_bounce(raw)
    assert [(r.address, r.status) for r in report.recipients] == [
        ("a@example.org", "5.1.1"), ("b@example.org", "5.2.2")]


@pytest.mark.parametrize(("text", "expected"), [
    ("<Jane.Doe@Example.COM>", "jane.doe@example.com"),
    ("jo@EXAMPLE.org.", "jo@example.org"),
    ("mailto:jo@example.org", "jo@example.org"),
    ("Jane Doe <jane@example.org>", "jane@example.org"),
    ("jo@BÜCHER.example", "jo@xn--bcher-kva.example"),
    ("no address here", None),
    ("@example.org", None),
    ("jo@", None),
])
def test_normalize_address(text: str, expected: str | None) -> None:
    assert normalize_address(text) == expected


# -- hostile input: bounded, and never an exception --------------------------------------------


def test_a_20_mb_message_is_read_only_up_to_the_limit() -> None:
    raw = sample("postfix_dsn_user_unknown.eml") + b"X" * 20_000_000
    report = parse_bounce(raw)
    assert report.truncated is True
    assert report.kind is ReportKind.DSN  # the report comes first and is still read
    assert [r.address for r in report.recipients] == ["h.lindqvist@nordfjord.example"]
    assert parse_bounce(raw, max_bytes=500).truncated is True


def test_a_20_mb_header_line() -> None:
    report = parse_bounce(b"Subject: " + b"x" * 20_000_000 + b"\n\nbody\n")
    assert report.truncated is True
    assert report.kind is ReportKind.NOT_A_BOUNCE


def test_1000_levels_of_nested_multipart() -> None:
    parts = [b"From: MAILER-DAEMON@deep.example\nContent-Type: multipart/mixed; boundary=b0\n\n"]
    parts += [b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level, level + 1)
              for level in range(1000)]
    parts.append(b"--b1000\nContent-Type: message/delivery-status\n\n"
                 b"Final-Recipient: rfc822; deep@example.org\nAction: failed\n")
    report = parse_bounce(b"".join(parts))
    assert report.kind is ReportKind.NON_STANDARD  # from a mailer daemon, nothing readable
    assert report.recipients == ()
    assert MAX_DEPTH < 1000


def test_a_report_within_the_depth_limit_is_found() -> None:
    depth = MAX_DEPTH - 2
    parts = [b"Content-Type: multipart/mixed; boundary=b0\n\n"]
    parts += [b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level, level + 1)
              for level in range(depth)]
    parts.append(b"--b%d\nContent-Type: message/delivery-status\n\n"
                 b"Final-Recipient: rfc822; deep@example.org\nAction: failed\n" % depth)
    (recipient,) = parse_bounce(b"".join(parts)).recipients
    assert recipient.address == "deep@example.org"


def test_a_deeply_nested_message_object() -> None:
    message = email.message_from_bytes(sample("deeply_nested.eml") * 1)
    for _ in range(1200):  # deeper than the interpreter can serialise
        outer = email.message.Message()
        outer["Content-Type"] = "multipart/mixed"
        outer.attach(message)
        message = outer
    report = parse_bounce(message)
    assert report.kind is ReportKind.ERROR
    assert report.error


def test_broken_boundaries() -> None:
    # The declared boundary never occurs: the body is read as text.
    assert [r.address for r in parsed("broken_mime.eml").recipients] == [
        "e.novak@brno-pharma.example"]
    # Delimiters with no close, thousands of empty parts, a boundary inside a line.
    raw = (b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
           b"report-type=delivery-status; boundary=\"x\"\n\n" + b"--x\n\n" * 100_000
           + b"text --x not a delimiter\n")
    report = parse_bounce(raw)
    assert report.kind is ReportKind.DSN
    assert report.recipients == ()


def test_unknown_and_bogus_charsets() -> None:
    for charset in (b"x-unheard-of", b"base64", b"rot13", b"utf-7", b"\xff\xfe", b"a" * 500):
        raw = (b"From: MAILER-DAEMON@mx.example\nContent-Type: text/plain; charset=\""
               + charset + b"\"\n\n<jo@example.org>: host mx.example.org[192.0.2.1] said: "
               b"550 5.1.1 unknown user \xff\xfe\n")
        report = parse_bounce(raw)
        assert report.error is None
        assert [r.address for r in report.recipients] == ["jo@example.org"]
    # A charset that is real but wrong turns the text to noise: no recipient, no error.
    assert parse_bounce(raw.replace(b"a" * 500, b"utf-32")).kind is ReportKind.NON_STANDARD


def test_broken_transfer_encodings() -> None:
    raw = (b"From: MAILER-DAEMON@mx.example\nContent-Type: text/plain\n"
           b"Content-Transfer-Encoding: base64\n\n!!!not*base64 at all===\n=\n")
    assert parse_bounce(raw).kind is ReportKind.NON_STANDARD
    raw = raw.replace(b"base64", b"quoted-printable") + b"=ZZ=\n=4"
    assert parse_bounce(raw).kind is ReportKind.NON_STANDARD


def test_binary_garbage_and_empty_input() -> None:
    rng = random.Random(2025)
    garbage = bytes(rng.getrandbits(8) for _ in range(200_000))
    assert parse_bounce(garbage).kind is ReportKind.ERROR
    assert parse_bounce(b"").kind is ReportKind.ERROR
    assert parse_bounce(b"\n\n\n").kind is ReportKind.ERROR
    assert parse_bounce(42).kind is ReportKind.ERROR  # type: ignore[arg-type]


def test_many_addresses_and_fields_stay_bounded() -> None:
    raw = b"From: MAILER-DAEMON@mx.example\n\n" + b"jo%d@example.org said no\n" * 1
    many = b"From: MAILER-DAEMON@mx.example\n\n" + b"".join(
        b"x%d@example.org\n" % index for index in range(100_000))
    assert len(parse_bounce(raw).recipients) == 1
    report = parse_bounce(many)
    assert 0 < len(report.recipients) <= 1000
    fields = b"X-Field: value\n" * 1_000_000 + b"\nbody\n"
    assert parse_bounce(fields).kind is ReportKind.NOT_A_BOUNCE


def test_html_only_notice_with_unclosed_tags() -> None:
    raw = (b"From: postmaster@mx.example\nContent-Type: text/html\n\n<style>p{}</style>"
           + b"<" * 30_000 + b"\n<script>x<y</script><p>Your message to <b>jo@example.org</b> "
           b"couldn't "
           b"be delivered.</p><p>Remote Server returned '550 5.1.1 User unknown'</p>")
    report = parse_bounce(raw)
    assert [r.address for r in report.recipients] == ["jo@example.org"]


# -- mbox ---------------------------------------------------------------------------------------


def test_mbox_with_several_messages() -> None:
    reports = list(parse_mbox(SAMPLES / "bounces.mbox"))
    assert [report.kind for report in reports] == [
        ReportKind.DSN, ReportKind.NON_STANDARD, ReportKind.AUTO_REPLY, ReportKind.DSN]
    assert [r.address for r in reports[1].recipients] == [
        "c.dubois@fromagerie.example", "ventes@ancienne-societe.example"]


def test_mbox_from_a_stream_with_quoted_from_lines_and_an_oversized_message() -> None:
    big = sample("qmail.eml") + b">From the archive\n" + b"y" * 300_000 + b"\n"
    mbox = (b"From MAILER-DAEMON Mon Jan  1 00:00:00 2025\n" + sample("gmail_dsn.eml")
            + b"\nFrom MAILER-DAEMON Mon Jan  1 00:00:01 2025\n" + big
            + b"From MAILER-DAEMON Mon Jan  1 00:00:02 2025\n" + b"z" * 200_000)
    reports = list(parse_mbox(io.BytesIO(mbox), max_bytes=100_000))
    assert [report.truncated for report in reports] == [False, True, True]
    assert reports[0].recipients[0].address == "priya.raman@oldco.example"
    assert reports[1].format == "qmail"
    assert reports[2].kind is ReportKind.ERROR  # a line of z: no header


def test_mbox_without_from_lines_is_one_message() -> None:
    (report,) = parse_mbox(io.BytesIO(sample("qmail.eml")))
    assert report.format == "qmail"


def test_mbox_with_a_line_longer_than_the_read_size() -> None:
    line = b"From: MAILER-DAEMON@mx.example\nSubject: " + b"s" * 1_000_000 + b"\n\nhello\n"
    reports = list(parse_mbox(io.BytesIO(b"From x\n" + line + b"From y\n" + line)))
    assert len(reports) == 2
    assert all(report.kind is not ReportKind.ERROR for report in reports)
