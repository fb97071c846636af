"""Address parsing and normalisation: text in, a validated ``Address`` out."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from ._reasons import Reason
from ._syntax import (
    DOT_ATOM_ASCII,
    MAX_ADDRESS_OCTETS,
    MAX_LOCAL_OCTETS,
    SyntaxRejection,
    SyntaxRules,
    check_characters,
    check_domain_literal,
    check_dot_atom_local,
    check_tld,
    explain_ascii_domain,
    is_ascii_hostname,
    parse_quoted_local,
    quote_local,
)

if TYPE_CHECKING:
    from publicsuffix2 import PublicSuffixList


# An Address's fields in declaration order: local part, domain, ascii domain,
# registrable domain, smtputf8, domain literal.
AddressFields = tuple[str, str, str, "str | None", bool, bool]


@dataclass(frozen=True, slots=True)
class Address:
    """A syntactically valid, normalised address.

    ``domain`` is the Unicode form (NFC, lower case), ``ascii_domain`` its IDNA 2008
    A-label form; for a domain literal both hold the canonical ``[…]`` text.
    """

    local_part: str
    domain: str
    ascii_domain: str
    registrable_domain: str | None
    smtputf8: bool  # the local part is not ASCII: delivery needs SMTPUTF8
    domain_literal: bool = False

    @property
    def email(self) -> str:
        return f"{self.local_part}@{self.domain}"

    @property
    def ascii_email(self) -> str | None:
        """The all-ASCII form, or None when the local part itself is not ASCII."""
        return None if self.smtputf8 else f"{self.local_part}@{self.ascii_domain}"

    def __str__(self) -> str:
        return self.email

    def as_tuple(self) -> AddressFields:
        """The fields in declaration order (``Address(*address.as_tuple())`` is equal)."""
        return (self.local_part, self.domain, self.ascii_domain, self.registrable_domain,
                self.smtputf8, self.domain_literal)


def _fast_constructor(cls: type) -> Any:
    """A positional constructor for a frozen slotted dataclass that skips the generated
    ``__init__``, whose per-field ``object.__setattr__`` dominates bulk verification.
    No defaults, no validation: for trusted internal callers only."""
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
    body = "".join(f"    set_{name}(obj, {name})\n" for name in names)
    source = f"def construct({', '.join(names)}):\n    obj = new(cls)\n{body}    return obj\n"
    exec(source, namespace)  # the dataclasses module builds __init__ the same way
    return namespace["construct"]


_make_address = _fast_constructor(Address)
_is_dot_atom = DOT_ATOM_ASCII.fullmatch


@dataclass(frozen=True, slots=True)
class _Domain:
    unicode: str
    ascii: str
    registrable: str | None
    literal: bool


class AddressParser:
    """Parses addresses under one set of rules, caching per-domain work (bounded)."""

    def __init__(self, rules: SyntaxRules | None = None, *, cache_size: int = 65536) -> None:
        self.rules = rules or SyntaxRules()
        # A plain dict, emptied when full: a hit costs a third of an lru_cache hit, and
        # clear() is atomic, so threads sharing a parser need no lock.
        self._domains: dict[str, _Domain | tuple[Reason, str]] = {}
        self._cache_size = cache_size

    def parse(self, text: str) -> Address:
        """Return the normalised address or raise ``SyntaxRejection``."""
        address: Address = _make_address(*self.parse_fields(text))
        return address

    def parse_fields(self, text: str) -> AddressFields:
        """``parse()``, as the Address's fields in order (what the verifier keeps)."""
        if not isinstance(text, str):
            raise TypeError(f"an address must be a str, not {type(text).__name__}")
        if not text:
            raise SyntaxRejection(Reason.EMPTY, "the address is empty")
        # Chars never outnumber octets, so this bounds all later work on hostile input.
        if len(text) > MAX_ADDRESS_OCTETS:
            raise SyntaxRejection(
                Reason.TOO_LONG,
                f"the address is {len(text)} characters long; "
                f"at most {MAX_ADDRESS_OCTETS} octets are allowed",
            )
        ascii_text = text.isascii()
        if not ascii_text or not text.isprintable():
            check_characters(text)
            if not ascii_text:
                text = unicodedata.normalize("NFC", text)
        local, at, domain_text = text.rpartition("@")
        if not at:
            raise SyntaxRejection(Reason.MISSING_AT_SIGN, "the address has no @ sign")
        if ascii_text and _is_dot_atom(local):  # the common case, in one regex
            smtputf8 = False
            local_octets = len(local)
        else:
            local = self._local(local)
            smtputf8 = not local.isascii()
            local_octets = len(local.encode("utf-8")) if smtputf8 else len(local)
        domain = self._domains.get(domain_text)
        if domain is None:
            domain = self._parse_domain(domain_text)
            if len(self._domains) >= self._cache_size:
                self._domains.clear()
            self._domains[domain_text] = domain
        if isinstance(domain, tuple):
            raise SyntaxRejection(*domain)
        if local_octets > MAX_LOCAL_OCTETS:
            raise SyntaxRejection(
                Reason.LOCAL_PART_TOO_LONG,
                f"the local part is {local_octets} octets long; "
                f"at most {MAX_LOCAL_OCTETS} are allowed",
            )
        total = local_octets + 1 + len(domain.ascii)
        if total > MAX_ADDRESS_OCTETS:
            raise SyntaxRejection(
                Reason.TOO_LONG,
                f"the address is {total} octets long; at most {MAX_ADDRESS_OCTETS} are allowed",
            )
        return local, domain.unicode, domain.ascii, domain.registrable, smtputf8, domain.literal

    def _local(self, local: str) -> str:
        if local.startswith('"'):
            if not self.rules.allow_quoted_local:
                raise SyntaxRejection(
                    Reason.QUOTED_LOCAL_PART_NOT_ALLOWED,
                    "quoted local parts are not allowed (strict syntax)",
                )
            local = quote_local(parse_quoted_local(local))
        else:
            check_dot_atom_local(local)
        if not local.isascii() and not self.rules.allow_smtputf8:
            raise SyntaxRejection(
                Reason.SMTPUTF8_NOT_ALLOWED,
                "the local part has non-ASCII characters and SMTPUTF8 addresses are not allowed",
            )
        return local

    def _parse_domain(self, text: str) -> _Domain | tuple[Reason, str]:
        # A rejection is cached as plain (reason, message): lru_cache keeps answers, not
        # exceptions, and a cached exception would pin the traceback of its first raise.
        try:
            return self._domain_uncached(text)
        except SyntaxRejection as rejection:
            return rejection.reason, rejection.message

    def _domain_uncached(self, text: str) -> _Domain:
        if not text:
            raise SyntaxRejection(Reason.EMPTY_DOMAIN, "nothing stands after the @ sign")
        if text.startswith("["):
            if not self.rules.allow_domain_literal:
                raise SyntaxRejection(
                    Reason.DOMAIN_LITERAL_NOT_ALLOWED,
                    "the domain is an IP address literal, which is not allowed",
                )
            literal = check_domain_literal(text)
            return _Domain(literal, literal, None, True)
        if text.isascii():
            lowered = text.lower()
            if not is_ascii_hostname(lowered):
                raise explain_ascii_domain(lowered)
            ascii_domain = lowered
            unicode_domain = _to_unicode(lowered) if "xn--" in lowered else lowered
        else:
            ascii_domain = _to_ascii(text)
            if not is_ascii_hostname(ascii_domain):
                raise explain_ascii_domain(ascii_domain)
            unicode_domain = _to_unicode(ascii_domain)
        if "." not in ascii_domain:
            special = self.rules.special_use_name(ascii_domain)
            if special is not None:
                raise _special_use(special)
            if not self.rules.allow_single_label:
                raise SyntaxRejection(
                    Reason.DOMAIN_SINGLE_LABEL,
                    f"the domain {unicode_domain!r} has no dot; it is not an internet domain",
                )
            return _Domain(unicode_domain, ascii_domain, None, False)
        check_tld(ascii_domain)
        special = self.rules.special_use_name(ascii_domain)
        if special is not None:
            raise _special_use(special)
        _suffix, registrable = split_public_suffix(ascii_domain)
        if registrable is None:
            raise SyntaxRejection(
                Reason.PUBLIC_SUFFIX_DOMAIN,
                f"{unicode_domain!r} is a public suffix; mailboxes live under a domain in it",
            )
        return _Domain(unicode_domain, ascii_domain, registrable, False)


