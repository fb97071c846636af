"""WTForms support: the ``EmailCheck`` validator (needs the ``wtforms`` extra)."""

from ._wtforms import EmailCheck, EmailRejected

__all__ = ["EmailCheck", "EmailRejected"]
