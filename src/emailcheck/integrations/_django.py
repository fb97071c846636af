"""Django: a model/form validator and a form field (needs the ``django`` extra)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from .._types import Result
from .._verifier import Verifier
from ._rule import DEFAULT_REJECT, EmailRule


@deconstructible(path="emailcheck.integrations.django.EmailCheckValidator")
class EmailCheckValidator:
    """A Django validator: raises ``ValidationError`` with ``code`` = the reason code.

    The message is the result's, with "did you mean …?" when there is a suggestion;
    ``params`` holds ``value``, ``reason``, ``suggestion`` and ``status``. Options as in
    ``EmailRule``: ``dns``, ``smtp``, ``reject``, ``verifier``, ``timeout``.
    """

    def __init__(
        self, *, dns: bool = False, smtp: bool = False,
        reject: Collection[str] = DEFAULT_REJECT, verifier: Verifier | None = None,
        timeout: float | None = None,
    ) -> None:
        self.rule = EmailRule(dns=dns, smtp=smtp, reject=reject, verifier=verifier,
                              timeout=timeout)

    def __call__(self, value: Any) -> None:
        self.check(str(value))

    def check(self, value: str) -> Result:
        """Verify ``value``; raise ``ValidationError`` if refused, else return the result."""
        result = self.rule.verify(value)
        rejection = self.rule.judge(result)
        if rejection is not None:
            # Django %-formats a message that has params: keep a literal "%" literal.
            raise ValidationError(
                rejection.message.replace("%", "%%"), code=rejection.reason,
                params={"value": value, "reason": rejection.reason,
                        "suggestion": rejection.suggestion, "status": rejection.status},
            )
        return result

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EmailCheckValidator) and self.rule == other.rule

    def __hash__(self) -> int:
        return hash((self.rule.dns, self.rule.smtp, self.rule.reject))


class EmailCheckField(forms.CharField):  # type: ignore[misc]  # Django is untyped
    """A form field that verifies the address and cleans to its normalised form."""

    widget = forms.EmailInput

    def __init__(
        self, *, dns: bool = False, smtp: bool = False,
        reject: Collection[str] = DEFAULT_REJECT, verifier: Verifier | None = None,
        timeout: float | None = None, **kwargs: Any,
    ) -> None:
        self.email_check = EmailCheckValidator(dns=dns, smtp=smtp, reject=reject,
                                               verifier=verifier, timeout=timeout)
        # RFC 5321 §4.5.3.1.3: a path holds at most 256 octets, so an address at most 254.
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = self.to_python(value)
        self.validate(value)
        if value in self.empty_values:
            self.run_validators(value)
            return value
        result = self.email_check.check(value)
        cleaned = result.email if result.email is not None else value
        self.run_validators(cleaned)
        return cleaned
