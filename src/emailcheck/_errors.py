"""Exceptions, for misuse only: a bad address is a result, never an exception.

::

    EmailCheckError
     ├── ConfigurationError   (also ValueError) bad options, checker or policy
     └── InvalidAddress       (also ValueError) raised by parse_address() only
"""

from __future__ import annotations


class EmailCheckError(Exception):
    """Base class of the exceptions this library raises."""


class ConfigurationError(EmailCheckError, ValueError):
    """An option, checker or policy given to a Verifier is not usable."""


class InvalidAddress(EmailCheckError, ValueError):
    """``parse_address()`` was given text that is not a valid address."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