def _special_use(name: str) -> SyntaxRejection:
    return SyntaxRejection(
        Reason.SPECIAL_USE_DOMAIN,
        f"{name!r} is a special-use name reserved from public mail",
    )


def _to_ascii(domain: str) -> str:
    import idna

    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as error:
        raise SyntaxRejection(
            Reason.DOMAIN_IDNA_ERROR,
            f"the domain {domain!r} is not a valid internationalised domain: {error}",
        ) from None
    except UnicodeError:
        raise SyntaxRejection(
            Reason.DOMAIN_IDNA_ERROR, f"the domain {domain!r} cannot be IDNA-encoded"
        ) from None


def _to_unicode(ascii_domain: str) -> str:
    import idna

    try:
        unicode_domain: str = idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError) as error:
        raise SyntaxRejection(
            Reason.DOMAIN_IDNA_ERROR,
            f"the domain {ascii_domain!r} has an invalid A-label: {error}",
        ) from None
    # Validate again after mapping: the Unicode form must itself be safe (no invisible
    # or unassigned characters smuggled in through punycode).
    check_characters(unicode_domain)
    return unicodedata.normalize("NFC", unicode_domain)


_psl_lock = threading.Lock()
_psl: PublicSuffixList | None = None


def _public_suffixes() -> PublicSuffixList:
    global _psl
    if _psl is None:
        with _psl_lock:
            if _psl is None:
                from importlib import resources

                from publicsuffix2 import PublicSuffixList

                # Only the ICANN section: private suffixes (blogspot.com, dyndns hosts…)
                # are registrable domains for mail, and disposable services live under
                # several of them.
                text = (
                    resources.files("publicsuffix2")
                    .joinpath("public_suffix_list.dat")
                    .read_text("utf-8")
                )
                _psl = PublicSuffixList(text.split("===END ICANN DOMAINS===", 1)[0].splitlines())
    return _psl


def split_public_suffix(ascii_domain: str) -> tuple[str, str | None]:
    """(public suffix, registrable domain) of an A-label domain, ICANN section.

    The registrable domain is None when the domain is itself a public suffix. A TLD
    missing from the list counts as a one-label suffix (the list's default rule).
    """
    suffixes = _public_suffixes()
    suffix: Any = suffixes.get_tld(ascii_domain, strict=True)
    if suffix is None:
        suffix = ascii_domain.rsplit(".", 1)[-1]
    if suffix == ascii_domain:
        return ascii_domain, None
    head = ascii_domain[: -len(suffix) - 1]
    return str(suffix), f"{head.rsplit('.', 1)[-1]}.{suffix}"
