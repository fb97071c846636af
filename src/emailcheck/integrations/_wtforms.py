"""WTForms: a field validator that verifies the address (needs the ``wtforms`` extra)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from wtforms.validators import ValidationError

from .._verifier import Verifier
from ._rule import DEFAULT_REJECT, EmailRule


class EmailRejected(ValidationError):  # type: ignore[misc]
    """A refused address: the message, plus ``reason``, ``suggestion`` and ``status``."""

    def __init__(self, message: str, reason: str, suggestion: str | None, status: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.suggestion = suggestion
        self.status = status


class EmailCheck:
    """Validator for a WTForms field; the same options as the Django validator.

    A refused value raises ``EmailRejected`` (a ``ValidationError``) with the result's
    message, ending in "did you mean …?" when there is a suggestion. An accepted value
    replaces ``field.data`` with its normalised form unless ``normalise=False``. Empty
    values are left to ``DataRequired`` or ``Optional``.
    """

    def __init__(
        self, *, dns: bool = False, smtp: bool = False,
        reject: Collection[str] = DEFAULT_REJECT, verifier: Verifier | None = None,
        timeout: float | None = None, normalise: bool = True,
    ) -> None:
        self.rule = EmailRule(dns=dns, smtp=smtp, reject=reject, verifier=verifier,
                              timeout=timeout)
        self.normalise = normalise
        self.field_flags = {"email": True}

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        if value is None or value == "":
            return
        result = self.rule.verify(str(value))
        rejection = self.rule.judge(result)
        if rejection is not None:
            raise EmailRejected(rejection.message, rejection.reason, rejection.suggestion,
                                rejection.status)
        if self.normalise and result.email is not None:
            field.data = result.email

