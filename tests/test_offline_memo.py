"""Offline verify() runs as a plain function with a per-domain memo; averify() runs the
generator pipeline. These tests hold the two to the same verdicts and evidence, and
pin down what the memo may and may not reuse."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emailcheck import (
    CheckContext,
    CheckOutcome,
    ConfigurationError,
    Decision,
    Finding,
    Outcome,
    Result,
    Scope,
    Status,
    Verifier,
    _verifier,
    checker,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from offline_throughput import generate


def _evidence(result: Result) -> tuple[Any, ...]:
    """Everything but timings: the verdict, the address and every finding in order."""
    return (result.input, result.status, result.reason, result.message, result.score,
            result.address, result.suggestion, result.disposable, result.role, result.free,
            [(check.name, check.finding) for check in result.checks])


def _pipeline_result(verifier: Verifier, text: str) -> Result:
    return asyncio.run(verifier.averify(text, dns=False))


def test_fast_offline_path_agrees_with_the_pipeline_on_a_realistic_list() -> None:
    addresses = generate(3000, 7)
    fast = Verifier()
    reference = Verifier()
    async def pipeline_all() -> list[Result]:
        return [await reference.averify(text, dns=False) for text in addresses]
    expected = asyncio.run(pipeline_all())
    for _ in range(2):  # first visits fill the memo; the second pass is all memo hits
        got = [fast.verify(text, dns=False) for text in addresses]
        assert [_evidence(r) for r in got] == [_evidence(r) for r in expected]
    assert any(r.status is Status.RISKY for r in expected)
    assert any(r.status is Status.INVALID for r in expected)


atext = st.sampled_from(list("abcxyz019.+-_\"@ éü"))
address_like = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(atext, max_size=12),
    st.sampled_from(["gmail.com", "gmal.com", "mailinator.com", "sub.mailinator.com",
                     "company.co.uk", "co.uk", "bücher.de", "x", "-a.com"]),
)
SHARED = Verifier()


@settings(max_examples=300, deadline=None)
@given(address_like)
def test_any_address_gets_the_same_verdict_from_both_paths(text: str) -> None:
    first = SHARED.verify(text, dns=False)
    again = SHARED.verify(text, dns=False)
    expected = _pipeline_result(SHARED, text)
    assert _evidence(first) == _evidence(again) == _evidence(expected)


def test_a_domain_scoped_checker_runs_once_per_domain() -> None:
    calls: list[str] = []

    @checker(scope="domain")
    def crm_domain(context: CheckContext) -> Finding | None:
        calls.append(context.fields[2])
        if context.fields[2] == "competitor.com":
            return Finding.warned("competitor", "a competitor's domain")
        return None

    seen_local_parts: list[str] = []

    @checker
    def local_part(context: CheckContext) -> None:
        seen_local_parts.append(context.address.local_part)

    verifier = Verifier(checkers=[crm_domain, local_part])
    texts = [f"user{n}@competitor.com" for n in range(5)] + ["a@other.com", "b@other.com"]
    results = [verifier.verify(text, dns=False) for text in texts]

    assert calls == ["competitor.com", "other.com"]
    assert seen_local_parts == [f"user{n}" for n in range(5)] + ["a", "b"]
    assert [r.reason for r in results] == ["competitor"] * 5 + ["mailbox_not_checked"] * 2
    # Reused findings are the same finding; the time shows nothing ran for this address.
    first, later = results[0].check("crm_domain"), results[1].check("crm_domain")
    assert first is not None
    assert later is not None
    assert later.finding is first.finding
    assert later.elapsed == 0.0
    assert first.elapsed > 0.0


def test_the_pipeline_async_face_runs_domain_checks_every_time() -> None:
    calls: list[str] = []

    @checker(scope="domain")
    def crm_domain(context: CheckContext) -> None:
        calls.append(context.fields[2])

    verifier = Verifier(checkers=[crm_domain])
    for text in ("a@x.com", "b@x.com"):
        asyncio.run(verifier.averify(text, dns=False))
    assert calls == ["x.com", "x.com"]


def test_a_failing_domain_check_is_not_remembered() -> None:
    calls = 0

    @checker(scope="domain")
    def flaky(context: CheckContext) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("lookup table not ready")

    verifier = Verifier(checkers=[flaky])
    first = verifier.verify("a@x.com", dns=False)
    second = verifier.verify("b@x.com", dns=False)
    third = verifier.verify("c@x.com", dns=False)
    assert first.reason == "checker_error"
    assert first.status is Status.UNKNOWN
    assert second.reason == third.reason == "mailbox_not_checked"
    assert calls == 2  # the error was retried once, then the pass was remembered


def test_a_custom_policy_sees_every_check_of_every_address() -> None:
    seen: list[list[str]] = []

    def policy(checks: list[CheckOutcome]) -> Decision:
        seen.append([check.name for check in checks])
        flagged = any(check.finding.data.get("role") for check in checks)
        return Decision(Status.RISKY if flagged else Status.UNKNOWN, "custom", "custom", 1)

    verifier = Verifier(policy=policy)
    results = [verifier.verify(text, dns=False)
               for text in ("info@acme.com", "jane@acme.com", "sales@acme.com")]
    assert [r.status for r in results] == [Status.RISKY, Status.UNKNOWN, Status.RISKY]
    assert len(seen) == 3
    assert seen[0] == ["syntax", "mx", "typo", "disposable", "role", "free", "smtp"]


def test_results_alike_share_evidence_but_not_times() -> None:
    verifier = Verifier()
    one = verifier.verify("jane@gmail.com", dns=False)
    two = verifier.verify("john@gmail.com", dns=False)
    three = verifier.verify("mary@gmail.com", dns=False)
    assert two.check_findings is three.check_findings  # one tuple for results alike
    assert two.decision is three.decision
    assert one.email == "jane@gmail.com"
    assert three.email == "mary@gmail.com"
    assert len(three.check_times) == len(three.checks) == 7
    assert all(isinstance(seconds, float) for seconds in three.check_times)
    # Measured where a check ran for this address; 0.0 where it was off or remembered.
    ran_now = {check.name: check.elapsed > 0.0 for check in three.checks}
    assert ran_now == {"syntax": True, "mx": False, "typo": True, "disposable": False,
                       "role": True, "free": False, "smtp": False}


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_verifier, "_MEMO_DOMAINS", 8)
    verifier = Verifier()
    for n in range(50):
        result = verifier.verify(f"jane@company{n}.com", dns=False)
        assert result.email == f"jane@company{n}.com"
    assert len(verifier._memo) <= 8


def test_threads_sharing_a_verifier_get_the_sequential_answers() -> None:
    addresses = generate(2000, 11)
    expected = [_evidence(Verifier().verify(text, dns=False)) for text in addresses]
    shared = Verifier()
    got: dict[int, list[tuple[Any, ...]]] = {}

    def work(worker: int) -> None:
        got[worker] = [_evidence(shared.verify(text, dns=False)) for text in addresses]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(got[n] == expected for n in range(4))


def test_an_unknown_scope_is_a_configuration_error() -> None:
    def odd(context: CheckContext) -> None:
        return None

    odd.scope = "mailbox"  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError, match="scope"):
        Verifier(checkers=[odd])
    assert Scope("domain") is Scope.DOMAIN


def test_an_async_offline_checker_still_works_on_the_sync_face() -> None:
    @checker(scope="domain")
    async def slow_lookup(context: CheckContext) -> Finding:
        await asyncio.sleep(0)
        return Finding(Outcome.WARN, "slow", "looked up")

    verifier = Verifier(checkers=[slow_lookup])
    first = verifier.verify("a@x.com", dns=False)
    second = verifier.verify("b@x.com", dns=False)
    assert first.reason == second.reason == "slow"
    assert second.status is Status.RISKY


def test_address_checks_on_a_known_domain_keep_their_error_and_async_handling() -> None:
    @checker
    def picky(context: CheckContext) -> None:
        if context.fields[0] == "boom":
            raise ValueError("cannot read this one")

    @checker
    async def later(context: CheckContext) -> Finding | None:
        await asyncio.sleep(0)
        return Finding.warned("later", "looked") if context.fields[0] == "slow" else None

    verifier = Verifier(checkers=[picky, later])
    assert verifier.verify("fine@x.com", dns=False).reason == "mailbox_not_checked"
    crashed = verifier.verify("boom@x.com", dns=False)  # x.com is in the memo now
    assert crashed.status is Status.UNKNOWN
    assert crashed.reason == "checker_error"
    assert "ValueError: cannot read this one" in crashed.message
    assert verifier.verify("slow@x.com", dns=False).reason == "later"
    assert verifier.verify("fine2@x.com", dns=False).reason == "mailbox_not_checked"


def test_finding_by_name_and_address_round_trip() -> None:
    result = Verifier().verify("Info@Bücher.de", dns=False)
    role = result.check("role")
    assert role is not None
    assert result.finding("role") is role.finding
    assert result.finding("role").data["role"] is True  # type: ignore[union-attr]
    assert result.finding("no_such_check") is None
    address = result.address
    assert address is not None
    assert type(address)(*address.as_tuple()) == address
    assert address.as_tuple() == result.address_fields
