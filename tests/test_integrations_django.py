"""Django: the validator and the form field, with Django configured in this process."""

from __future__ import annotations

import pytest

pytest.importorskip("django")

import django
from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=False, INSTALLED_APPS=[])
    django.setup()

from django import forms
from django.core.exceptions import ValidationError

from emailcheck.integrations.django import EmailCheckField, EmailCheckValidator
from emailcheck.testing import MailDomain


class SignUpForm(forms.Form):
    email = EmailCheckField()


def test_form_cleans_to_the_normalised_address() -> None:
    form = SignUpForm(data={"email": "  Jane@Company.CO.UK "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "Jane@company.co.uk"


def test_form_error_shows_the_suggestion_and_the_reason_code() -> None:
    form = SignUpForm(data={"email": "John@Gmal.com"})
    assert not form.is_valid()
    assert form.errors["email"] == ["did you mean John@gmail.com?"]
    [error] = form.errors.as_data()["email"]
    assert error.code == "possible_typo"
    assert error.params is not None
    assert error.params["suggestion"] == "John@gmail.com"


def test_required_and_optional_fields() -> None:
    assert SignUpForm(data={"email": ""}).errors["email"] == ["This field is required."]

    class Optional(forms.Form):
        email = EmailCheckField(required=False)

    form = Optional(data={"email": ""})
    assert form.is_valid()
    assert form.cleaned_data["email"] == ""


def test_validator_raises_with_code_and_message() -> None:
    validator = EmailCheckValidator()
    validator("jane@company.co.uk")
    with pytest.raises(ValidationError) as caught:
        validator("john..doe@company.com")
    assert caught.value.code == "local_part_consecutive_dots"
    assert caught.value.messages == ["the local part has two consecutive dots"]


def test_validator_options_and_deconstruction() -> None:
    validator = EmailCheckValidator(reject={"invalid", "role_account"})
    with pytest.raises(ValidationError) as caught:
        validator("sales@company.co.uk")
    assert caught.value.code == "role_account"
    EmailCheckValidator(reject={"invalid"})("x@mailinator.com")
    path, _args, kwargs = validator.deconstruct()
    assert path == "emailcheck.integrations.django.EmailCheckValidator"
    assert kwargs == {"reject": {"invalid", "role_account"}}
    assert EmailCheckValidator(**kwargs) == validator


def test_dns_mode(email_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = email_sandbox({"shop.test": MailDomain(mailboxes={"alice"}),
                             "nomail.test": MailDomain(dns="null_mx")})
    verifier = sandbox.verifier()

    class Checked(forms.Form):
        email = EmailCheckField(dns=True, verifier=verifier)

    assert Checked(data={"email": "alice@shop.test"}).is_valid()
    form = Checked(data={"email": "alice@nomail.test"})
    assert not form.is_valid()
    assert form.errors.as_data()["email"][0].code == "null_mx"
