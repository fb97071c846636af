"""WTForms: the validator refuses with a message and normalises what it accepts."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("wtforms")

from wtforms import Form, StringField
from wtforms.validators import DataRequired, Optional

from emailcheck.integrations.wtforms import EmailCheck, EmailRejected
from emailcheck.testing import MailDomain


class FormData(dict[str, list[str]]):
    """What a web framework hands WTForms: a dict with ``getlist``."""

    def getlist(self, key: str) -> list[str]:
        return self.get(key, [])


def submit(form_class: type[Form], email: str) -> Any:
    form = form_class(FormData(email=[email]))
    form.validate()
    return form


class SignUpForm(Form):
    email = StringField("Email", [DataRequired(), EmailCheck()])


def test_accepts_and_normalises() -> None:
    form = submit(SignUpForm, "Jane@Company.CO.UK")
    assert form.errors == {}
    assert form.email.data == "Jane@company.co.uk"


def test_refusal_shows_the_suggestion() -> None:
    form = submit(SignUpForm, "John@Gmal.com")
    assert form.errors == {"email": ["did you mean John@gmail.com?"]}
    assert form.email.data == "John@Gmal.com"


def test_the_raised_error_carries_the_reason() -> None:
    form = SignUpForm(FormData(email=["x@mailinator.com"]))
    with pytest.raises(EmailRejected) as caught:
        EmailCheck()(form, form.email)
    assert (caught.value.reason, caught.value.status) == ("disposable", "risky")
    assert caught.value.suggestion is None


def test_options() -> None:
    class Lenient(Form):
        email = StringField("Email", [Optional(), EmailCheck(reject={"invalid"},
                                                             normalise=False)])

    form = submit(Lenient, "X@Mailinator.COM")
    assert form.errors == {}
    assert form.email.data == "X@Mailinator.COM"
    assert submit(Lenient, "").errors == {}
    assert submit(Lenient, "a..b@company.com").errors == {
        "email": ["the local part has two consecutive dots"]}


def test_dns_mode(email_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = email_sandbox({"shop.test": MailDomain(mailboxes={"alice"}),
                             "gone.test": MailDomain(dns="nxdomain")})
    verifier = sandbox.verifier()

    class Checked(Form):
        email = StringField("Email", [EmailCheck(dns=True, verifier=verifier)])

    assert submit(Checked, "alice@shop.test").errors == {}
    form = Checked(FormData(email=["alice@gone.test"]))
    with pytest.raises(EmailRejected) as caught:
        EmailCheck(dns=True, verifier=verifier)(form, form.email)
    assert caught.value.reason == "domain_not_found"
