"""pydantic v2: an annotated ``str`` type that verifies and normalises an email address."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from .._verifier import Verifier
from ._rule import DEFAULT_REJECT, EmailRule

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

# The error ``type`` of every rejection; ``ctx`` carries reason, suggestion and status.
ERROR_TYPE = "email_check"


@dataclass(frozen=True)
class EmailCheck:
    """``Annotated[str, EmailCheck(...)]`` metadata: verify, reject, keep the normalised form.

    The options are those of ``email_type()``. Validation is synchronous: with ``dns=True``
    it blocks for the lookup, so in async servers verify with ``await averify()`` instead
    (docs/integrations.md).
    """

    rule: EmailRule = field(default_factory=EmailRule)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler, /
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(
            self._validate, core_schema.str_schema()
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler, /
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["format"] = "email"
        return json_schema

    def _validate(self, value: str) -> str:
        from pydantic_core import PydanticCustomError

        result = self.rule.verify(value)
        rejection = self.rule.judge(result)
        if rejection is not None:
            raise PydanticCustomError(
                ERROR_TYPE,
                "{message}",
                {
                    "message": rejection.message,
                    "reason": rejection.reason,
                    "suggestion": rejection.suggestion,
                    "status": rejection.status,
                },
            )
        return result.email if result.email is not None else value


def email_type(
    *, dns: bool = False, smtp: bool = False, reject: Collection[str] = DEFAULT_REJECT,
    verifier: Verifier | None = None, timeout: float | None = None,
) -> Any:
    """An annotated ``str`` type for pydantic models, e.g. ``email_type(dns=True)``.

    Args:
        dns: also look up the domain's mail servers (default: offline only).
        smtp: with ``dns``, also probe the mailbox (slow; off by default).
        reject: statuses and reason codes (of the result or any check) to refuse
            (default ``{"invalid", "risky"}``).
        verifier: the Verifier to use (default: the shared ``default_verifier()``).
        timeout: overall seconds per address for network checks.

    A rejection is a ``ValidationError`` entry of type ``"email_check"`` whose ``ctx``
    holds ``reason``, ``suggestion``, ``status`` and ``message``.
    """
    rule = EmailRule(dns=dns, smtp=smtp, reject=reject, verifier=verifier, timeout=timeout)
    return Annotated[str, EmailCheck(rule)]


EmailAddress = Annotated[str, EmailCheck()]
"""An email address verified offline (syntax, typos, disposable domains), normalised."""
