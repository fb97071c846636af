"""A loopback world of domains, DNS and mail hosts, described declaratively."""

from __future__ import annotations

import errno
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Literal

from .._options import Options
from .._verifier import Verifier
from ._dns_server import DNSServer, DomainSpec
from ._smtp_server import HostileSMTPServer, SMTPServer

DNSBehaviour = Literal[
    "mx", "implicit_mx", "null_mx", "nxdomain", "servfail", "timeout", "no_mail", "dead_mx",
    "unresolvable_mx",
]


@dataclass(frozen=True)
class MailDomain:
    """One domain of a ``Sandbox``: its DNS and how its mail host answers.

    DNS (``dns``):
        ``mx``: an MX record pointing at this domain's mail host (the default).
        ``implicit_mx``: no MX, an A record serves instead (RFC 5321 §5.1).
        ``null_mx``: ``MX 0 .`` (RFC 7505). ``nxdomain``: the domain does not exist.
        ``servfail`` / ``timeout``: the DNS server fails or never answers.
        ``no_mail``: the domain exists with neither MX nor address records.
        ``dead_mx``: the MX host's address has nothing listening.
        ``unresolvable_mx``: the MX names a host that does not exist.
    ``secondary``: put a dead primary MX (preference 10) before the working one (20).
    Mail host: ``mailboxes`` that exist, ``catch_all``, ``full`` and ``disabled``
    mailboxes, ``greylist``, ``policy_block``, ``max_recipients`` per session,
    ``smtputf8``, ``starttls``, ``reply_delay``, a custom ``greeting`` (e.g.
    ``"421 4.3.2 busy"``), or ``hostile`` (a ``HostileSMTPServer`` mode such as
    ``"silent"`` or ``"endless_multiline"``) instead of a well-behaved server.
    """

    mailboxes: Collection[str] = ()
    catch_all: bool = False
    full: Collection[str] = ()
    disabled: Collection[str] = ()
    greylist: bool = False
    greylist_retry: int = 60
    policy_block: bool = False
    max_recipients: int | None = None
    smtputf8: bool = True
    starttls: bool = False
    reply_delay: float = 0.0
    greeting: str | None = None
    hostile: str | None = None
    dns: DNSBehaviour = "mx"
    secondary: bool = False
    ttl: int = 300
    extra: Mapping[str, Any] = field(default_factory=dict)  # more SMTPServer arguments

    @property
    def needs_mail_host(self) -> bool:
        return self.dns in ("mx", "implicit_mx")


# Loopback addresses: the DNS server on .1, mail hosts from .2 up; .250 and above are
# left without listeners for dead hosts.
_DNS_HOST = "127.0.0.1"
_DEAD_HOST = "127.0.0.254"


