"""The base of every enum in the package: members are, compare and print as strings."""

from __future__ import annotations

from enum import Enum


class StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` and f-string form are its value on every Python
    (3.10's mixin enums print ``Class.MEMBER``; ``enum.StrEnum`` is 3.11+)."""

    def __str__(self) -> str:
        return str(self.value)
