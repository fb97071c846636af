"""Syntax rules of RFC 5321/5322/6531/3696: each rejection has its own reason and message."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from ._reasons import Reason

MAX_ADDRESS_OCTETS = 254  # RFC 3696 erratum 1690: the path limit of RFC 5321 less "<>"
MAX_LOCAL_OCTETS = 64  # RFC 5321 §4.5.3.1.1
MAX_DOMAIN_OCTETS = 253  # RFC 1035 §2.3.4, without the root dot
MAX_LABEL_OCTETS = 63

# RFC 6761, 6762, 7686, 8375, 9476 and ICANN's .internal: names that never take public mail.
SPECIAL_USE_TLDS = frozenset(
    {"localhost", "invalid", "test", "example", "local", "onion", "arpa", "internal", "alt"}
)
# RFC 2606 second-level examples, reserved like the TLDs above.
SPECIAL_USE_DOMAINS = frozenset({"example.com", "example.net", "example.org", "home.arpa"})


class SyntaxRejection(ValueError):
    """Raised inside the parser; the verifier turns it into an invalid result."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class SyntaxRules:
    """How strict syntax is. Defaults follow what real mail systems accept."""

    allow_quoted_local: bool = True
    allow_domain_literal: bool = False
    allow_smtputf8: bool = True
    # True allows every special-use name; a collection allows those names (e.g. {"test"}).
    allow_special_use: bool | Collection[str] = False
    allow_single_label: bool = False
    special_use: frozenset[str] = field(default=SPECIAL_USE_TLDS | SPECIAL_USE_DOMAINS)

    def special_use_name(self, ascii_domain: str) -> str | None:
        """The reserved name ``ascii_domain`` falls under, unless the rules allow it."""
        if self.allow_special_use is True:
            return None
        allowed = () if self.allow_special_use is False else self.allow_special_use
        labels = ascii_domain.split(".")
        for size in (1, 2):
            if len(labels) >= size:
                suffix = ".".join(labels[-size:])
                if suffix in self.special_use and suffix not in allowed:
                    return suffix
        return None


# RFC 5322 atext; a dot-atom is atext runs joined by single dots.
_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
DOT_ATOM_ASCII = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_ASCII_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)

# Characters that make an address look like something it is not, or hide part of it.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u3164\ufeff\uffa0\u2800"
)
_AT_LOOKALIKES = frozenset("\uff20\ufe6b\u24d0\U000e0040")  # full-width, small, circled, tag @


def describe_char(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


_CONTROL_NAMES = {"\x00": "NUL", "\r": "CR", "\n": "LF", "\t": "TAB", "\x7f": "DEL"}


def check_characters(text: str) -> None:
    """Reject control, invisible, unassigned and look-alike characters anywhere."""
    for index, char in enumerate(text):
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0:
            name = _CONTROL_NAMES.get(char, f"U+{code:04X}")
            raise SyntaxRejection(
                Reason.CONTROL_CHARACTER,
                f"the address has a control character ({name}) at position {index}",
            )
        if code < 0x80:
            continue
        if 0xD800 <= code <= 0xDFFF:
            raise SyntaxRejection(
                Reason.INVALID_UNICODE,
                f"the address has a lone surrogate (U+{code:04X}) at position {index}",
            )
        if char in _AT_LOOKALIKES:
            raise SyntaxRejection(
                Reason.UNSAFE_UNICODE,
                f"the address has a look-alike of the @ sign ({describe_char(char)})",
            )
        category = unicodedata.category(char)
        if char in _INVISIBLE or category in ("Cf", "Zl", "Zp"):
            raise SyntaxRejection(
                Reason.UNSAFE_UNICODE,
                f"the address has an invisible character ({describe_char(char)}) "
                f"at position {index}",
            )
        if category in ("Cn", "Co", "Cs"):
            kind = "an unassigned" if category == "Cn" else "a private-use"
            raise SyntaxRejection(
                Reason.UNSAFE_UNICODE,
                f"the address has {kind} code point (U+{code:04X}) at position {index}",
            )


def check_dot_atom_local(local: str) -> None:
    """Explain why an unquoted local part is not a dot-atom; return if it is one."""
    if not local:
        raise SyntaxRejection(Reason.EMPTY_LOCAL_PART, "nothing stands before the @ sign")
    if local.startswith(".") or local.endswith("."):
        where = "starts" if local.startswith(".") else "ends"
        raise SyntaxRejection(
            Reason.LOCAL_PART_DOT_AT_EDGE, f"the local part {where} with a dot"
        )
    if ".." in local:
        raise SyntaxRejection(
            Reason.LOCAL_PART_CONSECUTIVE_DOTS, "the local part has two consecutive dots"
        )
    for char in local:
        if char.isascii():
            if char in _ATEXT_SET or char == ".":
                continue
            if char == "@":
                raise SyntaxRejection(
                    Reason.MULTIPLE_AT_SIGNS, "the address has more than one @ sign"
                )
            if char in " \t":
                raise SyntaxRejection(
                    Reason.CONTAINS_WHITESPACE, "the local part has a space in it"
                )
            if char in "()":
                raise SyntaxRejection(
                    Reason.COMMENT_NOT_ALLOWED,
                    "the local part has a parenthesised comment, which SMTP cannot carry",
                )
            if char == '"':
                raise SyntaxRejection(
                    Reason.OBSOLETE_SYNTAX,
                    "the local part mixes quoted and unquoted words (obsolete syntax)",
                )
            raise SyntaxRejection(
                Reason.LOCAL_PART_INVALID_CHARACTER,
                f"the local part has a character that is not allowed unquoted: {char!r}",
            )
        category = unicodedata.category(char)
        if category[0] in "ZC":
            if category[0] == "Z":
                raise SyntaxRejection(
                    Reason.CONTAINS_WHITESPACE,
                    f"the local part has a space character ({describe_char(char)})",
                )
            raise SyntaxRejection(
                Reason.LOCAL_PART_INVALID_CHARACTER,
                f"the local part has a character that is not allowed: {describe_char(char)}",
            )


_ATEXT_SET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-"
)


