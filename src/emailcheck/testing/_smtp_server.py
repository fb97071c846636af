"""Loopback SMTP servers for tests: a declarative aiosmtpd server and a hostile one."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AnyStr, Final

from ._background import START_TIMEOUT, BackgroundServer

if TYPE_CHECKING:
    import ssl


__all__ = ["HostileSMTPServer", "SMTPServer", "SMTPSession"]

_GREETING: Final = re.compile(r"[2-5][0-9][0-9](?: [^\r\n]*)?")
_MAX_HOSTILE_BYTES: Final = 16 * 1024 * 1024
_MAX_COMMANDS: Final = 1000


@dataclass(frozen=True, slots=True)
class SMTPSession:
    """One client connection as the server saw it: every line the client sent."""

    peer: str  # the client's IP address
    commands: tuple[str, ...]
    tls: bool  # a STARTTLS handshake completed

    def verbs(self) -> tuple[str, ...]:
        """The command words in order (``EHLO``, ``MAIL``, ``RCPT`` …)."""
        return tuple(line.split(" ", 1)[0].upper() for line in self.commands)


class _SessionLog:
    __slots__ = ("commands", "lock", "peer", "tls")

    def __init__(self, peer: str, lock: threading.Lock) -> None:
        self.peer = peer
        self.lock = lock
        self.commands: list[str] = []
        self.tls = False

    def add(self, line: bytes) -> None:
        text = line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
        with self.lock:
            self.commands.append(text)

    def snapshot(self) -> SMTPSession:
        return SMTPSession(self.peer, tuple(self.commands), self.tls)


class _LoopbackServer(BackgroundServer):
    """A server on a loopback address, run by its own event loop in a daemon thread."""

    def __init__(self, host: str, port: int) -> None:
        self._bind_to(host, port)
        self._lock = threading.Lock()
        self._logs: list[_SessionLog] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transports: set[asyncio.BaseTransport] = set()  # touched on the loop only

    # -- records ----------------------------------------------------------------------

    @property
    def sessions(self) -> tuple[SMTPSession, ...]:
        """Every connection so far, oldest first."""
        with self._lock:
            return tuple(log.snapshot() for log in self._logs)

    @property
    def commands(self) -> tuple[str, ...]:
        """Every line every client sent, in order."""
        with self._lock:
            return tuple(line for log in self._logs for line in log.commands)

    def reset(self) -> None:
        """Forget the recorded sessions."""
        with self._lock:
            self._logs.clear()

    def _new_log(self, peer: Any) -> _SessionLog:
        address = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
        log = _SessionLog(address, self._lock)
        with self._lock:
            self._logs.append(log)
        return log

    # -- life cycle -------------------------------------------------------------------

    def stop(self) -> None:
        """Close every connection and the listening socket, then end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
        self._thread = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            try:
                server = loop.run_until_complete(self._serve(loop))
            except BaseException as error:
                failure.append(error)
                ready.set()
                return
            self.port = server.sockets[0].getsockname()[1]
            self._loop = loop
            ready.set()
            loop.run_forever()
            server.close()
            loop.run_until_complete(self._shutdown())
            loop.run_until_complete(server.wait_closed())
        finally:
            self._loop = None
            loop.close()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> asyncio.Server:
        raise NotImplementedError

    async def _shutdown(self) -> None:
        for transport in list(self._transports):
            if not transport.is_closing():
                transport.abort()  # type: ignore[attr-defined]
        await asyncio.sleep(0)
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class SMTPServer(_LoopbackServer):
    """A well-behaved mail host on loopback whose answers are set declaratively.

    Args:
        host: a loopback address to listen on.
        port: 0 for any free port (see ``.port`` after ``start()``).
        mailboxes: mailboxes that exist: local parts (any domain) or full addresses.
        catch_all: accept every recipient.
        full: mailboxes over quota: ``452 4.2.2`` (``552 5.2.2`` with ``full_permanent``).
        disabled: mailboxes that are disabled: ``550 5.2.1``.
        greylist: defer the first attempt of each (client, sender, recipient) with
            ``450 4.7.1 … try again in {greylist_retry} seconds``.
        policy_block: refuse every recipient with ``550 5.7.1``.
        max_recipients: refuse recipients past this many per session (``452 4.5.3``).
        smtputf8: advertise SMTPUTF8 (when False, ``MAIL … SMTPUTF8`` is refused).
        starttls: advertise STARTTLS, with a certificate from a throwaway ``trustme`` CA.
        reply_delay: seconds to wait before every reply.
        greeting: e.g. ``"421 4.3.2 busy"`` (sent, then the connection is closed) or a
            custom ``"220 name text"``.
        ehlo: understand EHLO (when False, EHLO gets ``502`` and clients must use HELO).
        hostname: the name the server gives itself.

    Local parts and domains match case-insensitively. ``sessions`` and ``commands``
    record every line clients sent, so tests can assert what reached the wire.
    """

    def __init__(
        self, host: str = "127.0.0.2", port: int = 0, *, mailboxes: Iterable[str] = (),
        catch_all: bool = False, full: Iterable[str] = (), full_permanent: bool = False,
        disabled: Iterable[str] = (), greylist: bool = False, greylist_retry: int = 60,
        policy_block: bool = False, max_recipients: int | None = None,
        smtputf8: bool = True, starttls: bool = False, reply_delay: float = 0.0,
        greeting: str | None = None, ehlo: bool = True, hostname: str = "mx.sandbox.test",
    ) -> None:
        super().__init__(host, port)
        if isinstance(mailboxes, str) or isinstance(full, str) or isinstance(disabled, str):
            raise TypeError("mailboxes, full and disabled take collections of names, not a str")
        if greeting is not None and not _GREETING.fullmatch(greeting):
            raise ValueError(f"greeting must look like '421 text', not {greeting!r}")
        if reply_delay < 0 or greylist_retry < 0 or (max_recipients or 0) < 0:
            raise ValueError("reply_delay, greylist_retry and max_recipients cannot be negative")
        self.mailboxes = frozenset(_mailbox_key(name) for name in mailboxes)
        self.full = frozenset(_mailbox_key(name) for name in full)
        self.disabled = frozenset(_mailbox_key(name) for name in disabled)
        self.catch_all = catch_all
        self.full_permanent = full_permanent
        self.greylist = greylist
        self.greylist_retry = greylist_retry
        self.policy_block = policy_block
        self.max_recipients = max_recipients
        self.smtputf8 = smtputf8
        self.starttls = starttls
        self.reply_delay = reply_delay
        self.greeting = greeting
        self.ehlo = ehlo
        self.hostname = hostname
        self.ca_cert_pem: bytes | None = None  # the throwaway CA, when starttls is on
        self._greylisted: set[tuple[str, str, str]] = set()
        self._tls_context: ssl.SSLContext | None = None

    def _rcpt_reply(self, smtp: Any, sender: str, address: str) -> str:
        smtp.rcpt_count += 1
        if self.max_recipients is not None and smtp.rcpt_count > self.max_recipients:
            return "452 4.5.3 Error: too many recipients"
        if self.policy_block:
            return "550 5.7.1 Client host rejected: Access denied by policy"
        if self.greylist:
            key = (smtp.log.peer, sender.lower(), address.lower())
            with self._lock:
                first = key not in self._greylisted
                self._greylisted.add(key)
            if first:
                return (
                    f"450 4.7.1 <{address}>: Recipient address rejected: Greylisted, "
                    f"please try again in {self.greylist_retry} seconds"
                )
        local, _, domain = address.rpartition("@")
        keys = (local.lower(), f"{local.lower()}@{domain.lower()}")
        if any(key in self.disabled for key in keys):
            return f"550 5.2.1 <{address}>: mailbox disabled, not accepting messages"
        if any(key in self.full for key in keys):
            if self.full_permanent:
                return f"552 5.2.2 <{address}>: mailbox full, over quota"
            return f"452 4.2.2 <{address}>: mailbox full, over quota"
        if self.catch_all or any(key in self.mailboxes for key in keys):
            return "250 2.1.5 OK"
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> asyncio.Server:
        if self.starttls:
            self._tls_context = self._make_tls_context()
        smtp_class = _sandbox_smtp_class()
        handler = _Handler(self)
        ident = None
        name = self.hostname
        if self.greeting is not None and self.greeting.startswith("220 "):
            name, _, ident = self.greeting[4:].partition(" ")

        def factory() -> asyncio.BaseProtocol:
            protocol: asyncio.BaseProtocol = smtp_class(
                self, handler, hostname=name, ident=ident or "ESMTP", loop=loop,
                enable_SMTPUTF8=self.smtputf8, tls_context=self._tls_context,
                data_size_limit=10_485_760,
            )
            return protocol

        return await loop.create_server(factory, self.host, self.port)

    def _make_tls_context(self) -> ssl.SSLContext:
        import ssl

        try:
            import trustme
        except ImportError:
            raise RuntimeError(
                "SMTPServer(starttls=True) needs the trustme package: "
                "pip install 'emailcheck[testing]'"
            ) from None
        # trustme makes a throwaway CA and a certificate for our names in memory: no
        # openssl binary, no files, the same on every platform.
        authority = trustme.CA()
        certificate = authority.issue_cert(self.hostname, self.host)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        self.ca_cert_pem = authority.cert_pem.bytes()
        return context


