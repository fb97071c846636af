"""The SMTP probe: ask a domain's mail hosts whether they take one recipient, never DATA."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import secrets
import socket
import string
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, cast

from ._checkers import Stage
from ._reasons import Reason
from ._types import Finding, Outcome

if TYPE_CHECKING:
    import ssl

    from aiosmtplib.protocol import SMTPProtocol
    from aiosmtplib.response import SMTPResponse

    from ._address import Address
    from ._checkers import CheckContext
    from ._options import Options
    from ._replies import ReplyMeaning

__all__ = ["CatchAllCache", "ProviderRule", "SMTPChecker", "load_provider_rules"]

if TYPE_CHECKING:

    class _LeanProtocol(SMTPProtocol):
        """What ``_protocol_factory()`` builds (for the type checker)."""

        guard: _ReplyGuard

        async def exchange(self, command: bytes | None, timeout: float) -> SMTPResponse: ...


# A reply may span this many bytes and lines; a server sending more is hostile or broken.
# aiosmtplib bounds a reply too (32 KiB in 5.x), but older releases let an endless
# reply grow without limit, so the probe's own protocol guard enforces these.
MAX_REPLY_BYTES: Final = 64 * 1024
MAX_REPLY_LINES: Final = 100
MAX_TRANSCRIPT_ENTRIES: Final = 80
MAX_TRANSCRIPT_LINE: Final = 512
MAX_REPLY_LINES_SHOWN: Final = 20
MAX_ADDRESSES_PER_HOST: Final = 4
CATCH_ALL_CACHE_SIZE: Final = 10_000
# RFC 5321 4.5.3.1.3: a path is at most 256 octets, angle brackets included.
MAX_PATH_OCTETS: Final = 254

_RANDOM_ALPHABET: Final = string.ascii_lowercase + string.digits
_RANDOM_LENGTH: Final = 24  # 36**24 ≈ 2**124: nobody has this mailbox
_FALLBACK_HELO: Final = "localhost.localdomain"
_POLL_SECONDS: Final = 0.02
_PROVIDER_CACHE_SIZE: Final = 4096

# RCPT answers that settle "this mailbox cannot receive mail" when permanent (RFC 3463
# X.1.1 bad mailbox, X.1.3 bad syntax, X.1.2 bad system, X.2.1 disabled).
_DEFINITE: Final = frozenset({
    Reason.MAILBOX_NOT_FOUND.value, Reason.MAILBOX_NAME_INVALID.value,
    Reason.DOMAIN_NOT_SERVED.value, Reason.MAILBOX_DISABLED.value,
})
# Reasons that speak about a recipient: meaningless when they answer EHLO or MAIL FROM.
_ABOUT_A_RECIPIENT: Final = _DEFINITE | {
    Reason.MAILBOX_FULL.value, Reason.ACCEPTED.value, Reason.CATCH_ALL.value,
}
_RANDOM_REJECTED: Final = frozenset({
    Reason.MAILBOX_NOT_FOUND.value, Reason.MAILBOX_NAME_INVALID.value,
})
# When no host got as far as a transaction, the most telling failure is reported.
_FAILURE_RANK: Final = {
    Reason.SERVER_MISBEHAVED.value: 1, Reason.SMTP_TIMEOUT.value: 2,
    Reason.CONNECTION_FAILED.value: 3, Reason.UNSAFE_MX_ADDRESS.value: 4,
}

Behaviour = Literal["unverifiable", "accept_all"]
_BEHAVIOURS: Final = ("unverifiable", "accept_all")


class SMTPChecker:
    """Probes the mail hosts left by the mx check: EHLO, MAIL FROM, RCPT TO, never DATA.

    Args:
        providers: MX host-name suffix -> ``ProviderRule`` (default: the shipped
            ``data/smtp_providers.txt``), for providers whose answers mean nothing.
        catch_all_cache: where per-domain catch-all verdicts are kept (default: one
            per checker, so per Verifier).

    The finding's ``data`` holds the evidence: ``mx_host``, ``address`` (IP), ``port``,
    ``tls``, ``transcript`` (``(direction, line)`` pairs: C client, S server, - event),
    ``reply`` (``code``, ``enhanced``, ``text`` of the deciding RCPT answer),
    ``catch_all`` (True / False / None) and ``retry_after`` when the server gave one.
    """

    name = "smtp"
    stage = Stage.SMTP

    def __init__(
        self, *, providers: Mapping[str, ProviderRule] | None = None,
        catch_all_cache: CatchAllCache | None = None,
    ) -> None:
        self._providers = None if providers is None else {
            _normal_host(suffix): rule for suffix, rule in providers.items()
        }
        self.catch_all_cache = CatchAllCache() if catch_all_cache is None else catch_all_cache
        # Per mail host name: its provider rule (or None); per options: what is wrong
        # with their MAIL FROM or HELO name. Both asked for every address otherwise.
        self._provider_of: dict[str, tuple[str, ProviderRule] | None] = {}
        self._options_problem: tuple[Options, str | None] | None = None

    @property
    def providers(self) -> Mapping[str, ProviderRule]:
        """The rules in use, read-only (``provider_of`` remembers what they say)."""
        if self._providers is None:
            self._providers = dict(_shipped_provider_rules())
        return MappingProxyType(self._providers)

    def provider_of(self, host: str) -> tuple[str, ProviderRule] | None:
        """The (suffix, rule) whose suffix ends ``host``, remembered per host name."""
        cache = self._provider_of
        try:
            return cache[host]
        except KeyError:
            pass
        providers = self.providers
        match = _match_provider(host, providers) if providers else None
        if len(cache) >= _PROVIDER_CACHE_SIZE:
            cache.clear()
        cache[host] = match
        return match

    def options_problem(self, options: Options) -> str | None:
        """Why ``options``' MAIL FROM or HELO name cannot go on the wire, or None."""
        known = self._options_problem
        if known is not None and known[0] is options:
            return known[1]
        problem = None
        if options.mail_from:
            problem = _path_problem(options.mail_from, "MAIL FROM")
        if not problem and options.helo_name is not None:
            problem = _wire_problem(options.helo_name, "the HELO name")
        self._options_problem = (options, problem)
        return problem

    def __repr__(self) -> str:
        return f"<SMTPChecker catch_all_cache={len(self.catch_all_cache)} domains>"

    async def __call__(self, context: CheckContext, /) -> Finding:
        hosts = context.facts.get("mail_hosts")
        if hosts is None:
            return Finding(
                Outcome.ERROR, Reason.CHECKER_ERROR, "no mail hosts: the mx check did not run"
            )
        if not hosts:
            return Finding.skipped("no mail host to probe")
        try:
            return await _Probe(self, context, tuple(hosts)).run()
        except Exception as error:  # a bug here must not lose the other checks' verdict
            return Finding(
                Outcome.ERROR, Reason.CHECKER_ERROR,
                f"the smtp check failed: {type(error).__name__}: {error}",
            )