def parse_quoted_local(local: str) -> str:
    """Validate a quoted local part (RFC 5321 Quoted-string) and return its content."""
    if len(local) < 2 or not local.endswith('"'):
        if '"' in local[1:]:
            raise SyntaxRejection(
                Reason.OBSOLETE_SYNTAX,
                "the local part mixes quoted and unquoted words (obsolete syntax)",
            )
        raise SyntaxRejection(
            Reason.QUOTED_LOCAL_PART_MALFORMED, "the quoted local part is not closed"
        )
    content: list[str] = []
    body = local[1:-1]
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            if index + 1 >= len(body):
                raise SyntaxRejection(
                    Reason.QUOTED_LOCAL_PART_MALFORMED,
                    "the quoted local part ends with a lone backslash",
                )
            content.append(body[index + 1])
            index += 2
            continue
        if char == '"':
            raise SyntaxRejection(
                Reason.OBSOLETE_SYNTAX,
                "the local part has a quote in the middle (obsolete syntax)",
            )
        content.append(char)
        index += 1
    text = "".join(content)
    if not text:
        raise SyntaxRejection(Reason.EMPTY_LOCAL_PART, "the quoted local part is empty")
    return text


def quote_local(content: str) -> str:
    """The shortest RFC 5321 form of a local part: unquoted when it is a dot-atom."""
    try:
        check_dot_atom_local(content)
    except SyntaxRejection:
        escaped = content.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return content


def check_domain_literal(literal: str) -> str:
    """Validate ``[IPv4]`` or ``[IPv6:…]`` and return it in canonical form."""
    if not literal.endswith("]"):
        raise SyntaxRejection(
            Reason.DOMAIN_LITERAL_MALFORMED, "the domain literal is not closed with ]"
        )
    inner = literal[1:-1]
    try:
        if inner[:5].lower() == "ipv6:":
            return f"[IPv6:{ipaddress.IPv6Address(inner[5:]).compressed}]"
        return f"[{ipaddress.IPv4Address(inner)}]"
    except ValueError:
        raise SyntaxRejection(
            Reason.DOMAIN_LITERAL_MALFORMED,
            f"the domain literal {literal!r} is not an IPv4 or IPv6 address",
        ) from None


def explain_ascii_domain(domain: str) -> SyntaxRejection:
    """The precise reason an ASCII (A-label) domain is not a valid host name."""
    if len(domain) > MAX_DOMAIN_OCTETS:
        return SyntaxRejection(
            Reason.DOMAIN_TOO_LONG,
            f"the domain is {len(domain)} octets long; at most {MAX_DOMAIN_OCTETS} are allowed",
        )
    labels = domain.split(".")
    for position, label in enumerate(labels):
        if not label:
            if position == 0:
                message = "the domain starts with a dot"
            elif position == len(labels) - 1:
                message = "the domain ends with a dot"
            else:
                message = "the domain has two consecutive dots"
            return SyntaxRejection(Reason.DOMAIN_EMPTY_LABEL, message)
        if len(label) > MAX_LABEL_OCTETS:
            return SyntaxRejection(
                Reason.DOMAIN_LABEL_TOO_LONG,
                f"the domain label {label[:20]!r}… is {len(label)} octets long; "
                f"at most {MAX_LABEL_OCTETS} are allowed",
            )
        for char in label:
            if not (char.isascii() and (char.isalnum() or char == "-")):
                if char in " \t":
                    return SyntaxRejection(
                        Reason.CONTAINS_WHITESPACE, "the domain has a space in it"
                    )
                if char == "@":
                    return SyntaxRejection(
                        Reason.MULTIPLE_AT_SIGNS, "the address has more than one @ sign"
                    )
                return SyntaxRejection(
                    Reason.DOMAIN_INVALID_CHARACTER,
                    f"the domain has a character no host name can have: {char!r}",
                )
        if label.startswith("-") or label.endswith("-"):
            return SyntaxRejection(
                Reason.DOMAIN_LABEL_HYPHEN,
                f"the domain label {label!r} starts or ends with a hyphen",
            )
    return SyntaxRejection(Reason.DOMAIN_INVALID_CHARACTER, "the domain is not a host name")


def is_ascii_hostname(domain: str) -> bool:
    return len(domain) <= MAX_DOMAIN_OCTETS and _ASCII_DOMAIN.fullmatch(domain) is not None


def check_tld(ascii_domain: str) -> None:
    tld = ascii_domain.rsplit(".", 1)[-1]
    if tld.isdigit():
        raise SyntaxRejection(
            Reason.TLD_NUMERIC, f"the top-level domain {tld!r} is all digits"
        )
    if tld.startswith("xn--"):
        return
    if not tld.isalpha():
        raise SyntaxRejection(
            Reason.TLD_INVALID, f"the top-level domain {tld!r} is not a valid TLD"
        )
