"""The public API: verify/averify, the checker protocol, the policy and the result model."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timezone

import pytest

import emailcheck
from emailcheck import (
    CheckContext,
    CheckOutcome,
    ConfigurationError,
    Decision,
    DefaultPolicy,
    Finding,
    Outcome,
    Reason,
    Result,
    Stage,
    Status,
    Verifier,
    checker,
)


def test_the_readme_first_example() -> None:
    result = emailcheck.verify("John@Gmal.com", dns=False)
    assert isinstance(result, Result)
    assert result.email == "John@gmal.com"
    assert result.suggestion == "John@gmail.com"
    assert result.status is Status.RISKY
    assert result.reason == Reason.POSSIBLE_TYPO
    text = repr(result)
    for part in ("John@gmal.com", "risky", "possible_typo", "John@gmail.com"):
        assert part in text


def test_an_offline_pass_is_never_called_deliverable() -> None:
    result = emailcheck.verify("jane.doe@company.co.uk", dns=False)
    assert result.status is Status.UNKNOWN
    assert result.reason == Reason.MAILBOX_NOT_CHECKED
    assert result.disposable is False
    assert result.role is False
    assert result.free is False
    assert [(c.name, c.outcome) for c in result.checks] == [
        ("syntax", Outcome.PASS), ("mx", Outcome.SKIP), ("typo", Outcome.PASS),
        ("disposable", Outcome.PASS), ("role", Outcome.PASS), ("free", Outcome.PASS),
        ("smtp", Outcome.SKIP),
    ]


def test_flags_are_tri_state() -> None:
    result = Verifier(checkers=[]).verify("info@gmail.com", dns=False)
    assert (result.disposable, result.role, result.free) == (None, None, None)
    flagged = emailcheck.verify("info@gmail.com", dns=False)
    assert (flagged.disposable, flagged.role, flagged.free) == (False, True, True)


def test_role_is_flag_only_by_default_and_risky_on_request() -> None:
    result = emailcheck.verify("sales@company.co.uk", dns=False)
    assert result.role is True
    assert result.status is Status.UNKNOWN  # flag only
    assert result.score < emailcheck.verify("jane@company.co.uk", dns=False).score
    strict = Verifier(policy=DefaultPolicy().with_reasons(role_account="risky"))
    risky = strict.verify("sales@company.co.uk", dns=False)
    assert (risky.status, risky.reason) == (Status.RISKY, "role_account")


def test_disposable_is_risky() -> None:
    result = emailcheck.verify("someone@mailinator.com", dns=False)
    assert result.disposable is True
    assert (result.status, result.reason) == (Status.RISKY, Reason.DISPOSABLE)


def test_invalid_syntax_short_circuits_everything_else() -> None:
    calls: list[str] = []

    def spy(context: CheckContext) -> None:
        calls.append(context.address.email)

    result = Verifier(checkers=[spy]).verify("john..doe@company.com", dns=False)
    assert calls == []
    assert [c.name for c in result.checks] == ["syntax"]
    assert result.email is None
    assert result.domain is None
    assert result.disposable is None


def test_result_is_immutable_hashable_and_serialisable() -> None:
    result = emailcheck.verify("José@Bücher.de", dns=False)
    with pytest.raises(AttributeError):
        result.input = "someone@else.com"  # type: ignore[misc]
    # status reads the shared decision; CPython 3.10/3.11's frozen slotted dataclasses
    # refuse non-field assignments with TypeError instead of AttributeError.
    with pytest.raises((AttributeError, TypeError)):
        result.status = Status.VALID  # type: ignore[misc]
    assert result.status == "unknown"
    assert hash(result) == hash(result)
    assert not hasattr(result, "__dict__")  # slots
    data = json.loads(result.to_json())
    assert data == result.to_dict()
    assert data["status"] == "unknown"
    assert data["email"] == "José@bücher.de"
    assert data["ascii_email"] is None
    assert data["ascii_domain"] == "xn--bcher-kva.de"
    assert data["smtputf8"] is True
    assert next(c["name"] for c in data["checks"]) == "syntax"
    assert all(isinstance(c["elapsed_ms"], float) for c in data["checks"])
    checked_at = datetime.fromisoformat(data["checked_at"])
    assert checked_at.tzinfo is not None
    assert checked_at.utcoffset() == timezone.utc.utcoffset(None)
    assert isinstance(result.checks, tuple)


def test_statuses_and_reasons_are_plain_strings() -> None:
    result = emailcheck.verify("a..b@company.com", dns=False)
    assert result.status == "invalid"
    assert result.reason == "local_part_consecutive_dots"
    assert f"{result.status}" == "invalid"
    assert str(result.reason) == "local_part_consecutive_dots"
    assert json.dumps({"s": result.status}) == '{"s": "invalid"}'


def test_html_repr_escapes_input() -> None:
    result = Verifier(checkers=[]).verify("<script>@x.com", dns=False)
    html = result._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "local_part_invalid_character" in html


def test_repr_of_huge_input_stays_short() -> None:
    assert len(repr(emailcheck.verify("x" * 100_000, dns=False))) < 200


# -- custom checkers ------------------------------------------------------------------


def test_plain_and_async_functions_are_checkers() -> None:
    def no_bob(context: CheckContext) -> Finding | None:
        if context.address.local_part.lower() == "bob":
            return Finding.failed("banned_user", "bob is banned here")
        return None

    async def slow_ok(context: CheckContext) -> Finding:
        await asyncio.sleep(0)
        return Finding.passed("async pass")

    verifier = Verifier(checkers=[no_bob, slow_ok])
    banned = verifier.verify("Bob@company.com", dns=False)
    assert (banned.status, banned.reason, banned.message) == (
        Status.INVALID, "banned_user", "bob is banned here")
    assert banned.check("slow_ok").outcome is Outcome.PASS  # type: ignore[union-attr]
    fine = verifier.verify("alice@company.com", dns=False)
    assert [c.name for c in fine.checks] == ["syntax", "no_bob", "slow_ok"]
    assert fine.check("slow_ok").detail == "async pass"  # type: ignore[union-attr]
    assert asyncio.run(verifier.averify("Bob@company.com", dns=False)).reason == "banned_user"


def test_checkers_can_be_reordered_dropped_and_extended() -> None:
    @checker(name="vip", stage="offline")
    def vip(context: CheckContext) -> Finding:
        return Finding.passed(vip=context.address.domain == "company.com")

    lists_only = Verifier(checkers=[emailcheck.RoleChecker(), vip])
    result = lists_only.verify("info@company.com", dns=False)
    assert [c.name for c in result.checks] == ["syntax", "role", "vip"]
    assert result.check("vip").data["vip"] is True  # type: ignore[union-attr]
    assert result.disposable is None
    assert result.role is True


def test_later_checkers_see_earlier_findings() -> None:
    seen: list[object] = []

    def after(context: CheckContext) -> None:
        seen.append(context.findings["disposable"].data["disposable"])

    Verifier(checkers=[emailcheck.DisposableChecker(), after]).verify(
        "x@mailinator.com", dns=False)
    assert seen == [True]


def test_network_stage_checkers_follow_the_flags() -> None:
    calls: list[str] = []

    @checker(stage=Stage.DNS)
    async def mx(context: CheckContext) -> Finding:
        calls.append("mx")
        return Finding.passed()

    @checker(stage="smtp")
    async def probe(context: CheckContext) -> Finding:
        calls.append("probe")
        return Finding(Outcome.PASS, "accepted", "250 OK")

    policy = DefaultPolicy().with_reasons(accepted=Status.VALID)
    verifier = Verifier(checkers=[mx, probe], policy=policy)
    offline = verifier.verify("jane@company.com", dns=False)
    assert calls == []
    assert [(c.name, c.outcome) for c in offline.checks[1:]] == [
        ("mx", Outcome.SKIP), ("probe", Outcome.SKIP)]
    no_smtp = verifier.verify("jane@company.com", smtp=False)
    assert calls == ["mx"]
    assert no_smtp.check("probe").outcome is Outcome.SKIP  # type: ignore[union-attr]
    full = verifier.verify("jane@company.com")
    assert calls == ["mx", "mx", "probe"]
    assert (full.status, full.reason) == (Status.VALID, "accepted")


def test_a_crashing_checker_gives_unknown_not_a_crash() -> None:
    def broken(context: CheckContext) -> Finding:
        raise RuntimeError("boom")

    async def broken_async(context: CheckContext) -> Finding:
        raise OSError("network down")

    def wrong_type(context: CheckContext) -> str:
        return "yes"

    for bad in (broken, broken_async, wrong_type):
        result = Verifier(checkers=[bad]).verify("jane@company.com", dns=False)
        assert (result.status, result.reason) == (Status.UNKNOWN, Reason.CHECKER_ERROR)
        assert bad.__name__ in result.message


def test_the_deadline_bounds_async_checkers() -> None:
    async def hangs(context: CheckContext) -> Finding:
        await asyncio.sleep(30)
        return Finding.passed()

    result = Verifier(checkers=[hangs]).verify("jane@company.com", dns=False, timeout=0.05)
    assert (result.status, result.reason) == (Status.UNKNOWN, Reason.DEADLINE_EXCEEDED)
    assert result.check("hangs").elapsed < 5  # type: ignore[union-attr]


def test_configuration_errors_are_typed() -> None:
    with pytest.raises(ConfigurationError, match="unknown option"):
        Verifier(allow_everything=True)
    with pytest.raises(ConfigurationError, match="unique"):
        Verifier(checkers=[emailcheck.RoleChecker(), emailcheck.RoleChecker()])
    with pytest.raises(ConfigurationError, match="callable"):
        Verifier(checkers=["role"])
    with pytest.raises(ConfigurationError, match="policy"):
        Verifier(policy=42)  # type: ignore[arg-type]

    def later(context: CheckContext) -> None:
        return None

    later.stage = "later"  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError, match="stage"):
        Verifier(checkers=[later])


# -- policy ---------------------------------------------------------------------------


def test_a_custom_policy_function() -> None:
    def everything_goes(checks: Sequence[CheckOutcome]) -> Decision:
        return Decision(Status.VALID, "trusted", f"{len(checks)} checks ran", 100)

    result = Verifier(policy=everything_goes).verify("info@mailinator.com", dns=False)
    assert (result.status, result.reason, result.score) == (Status.VALID, "trusted", 100)
    assert result.disposable is True  # flags are evidence, independent of the policy


def test_most_severe_status_wins_and_ties_go_to_the_first_check() -> None:
    def outcome(name: str, kind: Outcome, reason: str | None) -> CheckOutcome:
        return CheckOutcome(name, Finding(kind, reason), 0.0)

    policy = DefaultPolicy().with_reasons(accepted="valid", catch_all="catch_all")
    decide = policy.decide
    assert decide([outcome("a", Outcome.PASS, "accepted")]).status is Status.VALID
    assert decide([outcome("a", Outcome.PASS, "accepted"),
                   outcome("b", Outcome.WARN, "catch_all")]).status is Status.CATCH_ALL
    assert decide([outcome("a", Outcome.WARN, "catch_all"),
                   outcome("b", Outcome.WARN, "disposable")]).reason == "disposable"
    assert decide([outcome("a", Outcome.ERROR, None),
                   outcome("b", Outcome.WARN, "possible_typo")]).status is Status.RISKY
    assert decide([outcome("a", Outcome.WARN, "x"),
                   outcome("b", Outcome.WARN, "y")]).reason == "x"
    assert decide([outcome("a", Outcome.FAIL, None)]).reason == Reason.CHECK_FAILED
    assert decide([]).reason == Reason.MAILBOX_NOT_CHECKED


# -- sync and async faces -------------------------------------------------------------


async def _sleepy(context: CheckContext) -> Finding:
    await asyncio.sleep(0.001)
    return Finding.passed("slept")


def test_sync_verify_inside_a_running_event_loop() -> None:
    """Jupyter runs cells inside a loop: the sync API must still work there."""
    verifier = Verifier(checkers=[_sleepy])

    async def notebook_cell() -> Result:
        return verifier.verify("jane@company.com", dns=False)

    result = asyncio.run(notebook_cell())
    assert result.check("_sleepy").detail == "slept"  # type: ignore[union-attr]


def test_offline_verify_needs_no_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_loops(*args: object, **kwargs: object) -> None:
        raise AssertionError("an offline verify started an event loop")

    monkeypatch.setattr(asyncio, "run", no_loops)
    monkeypatch.setattr(asyncio, "new_event_loop", no_loops)
    assert emailcheck.verify("jane@company.com", dns=False).status is Status.UNKNOWN


def test_one_verifier_serves_threads_and_loops_at_once() -> None:
    verifier = Verifier(checkers=[_sleepy, emailcheck.DisposableChecker()])
    results: list[Result] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(20):
            address = f"user{index}-{n}@company.com"
            result = (asyncio.run(verifier.averify(address, dns=False)) if n % 2
                      else verifier.verify(address, dns=False))
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80
    assert {r.email for r in results} == {f"user{i}-{n}@company.com"
                                          for i in range(4) for n in range(20)}


def test_averify_matches_verify() -> None:
    for address in ("John@Gmal.com", "info@mailinator.com", "bad@@x", "josé@bücher.de"):
        sync = emailcheck.verify(address, dns=False).to_dict()
        async_ = asyncio.run(emailcheck.averify(address, dns=False)).to_dict()
        for key in ("checked_at", "checks"):
            sync.pop(key)
            async_.pop(key)
        assert sync == async_


def test_import_and_offline_checks_do_not_load_network_modules() -> None:
    code = (
        "import sys, emailcheck\n"
        "heavy = [m for m in ('dns', 'dns.resolver', 'aiosmtplib', 'publicsuffix2', 'idna',"
        " 'asyncio', 'importlib.resources') if m in sys.modules]\n"
        "emailcheck.verify('John@Gmal.com', dns=False)\n"
        "emailcheck.verify('josé@bücher.de', dns=False)\n"
        "heavy += [m for m in ('dns', 'aiosmtplib') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
