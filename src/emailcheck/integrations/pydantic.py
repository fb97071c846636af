"""pydantic v2 support: ``EmailAddress`` and ``email_type()`` (needs the ``pydantic`` extra)."""

from ._pydantic import ERROR_TYPE, EmailAddress, EmailCheck, email_type
from ._rule import DEFAULT_REJECT, EmailRule

__all__ = ["DEFAULT_REJECT", "ERROR_TYPE", "EmailAddress", "EmailCheck", "EmailRule", "email_type"]
