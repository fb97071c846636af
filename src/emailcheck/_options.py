"""The one frozen configuration object of a Verifier."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field, fields

from ._errors import ConfigurationError
from ._syntax import SyntaxRules

_HOSTNAME = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"|\[[0-9A-Fa-f:.]+\]"
)


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a Verifier can be told. Defaults suit production use.

    Syntax:
        allow_quoted_local: accept RFC-valid quoted local parts (``"john doe"@…``).
        allow_domain_literal: accept ``user@[192.0.2.1]``.
        allow_smtputf8: accept non-ASCII local parts (RFC 6531).
        allow_special_use: True, or the reserved names to allow (e.g. ``{"test"}``).
        allow_single_label: accept dotless domains (``user@intranet``).
    Checks:
        timeout: overall deadline of one verification, in seconds.
    DNS:
        nameservers: resolver addresses (None: the system's resolv.conf).
        dns_port: port of those nameservers.
        dns_timeout: seconds for one DNS lookup, retries included.
        dns_cache_size: answers kept (TTL-respecting, shared by all calls).
    SMTP:
        smtp_port: port of the mail hosts (25 on the internet).
        smtp_timeout: seconds for one SMTP step (connect, each command's reply).
        helo_name: our name in EHLO/HELO (None: this host's fully qualified name).
        mail_from: reverse path for MAIL FROM ("" sends the null path ``<>``).
        starttls: upgrade with STARTTLS when offered (opportunistic, unverified).
        catch_all: probe a random recipient to detect accept-all domains.
        catch_all_ttl: seconds a domain's catch-all verdict is reused.
        max_mx_hosts: at most this many mail hosts are tried per address.
        allow_private_hosts: connect to loopback/private/link-local hosts (tests only).
    Bulk (``verify_many``):
        concurrency: verifications in flight at once.
        per_host_concurrency: SMTP sessions open at once per mail host (and addresses
            of one domain in flight at once).
        per_host_interval: least seconds between two probes starting at one mail host.
        greylist_retry_window: seconds after its first probe within which a greylisted
            address is probed again (0: never; past it the result stays unknown).
    """

    allow_quoted_local: bool = True
    allow_domain_literal: bool = False
    allow_smtputf8: bool = True
    allow_special_use: bool | Collection[str] = False
    allow_single_label: bool = False
    timeout: float = 30.0
    nameservers: tuple[str, ...] | None = None
    dns_port: int = 53
    dns_timeout: float = 5.0
    dns_cache_size: int = 10_000
    smtp_port: int = 25
    smtp_timeout: float = 10.0
    helo_name: str | None = None
    mail_from: str = ""
    starttls: bool = True
    catch_all: bool = True
    catch_all_ttl: float = 3600.0
    max_mx_hosts: int = 3
    allow_private_hosts: bool = False
    concurrency: int = 50
    per_host_concurrency: int = 2
    per_host_interval: float = 0.0
    greylist_retry_window: float = 0.0
    _rules: SyntaxRules = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.allow_special_use, bool):
            if isinstance(self.allow_special_use, str):
                raise ConfigurationError(
                    "allow_special_use takes True/False or a collection of names, not a str"
                )
            object.__setattr__(
                self,
                "allow_special_use",
                frozenset(name.strip(".").lower() for name in self.allow_special_use),
            )
        for name in ("timeout", "dns_timeout", "smtp_timeout", "catch_all_ttl"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value < math.inf):
                raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
        for name in ("dns_port", "smtp_port"):
            port = getattr(self, name)
            if not (isinstance(port, int) and 0 < port < 65536):
                raise ConfigurationError(f"{name} must be a port number, not {port!r}")
        for name in ("per_host_interval", "greylist_retry_window"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < math.inf):
                raise ConfigurationError(f"{name} must be a number >= 0, not {value!r}")
        for name in ("dns_cache_size", "max_mx_hosts", "concurrency", "per_host_concurrency"):
            count = getattr(self, name)
            if not (isinstance(count, int) and count > 0):
                raise ConfigurationError(f"{name} must be a positive integer, not {count!r}")
        if self.nameservers is not None:
            if isinstance(self.nameservers, str):
                object.__setattr__(self, "nameservers", (self.nameservers,))
            object.__setattr__(self, "nameservers", tuple(self.nameservers))
            for server in self.nameservers:
                try:
                    ipaddress.ip_address(server)
                except ValueError:
                    raise ConfigurationError(
                        f"nameservers takes IP addresses, not {server!r}"
                    ) from None
        for name in ("helo_name", "mail_from"):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, str) or not value.isprintable() or " " in value
                or len(value) > 254
            ):
                # These reach the wire verbatim: no CR/LF/controls, spaces or huge values.
                raise ConfigurationError(f"{name} is not usable on the wire: {value!r}")
        if self.helo_name is not None and not _HOSTNAME.fullmatch(self.helo_name):
            raise ConfigurationError(f"helo_name must be a host name, not {self.helo_name!r}")
        if self.mail_from and (self.mail_from.count("@") != 1 or "<" in self.mail_from
                               or ">" in self.mail_from):
            raise ConfigurationError(
                f"mail_from must be a plain address (or '' for <>), not {self.mail_from!r}"
            )
        object.__setattr__(
            self,
            "_rules",
            SyntaxRules(
                allow_quoted_local=self.allow_quoted_local,
                allow_domain_literal=self.allow_domain_literal,
                allow_smtputf8=self.allow_smtputf8,
                allow_special_use=self.allow_special_use,
                allow_single_label=self.allow_single_label,
            ),
        )

    @property
    def syntax_rules(self) -> SyntaxRules:
        return self._rules


OPTION_NAMES = frozenset(f.name for f in fields(Options) if f.init)
