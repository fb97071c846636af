"""pydantic v2: the annotated type validates, normalises and explains its rejections."""

from __future__ import annotations

import pytest

pydantic = pytest.importorskip("pydantic")

from pydantic import BaseModel, ValidationError  # noqa: E402

from emailcheck.integrations.pydantic import EmailAddress, email_type  # noqa: E402
from emailcheck.testing import MailDomain  # noqa: E402


class SignUp(BaseModel):
    email: EmailAddress


def test_accepts_and_stores_the_normalised_address() -> None:
    assert SignUp(email="Jane@Company.CO.UK").email == "Jane@company.co.uk"
    assert SignUp(email="josé@Bücher.de").email == "josé@bücher.de"


def test_typo_error_carries_reason_and_suggestion() -> None:
    with pytest.raises(ValidationError) as caught:
        SignUp(email="John@Gmal.com")
    [error] = caught.value.errors()
    assert error["type"] == "email_check"
    assert error["loc"] == ("email",)
    assert error["ctx"]["reason"] == "possible_typo"
    assert error["ctx"]["suggestion"] == "John@gmail.com"
    assert "did you mean John@gmail.com?" in error["msg"]


def test_syntax_error_carries_the_syntax_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        SignUp(email="john..doe@company.com")
    [error] = caught.value.errors()
    assert error["ctx"]["reason"] == "local_part_consecutive_dots"
    assert error["ctx"]["status"] == "invalid"
    assert error["ctx"]["suggestion"] is None


def test_non_strings_are_rejected_by_pydantic_itself() -> None:
    with pytest.raises(ValidationError) as caught:
        SignUp(email=42)  # type: ignore[arg-type]
    assert caught.value.errors()[0]["type"] == "string_type"


def test_reject_is_configurable() -> None:
    class Lenient(BaseModel):
        email: email_type(reject={"invalid"})  # type: ignore[valid-type]

    class NoRoles(BaseModel):
        email: email_type(reject={"invalid", "role_account"})  # type: ignore[valid-type]

    assert Lenient(email="x@mailinator.com").email == "x@mailinator.com"
    with pytest.raises(ValidationError) as caught:
        NoRoles(email="sales@company.co.uk")
    assert caught.value.errors()[0]["ctx"]["reason"] == "role_account"


def test_json_schema_says_email() -> None:
    schema = SignUp.model_json_schema()
    assert schema["properties"]["email"] == {"format": "email", "title": "Email",
                                             "type": "string"}


def test_dns_mode_uses_the_given_verifier(email_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = email_sandbox({"shop.test": MailDomain(mailboxes={"alice"}),
                             "gone.test": MailDomain(dns="nxdomain")})
    verifier = sandbox.verifier()

    class Checked(BaseModel):
        email: email_type(dns=True, verifier=verifier)  # type: ignore[valid-type]

    assert Checked(email="alice@Shop.test").email == "alice@shop.test"
    with pytest.raises(ValidationError) as caught:
        Checked(email="alice@gone.test")
    assert caught.value.errors()[0]["ctx"]["reason"] == "domain_not_found"


def test_offline_by_default_accepts_what_only_dns_could_refuse() -> None:
    # An offline pass is "unknown / mailbox_not_checked", which a form accepts: the
    # domain below does not exist, and only DNS could tell.
    assert SignUp(email="alice@no-such-domain-here.co.uk").email == (
        "alice@no-such-domain-here.co.uk")
