"""The SMTP probe against real servers on loopback: verdicts, evidence, limits and safety."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emailcheck import CheckContext, Options, Outcome, Reason, Result, Status, Verifier, checker
from emailcheck._address import Address
from emailcheck._dns import MailHost
from emailcheck._smtp import (
    MAX_TRANSCRIPT_ENTRIES,
    MAX_TRANSCRIPT_LINE,
    ProviderRule,
    SMTPChecker,
    load_provider_rules,
)

pytest.importorskip("aiosmtpd")

from emailcheck.testing._smtp_server import HostileSMTPServer, SMTPServer

MX1 = ("mx1.shop.test", "127.0.0.2")
MX2 = ("mx2.shop.test", "127.0.0.3")
DEAD = ("mx0.shop.test", "127.0.0.4")  # nothing ever listens there


def route(*hosts: tuple[str, str]) -> Any:
    """An offline checker standing in for the mx check: these hosts, in this order."""

    @checker(name="route")
    def set_mail_hosts(context: CheckContext) -> None:
        context.facts["mail_hosts"] = tuple(
            MailHost(name, 10 * rank, (ip,)) for rank, (name, ip) in enumerate(hosts, 1)
        )

    return set_mail_hosts


def make_verifier(
    port: int, *hosts: tuple[str, str], smtp: SMTPChecker | None = None, **options: Any
) -> Verifier:
    settings: dict[str, Any] = {
        "allow_private_hosts": True, "allow_special_use": {"test"}, "smtp_timeout": 0.5,
        "helo_name": "probe.example.org",
    }
    settings.update(options)
    return Verifier(
        checkers=[route(*(hosts or (MX1,))), smtp or SMTPChecker()], smtp_port=port, **settings
    )


def smtp_check(result: Result) -> Any:
    (check,) = [check for check in result.checks if check.name == "smtp"]
    return check


def rcpts(server: SMTPServer | HostileSMTPServer) -> list[str]:
    return [line for line in server.commands if line.upper().startswith("RCPT")]


Serve = Callable[..., Any]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start servers for one test; afterwards stop them and check no DATA was ever sent."""
    started: list[SMTPServer | HostileSMTPServer] = []

    def start(server: SMTPServer | HostileSMTPServer) -> Any:
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
    for server in started:
        for session in server.sessions:
            assert "DATA" not in session.verbs(), session


def serve_pair(
    serve: Serve, first: Callable[[int], Any], second: Callable[[int], Any]
) -> tuple[Any, Any]:
    """Two servers on one port number (the port is an option shared by all MX hosts)."""
    for _ in range(10):
        one = serve(first(0))
        try:
            return one, serve(second(one.port))
        except OSError:
            one.stop()
    pytest.fail("found no port free on both loopback addresses")


# -- verdicts -------------------------------------------------------------------------


