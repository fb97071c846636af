"""Every syntax rule, table-driven: what is accepted, how it is normalised, why it is not."""

from __future__ import annotations

import pytest

from emailcheck import InvalidAddress, Options, Reason, Status, Verifier

SYNTAX_ONLY = Verifier(checkers=[])


def reject_reason(address: str, verifier: Verifier = SYNTAX_ONLY) -> str:
    result = verifier.verify(address, dns=False)
    assert result.status is Status.INVALID, result
    assert result.checks[0].name == "syntax"
    return result.reason


VALID = [
    # (input, normalised email, ascii form)
    ("john@example.co.uk", "john@example.co.uk", "john@example.co.uk"),
    ("John.Smith@Company.COM", "John.Smith@company.com", "John.Smith@company.com"),
    ("a@b.io", "a@b.io", "a@b.io"),
    ("user+tag@gmail.com", "user+tag@gmail.com", "user+tag@gmail.com"),
    ("o'brien@company.ie", "o'brien@company.ie", "o'brien@company.ie"),
    ("x!#$%&'*+/=?^_`{|}~-@site.org", "x!#$%&'*+/=?^_`{|}~-@site.org",
     "x!#$%&'*+/=?^_`{|}~-@site.org"),
    ("first.middle.last@sub.domain.example.net.au", None, None),
    ('"john doe"@company.com', '"john doe"@company.com', '"john doe"@company.com'),
    ('"john"@company.com', "john@company.com", "john@company.com"),  # needless quotes dropped
    ('"a\\"b"@company.com', '"a\\"b"@company.com', '"a\\"b"@company.com'),
    ('"john@home"@company.com', '"john@home"@company.com', '"john@home"@company.com'),
    ('"john..doe"@company.com', '"john..doe"@company.com', '"john..doe"@company.com'),
    ("user@bücher.de", "user@bücher.de", "user@xn--bcher-kva.de"),
    ("user@BÜCHER.de", "user@bücher.de", "user@xn--bcher-kva.de"),
    ("user@xn--bcher-kva.de", "user@bücher.de", "user@xn--bcher-kva.de"),
    ("user@ｃｏｍｐａｎｙ．com", "user@company.com", "user@company.com"),  # UTS 46 mapping
    ("用户@例子.广告", "用户@例子.广告", None),  # SMTPUTF8: no ASCII form
    ("josé@empresa.es", "josé@empresa.es", None),
    ("jose\u0301@empresa.es", "josé@empresa.es", None),  # NFC composes the accent
    ("user@a-b.c-d.com", "user@a-b.c-d.com", "user@a-b.c-d.com"),
    ("user@123.com", "user@123.com", "user@123.com"),
    ("user@xn--p1ai.xn--p1ai", "user@рф.рф", "user@xn--p1ai.xn--p1ai"),
    ("user@foo.blogspot.com", "user@foo.blogspot.com", "user@foo.blogspot.com"),
    ("a" * 64 + "@example.org.uk", None, None),
]


@pytest.mark.parametrize(("text", "email", "ascii_email"), VALID)
def test_accepts_and_normalises(text: str, email: str | None, ascii_email: str | None) -> None:
    result = SYNTAX_ONLY.verify(text, dns=False)
    assert result.status is Status.UNKNOWN
    assert result.reason == Reason.MAILBOX_NOT_CHECKED
    if email is not None:
        assert result.email == email
        assert result.ascii_email == ascii_email
        assert result.smtputf8 is (ascii_email is None)


