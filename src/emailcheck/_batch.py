"""Batch: an immutable sequence of results with counts, records, a table and a DataFrame."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from ._types import Result, Status, _plain

if TYPE_CHECKING:
    import pandas

# Columns of to_records() and the notebook table, in order.
COLUMNS = (
    "input", "email", "status", "reason", "message", "score", "suggestion",
    "disposable", "role", "free", "checked_at",
)
# A notebook table longer than this shows its head and says how many rows are hidden.
_HTML_ROWS = 50


class Batch(Sequence[Result]):
    """Results of many addresses, in order: ``counts()``, ``select()``, ``to_records()``,
    ``to_dataframe()`` and a table in notebooks. ``Verifier.verify_batch()`` makes one."""

    __slots__ = ("_results",)

    def __init__(self, results: Iterable[Result] = ()) -> None:
        self._results = tuple(results)

    @overload
    def __getitem__(self, index: int) -> Result: ...
    @overload
    def __getitem__(self, index: slice) -> Batch: ...
    def __getitem__(self, index: int | slice) -> Result | Batch:
        if isinstance(index, slice):
            return Batch(self._results[index])
        return self._results[index]

    def __len__(self) -> int:
        return len(self._results)

    def __iter__(self) -> Iterator[Result]:
        return iter(self._results)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Batch) and self._results == other._results

    def __hash__(self) -> int:
        return hash(self._results)

    def __repr__(self) -> str:
        counts = ", ".join(f"{status.value}={n}" for status, n in self.counts().items() if n)
        return f"<Batch {len(self)} results{': ' + counts if counts else ''}>"

    def counts(self) -> dict[Status, int]:
        """How many results have each status; every status is a key, in severity order."""
        tally = dict.fromkeys(_STATUS_ORDER, 0)
        for result in self._results:
            tally[result.status] += 1
        return tally

    def select(self, *labels: str) -> Batch:
        """The results whose status or reason is one of ``labels`` (a segment)."""
        wanted = {str(_plain(label)) for label in labels}
        return Batch(
            result for result in self._results
            if result.status.value in wanted or str(_plain(result.reason)) in wanted
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One flat JSON-native dict per result (``COLUMNS``; the checks are left out)."""
        return [_record(result) for result in self._results]

    def to_dataframe(self) -> pandas.DataFrame:
        """A pandas DataFrame of ``to_records()`` (needs the ``pandas`` extra)."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError(
                'to_dataframe() needs pandas: pip install "emailcheck[pandas]"'
            ) from error
        return pandas.DataFrame.from_records(self.to_records(), columns=list(COLUMNS))

    def _repr_html_(self) -> str:
        summary = " · ".join(
            f"{html.escape(status.value)}: {n}" for status, n in self.counts().items())
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in COLUMNS)
        rows = "".join(
            "<tr>" + "".join(
                f"<td style='text-align:left'>{html.escape(_cell(record[c]))}</td>"
                for c in COLUMNS
            ) + "</tr>"
            for record in self[:_HTML_ROWS].to_records()
        )
        hidden = len(self) - _HTML_ROWS
        more = f"<p>… {hidden} more</p>" if hidden > 0 else ""
        return (
            f"<p class='emailcheck-summary'>{len(self)} results — {summary}</p>"
            f"<table class='emailcheck-batch'><tr>{head}</tr>{rows}</table>{more}"
        )


_STATUS_ORDER = (Status.VALID, Status.CATCH_ALL, Status.RISKY, Status.UNKNOWN, Status.INVALID)


def _record(result: Result) -> dict[str, Any]:
    return {
        "input": result.input,
        "email": result.email,
        "status": result.status.value,
        "reason": str(_plain(result.reason)),
        "message": result.message,
        "score": result.score,
        "suggestion": result.suggestion,
        "disposable": result.disposable,
        "role": result.role,
        "free": result.free,
        "checked_at": result.checked_at.isoformat(),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
