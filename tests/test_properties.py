"""Property tests: no input crashes the verifier, and normalisation is idempotent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emailcheck import Address, InvalidAddress, Result, Status, Verifier

VERIFIER = Verifier(checkers=[])
LENIENT = Verifier(checkers=[], allow_domain_literal=True, allow_special_use=True,
                   allow_single_label=True)

atext = st.sampled_from(list("abcxyzABC0189!#$%&'*+/=?^_`{|}~-.\"\\ @()[]<>,;:é用ß\u200b\r\n\x00"))
address_like = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(atext, max_size=30),
    st.text(st.sampled_from(list("abcxyz019-.[]:éü例ｅ。")), max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), address_like))
def test_any_text_gives_a_result_never_an_exception(text: str) -> None:
    for verifier in (VERIFIER, LENIENT):
        result = verifier.verify(text, dns=False)
        assert isinstance(result, Result)
        assert result.status in (Status.INVALID, Status.UNKNOWN)
        assert result.message
        result.to_json()


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=100), address_like))
def test_normalisation_is_idempotent(text: str) -> None:
    for verifier in (VERIFIER, LENIENT):
        try:
            first = verifier.parse(text)
        except InvalidAddress:
            continue
        again = verifier.parse(first.email)
        assert again == first
        if first.ascii_email is not None:
            assert verifier.parse(first.ascii_email).ascii_email == first.ascii_email


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20), st.sampled_from(["\r", "\n", "\r\n", "\x00"]), st.text(max_size=20))
def test_line_breaks_and_nul_never_pass(before: str, breaker: str, after: str) -> None:
    for text in (f"{before}{breaker}{after}@company.com", f"x@company.com{breaker}{after}",
                 f'"{before}{breaker}"@company.com'):
        assert LENIENT.verify(text, dns=False).status is Status.INVALID


def test_address_objects_are_values() -> None:
    one = VERIFIER.parse("Jane@Company.COM")
    assert one == VERIFIER.parse("Jane@company.com")
    assert isinstance(one, Address)
    assert hash(one) == hash(VERIFIER.parse("Jane@company.com"))
    assert str(one) == "Jane@company.com"