def test_an_existing_mailbox_is_valid_with_the_evidence(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    result = make_verifier(server.port).verify("alice@shop.test")

    assert (result.status, result.reason) == (Status.VALID, Reason.ACCEPTED)
    check = smtp_check(result)
    assert check.outcome is Outcome.PASS
    assert check.detail == "mx1.shop.test answered 250 2.1.5 OK"
    data = check.data
    assert (data["mx_host"], data["address"], data["port"]) == ("mx1.shop.test", "127.0.0.2",
                                                                server.port)
    assert data["tls"] is False
    assert data["catch_all"] is False
    assert dict(data["reply"]) == {"code": 250, "enhanced": "2.1.5", "text": "2.1.5 OK"}
    assert ("C", "RCPT TO:<alice@shop.test>") in data["transcript"]
    assert ("S", "250 2.1.5 OK") in data["transcript"]
    json.dumps(result.to_dict())  # the evidence is JSON-ready
    (session,) = server.sessions
    assert session.verbs() == ("EHLO", "MAIL", "RCPT", "RCPT", "RSET", "QUIT")
    assert session.commands[:3] == (
        "EHLO probe.example.org", "MAIL FROM:<>", "RCPT TO:<alice@shop.test>"
    )


def test_an_unknown_mailbox_is_invalid_and_no_catch_all_probe_follows(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    result = make_verifier(server.port).verify("bob@shop.test")

    assert (result.status, result.reason) == (Status.INVALID, Reason.MAILBOX_NOT_FOUND)
    check = smtp_check(result)
    assert check.outcome is Outcome.FAIL
    assert check.detail.startswith("mx1.shop.test answered 550 5.1.1 ")
    assert check.data["reply"]["code"] == 550
    assert check.data["reply"]["enhanced"] == "5.1.1"
    assert rcpts(server) == ["RCPT TO:<bob@shop.test>"]


def test_a_catch_all_domain_is_probed_once_then_cached(serve: Serve) -> None:
    server = serve(SMTPServer(catch_all=True))
    verifier = make_verifier(server.port)

    first = verifier.verify("alice@shop.test")
    assert (first.status, first.reason) == (Status.CATCH_ALL, Reason.CATCH_ALL)
    data = smtp_check(first).data
    assert data["catch_all"] is True
    assert data["reply"]["code"] == 250  # the real address's own answer is kept
    random_rcpt = rcpts(server)[1]
    local = random_rcpt.removeprefix("RCPT TO:<").split("@")[0]
    assert len(local) >= 20
    assert local.isalnum()
    assert local.islower()

    second = verifier.verify("carol@shop.test")
    assert second.status is Status.CATCH_ALL
    assert smtp_check(second).data["catch_all_cached"] is True
    assert rcpts(server)[2:] == ["RCPT TO:<carol@shop.test>"]  # no second random probe

    verifier.verify("dave@other.test")  # another domain gets its own probe
    assert len(rcpts(server)) == 5


def test_concurrent_verifications_at_one_domain_share_one_catch_all_probe(
    serve: Serve,
) -> None:
    server = serve(SMTPServer(catch_all=True, reply_delay=0.01))
    verifier = make_verifier(server.port)
    names = [f"user{number}@shop.test" for number in range(8)]

    async def verify_all() -> list[Result]:
        return await asyncio.gather(*(verifier.averify(name) for name in names))

    results = asyncio.run(verify_all())
    assert {result.status for result in results} == {Status.CATCH_ALL}
    assert len(rcpts(server)) == len(names) + 1


def test_a_catch_all_verdict_expires_after_its_ttl(serve: Serve) -> None:
    server = serve(SMTPServer(catch_all=True))
    verifier = make_verifier(server.port, catch_all_ttl=0.05)
    verifier.verify("alice@shop.test")
    time.sleep(0.1)
    verifier.verify("bob@shop.test")
    assert len(rcpts(server)) == 4


def test_catch_all_probing_can_be_turned_off(serve: Serve) -> None:
    server = serve(SMTPServer(catch_all=True))
    result = make_verifier(server.port, catch_all=False).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.VALID, Reason.ACCEPTED)
    assert smtp_check(result).data["catch_all"] is None
    assert rcpts(server) == ["RCPT TO:<alice@shop.test>"]


@pytest.mark.parametrize("permanent", [False, True])
def test_a_full_mailbox_is_risky(serve: Serve, permanent: bool) -> None:
    server = serve(SMTPServer(full={"alice"}, full_permanent=permanent))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.RISKY, Reason.MAILBOX_FULL)
    assert smtp_check(result).data["reply"]["code"] == (552 if permanent else 452)


def test_a_disabled_mailbox_is_invalid(serve: Serve) -> None:
    server = serve(SMTPServer(disabled={"alice@shop.test"}))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.INVALID, Reason.MAILBOX_DISABLED)


def test_greylisting_is_unknown_with_a_retry_hint_and_passes_later(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, greylist=True, greylist_retry=90))
    verifier = make_verifier(server.port)

    first = verifier.verify("alice@shop.test")
    assert (first.status, first.reason) == (Status.UNKNOWN, Reason.GREYLISTED)
    assert smtp_check(first).outcome is Outcome.WARN
    assert smtp_check(first).data["retry_after"] == 90

    again = verifier.verify("alice@shop.test")
    assert again.status is Status.VALID


def test_a_policy_block_is_never_invalid(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, policy_block=True))
    result = make_verifier(server.port).verify("nobody@shop.test")
    assert result.status is Status.UNKNOWN
    assert result.reason in (Reason.POLICY_REJECTION, Reason.BLOCKED)
    assert smtp_check(result).outcome is Outcome.WARN


def test_a_recipient_limit_is_unknown(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, max_recipients=0))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.TOO_MANY_RECIPIENTS)


def test_a_refused_catch_all_probe_leaves_the_acceptance_standing(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, max_recipients=1))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.VALID, Reason.ACCEPTED)
    assert smtp_check(result).data["catch_all"] is None