# -- provider rules ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProviderRule:
    """What to do with a provider's MX hosts: ``unverifiable`` (never probe) or
    ``accept_all`` (probe, but an accepted recipient proves nothing)."""

    behaviour: Behaviour
    note: str = ""


def load_provider_rules(text: str) -> dict[str, ProviderRule]:
    """Parse ``suffix<TAB>behaviour<TAB>note`` lines; ``#`` starts a comment.

    Raises ValueError on a malformed line.
    """
    rules: dict[str, ProviderRule] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [part.strip() for part in raw.split("\t")]
        if len(fields) not in (2, 3) or fields[1] not in _BEHAVIOURS:
            raise ValueError(
                f"line {number}: expected 'suffix<TAB>{'|'.join(_BEHAVIOURS)}<TAB>note', "
                f"got {raw!r}"
            )
        suffix = _normal_host(fields[0])
        if not _is_host_name(suffix, need_dot=True):
            raise ValueError(f"line {number}: {fields[0]!r} is not a host-name suffix")
        rules[suffix] = ProviderRule(
            cast(Behaviour, fields[1]), fields[2] if len(fields) == 3 else ""
        )
    return rules


_providers_lock = threading.Lock()
_shipped_rules: Mapping[str, ProviderRule] | None = None


def _shipped_provider_rules() -> Mapping[str, ProviderRule]:
    global _shipped_rules
    if _shipped_rules is None:
        with _providers_lock:
            if _shipped_rules is None:
                text = (
                    resources.files("emailcheck").joinpath("data").joinpath("smtp_providers.txt")
                    .read_text("utf-8")
                )
                _shipped_rules = MappingProxyType(load_provider_rules(text))
    return _shipped_rules


def _match_provider(
    name: str, rules: Mapping[str, ProviderRule]
) -> tuple[str, ProviderRule] | None:
    """The rule whose suffix ends ``name`` at a label boundary, longest first."""
    labels = _normal_host(name).split(".")
    for start in range(len(labels)):
        suffix = ".".join(labels[start:])
        rule = rules.get(suffix)
        if rule is not None:
            return suffix, rule
    return None


# -- catch-all verdicts --------------------------------------------------------------