INVALID = [
    ("", Reason.EMPTY),
    ("john.company.com", Reason.MISSING_AT_SIGN),
    ("@company.com", Reason.EMPTY_LOCAL_PART),
    ("john@", Reason.EMPTY_DOMAIN),
    (".john@company.com", Reason.LOCAL_PART_DOT_AT_EDGE),
    ("john.@company.com", Reason.LOCAL_PART_DOT_AT_EDGE),
    ("john..doe@company.com", Reason.LOCAL_PART_CONSECUTIVE_DOTS),
    ("john@doe@company.com", Reason.MULTIPLE_AT_SIGNS),
    ("john doe@company.com", Reason.CONTAINS_WHITESPACE),
    (" john@company.com", Reason.CONTAINS_WHITESPACE),
    ("john@company.com ", Reason.CONTAINS_WHITESPACE),
    ("john\u00a0doe@company.com", Reason.CONTAINS_WHITESPACE),
    ("john(comment)@company.com", Reason.COMMENT_NOT_ALLOWED),
    ("john,doe@company.com", Reason.LOCAL_PART_INVALID_CHARACTER),
    ("john<doe@company.com", Reason.LOCAL_PART_INVALID_CHARACTER),
    ("john[doe]@company.com", Reason.LOCAL_PART_INVALID_CHARACTER),
    ('john."doe"@company.com', Reason.OBSOLETE_SYNTAX),
    ('"john".doe@company.com', Reason.OBSOLETE_SYNTAX),
    ('"john@company.com', Reason.QUOTED_LOCAL_PART_MALFORMED),
    ('"john\\"@company.com', Reason.QUOTED_LOCAL_PART_MALFORMED),
    ('""@company.com', Reason.EMPTY_LOCAL_PART),
    ("a" * 65 + "@company.com", Reason.LOCAL_PART_TOO_LONG),
    ("é" * 33 + "@company.com", Reason.LOCAL_PART_TOO_LONG),  # 66 octets in UTF-8
    ("é" * 32 + "@" + ("b" * 62 + ".") * 3 + "com", Reason.TOO_LONG),  # 225 chars, 257 octets
    ("x" * 300, Reason.TOO_LONG),
    ("john@example..com", Reason.DOMAIN_EMPTY_LABEL),
    ("john@.company.com", Reason.DOMAIN_EMPTY_LABEL),
    ("john@company.com.", Reason.DOMAIN_EMPTY_LABEL),
    ("john@-company.com", Reason.DOMAIN_LABEL_HYPHEN),
    ("john@example-.com", Reason.DOMAIN_LABEL_HYPHEN),
    ("john@" + "a" * 64 + ".com", Reason.DOMAIN_LABEL_TOO_LONG),
    ("john@exa_mple.com", Reason.DOMAIN_INVALID_CHARACTER),
    ("john@exa mple.com", Reason.CONTAINS_WHITESPACE),
    ("john@☃.net", Reason.DOMAIN_IDNA_ERROR),
    ("john@xn--abc.com", Reason.DOMAIN_IDNA_ERROR),  # punycode that decodes to junk
    ("john@intranet", Reason.DOMAIN_SINGLE_LABEL),
    ("john@example.123", Reason.TLD_NUMERIC),
    ("john@192.168.0.1", Reason.TLD_NUMERIC),
    ("john@example.c-m", Reason.TLD_INVALID),
    ("john@example.c0m", Reason.TLD_INVALID),
    ("john@localhost", Reason.SPECIAL_USE_DOMAIN),
    ("john@mail.localhost", Reason.SPECIAL_USE_DOMAIN),
    ("john@server.invalid", Reason.SPECIAL_USE_DOMAIN),
    ("john@example.com", Reason.SPECIAL_USE_DOMAIN),
    ("john@mail.example.org", Reason.SPECIAL_USE_DOMAIN),
    ("john@shop.test", Reason.SPECIAL_USE_DOMAIN),
    ("john@printer.local", Reason.SPECIAL_USE_DOMAIN),
    ("john@abc.onion", Reason.SPECIAL_USE_DOMAIN),
    ("john@1.in-addr.arpa", Reason.SPECIAL_USE_DOMAIN),
    ("john@corp.internal", Reason.SPECIAL_USE_DOMAIN),
    ("john@x.alt", Reason.SPECIAL_USE_DOMAIN),
    ("john@co.uk", Reason.PUBLIC_SUFFIX_DOMAIN),
    ("john@com.au", Reason.PUBLIC_SUFFIX_DOMAIN),
    ("john@kawasaki.jp", Reason.PUBLIC_SUFFIX_DOMAIN),
    ("john@[192.0.2.1]", Reason.DOMAIN_LITERAL_NOT_ALLOWED),
    ("john\x00@company.com", Reason.CONTROL_CHARACTER),
    ("john\r\n@company.com", Reason.CONTROL_CHARACTER),
    ("john@company.com\r\nRCPT TO:<x@evil.com>", Reason.CONTROL_CHARACTER),
    ("john\t@company.com", Reason.CONTROL_CHARACTER),
    ("john\x7f@company.com", Reason.CONTROL_CHARACTER),
    ("john\x85@company.com", Reason.CONTROL_CHARACTER),
    ("\ud800john@company.com", Reason.INVALID_UNICODE),
    ("john\u200b@company.com", Reason.UNSAFE_UNICODE),  # zero-width space
    ("john@exam\u200dple.com", Reason.UNSAFE_UNICODE),  # zero-width joiner
    ("john\u202e@company.com", Reason.UNSAFE_UNICODE),  # right-to-left override
    ("john\u2066@company.com", Reason.UNSAFE_UNICODE),  # bidi isolate
    ("john\ufeff@company.com", Reason.UNSAFE_UNICODE),  # byte-order mark
    ("john\u3164@company.com", Reason.UNSAFE_UNICODE),  # Hangul filler
    ("john\uff20company.com", Reason.UNSAFE_UNICODE),  # full-width at sign
    ("john\ufe6bcompany.com", Reason.UNSAFE_UNICODE),  # small at sign
    ("john\U000e0040company.com", Reason.UNSAFE_UNICODE),  # tag at sign
    ("john\U0010fffd@company.com", Reason.UNSAFE_UNICODE),  # private use
    ("john\u0378@company.com", Reason.UNSAFE_UNICODE),  # unassigned
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_rejects_with_precise_reason(text: str, reason: Reason) -> None:
    assert reject_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("john..doe@company.com", "two consecutive dots"),
        ("john.@company.com", "ends with a dot"),
        ("john@example..com", "two consecutive dots"),
        ("john\r\n@company.com", "(CR)"),
        ("john\x00@company.com", "(NUL)"),
        ("john\u200b@company.com", "ZERO WIDTH SPACE"),
        ("a" * 65 + "@company.com", "65 octets"),
        ("john,doe@company.com", "','"),
    ],
)
def test_messages_say_precisely_what_is_wrong(text: str, fragment: str) -> None:
    assert fragment in SYNTAX_ONLY.verify(text, dns=False).message


