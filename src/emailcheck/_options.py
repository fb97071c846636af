"""The one frozen configuration object of a Verifier."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field, fields

from ._errors import ConfigurationError
from ._syntax import SyntaxRules


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a Verifier can be told. Defaults suit production use.

    Syntax:
        allow_quoted_local: accept RFC-valid quoted local parts (``"john doe"@…``).
        allow_domain_literal: accept ``user@[192.0.2.1]``.
        allow_smtputf8: accept non-ASCII local parts (RFC 6531).
        allow_special_use: True, or the reserved names to allow (e.g. ``{"test"}``).
        allow_single_label: accept dotless domains (``user@intranet``).
    Checks:
        timeout: overall deadline of one verification, in seconds.
    """

    allow_quoted_local: bool = True
    allow_domain_literal: bool = False
    allow_smtputf8: bool = True
    allow_special_use: bool | Collection[str] = False
    allow_single_label: bool = False
    timeout: float = 30.0
    _rules: SyntaxRules = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.allow_special_use, bool):
            if isinstance(self.allow_special_use, str):
                raise ConfigurationError(
                    "allow_special_use takes True/False or a collection of names, not a str"
                )
            object.__setattr__(
                self,
                "allow_special_use",
                frozenset(name.strip(".").lower() for name in self.allow_special_use),
            )
        if not (isinstance(self.timeout, (int, float)) and 0 < self.timeout < math.inf):
            raise ConfigurationError(f"timeout must be a positive number, not {self.timeout!r}")
        object.__setattr__(
            self,
            "_rules",
            SyntaxRules(
                allow_quoted_local=self.allow_quoted_local,
                allow_domain_literal=self.allow_domain_literal,
                allow_smtputf8=self.allow_smtputf8,
                allow_special_use=self.allow_special_use,
                allow_single_label=self.allow_single_label,
            ),
        )

    @property
    def syntax_rules(self) -> SyntaxRules:
        return self._rules


OPTION_NAMES = frozenset(f.name for f in fields(Options) if f.init)