class CatchAllCache:
    """Catch-all verdicts per domain: bounded, TTL-respecting, thread-safe, loop-free.

    A probe in flight is remembered too, so concurrent verifications at one domain
    wait for its verdict instead of probing again.
    """

    def __init__(self, maxsize: int = CATCH_ALL_CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        # key -> (verdict, or None while a probe is in flight; monotonic expiry)
        self._entries: OrderedDict[Hashable, tuple[bool | None, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> bool | None:
        """The live verdict for ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]

    def claim(self, key: Hashable, hold: float) -> bool | Literal["probe", "wait"]:
        """The cached verdict; else ``"probe"`` (the caller now owns the probe for
        ``hold`` seconds) or ``"wait"`` (another caller is probing)."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] > now:
                if entry[0] is None:
                    return "wait"
                self._entries.move_to_end(key)
                return entry[0]
            self._store(key, None, now + hold)
            return "probe"

    def settle(self, key: Hashable, verdict: bool | None, ttl: float) -> None:
        """Record a claimed probe's verdict; None (inconclusive) just frees the claim."""
        with self._lock:
            if verdict is None:
                entry = self._entries.get(key)
                if entry is not None and entry[0] is None:
                    del self._entries[key]
            else:
                self._store(key, verdict, time.monotonic() + ttl)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _store(self, key: Hashable, verdict: bool | None, expires: float) -> None:
        entries = self._entries
        entries[key] = (verdict, expires)
        entries.move_to_end(key)
        while len(entries) > self.maxsize:
            entries.popitem(last=False)


# -- one verification ----------------------------------------------------------------


class _Reply(NamedTuple):
    code: int
    text: str


class _Stop(Exception):
    """Ends a session: what happened, and whether another address may do better."""

    def __init__(
        self, outcome: Outcome, reason: str, detail: str, *, move_on: bool,
        reply: ReplyMeaning | None = None,
    ) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
        self.move_on = move_on
        self.reply = reply
        self.mx_host = ""
        self.address = ""
        self.tls = False


class _TLSFailed(Exception):
    """The STARTTLS handshake failed; the caller may reconnect without TLS."""


class _Probe:
    """The state of one verification: options, hosts tried, transcript, attempts."""

    def __init__(self, checker: SMTPChecker, context: CheckContext, hosts: tuple[Any, ...]):
        self.checker = checker
        self.options: Options = context.options
        self.address: Address = context.address
        self.hosts = hosts
        self.transcript = _Transcript()
        self.attempts: list[_Stop] = []
        self.helo = _FALLBACK_HELO  # settled in run(): the default name is looked up lazily
        address = self.address
        self.needs_smtputf8 = address.smtputf8 or not self.options.mail_from.isascii()
        # RFC 6531: an SMTPUTF8 session may carry the A-label domain as well.
        self.recipient = (
            f"{address.local_part}@{address.ascii_domain}" if address.smtputf8
            else str(address.ascii_email)
        )

    async def run(self) -> Finding:
        options = self.options
        problem = (_path_problem(self.recipient, "the recipient")
                   or self.checker.options_problem(options))
        if problem:
            # Checked here, whatever the syntax check said: this layer owns the wire.
            return Finding(Outcome.ERROR, Reason.PROTOCOL_ERROR, f"refused to send: {problem}")
        hosts = self.hosts[: options.max_mx_hosts]
        accept_all: tuple[str, ProviderRule] | None = None
        provider_of = self.checker.provider_of
        for host in hosts:
            match = provider_of(str(host.name))
            if match is None:
                continue
            suffix, rule = match
            if rule.behaviour == "unverifiable":
                note = f": {rule.note}" if rule.note else ""
                return self._finding(
                    Outcome.WARN, Reason.PROVIDER_UNVERIFIABLE,
                    f"{host.name} belongs to a provider whose answers prove nothing{note}; "
                    "not probed", mx_host=str(host.name), provider=suffix,
                )
            accept_all = accept_all or match
        self.helo = options.helo_name or await _default_helo_name(options.smtp_timeout)
        for host in hosts:
            name = str(host.name)
            for raw_ip in tuple(host.addresses)[:MAX_ADDRESSES_PER_HOST]:
                ip = str(raw_ip)
                if not options.allow_private_hosts and not _is_public_ip(ip):
                    self._attempt_failed(_Stop(
                        Outcome.WARN, Reason.UNSAFE_MX_ADDRESS,
                        f"{name} resolves to {ip}, which is not a public address; "
                        "refused to connect", move_on=True,
                    ), name, ip, False)
                    continue
                use_tls = options.starttls
                for _round in range(2):  # a second round only after a failed TLS handshake
                    try:
                        return await self._session(name, ip, use_tls, accept_all)
                    except _TLSFailed as failure:
                        self.transcript.add("-", f"STARTTLS failed ({failure}); retrying "
                                                 "without TLS")
                        use_tls = False
                    except _Stop as stop:
                        if not stop.move_on:
                            return self._stopped(stop, name, ip)
                        self._attempt_failed(stop, name, ip, stop.tls)
                        break
        return self._no_host_answered()

    async def _greet(self, session: _Session, name: str, use_tls: bool) -> None:
        """Connect, EHLO (HELO fallback) and, when offered and wanted, STARTTLS."""
        await session.open()
        await session.hello(self.helo)
        if (
            use_tls and "starttls" in session.extensions
            and await session.starttls(None if _is_ip(name) else name)
        ):
            # RFC 3207 4.2: forget what was learnt before TLS and ask again.
            await session.hello(self.helo)

    async def _session(
        self, name: str, ip: str, use_tls: bool, accept_all: tuple[str, ProviderRule] | None,
    ) -> Finding:
        pool = session_pool.get()
        if pool is not None:
            return await self._pooled_session(pool, name, ip, use_tls, accept_all)
        options = self.options
        session = _Session(name, ip, options.smtp_port, options.smtp_timeout, self.transcript)
        try:
            await self._greet(session, name, use_tls)
            session.before_transaction = False
            if self.needs_smtputf8 and "smtputf8" not in session.extensions:
                await session.goodbye(rset=False)
                return self._finding(
                    Outcome.WARN, Reason.SMTPUTF8_UNSUPPORTED,
                    f"{name} does not offer SMTPUTF8, which this address needs",
                    session=session,
                )
            utf8 = " SMTPUTF8" if self.needs_smtputf8 else ""
            reply = await session.command(f"MAIL FROM:<{options.mail_from}>{utf8}", "MAIL FROM")
            if reply.code != 250:
                raise session.refusal(reply, "MAIL FROM")
            reply = await session.command(f"RCPT TO:<{self.recipient}>", "RCPT TO")
            finding = await self._interpret(session, reply, accept_all)
            await session.goodbye(rset=True)
            return finding
        except _Stop as stop:
            stop.tls = session.tls
            raise
        finally:
            session.abort()

    async def _pooled_session(
        self, pool: SessionPool, name: str, ip: str, use_tls: bool,
        accept_all: tuple[str, ProviderRule] | None,
    ) -> Finding:
        """The probe on a session shared with other recipients at this host (bulk mode).

        The transaction stays open between recipients: each RCPT is answered on its own
        (RFC 5321 3.3), so MAIL FROM is sent once per session, not once per address.
        """
        options = self.options
        lease = await pool.acquire(ip, options.smtp_port)
        try:
            for _attempt in range(2):  # a reused session that fails gets one fresh retry
                session = lease.session
                reused = session is not None
                if session is None:
                    session = _Session(
                        name, ip, options.smtp_port, options.smtp_timeout, self.transcript)
                    lease.session = session
                    pool.sessions_opened += 1
                    try:
                        await self._greet(session, name, use_tls)
                    except (_Stop, _TLSFailed) as failure:
                        lease.retire()
                        if isinstance(failure, _Stop):
                            failure.tls = session.tls
                            if failure.reply is not None and (
                                    failure.reply.code == 421
                                    or failure.reason == Reason.RATE_LIMITED.value):
                                pool.back_off(ip, options.smtp_port)  # RFC 5321 3.8
                        raise
                    session.before_transaction = False
                else:
                    session.transcript = self.transcript
                    self.transcript.add("-", f"reusing the session to {name} [{ip}] "
                                             f"({session.recipients} recipients so far)")
                try:
                    if self.needs_smtputf8 and "smtputf8" not in session.extensions:
                        return self._finding(
                            Outcome.WARN, Reason.SMTPUTF8_UNSUPPORTED,
                            f"{name} does not offer SMTPUTF8, which this address needs",
                            session=session,
                        )
                    if session.mail_utf8 is not self.needs_smtputf8:
                        if session.mail_utf8 is not None:
                            await session.command("RSET", "RSET")
                        utf8 = " SMTPUTF8" if self.needs_smtputf8 else ""
                        reply = await session.command(
                            f"MAIL FROM:<{options.mail_from}>{utf8}", "MAIL FROM")
                        if reply.code != 250:
                            raise session.refusal(reply, "MAIL FROM")
                        session.mail_utf8 = self.needs_smtputf8
                    reply = await session.command(f"RCPT TO:<{self.recipient}>", "RCPT TO")
                    session.recipients += 1
                    if reused and reply.code == 452 and _too_many(reply):
                        # The server's per-session recipient limit, not an answer about
                        # this mailbox: ask again in a new session.
                        lease.retire()
                        continue
                    finding = await self._interpret(session, reply, accept_all)
                    if reply.code == 421 or finding.reason == Reason.RATE_LIMITED.value:
                        pool.back_off(ip, options.smtp_port)
                    else:
                        pool.recovered(ip, options.smtp_port)
                    return finding
                except _Stop as stop:
                    stop.tls = session.tls
                    lease.retire()
                    if reused:
                        continue  # most likely the server timed the idle session out
                    if stop.reason == Reason.RATE_LIMITED.value or (
                            stop.reply is not None and stop.reply.code == 421):
                        pool.back_off(ip, options.smtp_port)
                    raise
        finally:
            pool.release(lease)
        raise _Stop(Outcome.ERROR, Reason.CONNECTION_FAILED,
                    f"{name} [{ip}] dropped two sessions in a row", move_on=True)

    async def _interpret(
        self, session: _Session, reply: _Reply, accept_all: tuple[str, ProviderRule] | None,
    ) -> Finding:
        meaning = _meaning(reply.code, reply.text)
        name = session.host
        said = f"{name} answered {reply.code} {_first_line(reply.text)}".rstrip()
        code = reply.code
        if 200 <= code < 300:
            if accept_all is not None:
                suffix, rule = accept_all
                note = f" ({rule.note})" if rule.note else ""
                return self._finding(
                    Outcome.WARN, Reason.PROVIDER_UNVERIFIABLE,
                    f"{said}, but this provider accepts every recipient at probe time{note}",
                    session=session, reply=meaning, provider=suffix,
                )
            catch_all, cached = (None, False)
            if self.options.catch_all:
                catch_all, cached = await self._catch_all(session)
            if catch_all:
                how = "an earlier probe showed it" if cached else "a random address got in too"
                return self._finding(
                    Outcome.WARN, Reason.CATCH_ALL,
                    f"{name} accepts any recipient at {self.address.ascii_domain}: {how}",
                    session=session, reply=meaning, catch_all=True, catch_all_cached=cached,
                )
            return self._finding(
                Outcome.PASS, Reason.ACCEPTED, said, session=session, reply=meaning,
                catch_all=catch_all, catch_all_cached=cached,
            )
        if 400 <= code < 600:
            reason = str(meaning.reason)
            if code >= 500 and reason in _DEFINITE:
                outcome = Outcome.FAIL
            elif reason in _DEFINITE:
                # "450 4.1.1 user unknown" is a mailbox answer that the server itself
                # calls temporary: nothing is concluded yet, so unknown, never invalid.
                outcome = Outcome.ERROR
            else:
                # A 4xx is transient and a 5xx block says nothing about the mailbox.
                outcome = Outcome.WARN
                if reason in (Reason.ACCEPTED.value, Reason.CATCH_ALL.value):
                    reason = Reason.SMTP_UNCLASSIFIED.value
            return self._finding(outcome, reason, said, session=session, reply=meaning)
        return self._finding(
            Outcome.ERROR, Reason.SERVER_MISBEHAVED,
            f"{said}, which is no answer to RCPT TO", session=session, reply=meaning,
        )

    async def _catch_all(self, session: _Session) -> tuple[bool | None, bool]:
        """(verdict, from cache): does the domain accept an unguessable recipient too?"""
        options = self.options
        cache = self.checker.catch_all_cache
        # Per A-label domain (not registrable domain: subdomains may have other MX hosts)
        # and port (tests point one domain at several sandboxes).
        key = (self.address.ascii_domain, options.smtp_port)
        deadline = time.monotonic() + options.smtp_timeout
        while True:
            state = cache.claim(key, hold=options.smtp_timeout * 2)
            if state == "probe":
                break
            if state != "wait":
                return bool(state), True
            if time.monotonic() >= deadline:
                return None, False
            await asyncio.sleep(_POLL_SECONDS)
        verdict: bool | None = None
        try:
            # A second RCPT in the same transaction: normal SMTP, and MAIL FROM stays once.
            random_local = "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(_RANDOM_LENGTH))
            probe = f"{random_local}@{self.address.ascii_domain}"
            try:
                reply = await session.command(f"RCPT TO:<{probe}>", "RCPT TO")
            except _Stop as stop:
                self.transcript.add("-", f"catch-all probe inconclusive: {stop.detail}")
                session.broken = True
                return None, False
            if 200 <= reply.code < 300:
                verdict = True
            elif (reply.code >= 500
                  and str(_meaning(reply.code, reply.text).reason) in _RANDOM_REJECTED):
                verdict = False
            return verdict, False
        finally:
            cache.settle(key, verdict, options.catch_all_ttl)

    # -- findings ---------------------------------------------------------------------

    def _attempt_failed(self, stop: _Stop, name: str, ip: str, tls: bool) -> None:
        stop.mx_host, stop.address, stop.tls = name, ip, tls
        self.attempts.append(stop)

    def _stopped(self, stop: _Stop, name: str, ip: str) -> Finding:
        return self._finding(
            stop.outcome, stop.reason, stop.detail, mx_host=name, ip=ip, tls=stop.tls,
            reply=stop.reply,
        )

    def _no_host_answered(self) -> Finding:
        attempts = self.attempts
        if not attempts:
            return self._finding(
                Outcome.ERROR, Reason.CONNECTION_FAILED, "no mail host has an address to try"
            )
        best = min(attempts, key=lambda stop: _FAILURE_RANK.get(stop.reason, 0))
        detail = best.detail
        if len(attempts) > 1:
            detail = f"no mail host answered ({len(attempts)} attempts); {detail}"
        return self._finding(
            best.outcome, best.reason, detail, mx_host=best.mx_host, ip=best.address,
            tls=best.tls, reply=best.reply,
        )

    def _finding(
        self, outcome: Outcome, reason: str, detail: str, *, session: _Session | None = None,
        mx_host: str | None = None, ip: str | None = None, tls: bool = False,
        reply: ReplyMeaning | None = None, catch_all: bool | None = None, **extra: Any,
    ) -> Finding:
        if session is not None:
            mx_host, ip, tls = session.host, session.ip, session.tls
        data: dict[str, Any] = {
            "mx_host": mx_host,
            "address": ip,
            "port": self.options.smtp_port,
            "tls": tls,
            "transcript": self.transcript.export(),
            "reply": None if reply is None else MappingProxyType({
                "code": reply.code, "enhanced": reply.enhanced, "text": _clean(reply.text),
            }),
            "catch_all": catch_all,
        }
        if reply is not None and reply.retry_after is not None:
            data["retry_after"] = reply.retry_after
        if self.attempts:
            data["attempts"] = tuple(
                MappingProxyType({
                    "mx_host": stop.mx_host, "address": stop.address,
                    "reason": stop.reason, "detail": stop.detail,
                })
                for stop in self.attempts
            )
        if extra:
            data.update(extra)
        # A read-only view of a dict nobody else holds: Finding need not copy it.
        return Finding(outcome, reason, detail, MappingProxyType(data))


# -- the wire ------------------------------------------------------------------------


class _Transcript:
    """The conversation as (direction, line) pairs, bounded in entries and line length."""

    __slots__ = ("entries", "truncated")

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []
        self.truncated = False

    def add(self, direction: str, line: str) -> None:
        if len(self.entries) >= MAX_TRANSCRIPT_ENTRIES - 1:
            if not self.truncated:
                self.entries.append(("-", "(transcript truncated)"))
                self.truncated = True
            return
        line = _clean(line)
        if len(line) > MAX_TRANSCRIPT_LINE:
            line = line[: MAX_TRANSCRIPT_LINE - 1] + "…"
        self.entries.append((direction, line))

    def reply(self, reply: _Reply) -> None:
        text = reply.text
        if "\n" not in text:  # the common one-line reply
            self.add("S", f"{reply.code} {text}".rstrip())
            return
        lines = text.split("\n")
        shown = lines[:MAX_REPLY_LINES_SHOWN]
        for number, line in enumerate(shown):
            separator = "-" if number < len(lines) - 1 else " "
            self.add("S", f"{reply.code}{separator}{line}".rstrip())
        if len(lines) > len(shown):
            self.add("S", f"({len(lines) - len(shown)} more lines)")

    def export(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.entries)


class _ReplyGuard:
    """Counts what the server sent since our last command; trips past the limits."""

    __slots__ = ("lines", "overflowed", "received")

    def __init__(self) -> None:
        self.received = 0
        self.lines = 0
        self.overflowed = False

    def reset(self) -> None:
        self.received = 0
        self.lines = 0

    def admit(self, data: bytes) -> bool:
        if self.overflowed:
            return False
        self.received += len(data)
        self.lines += data.count(b"\n")
        if self.received > MAX_REPLY_BYTES or self.lines > MAX_REPLY_LINES:
            self.overflowed = True
            return False
        return True


_ProtocolFactory = Callable[[asyncio.AbstractEventLoop, _ReplyGuard], "_LeanProtocol"]
_guarded_protocol: _ProtocolFactory | None = None


# What the lean exchange relies on in aiosmtplib's protocol (5.1): without any of it,
# commands go through aiosmtplib's own execute_command / read_response.
_LEAN_ATTRIBUTES: Final = (
    "_response_waiter", "_response_pending", "_quit_sent", "_loop", "_command_lock",
    "_buffer")


def _protocol_factory() -> _ProtocolFactory:
    global _guarded_protocol
    if _guarded_protocol is None:
        from aiosmtplib.errors import SMTPReadTimeoutError, SMTPServerDisconnected
        from aiosmtplib.protocol import MAX_LINE_LENGTH, SMTPProtocol
        from aiosmtplib.response import SMTPResponse

        def time_out(waiter: asyncio.Future[Any]) -> None:
            if not waiter.done():
                waiter.set_exception(
                    SMTPReadTimeoutError("Timed out waiting for server response"))

        class GuardedProtocol(SMTPProtocol):
            """aiosmtplib's protocol behind a reply-size guard: past the limits the
            connection is aborted, which fails the pending read at once."""

            def __init__(self, loop: asyncio.AbstractEventLoop, guard: _ReplyGuard) -> None:
                super().__init__(loop=loop)
                self.guard = guard
                self.lean = all(hasattr(self, name) for name in _LEAN_ATTRIBUTES)
                self.busy = False

            async def exchange(self, command: bytes | None, timeout: float) -> Any:
                """Send ``command`` (None: read the greeting) and wait at most
                ``timeout`` seconds for the reply: ``execute_command`` without its lock,
                its injection regex (the caller's wire check is stricter) and its
                ``wait_for`` (a task-free timer instead). A session's commands never
                overlap (one lease holds it), which ``busy`` asserts."""
                if not self.lean:
                    if command is None:
                        return await self.read_response(timeout=timeout)
                    return await self.execute_command(command[:-2], timeout=timeout)
                if self.busy:
                    raise RuntimeError("two commands at once on one SMTP session")
                waiter = self._response_waiter
                if waiter is None:
                    raise SMTPServerDisconnected("Connection lost")
                if self._command_lock is None and command is not None:
                    raise SMTPServerDisconnected("Server not connected")
                self.busy = True
                self._response_pending = True
                loop = self._loop
                try:
                    if command is not None:
                        self.write(command)
                        if command == b"QUIT\r\n":
                            self._quit_sent = True
                    timer = loop.call_at(loop.time() + timeout, time_out, waiter)
                    try:
                        return await waiter
                    finally:
                        timer.cancel()
                finally:
                    self.busy = False
                    self._response_pending = False
                    self._response_waiter = (
                        None if self.transport is None else loop.create_future())

            def data_received(self, data: bytes) -> None:
                if not self.guard.admit(data):
                    transport = self.transport
                    if transport is not None and not transport.is_closing():
                        cast("asyncio.Transport", transport).abort()
                    return
                waiter = self._response_waiter
                if (
                    self.lean and waiter is not None and self._response_pending
                    and not waiter.done() and not self._buffer
                    and len(data) <= MAX_LINE_LENGTH and data[3:4] == b" "
                    and data.find(b"\n") == len(data) - 1 and data.endswith(b"\r\n")
                ):
                    # One whole one-line reply, nothing buffered: aiosmtplib's parse of
                    # it, without its buffer. Anything else goes the general way.
                    try:
                        code = int(data[:3])
                    except ValueError:
                        pass
                    else:
                        waiter.set_result(SMTPResponse(
                            code, data[4:].strip(b" \t\r\n").decode("utf-8", "surrogateescape")))
                        return
                super().data_received(data)

            def write(self, data: bytes) -> None:
                self.guard.reset()
                super().write(data)

        _guarded_protocol = cast("_ProtocolFactory", GuardedProtocol)
    return _guarded_protocol


class _Session:
    """One SMTP connection; every failure becomes a ``_Stop`` naming its reason."""

    def __init__(
        self, host: str, ip: str, port: int, timeout: float, transcript: _Transcript
    ) -> None:
        self.host = host
        self.ip = ip
        self.port = port
        self.timeout = timeout
        self.transcript = transcript
        self.guard = _ReplyGuard()
        self.protocol: _LeanProtocol | None = None
        self.extensions: dict[str, str] = {}
        self.tls = False
        self.before_transaction = True  # failures up to here send us to the next host
        self.broken = False
        self.mail_utf8: bool | None = None  # the open transaction's SMTPUTF8, if any
        self.recipients = 0
        self.idle_since = 0.0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        protocol = _protocol_factory()(loop, self.guard)
        self.protocol = protocol
        self.transcript.add("-", f"connect {self.host} [{self.ip}]:{self.port}")
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: protocol, self.ip, self.port), self.timeout
            )
        except asyncio.TimeoutError:
            raise self._stop(
                Outcome.ERROR, Reason.SMTP_TIMEOUT,
                f"{self.host} [{self.ip}] did not accept a connection within {self.timeout:g} s",
            ) from None
        except OSError as error:
            raise self._stop(
                Outcome.ERROR, Reason.CONNECTION_FAILED,
                f"could not connect to {self.host} [{self.ip}]:{self.port}: "
                f"{error.strerror or error}",
            ) from None
        greeting = await self._exchange(None, "the greeting")
        if greeting.code != 220:
            # RFC 5321 3.1: a 554 (or a 421) greeting means "not here"; try another host.
            raise self.refusal(greeting, None)

    async def hello(self, name: str) -> None:
        reply = await self.command(f"EHLO {name}", "EHLO")
        if reply.code == 250:
            self.extensions = _extensions(reply.text)
            return
        if reply.code == 421 or self.broken:
            raise self.refusal(reply, "EHLO")
        # RFC 5321 3.2: a server that does not know EHLO gets HELO.
        reply = await self.command(f"HELO {name}", "HELO")
        if reply.code != 250:
            raise self.refusal(reply, "HELO")
        self.extensions = {}

    async def starttls(self, server_name: str | None) -> bool:
        """Upgrade to TLS (unverified: a probe, not a delivery). False if refused."""
        import ssl

        from aiosmtplib.errors import (
            SMTPReadTimeoutError,
            SMTPResponseException,
            SMTPServerDisconnected,
            SMTPTimeoutError,
        )

        protocol = self.protocol
        assert protocol is not None
        self.transcript.add("C", "STARTTLS")
        try:
            response = await protocol.start_tls(
                _probe_tls_context(), server_hostname=server_name, timeout=self.timeout
            )
        except SMTPReadTimeoutError:
            raise self._stop(
                Outcome.ERROR, Reason.SMTP_TIMEOUT,
                f"{self.host} did not answer STARTTLS within {self.timeout:g} s",
            ) from None
        except SMTPResponseException as error:
            if not 200 <= error.code < 600:
                raise self._misbehaved(
                    f"sent a malformed reply to STARTTLS: {error.message}"
                ) from None
            reply = _Reply(error.code, error.message)
            self.transcript.reply(reply)
            if error.code == 421:
                raise self.refusal(reply, "STARTTLS") from None
            return False  # refused: carry on in plain text, as opportunistic TLS does
        except (SMTPTimeoutError, SMTPServerDisconnected, ssl.SSLError, OSError) as error:
            self.broken = True
            raise _TLSFailed(f"{type(error).__name__}: {error}") from None
        self.transcript.reply(_Reply(response.code, response.message))
        self.transcript.add("-", "TLS established")
        self.tls = True
        self.extensions = {}
        return True

    async def command(self, line: str, what: str) -> _Reply:
        problem = _wire_problem(line, what)
        if problem:  # the last line of defence: nothing unsafe reaches the socket
            raise self._stop(Outcome.ERROR, Reason.PROTOCOL_ERROR, f"refused to send: {problem}")
        return await self._exchange(line, what)

    async def goodbye(self, *, rset: bool) -> None:
        """RSET (the transaction was only a probe) and QUIT; failures change nothing now."""
        if self.broken or self.protocol is None or not self.protocol.is_connected:
            return
        try:
            if rset:
                await self.command("RSET", "RSET")
            await self.command("QUIT", "QUIT")
        except _Stop:
            pass

    def abort(self) -> None:
        """Drop the connection now (safe on every path, cancellation included)."""
        protocol = self.protocol
        transport = None if protocol is None else protocol.transport
        if transport is not None and not transport.is_closing():
            cast("asyncio.Transport", transport).abort()

    def refusal(self, reply: _Reply, what: str | None) -> _Stop:
        """The server said no to something other than RCPT TO (``what``; None for the
        greeting): never an answer about the mailbox."""
        meaning = _meaning(reply.code, reply.text)
        answered = "greeted us" if what is None else f"answered {what}"
        said = f"{self.host} {answered} with {reply.code} {_first_line(reply.text)}".rstrip()
        if not 400 <= reply.code < 600:
            return self._stop(Outcome.ERROR, Reason.SERVER_MISBEHAVED, said, reply=meaning)
        reason = str(meaning.reason)
        if reason in _ABOUT_A_RECIPIENT:
            reason = (
                Reason.TEMPORARY_FAILURE.value if reply.code < 500
                else Reason.POLICY_REJECTION.value
            )
        return self._stop(Outcome.WARN, reason, said, reply=meaning)

    async def _exchange(self, line: str | None, what: str) -> _Reply:
        """Send ``line`` (None: just read the greeting) and read the reply."""
        protocol = self.protocol
        if protocol is None or self.broken:
            raise self._stop(Outcome.ERROR, Reason.CONNECTION_FAILED,
                             f"the connection to {self.host} is gone")
        errors = _errors()
        try:
            if line is None:
                response = await protocol.exchange(None, self.timeout)
            else:
                self.transcript.add("C", line)
                response = await protocol.exchange(
                    line.encode("utf-8") + b"\r\n", self.timeout)
        except errors.caught as error:
            raise self._failed(error, line, what) from None
        reply = _Reply(response.code, response.message)
        self.transcript.reply(reply)
        if not 200 <= reply.code < 600:
            self.broken = True
            raise self._misbehaved(f"sent the reply code {reply.code} in {_its_reply(line, what)}")
        if reply.code == 421:
            # RFC 5321 3.8: 421 means the server is closing the channel.
            self.broken = True
        return reply

    def _failed(self, error: BaseException, line: str | None, what: str) -> _Stop:
        """The ``_Stop`` for an exchange that raised ``error`` (one of ``_errors()``)."""
        errors = _errors()
        its_reply = _its_reply(line, what)
        if isinstance(error, ValueError):  # aiosmtplib's own control-character refusal
            return self._stop(
                Outcome.ERROR, Reason.PROTOCOL_ERROR, f"refused to send {what}: {error}")
        self.broken = True
        if isinstance(error, errors.timeout):
            waited = "sent no greeting" if line is None else f"did not answer {what}"
            return self._stop(Outcome.ERROR, Reason.SMTP_TIMEOUT,
                              f"{self.host} {waited} within {self.timeout:g} s")
        if isinstance(error, errors.disconnected):
            if self.guard.overflowed:
                return self._misbehaved(
                    f"sent more than {MAX_REPLY_BYTES} bytes or {MAX_REPLY_LINES} lines "
                    f"in {its_reply}")
            if self.guard.received:
                return self._misbehaved(f"hung up in the middle of {its_reply}")
            return self._stop(Outcome.ERROR, Reason.CONNECTION_FAILED,
                              f"{self.host} closed the connection without {its_reply}")
        if isinstance(error, errors.response):  # unparsable or oversized (aiosmtplib's)
            return self._misbehaved(
                f"sent an invalid line in {its_reply}: {getattr(error, 'message', error)}")
        if isinstance(error, errors.smtp):
            return self._misbehaved(f"broke the conversation at {what}: {error}")
        assert isinstance(error, OSError)
        return self._stop(
            Outcome.ERROR, Reason.CONNECTION_FAILED,
            f"the connection to {self.host} failed at {what}: "
            f"{error.strerror or error}")

    def _misbehaved(self, what: str) -> _Stop:
        return self._stop(Outcome.ERROR, Reason.SERVER_MISBEHAVED, f"{self.host} {what}")

    def _stop(
        self, outcome: Outcome, reason: str, detail: str, reply: ReplyMeaning | None = None
    ) -> _Stop:
        stop = _Stop(
            outcome, reason, _one_line(detail), move_on=self.before_transaction, reply=reply
        )
        stop.tls = self.tls
        return stop


class _Errors:
    """aiosmtplib's exception classes, imported once (on the first exchange)."""

    def __init__(self) -> None:
        from aiosmtplib.errors import (
            SMTPException,
            SMTPResponseException,
            SMTPServerDisconnected,
            SMTPTimeoutError,
        )

        self.timeout = SMTPTimeoutError
        self.disconnected = SMTPServerDisconnected
        self.response = SMTPResponseException
        self.smtp = SMTPException
        # Checked in this order by _Session._failed, as the except clauses were.
        self.caught: tuple[type[BaseException], ...] = (SMTPException, OSError, ValueError)


_errors_loaded: _Errors | None = None


def _errors() -> _Errors:
    global _errors_loaded
    if _errors_loaded is None:
        _errors_loaded = _Errors()
    return _errors_loaded


def _its_reply(line: str | None, what: str) -> str:
    return "its greeting" if line is None else f"its reply to {what}"


def _too_many(reply: _Reply) -> bool:
    return _meaning(reply.code, reply.text).reason == Reason.TOO_MANY_RECIPIENTS


# A bulk run sees the same replies thousands of times ("250 2.1.5 OK", a provider's
# "550 5.1.1 ... does not exist"); classification is a pure function of (code, text), so
# short replies are classified once per process. Refusals that name the recipient differ
# per address: they only pass through this bounded map, which is cleared when full.
_MEANINGS: dict[tuple[int, str], ReplyMeaning] = {}
_MEANINGS_SIZE: Final = 1024
_MEANING_TEXT_LIMIT: Final = 512


def _meaning(code: int, text: str) -> ReplyMeaning:
    """``classify_reply(code, text)``, remembered for short replies."""
    key = (code, text)
    meaning = _MEANINGS.get(key)
    if meaning is None:
        from ._replies import classify_reply

        meaning = classify_reply(code, text)
        if len(text) <= _MEANING_TEXT_LIMIT:
            if len(_MEANINGS) >= _MEANINGS_SIZE:
                _MEANINGS.clear()  # a crude bound: entries are cheap to make again
            _MEANINGS[key] = meaning
    return meaning


# -- sessions shared by a batch ------------------------------------------------------

# Set by the bulk driver inside each verification task; None for a single verify().
session_pool: ContextVar[SessionPool | None] = ContextVar("emailcheck_session_pool",
                                                          default=None)
# Most servers take 100 recipients per transaction (RFC 5321 4.5.3.1.8 minimum).
MAX_RECIPIENTS_PER_SESSION: Final = 100
# RFC 5321 4.5.3.2.7: servers may drop a client idle for 5 minutes; stay well inside.
MAX_IDLE_SECONDS: Final = 30.0
# After a 421 or a rate-limit answer a host's next lease waits this long, doubling on
# each further one up to MAX_BACKOFF_SECONDS (read when a pool is made: tests shorten it).
BACKOFF_START_SECONDS = 1.0
MAX_BACKOFF_SECONDS: Final = 60.0


class _Host:
    """One mail host's limits in a batch: open sessions, pacing, back-off.

    Its slots are a counter and a queue of waiters (first come, first served), as an
    ``asyncio.Semaphore`` would be, without its per-acquire scan of the waiters."""

    __slots__ = ("backoff", "free", "idle", "next_start", "waiters")

    def __init__(self, limit: int) -> None:
        self.free = limit
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.idle: deque[_Session] = deque()
        self.next_start = 0.0
        self.backoff = 0.0

    async def take_slot(self) -> None:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.give_slot()  # granted, then cancelled: the slot goes to the next
            else:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(waiter)
            raise

    def give_slot(self) -> None:
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to the next waiter
                return
        self.free += 1


class _Lease:
    __slots__ = ("host", "retired", "session")

    def __init__(self, host: _Host, session: _Session | None) -> None:
        self.host = host
        self.session = session
        self.retired: list[_Session] = []

    def retire(self) -> None:
        """Drop the current session; the next attempt opens a new one."""
        if self.session is not None:
            self.retired.append(self.session)
            self.session = None


class SessionPool:
    """Open SMTP sessions of one batch, per mail host, under its politeness limits.

    At most ``per_host_concurrency`` sessions are open at a host (a session is only
    opened when no idle one is left, and each lease holds one of the host's slots);
    leases start at least ``per_host_interval`` seconds apart; a 421 or a rate-limit
    answer delays the host's next lease by ``backoff_start`` seconds (default
    ``BACKOFF_START_SECONDS``, 1 s), doubling on each further one up to a minute.
    Bound to the event loop that uses it: one pool per batch.
    """

    def __init__(self, per_host_concurrency: int, per_host_interval: float, *,
                 backoff_start: float | None = None) -> None:
        self.per_host_concurrency = per_host_concurrency
        self.per_host_interval = per_host_interval
        self.backoff_start = BACKOFF_START_SECONDS if backoff_start is None else backoff_start
        self._hosts: dict[tuple[str, int], _Host] = {}
        self.sessions_opened = 0

    def _host(self, ip: str, port: int) -> _Host:
        host = self._hosts.get((ip, port))
        if host is None:
            host = self._hosts[(ip, port)] = _Host(self.per_host_concurrency)
        return host

    def back_off(self, ip: str, port: int) -> None:
        host = self._host(ip, port)
        host.backoff = min(MAX_BACKOFF_SECONDS, max(self.backoff_start, host.backoff * 2))
        host.next_start = max(host.next_start, time.monotonic() + host.backoff)

    def recovered(self, ip: str, port: int) -> None:
        """The host answered normally: the next back-off starts small again."""
        host = self._hosts.get((ip, port))
        if host is not None:
            host.backoff = 0.0

    @asynccontextmanager
    async def lease(self, ip: str, port: int) -> AsyncIterator[_Lease]:
        """A slot at the host, with an idle session when one is left (else None)."""
        lease = await self.acquire(ip, port)
        try:
            yield lease
        finally:
            self.release(lease)

    async def acquire(self, ip: str, port: int) -> _Lease:
        """``lease()`` without the context manager (the bulk hot path): pair with
        ``release()`` in a ``finally``."""
        host = self._host(ip, port)
        await host.take_slot()
        try:
            now = time.monotonic()
            start = max(now, host.next_start)
            host.next_start = start + self.per_host_interval
            if start > now:
                await asyncio.sleep(start - now)
            return _Lease(host, self._take_idle(host))
        except BaseException:
            host.give_slot()
            raise

    def release(self, lease: _Lease) -> None:
        host = lease.host
        try:
            for old in lease.retired:
                old.abort()
            if lease.session is not None:
                self._give_back(host, lease.session)
        finally:
            host.give_slot()

    def _take_idle(self, host: _Host) -> _Session | None:
        now = time.monotonic()
        while host.idle:
            session = host.idle.pop()
            if (session.broken or session.protocol is None
                    or not session.protocol.is_connected
                    or now - session.idle_since > MAX_IDLE_SECONDS):
                session.abort()
                continue
            return session
        return None

    def _give_back(self, host: _Host, session: _Session) -> None:
        if (session.broken or session.protocol is None or not session.protocol.is_connected
                or session.recipients >= MAX_RECIPIENTS_PER_SESSION):
            session.abort()
            return
        session.idle_since = time.monotonic()
        host.idle.append(session)

    async def close(self) -> None:
        """RSET and QUIT every idle session (the transactions were only probes)."""
        sessions = [session for host in self._hosts.values() for session in host.idle]
        for host in self._hosts.values():
            host.idle.clear()

        async def finish(session: _Session) -> None:
            session.transcript = _Transcript()
            try:
                await session.goodbye(rset=session.mail_utf8 is not None)
            finally:
                session.abort()

        await asyncio.gather(*(finish(session) for session in sessions),
                             return_exceptions=True)


def _extensions(text: str) -> dict[str, str]:
    """RFC 5321 4.1.1.1: the EHLO reply's lines after the first name its extensions."""
    found: dict[str, str] = {}
    for line in text.split("\n")[1:]:
        keyword, _, params = line.strip().partition(" ")
        if keyword:
            found[keyword.lower()] = params
    return found


# -- safety and names ----------------------------------------------------------------


_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _wire_problem(text: str, what: str) -> str | None:
    """Why ``text`` must not go on the wire (CR, LF, NUL, any control), or None."""
    found = _CONTROL.search(text)
    if found is not None:
        return f"{what} holds the control character {found.group()!r}"
    return None


def _path_problem(path: str, what: str) -> str | None:
    """Why ``path`` cannot stand inside ``<…>`` in MAIL FROM or RCPT TO, or None."""
    problem = _wire_problem(path, what)
    if problem:
        return problem
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_OCTETS:
        return f"{what} is longer than {MAX_PATH_OCTETS} octets"
    local, at, domain = path.rpartition("@")
    if not at or not local or not domain:
        return f"{what} {path!r} is not an address"
    bare = domain if local.startswith('"') and local.endswith('"') else path
    if "<" in bare or ">" in bare or " " in bare:
        return f"{what} {path!r} holds a space or an angle bracket outside quotes"
    return None


_LABEL_CHARS: Final = frozenset(string.ascii_lowercase + string.digits + "-")


def _normal_host(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _is_host_name(name: str, *, need_dot: bool) -> bool:
    if not name or len(name) > 253 or (need_dot and "." not in name):
        return False
    return all(
        0 < len(label) <= 63 and set(label) <= _LABEL_CHARS
        and not label.startswith("-") and not label.endswith("-")
        for label in name.split(".")
    )


def _sanitise_helo(name: str) -> str:
    """This host's name if it is a usable fully qualified host name, else a fallback."""
    name = _normal_host(name)
    # RFC 5321 4.1.1.1: EHLO takes the fully qualified name of the client.
    if _is_host_name(name, need_dot=True) and not name.startswith("localhost."):
        return name
    return _FALLBACK_HELO


_helo_lock = threading.Lock()
_helo_started = False
_default_helo: str | None = None


async def _default_helo_name(timeout: float) -> str:
    """``socket.getfqdn()``, sanitised, looked up once per process off the event loop."""
    global _helo_started
    if _default_helo is not None:
        return _default_helo
    with _helo_lock:
        if not _helo_started:
            _helo_started = True
            threading.Thread(target=_resolve_helo, name="emailcheck-helo", daemon=True).start()
    # Bounded wait: a stalled resolver must not stall the probe; polled, so no event
    # loop or executor is tied to the lookup.
    deadline = time.monotonic() + min(timeout, 5.0)
    while _default_helo is None and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    return _default_helo or _FALLBACK_HELO


def _resolve_helo() -> None:
    global _default_helo
    try:
        name = _sanitise_helo(socket.getfqdn())
    except (OSError, UnicodeError):
        name = _FALLBACK_HELO
    _default_helo = name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_public_ip(text: str) -> bool:
    """Whether ``text`` is a globally routable unicast address (defence in depth)."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        return False
    try:
        from ._dns import is_public_address
    except ImportError:
        return True
    return bool(is_public_address(text))


_tls_lock = threading.Lock()
_tls_context: ssl.SSLContext | None = None


def _probe_tls_context() -> ssl.SSLContext:
    global _tls_context
    if _tls_context is None:
        with _tls_lock:
            if _tls_context is None:
                import ssl

                # Unverified on purpose: opportunistic TLS (RFC 7435) for a probe that
                # never sends a message; verifying would only lose answers.
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                _tls_context = context
    return _tls_context


def _clean(text: str) -> str:
    """Printable, JSON-safe text: undecodable bytes and controls become U+FFFD."""
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to replace
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char in "\n " else "\ufffd" for char in text
    )


def _one_line(text: str) -> str:
    """A detail for people: one printable line of bounded length."""
    line = " ".join(_clean(text).split())
    return line if len(line) <= 300 else line[:299] + "…"


def _first_line(text: str) -> str:
    line = _clean(text.split("\n", 1)[0])
    return line if len(line) <= 200 else line[:199] + "…"