def test_strict_mode_rejects_quoted_local_parts() -> None:
    strict = Verifier(checkers=[], allow_quoted_local=False)
    assert reject_reason('"john doe"@company.com', strict) == Reason.QUOTED_LOCAL_PART_NOT_ALLOWED
    assert strict.verify("john@company.com", dns=False).status is Status.UNKNOWN


def test_domain_literals_behind_an_option() -> None:
    literal = Verifier(checkers=[], allow_domain_literal=True)
    result = literal.verify("john@[192.0.2.1]", dns=False)
    assert result.status is Status.UNKNOWN
    assert result.email == "john@[192.0.2.1]"
    assert result.registrable_domain is None
    ipv6 = literal.verify("john@[IPv6:2001:DB8:0:0::1]", dns=False)
    assert ipv6.email == "john@[IPv6:2001:db8::1]"
    assert reject_reason("john@[300.1.2.3]", literal) == Reason.DOMAIN_LITERAL_MALFORMED
    assert reject_reason("john@[IPv6:zz::1]", literal) == Reason.DOMAIN_LITERAL_MALFORMED
    assert reject_reason("john@[192.0.2.1", literal) == Reason.DOMAIN_LITERAL_MALFORMED


def test_special_use_names_can_be_allowed_by_name_or_wholesale() -> None:
    for_tests = Verifier(checkers=[], allow_special_use={"test"})
    assert for_tests.verify("john@shop.test", dns=False).status is Status.UNKNOWN
    assert reject_reason("john@localhost", for_tests) == Reason.SPECIAL_USE_DOMAIN
    anything = Verifier(checkers=[], allow_special_use=True, allow_single_label=True)
    assert anything.verify("john@localhost", dns=False).status is Status.UNKNOWN
    assert anything.verify("john@example.com", dns=False).status is Status.UNKNOWN


def test_smtputf8_can_be_refused() -> None:
    ascii_only = Verifier(checkers=[], allow_smtputf8=False)
    assert reject_reason("josé@empresa.es", ascii_only) == Reason.SMTPUTF8_NOT_ALLOWED
    # An internationalised *domain* still works without SMTPUTF8: it has an ASCII form.
    assert ascii_only.verify("jose@bücher.de", dns=False).ascii_email == "jose@xn--bcher-kva.de"


def test_single_label_domains_behind_an_option() -> None:
    assert reject_reason("john@intranet") == Reason.DOMAIN_SINGLE_LABEL
    lenient = Verifier(checkers=[], allow_single_label=True)
    assert lenient.verify("john@intranet", dns=False).domain == "intranet"


@pytest.mark.parametrize(
    ("text", "registrable"),
    [
        ("a@mail.example.co.uk", "example.co.uk"),
        ("a@x.y.company.com", "company.com"),
        ("a@foo.blogspot.com", "blogspot.com"),  # private suffixes are not suffixes here
        ("a@shop.city.kawasaki.jp", "city.kawasaki.jp"),  # an exception rule of the list
        ("a@bücher.de", "xn--bcher-kva.de"),
        ("a@brand.newgtldnotinlist", "brand.newgtldnotinlist"),
    ],
)
def test_registrable_domain(text: str, registrable: str) -> None:
    assert SYNTAX_ONLY.verify(text, dns=False).registrable_domain == registrable


def test_parse_address_raises_typed_error_with_reason() -> None:
    verifier = Verifier(checkers=[])
    address = verifier.parse("John@Bücher.DE")
    assert (address.local_part, address.domain, address.ascii_domain) == (
        "John", "bücher.de", "xn--bcher-kva.de")
    with pytest.raises(InvalidAddress) as caught:
        verifier.parse("john..doe@example.co")
    assert caught.value.reason == "local_part_consecutive_dots"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("bad", [None, 42, b"john@example.com", ["john@example.com"]])
def test_non_str_input_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        SYNTAX_ONLY.verify(bad, dns=False)  # type: ignore[arg-type]


def test_hostile_input_is_answered_quickly_and_boundedly() -> None:
    huge = "a" * 100_000 + "@" + "b" * 100_000 + ".com"
    assert reject_reason(huge) == Reason.TOO_LONG
    assert reject_reason("@" * 100_000) == Reason.TOO_LONG
    assert reject_reason("\x00" * 100) == Reason.CONTROL_CHARACTER
    assert reject_reason('"' + "\\" * 250 + '"@x.com') == Reason.TOO_LONG


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="timeout"):
        Options(timeout=0)
    with pytest.raises(ValueError, match="allow_special_use"):
        Options(allow_special_use="test")