# -- internationalised addresses -------------------------------------------------------


def test_a_utf8_local_part_needs_smtputf8(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"jörg"}, smtputf8=False))
    result = make_verifier(server.port).verify("jörg@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.SMTPUTF8_UNSUPPORTED)
    assert rcpts(server) == []  # nothing the server cannot take was sent


def test_a_utf8_local_part_is_probed_with_smtputf8(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"jörg"}, smtputf8=True))
    result = make_verifier(server.port).verify("jörg@shop.test")
    assert (result.status, result.reason) == (Status.VALID, Reason.ACCEPTED)
    assert "MAIL FROM:<> SMTPUTF8" in server.commands
    assert "RCPT TO:<jörg@shop.test>" in server.commands


def test_an_idn_domain_is_sent_as_its_a_label(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, smtputf8=False))
    result = make_verifier(server.port).verify("alice@bücher.test")
    assert result.status is Status.VALID
    assert "RCPT TO:<alice@xn--bcher-kva.test>" in server.commands
    assert "MAIL FROM:<>" in server.commands  # no SMTPUTF8 needed for an A-label


# -- the session ----------------------------------------------------------------------


def test_starttls_is_used_when_offered(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, starttls=True))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert result.status is Status.VALID
    assert smtp_check(result).data["tls"] is True
    (session,) = server.sessions
    assert session.tls
    assert session.verbs()[:3] == ("EHLO", "STARTTLS", "EHLO")  # RFC 3207: EHLO again


def test_starttls_can_be_turned_off(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, starttls=True))
    result = make_verifier(server.port, starttls=False).verify("alice@shop.test")
    assert smtp_check(result).data["tls"] is False
    assert "STARTTLS" not in server.commands


def test_a_failed_tls_handshake_is_retried_in_plain_text(serve: Serve) -> None:
    server = serve(HostileSMTPServer("broken_tls"))
    result = make_verifier(server.port, catch_all=False).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.VALID, Reason.ACCEPTED)
    assert smtp_check(result).data["tls"] is False
    first, second = server.sessions
    assert "STARTTLS" in first.verbs()
    assert "STARTTLS" not in second.verbs()
    assert "RCPT" in second.verbs()


def test_helo_is_the_fallback_when_ehlo_is_refused(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}, ehlo=False))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert result.status is Status.VALID
    assert server.commands[:2] == ("EHLO probe.example.org", "HELO probe.example.org")


def test_the_default_helo_name_is_a_host_name(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    make_verifier(server.port, helo_name=None).verify("alice@shop.test")
    verb, name = server.commands[0].split(" ")
    assert verb == "EHLO"
    assert "." in name
    assert name.replace(".", "").replace("-", "").isalnum()


def test_mail_from_is_the_configured_sender(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    make_verifier(server.port, mail_from="probe@sender.example").verify("alice@shop.test")
    assert "MAIL FROM:<probe@sender.example>" in server.commands


# -- several mail hosts ---------------------------------------------------------------


def test_a_421_greeting_moves_on_to_the_next_mail_host(serve: Serve) -> None:
    busy, good = serve_pair(
        serve,
        lambda port: SMTPServer(MX1[1], port, greeting="421 4.3.2 too busy, try later"),
        lambda port: SMTPServer(MX2[1], port, mailboxes={"alice"}),
    )
    result = make_verifier(busy.port, MX1, MX2).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.VALID, Reason.ACCEPTED)
    data = smtp_check(result).data
    assert data["mx_host"] == "mx2.shop.test"
    assert [attempt["mx_host"] for attempt in data["attempts"]] == ["mx1.shop.test"]
    assert busy.commands == ()  # it greeted with 421; nothing more was said to it
    assert "RCPT TO:<alice@shop.test>" in good.commands


def test_a_dead_mail_host_is_skipped(serve: Serve) -> None:
    server = serve(SMTPServer(MX2[1], mailboxes={"alice"}))
    result = make_verifier(server.port, DEAD, MX2).verify("alice@shop.test")
    assert result.status is Status.VALID
    data = smtp_check(result).data
    assert data["mx_host"] == "mx2.shop.test"
    assert data["attempts"][0]["reason"] == Reason.CONNECTION_FAILED


def test_no_reachable_mail_host_is_unknown(serve: Serve) -> None:
    server = serve(SMTPServer(MX2[1]))
    server.stop()  # a port that was just free
    result = make_verifier(server.port, DEAD, MX2).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.CONNECTION_FAILED)
    assert smtp_check(result).outcome is Outcome.ERROR