class Sandbox:
    """Real DNS and SMTP servers on 127.0.0.x for the domains you describe.

    Use as a context manager (or ``start()`` / ``stop()``); ``verifier()`` gives a
    ``Verifier`` pointed at it, with private hosts and the ``.test`` names allowed::

        with Sandbox({"shop.test": MailDomain(mailboxes={"alice"})}) as sandbox:
            result = sandbox.verifier().verify("alice@shop.test")

    All mail hosts share one port on different loopback addresses, since a verifier
    has one ``smtp_port``.
    """

    def __init__(self, domains: Mapping[str, MailDomain], *, max_attempts: int = 8) -> None:
        if len(domains) > 200:
            raise ValueError("a sandbox holds at most 200 domains")
        self.domains = {name.lower().rstrip("."): spec for name, spec in domains.items()}
        self.max_attempts = max_attempts
        self.dns: DNSServer | None = None
        self.mail_hosts: dict[str, SMTPServer | HostileSMTPServer] = {}
        self.smtp_port = 0
        self._stack: ExitStack | None = None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> Sandbox:
        for attempt in range(self.max_attempts):
            stack = ExitStack()
            try:
                self._start_servers(stack)
            except OSError as error:
                stack.close()
                self.mail_hosts.clear()
                # Another process took our shared port on one of the addresses: retry.
                if error.errno != errno.EADDRINUSE or attempt == self.max_attempts - 1:
                    raise
                continue
            self._stack = stack
            return self
        raise RuntimeError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()
        self.mail_hosts.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests use ---------------------------------------------------------------

    def verifier(self, options: Options | None = None, **changes: Any) -> Verifier:
        """A Verifier wired to this sandbox; keyword arguments override its options."""
        if self.dns is None:
            raise RuntimeError("start the sandbox first")
        settings: dict[str, Any] = {
            "nameservers": (self.dns.host,),
            "dns_port": self.dns.port,
            "smtp_port": self.smtp_port,
            "allow_private_hosts": True,
            "allow_special_use": {"test"},
            "dns_timeout": 1.0,
            "smtp_timeout": 2.0,
            "timeout": 10.0,
            "helo_name": "probe.sandbox.test",
            "mail_from": "probe@sandbox.test",
        }
        settings.update(changes)
        checkers = settings.pop("checkers", None)
        return Verifier(options, checkers=checkers, **settings)

    def host(self, domain: str) -> SMTPServer | HostileSMTPServer:
        """The mail host serving ``domain`` (to read what reached it)."""
        return self.mail_hosts[domain.lower()]

    def sessions_for(self, domain: str) -> Iterator[Any]:
        yield from getattr(self.host(domain), "sessions", ())

    # -- building ---------------------------------------------------------------------

    def _start_servers(self, stack: ExitStack) -> None:
        zone: dict[str, DomainSpec] = {}
        port = 0
        for index, (name, spec) in enumerate(self.domains.items()):
            address = f"127.0.0.{index + 2}"
            if spec.needs_mail_host:
                server = self._mail_host(spec, address, port)
                stack.enter_context(server)
                port = server.port
                self.mail_hosts[name] = server
            zone.update(self._records(name, spec, address))
        self.smtp_port = port or 25
        dns = DNSServer(zone, host=_DNS_HOST, port=0)
        stack.enter_context(dns)
        self.dns = dns

    @staticmethod
    def _mail_host(spec: MailDomain, address: str, port: int) -> SMTPServer | HostileSMTPServer:
        if spec.hostile is not None:
            return HostileSMTPServer(spec.hostile, address, port, **dict(spec.extra))
        return SMTPServer(
            address, port, mailboxes=spec.mailboxes, catch_all=spec.catch_all,
            full=spec.full, disabled=spec.disabled, greylist=spec.greylist,
            greylist_retry=spec.greylist_retry, policy_block=spec.policy_block,
            max_recipients=spec.max_recipients, smtputf8=spec.smtputf8,
            starttls=spec.starttls, reply_delay=spec.reply_delay, greeting=spec.greeting,
            **dict(spec.extra),
        )

    @staticmethod
    def _records(name: str, spec: MailDomain, address: str) -> dict[str, DomainSpec]:
        ttl = spec.ttl
        mx1, mx2 = f"mx1.{name}", f"mx2.{name}"
        behaviour = spec.dns
        if behaviour == "nxdomain":
            return {}
        if behaviour in ("servfail", "timeout"):
            return {name: DomainSpec(behaviour=behaviour, ttl=ttl)}
        if behaviour == "null_mx":
            return {name: DomainSpec(mx=[(0, ".")], ttl=ttl)}
        if behaviour == "no_mail":
            return {name: DomainSpec(ttl=ttl)}
        if behaviour == "implicit_mx":
            return {name: DomainSpec(a=[address], ttl=ttl)}
        if behaviour == "dead_mx":
            return {name: DomainSpec(mx=[(10, mx1)], ttl=ttl),
                    mx1: DomainSpec(a=[_DEAD_HOST], ttl=ttl)}
        if behaviour == "unresolvable_mx":
            return {name: DomainSpec(mx=[(10, f"nowhere.{name}")], ttl=ttl)}
        if spec.secondary:
            return {
                name: DomainSpec(mx=[(10, mx1), (20, mx2)], ttl=ttl),
                mx1: DomainSpec(a=[_DEAD_HOST], ttl=ttl),
                mx2: DomainSpec(a=[address], ttl=ttl),
            }
        return {name: DomainSpec(mx=[(10, mx1)], ttl=ttl), mx1: DomainSpec(a=[address], ttl=ttl)}