def _mailbox_key(name: str) -> str:
    local, at, domain = name.rpartition("@")
    return f"{local.lower()}@{domain.lower()}" if at else name.lower()


class _Handler:
    """aiosmtpd handler hooks, answering from the owning SMTPServer's settings."""

    def __init__(self, owner: SMTPServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        status = self.owner._rcpt_reply(server, str(envelope.mail_from), address)
        if status.startswith("250"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        return status

    def handle_STARTTLS(self, server: Any, session: Any, envelope: Any) -> bool:
        server.log.tls = True
        return True


_smtp_class: type[Any] | None = None


def _sandbox_smtp_class() -> type[Any]:
    """aiosmtpd's SMTP protocol, recording every line and taking the null sender."""
    global _smtp_class
    if _smtp_class is not None:
        return _smtp_class
    from aiosmtpd.smtp import SMTP

    class SandboxSMTP(SMTP):
        def __init__(self, owner: SMTPServer, handler: _Handler, **options: Any) -> None:
            super().__init__(handler, **options)
            self.owner = owner
            self.log: _SessionLog | None = None
            self.rcpt_count = 0
            self._raw_transport: asyncio.BaseTransport | None = None
            self._mid_reply = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            if self.log is None:  # the first call; a second one follows STARTTLS
                self.log = self.owner._new_log(transport.get_extra_info("peername"))
                self._raw_transport = transport
                self.owner._transports.add(transport)
            super().connection_made(transport)

        def connection_lost(self, error: Exception | None) -> None:
            if self._raw_transport is not None:
                self.owner._transports.discard(self._raw_transport)
            super().connection_lost(error)

        def _cb_client_connected(
            self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            super()._cb_client_connected(reader, writer)
            read_line = reader.readuntil
            log = self.log
            assert log is not None

            async def recording_readuntil(separator: bytes = b"\n") -> bytes:
                line = await read_line(separator)
                log.add(line)
                return line

            reader.readuntil = recording_readuntil  # type: ignore[method-assign,assignment]

        async def _handle_client(self) -> None:
            greeting = self.owner.greeting
            if greeting is not None and not greeting.startswith("220"):
                # RFC 5321 3.1: refuse at the greeting, then hang up.
                await self.push(greeting)
                if self.transport is not None:
                    self.transport.close()
                return
            await super()._handle_client()

        async def push(self, status: AnyStr) -> None:
            delay = self.owner.reply_delay
            if delay and not self._mid_reply:
                await asyncio.sleep(delay)
            marker = status[3:4]
            self._mid_reply = marker in ("-", b"-")
            await super().push(status)

        async def smtp_EHLO(self, hostname: str) -> None:
            if self.owner.ehlo:
                await super().smtp_EHLO(hostname)
            else:  # an RFC 821 server (RFC 5321 3.2: the client falls back to HELO)
                await self.push("502 5.5.2 Error: command not recognized")

        async def smtp_MAIL(self, arg: str | None) -> None:
            rest = None if arg is None else self._strip_command_keyword("FROM:", arg)
            if rest is None or not rest.startswith("<>"):
                await super().smtp_MAIL(arg)
                return
            # RFC 5321 4.5.5: the null reverse-path. aiosmtpd refuses it; real MXs take it.
            if await self.check_helo_needed():
                return
            envelope = self.envelope
            assert envelope is not None
            if envelope.mail_from:
                await self.push("503 Error: nested MAIL command")
                return
            params = rest[2:].upper().split()
            if "SMTPUTF8" in params and not self.enable_SMTPUTF8:
                await self.push("501 Error: SMTPUTF8 disabled")
                return
            if any(p != "SMTPUTF8" and not p.startswith(("SIZE=", "BODY=")) for p in params):
                await self.push("555 MAIL FROM parameters not recognized or not implemented")
                return
            envelope.mail_from = "<>"
            envelope.smtp_utf8 = "SMTPUTF8" in params
            envelope.mail_options.extend(params)
            await self.push("250 OK")

    _smtp_class = SandboxSMTP
    return SandboxSMTP


class HostileSMTPServer(_LoopbackServer):
    """A raw server that breaks SMTP on purpose, to test the client's limits.

    Modes:
        ``silent``: accepts, never says a word.
        ``endless_multiline``: ``250-…`` continuation lines, forever.
        ``huge_line``: a 1 MB line without CRLF.
        ``disconnect_mid_reply``: ``250-partial`` and then hangs up.
        ``garbage``: bytes that are not SMTP (an HTTP error page with NULs).
        ``broken_tls``: a normal server advertising STARTTLS that answers ``220`` and
        then sends no TLS at all (the trigger is always STARTTLS).

    With ``trigger=None`` the mode replaces the greeting; with a command word (e.g.
    ``"RCPT"``) the server greets and answers ``250`` until that command arrives. It
    stops writing when the client disconnects, after 16 MiB, or when stopped.
    """

    MODES: Final = (
        "silent", "endless_multiline", "huge_line", "disconnect_mid_reply", "garbage",
        "broken_tls",
    )

    def __init__(
        self, mode: str, host: str = "127.0.0.2", port: int = 0, *,
        trigger: str | None = None,
    ) -> None:
        super().__init__(host, port)
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {', '.join(self.MODES)}, not {mode!r}")
        self.mode = mode
        self.trigger = "STARTTLS" if mode == "broken_tls" else (
            None if trigger is None else trigger.upper())

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> asyncio.Server:
        return await asyncio.start_server(self._client, self.host, self.port, limit=4096)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        self._transports.add(transport)
        log = self._new_log(writer.get_extra_info("peername"))
        try:
            if self.trigger is None:
                await self._misbehave(reader, writer)
                return
            await _send(writer, b"220 hostile.test ESMTP\r\n")
            for _ in range(_MAX_COMMANDS):
                line = await reader.readuntil(b"\n")
                log.add(line)
                verb = line.split(b" ", 1)[0].strip().upper().decode("ascii", "replace")
                if verb == self.trigger:
                    await self._misbehave(reader, writer)
                    return
                await _send(writer, self._answer(verb))
                if verb == "QUIT":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client left or sent something too long: this server is done
        finally:
            self._transports.discard(transport)
            transport.abort()

    def _answer(self, verb: str) -> bytes:
        if verb == "EHLO":
            tls = b"250-STARTTLS\r\n" if self.mode == "broken_tls" else b""
            return b"250-hostile.test\r\n" + tls + b"250-8BITMIME\r\n250 SMTPUTF8\r\n"
        if verb == "QUIT":
            return b"221 2.0.0 bye\r\n"
        if verb == "DATA":
            return b"554 5.5.1 no DATA here\r\n"
        return b"250 2.0.0 OK\r\n"

    async def _misbehave(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        if mode == "endless_multiline":
            chunk = b"250-" + b"x" * 70 + b"\r\n"
            sent = 0
            while sent < _MAX_HOSTILE_BYTES and not writer.is_closing():
                await _send(writer, chunk * 64)
                sent += len(chunk) * 64
            return
        if mode == "huge_line":
            await _send(writer, b"250 " + b"x" * (1 << 20))
        elif mode == "disconnect_mid_reply":
            await _send(writer, b"250-partial\r\n")
            return
        elif mode == "garbage":
            await _send(
                writer,
                b"\x00\xff\xfeHTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n"
                b"<html>\x00\x01\x02\x1b[2J</html>\r\n",
            )
        elif mode == "broken_tls":
            await _send(writer, b"220 2.0.0 Ready to start TLS\r\n")
            await _send(writer, b"this is not a TLS handshake\r\n")
            return
        # Hold the connection until the client gives up, reading and dropping its bytes.
        while await reader.read(4096):
            pass


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()