def test_only_max_mx_hosts_are_tried(serve: Serve) -> None:
    server = serve(SMTPServer(MX2[1], mailboxes={"alice"}))
    result = make_verifier(server.port, DEAD, MX2, max_mx_hosts=1).verify("alice@shop.test")
    assert result.reason == Reason.CONNECTION_FAILED
    assert server.sessions == ()


# -- hostile servers ------------------------------------------------------------------


HOSTILE_REASONS = {
    "silent": Reason.SMTP_TIMEOUT,
    "endless_multiline": Reason.SERVER_MISBEHAVED,
    "huge_line": Reason.SERVER_MISBEHAVED,
    "disconnect_mid_reply": Reason.SERVER_MISBEHAVED,
    "garbage": Reason.SERVER_MISBEHAVED,
}


@pytest.mark.parametrize("trigger", [None, "RCPT"], ids=["greeting", "rcpt"])
@pytest.mark.parametrize("mode", sorted(HOSTILE_REASONS))
def test_a_hostile_server_gives_a_specific_unknown(
    serve: Serve, mode: str, trigger: str | None
) -> None:
    server = serve(HostileSMTPServer(mode, trigger=trigger))
    # The overall deadline is far above smtp_timeout: reaching it would mean a hang.
    result = make_verifier(server.port).verify("alice@shop.test", timeout=3)
    assert result.status is Status.UNKNOWN
    assert result.reason == HOSTILE_REASONS[mode]
    check = smtp_check(result)
    assert check.outcome is Outcome.ERROR
    assert "\n" not in check.detail
    transcript = check.data["transcript"]
    assert len(transcript) <= MAX_TRANSCRIPT_ENTRIES
    assert all(len(line) <= MAX_TRANSCRIPT_LINE for _direction, line in transcript)
    json.dumps(result.to_dict())


def test_the_overall_deadline_cancels_a_stalled_session_cleanly(serve: Serve) -> None:
    server = serve(HostileSMTPServer("silent"))
    verifier = make_verifier(server.port, smtp_timeout=10)
    result = verifier.verify("alice@shop.test", timeout=0.3)
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.DEADLINE_EXCEEDED)


def test_a_long_reply_line_is_truncated_in_the_transcript(serve: Serve) -> None:
    server = serve(SMTPServer(greeting="220 " + "x" * 900, mailboxes={"alice"}))
    result = make_verifier(server.port).verify("alice@shop.test")
    assert result.status is Status.VALID
    greeting = smtp_check(result).data["transcript"][1]
    assert greeting[0] == "S"
    assert len(greeting[1]) == MAX_TRANSCRIPT_LINE


# -- safety ---------------------------------------------------------------------------


def test_loopback_mail_hosts_are_refused_by_default(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    result = make_verifier(server.port, allow_private_hosts=False).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.UNSAFE_MX_ADDRESS)
    assert server.sessions == ()


@pytest.mark.parametrize("bad", ["\r\n", "\n", "\r", "\x00", "\x1b"])
def test_control_characters_never_reach_the_wire(serve: Serve, bad: str) -> None:
    server = serve(SMTPServer(catch_all=True))
    local = f"alice{bad}DATA{bad}"
    address = Address(local, "shop.test", "shop.test", "shop.test", False)
    context = CheckContext(
        address, Options(allow_private_hosts=True, smtp_port=server.port, smtp_timeout=0.5),
        dns=True, smtp=True,
    )
    context.facts["mail_hosts"] = (MailHost(MX1[0], 10, (MX1[1],)),)
    finding = asyncio.run(SMTPChecker()(context))
    assert (finding.outcome, finding.reason) == (Outcome.ERROR, Reason.PROTOCOL_ERROR)
    assert server.sessions == ()

    result = make_verifier(server.port).verify(f"{local}@shop.test")  # the public face
    assert result.status is Status.INVALID
    assert server.sessions == ()


def test_without_the_mx_check_there_is_nothing_to_probe() -> None:
    result = Verifier(checkers=[SMTPChecker()], allow_special_use={"test"}).verify(
        "alice@shop.test"
    )
    check = smtp_check(result)
    assert check.outcome is Outcome.ERROR
    assert check.detail == "no mail hosts: the mx check did not run"
    assert result.status is Status.UNKNOWN

    empty = Verifier(checkers=[route(), SMTPChecker()], allow_special_use={"test"})
    assert smtp_check(empty.verify("alice@shop.test")).outcome is Outcome.SKIP


