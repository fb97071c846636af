"""Verify a Dask DataFrame column across a cluster, partitioned by domain.

Needs the ``dask`` extra (``pip install "emailcheck[dask]"``). Rows are shuffled so all
addresses of one domain land in one partition: its SMTP sessions, its catch-all
verdict and its DNS answers stay on one worker, which runs ``verify_many`` over the
partition with the usual per-host limits.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from ._options import Options

__all__ = ["RESULT_COLUMNS", "verify_dataframe"]

RESULT_COLUMNS = ("status", "reason", "suggestion", "flags", "mx_host", "checked_at")
_DOMAIN = "_emailcheck_domain"

_lock = threading.Lock()
_verifiers: dict[Options, Any] = {}  # one Verifier (and its caches) per worker process


def verify_dataframe(
    frame: Any, column: str = "email", *, dns: bool = True, smtp: bool = True,
    timeout: float | None = None, npartitions: int | None = None,
    options: Options | None = None, **changes: Any,
) -> Any:
    """The rows of ``frame`` (a ``dask.dataframe.DataFrame``) with the result columns
    ``status, reason, suggestion, flags, mx_host, checked_at`` appended (strings).

    ``options`` / ``changes`` configure the Verifier built once per worker process, as
    for ``Verifier(options, **changes)``. ``npartitions`` sets how many domain-grouped
    partitions to shuffle into (default: as many as ``frame`` has). Row order is not
    kept: the index is, so join back on it if needed. Lazy, like any Dask collection.
    """
    from dataclasses import replace

    settings = replace(options or Options(), **changes)  # validated here, on the client
    pandas = importlib.import_module("pandas")
    domains = frame[column].astype(str).str.rpartition("@")[2].str.lower()
    shuffled = frame.assign(**{_DOMAIN: domains}).shuffle(
        _DOMAIN, npartitions=npartitions or frame.npartitions)
    meta = frame._meta.assign(**{name: pandas.Series([], dtype=object)
                                 for name in RESULT_COLUMNS})
    return shuffled.map_partitions(
        _verify_partition, column=column, options=settings, dns=dns, smtp=smtp,
        timeout=timeout, meta=meta)


def _verifier(options: Options) -> Any:
    from ._verifier import Verifier

    with _lock:
        verifier = _verifiers.get(options)
        if verifier is None:
            verifier = _verifiers[options] = Verifier(options)
        return verifier


def _verify_partition(
    part: Any, *, column: str, options: Options, dns: bool, smtp: bool,
    timeout: float | None,
) -> Any:
    from ._cli import _mx_host

    part = part.drop(columns=[_DOMAIN])
    verifier = _verifier(options)
    rows: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    # Sorted by domain, so each domain's addresses share the window and its sessions.
    addresses = [str(value) for value in part[column].tolist()]
    for result in verifier.verify_many(addresses, dns=dns, smtp=smtp, timeout=timeout):
        rows["status"].append(result.status.value)
        rows["reason"].append(str(result.reason))
        rows["suggestion"].append(result.suggestion or "")
        rows["flags"].append(";".join(
            name for name in ("disposable", "role", "free") if getattr(result, name)))
        rows["mx_host"].append(_mx_host(result) or "")
        rows["checked_at"].append(result.checked_at.isoformat())
    return part.assign(**rows)
