"""Django support: ``EmailCheckValidator`` and ``EmailCheckField`` (the ``django`` extra)."""

from ._django import EmailCheckField, EmailCheckValidator

__all__ = ["EmailCheckField", "EmailCheckValidator"]