# -- providers ------------------------------------------------------------------------


def test_an_unverifiable_provider_is_not_probed(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    yahoo = ("mta7.am0.yahoodns.net", MX1[1])
    result = make_verifier(server.port, yahoo).verify("alice@shop.test")
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.PROVIDER_UNVERIFIABLE)
    assert smtp_check(result).data["provider"] == "yahoodns.net"
    assert server.sessions == ()


def test_provider_suffixes_match_at_label_boundaries(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    lookalike = ("mx.notyahoodns.net", MX1[1])
    result = make_verifier(server.port, lookalike).verify("alice@shop.test")
    assert result.status is Status.VALID


def test_an_accept_all_provider_is_probed_but_proves_nothing(serve: Serve) -> None:
    server = serve(SMTPServer(mailboxes={"alice"}))
    checker_ = SMTPChecker(providers={"accepts.test": ProviderRule("accept_all", "says yes")})
    verifier = make_verifier(server.port, ("in.accepts.test", MX1[1]), smtp=checker_)

    accepted = verifier.verify("alice@shop.test")
    assert (accepted.status, accepted.reason) == (Status.UNKNOWN, Reason.PROVIDER_UNVERIFIABLE)
    assert rcpts(server) == ["RCPT TO:<alice@shop.test>"]  # no catch-all probe

    rejected = verifier.verify("bob@shop.test")  # a refusal still counts
    assert rejected.reason == Reason.MAILBOX_NOT_FOUND


def test_the_shipped_provider_list_parses_and_states_its_origin() -> None:
    from importlib import resources

    text = resources.files("emailcheck").joinpath("data").joinpath(
        "smtp_providers.txt").read_text("utf-8")
    header = text.split("\n\n")[0]
    for field in ("# Origin:", "# Date: 2026-11-23", "# Licence: MIT"):
        assert field in header
    rules = load_provider_rules(text)
    assert rules["yahoodns.net"].behaviour == "unverifiable"
    assert all(rule.note for rule in rules.values())
    with pytest.raises(ValueError, match="line 1"):
        load_provider_rules("yahoodns.net\tsometimes\tnote\n")


def test_host_slots_are_first_come_first_served_and_never_lost() -> None:
    from emailcheck._smtp import _Host

    async def scenario() -> list[str]:
        host = _Host(1)
        await host.take_slot()  # the only slot
        got: list[str] = []

        async def take(name: str) -> None:
            await host.take_slot()
            got.append(name)

        waiting = {name: asyncio.ensure_future(take(name)) for name in "abcd"}
        await asyncio.sleep(0)
        waiting["b"].cancel()  # gives up while waiting: skipped
        await asyncio.sleep(0)
        host.give_slot()  # to a
        await asyncio.sleep(0)
        host.give_slot()  # a is done: to c (b left)
        waiting["c"].cancel()  # granted, but cancelled before it resumed: passed on to d
        await asyncio.gather(*waiting.values(), return_exceptions=True)
        host.give_slot()  # d is done: back to the pool
        assert host.free == 1
        assert not host.waiters
        return got

    assert asyncio.run(scenario()) == ["a", "d"]


def test_identical_replies_are_classified_once_in_a_bounded_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emailcheck import _replies, _smtp

    calls: list[tuple[int, str]] = []
    real = _replies.classify_reply

    def counting(code: int, text: str, enhanced: str | None = None) -> Any:
        calls.append((code, text))
        return real(code, text, enhanced)

    monkeypatch.setattr(_replies, "classify_reply", counting)
    monkeypatch.setattr(_smtp, "_MEANINGS", {})
    gmail = "5.1.1 The email account that you tried to reach does not exist."
    first = _smtp._meaning(550, gmail)
    assert _smtp._meaning(550, gmail) is first
    assert first == real(550, gmail)
    assert calls == [(550, gmail)]
    for n in range(3000):  # refusals naming each recipient pass through, bounded
        _smtp._meaning(550, f"5.1.1 <user{n}@shop.test>: Recipient address rejected")
    assert len(_smtp._MEANINGS) <= _smtp._MEANINGS_SIZE
