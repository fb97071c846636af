"""End to end through verify()/averify(): real DNS and SMTP servers on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

import emailcheck
from emailcheck import Outcome, Reason, Result, Status, Verifier
from emailcheck.testing import MailDomain, Sandbox
from sandbox_world import DOMAINS


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DOMAINS) as running:
        yield running


@pytest.fixture
def verifier(sandbox: Sandbox) -> Verifier:
    # A fresh verifier per test: no DNS or catch-all verdict leaks between tests.
    return sandbox.verifier(dns_timeout=0.5, smtp_timeout=0.5, timeout=5.0)


def verdict(result: Result) -> tuple[Status, str]:
    return result.status, str(result.reason)


@pytest.mark.parametrize(
    ("address", "status", "reason"),
    [
        ("alice@shop.test", Status.VALID, Reason.ACCEPTED),
        ("zed@shop.test", Status.INVALID, Reason.MAILBOX_NOT_FOUND),
        ("anyone@catchall.test", Status.CATCH_ALL, Reason.CATCH_ALL),
        ("x@nullmx.test", Status.INVALID, Reason.NULL_MX),
        ("bob@implicit.test", Status.VALID, Reason.ACCEPTED),
        ("x@missing.test", Status.INVALID, Reason.DOMAIN_NOT_FOUND),
        ("x@servfail.test", Status.UNKNOWN, Reason.DNS_ERROR),
        ("x@slowdns.test", Status.UNKNOWN, Reason.DNS_TIMEOUT),
        ("x@nomail.test", Status.INVALID, Reason.NO_MAIL_SERVER),
        ("x@deadmx.test", Status.UNKNOWN, Reason.CONNECTION_FAILED),
        ("x@nowhere.test", Status.INVALID, Reason.NO_MAIL_SERVER),
        ("carol@backup.test", Status.VALID, Reason.ACCEPTED),
        ("dan@grey.test", Status.UNKNOWN, Reason.GREYLISTED),
        ("erin@full.test", Status.RISKY, Reason.MAILBOX_FULL),
        ("frank@disabled.test", Status.INVALID, Reason.MAILBOX_DISABLED),
        ("gina@blocked.test", Status.UNKNOWN, Reason.BLOCKED),
        ("x@busy.test", Status.UNKNOWN, Reason.TEMPORARY_FAILURE),
        ("josé@ascii.test", Status.UNKNOWN, Reason.SMTPUTF8_UNSUPPORTED),
        ("josé@shop.test", Status.VALID, Reason.ACCEPTED),
        ("ivy@tls.test", Status.VALID, Reason.ACCEPTED),
        ("x@silent.test", Status.UNKNOWN, Reason.SMTP_TIMEOUT),
        ("x@endless.test", Status.UNKNOWN, Reason.SERVER_MISBEHAVED),
        ("x@hugeline.test", Status.UNKNOWN, Reason.SERVER_MISBEHAVED),
        ("x@hangup.test", Status.UNKNOWN, Reason.SERVER_MISBEHAVED),
        ("x@garbage.test", Status.UNKNOWN, Reason.SERVER_MISBEHAVED),
    ],
)
def test_every_scenario_through_verify(
    verifier: Verifier, address: str, status: Status, reason: Reason
) -> None:
    started = time.monotonic()
    result = verifier.verify(address)
    assert verdict(result) == (status, reason), result.message
    # Hostile servers end within the per-step timeout, far inside the deadline.
    assert time.monotonic() - started < 5.0


def test_no_network_failure_is_ever_invalid(verifier: Verifier) -> None:
    transient = ["servfail", "slowdns", "deadmx", "grey", "blocked", "busy", "silent",
                 "endless", "hugeline", "hangup", "garbage"]
    for name in transient:
        result = verifier.verify(f"someone@{name}.test")
        assert result.status is not Status.INVALID, (name, result.reason)


def test_the_evidence_is_kept(verifier: Verifier) -> None:
    result = verifier.verify("alice@shop.test")
    mx = result.check("mx")
    smtp = result.check("smtp")
    assert mx is not None
    assert smtp is not None
    assert mx.data["mx"] == ("mx1.shop.test",)
    assert smtp.data["mx_host"] == "mx1.shop.test"
    assert smtp.data["reply"]["code"] == 250
    lines = [line for _, line in smtp.data["transcript"]]
    assert any(line.startswith("RCPT TO:<alice@shop.test>") for line in lines)
    assert not any(line.upper().startswith("DATA") for line in lines)
    assert smtp.elapsed > 0
    data = result.to_dict()
    assert data["checks"][-1]["data"]["reply"]["code"] == 250  # JSON-native all the way


def test_no_session_ever_sends_data(sandbox: Sandbox, verifier: Verifier) -> None:
    for address in ("alice@shop.test", "anyone@catchall.test", "jan@limit.test"):
        verifier.verify(address)
    for name in ("shop.test", "catchall.test", "limit.test"):
        commands = [line.upper() for session in sandbox.sessions_for(name)
                    for line in session.commands]
        assert commands, name
        assert not any(line.startswith("DATA") for line in commands)


def test_catch_all_is_probed_once_per_domain(sandbox: Sandbox, verifier: Verifier) -> None:
    host = sandbox.host("catchall.test")
    host.reset()  # type: ignore[union-attr]
    first = verifier.verify("boss@catchall.test")
    second = verifier.verify("other@catchall.test")
    assert verdict(first) == verdict(second) == (Status.CATCH_ALL, Reason.CATCH_ALL)
    rcpts = [line for session in host.sessions for line in session.commands  # type: ignore[union-attr]
             if line.upper().startswith("RCPT")]
    assert len(rcpts) == 3  # boss, one random probe, other
    assert first.check("smtp").data["catch_all"] is True  # type: ignore[union-attr]


def test_catch_all_detection_can_be_turned_off(sandbox: Sandbox) -> None:
    quiet = sandbox.verifier(catch_all=False, smtp_timeout=0.5)
    assert verdict(quiet.verify("boss@catchall.test")) == (Status.VALID, Reason.ACCEPTED)


def test_greylisting_gives_a_retry_hint_and_a_retry_passes(verifier: Verifier) -> None:
    first = verifier.verify("eve@grey.test")
    smtp = first.check("smtp")
    assert smtp is not None
    assert verdict(first) == (Status.UNKNOWN, Reason.GREYLISTED)
    assert smtp.data["retry_after"] == 120
    # The sandbox lets the second attempt through, as real greylisting does.
    assert verdict(verifier.verify("eve@grey.test")) == (Status.VALID, Reason.ACCEPTED)


def test_starttls_is_used_when_offered(verifier: Verifier) -> None:
    smtp = verifier.verify("ivy@tls.test").check("smtp")
    assert smtp is not None
    assert smtp.data["tls"] is True


def test_a_loopback_mx_is_never_contacted_without_the_opt_in(sandbox: Sandbox) -> None:
    cautious = sandbox.verifier(allow_private_hosts=False)
    host = sandbox.host("shop.test")
    host.reset()  # type: ignore[union-attr]
    result = cautious.verify("alice@shop.test")
    assert verdict(result) == (Status.UNKNOWN, Reason.UNSAFE_MX_ADDRESS)
    assert host.sessions == ()  # type: ignore[union-attr]
    assert result.check("smtp").outcome is Outcome.SKIP  # type: ignore[union-attr]


def test_dns_answers_are_cached_across_verifications(sandbox: Sandbox) -> None:
    verifier = sandbox.verifier()
    assert sandbox.dns is not None
    sandbox.dns.reset_queries()
    verifier.verify("alice@shop.test", smtp=False)
    asked = sandbox.dns.query_count("shop.test")
    assert asked >= 1
    verifier.verify("sales@shop.test", smtp=False)
    assert sandbox.dns.query_count("shop.test") == asked


def test_smtp_false_stops_after_dns(sandbox: Sandbox, verifier: Verifier) -> None:
    host = sandbox.host("shop.test")
    host.reset()  # type: ignore[union-attr]
    result = verifier.verify("alice@shop.test", smtp=False)
    assert verdict(result) == (Status.UNKNOWN, Reason.MAILBOX_NOT_CHECKED)
    assert result.check("mx").outcome is Outcome.PASS  # type: ignore[union-attr]
    assert result.check("smtp").outcome is Outcome.SKIP  # type: ignore[union-attr]
    assert host.sessions == ()  # type: ignore[union-attr]


def test_typo_suggestion_weighs_whether_the_domain_takes_mail(verifier: Verifier) -> None:
    # gmal.com does not exist here: invalid, with the suggestion shown to the person.
    missing = verifier.verify("John@gmal.com")
    assert verdict(missing) == (Status.INVALID, Reason.DOMAIN_NOT_FOUND)
    assert missing.suggestion == "John@gmail.com"
    # hotmall.com receives mail here: a real domain is not "corrected".
    offline = verifier.verify("kim@hotmall.com", dns=False)
    assert offline.suggestion == "kim@hotmail.com"
    online = verifier.verify("kim@hotmall.com")
    assert online.suggestion is None
    assert verdict(online) == (Status.VALID, Reason.ACCEPTED)


def test_a_role_account_that_exists_is_valid_and_flagged(verifier: Verifier) -> None:
    result = verifier.verify("sales@shop.test")
    assert verdict(result) == (Status.VALID, Reason.ACCEPTED)
    assert result.role is True
    assert result.score < verifier.verify("alice@shop.test").score


def test_averify_and_sync_inside_a_running_loop(verifier: Verifier) -> None:
    async def main() -> tuple[Result, Result, list[Result]]:
        awaited = await verifier.averify("alice@shop.test")
        from_sync = verifier.verify("bob@implicit.test")  # as in a notebook cell
        together = await asyncio.gather(*(verifier.averify(a) for a in
                                          ("alice@shop.test", "zed@shop.test", "x@nullmx.test")))
        return awaited, from_sync, list(together)

    awaited, from_sync, together = asyncio.run(main())
    assert verdict(awaited) == (Status.VALID, Reason.ACCEPTED)
    assert verdict(from_sync) == (Status.VALID, Reason.ACCEPTED)
    assert [r.status for r in together] == [Status.VALID, Status.INVALID, Status.INVALID]


def test_the_overall_deadline_bounds_a_hostile_server(sandbox: Sandbox) -> None:
    patient = sandbox.verifier(smtp_timeout=30.0, timeout=0.8)
    started = time.monotonic()
    result = patient.verify("x@silent.test")
    assert time.monotonic() - started < 3.0
    assert verdict(result) == (Status.UNKNOWN, Reason.DEADLINE_EXCEEDED)


def test_module_level_verify_refuses_loopback_by_default() -> None:
    """The default verifier never opens connections to a private address: a domain
    literal pointing at loopback is refused before any socket is made."""
    lenient = Verifier(allow_domain_literal=True)
    result = lenient.verify("root@[127.0.0.1]", timeout=2.0)
    assert result.status is Status.UNKNOWN
    assert result.reason == Reason.UNSAFE_MX_ADDRESS
    assert emailcheck.default_verifier().options.allow_private_hosts is False


def test_the_pytest_fixture_starts_and_stops_sandboxes(email_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = email_sandbox({"fixture.test": MailDomain(mailboxes={"ann"})})
    verifier = sandbox.verifier()
    assert verdict(verifier.verify("ann@fixture.test")) == (Status.VALID, Reason.ACCEPTED)
    assert verdict(verifier.verify("bo@fixture.test")) == (Status.INVALID, Reason.MAILBOX_NOT_FOUND)
    assert sandbox.dns is not None
    assert sandbox.dns.running
