"""Domain and local-part lists: disposable domains, free providers, role mailboxes."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["DomainList", "Lists", "LocalPartList"]

# Parsed data files, keyed by (kind, resource): read at most once per process and shared
# by every list instance, so per-request overrides cost only the overrides themselves.
_cache: dict[tuple[str, str], frozenset[str]] = {}
_cache_lock = threading.Lock()

_HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))+\Z"
)


def normalise_domain(entry: str) -> str:
    """A list entry as a lower-case A-label domain; ValueError if it is not a host name."""
    name = entry.strip().rstrip(".")
    if name.isascii():
        name = name.lower()
    else:
        import idna  # only for non-ASCII entries: importing it costs milliseconds

        try:
            name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise ValueError(f"{entry!r} is not a valid domain: {error}") from None
    if not _HOST_NAME.match(name):
        # A single label is refused too: a bare TLD never matches, so it would be a no-op.
        raise ValueError(f"{entry!r} is not a host name of two or more labels")
    return name


def normalise_local_part(entry: str) -> str:
    """A list entry as a lower-case local part; ValueError if it cannot be one."""
    name = entry.strip().lower()
    if not name or any(char in name for char in '@+ \t"') or not name.isprintable():
        raise ValueError(f"{entry!r} is not a local part without +tag")
    return name


def _normalise_all(entries: Iterable[str], normalise: Callable[[str], str]) -> frozenset[str]:
    if isinstance(entries, str):
        # A lone string would otherwise be split into one-character entries.
        raise TypeError("expected an iterable of strings, not a string")
    return frozenset(normalise(entry) for entry in entries)


def _load(kind: str, resource: str, normalise: Callable[[str], str]) -> frozenset[str]:
    key = (kind, resource)
    entries = _cache.get(key)
    if entries is not None:
        return entries
    with _cache_lock:
        entries = _cache.get(key)
        if entries is None:
            from importlib import resources

            text = resources.files("emailcheck").joinpath("data/" + resource).read_text("utf-8")
            parsed = set()
            for number, line in enumerate(text.splitlines(), 1):
                entry = line.partition("#")[0].strip()
                if entry:
                    try:
                        parsed.add(normalise(entry))
                    except ValueError as error:
                        raise ValueError(f"data/{resource}, line {number}: {error}") from None
            entries = _cache[key] = frozenset(parsed)
    return entries


def _covered(domain: str, allow: frozenset[str]) -> bool:
    """True when the domain or one of its parents is in allow."""
    while True:
        if domain in allow:
            return True
        dot = domain.find(".")
        if dot < 0:
            return False
        domain = domain[dot + 1 :]


class _EntryList:
    """A shipped list file plus entries to add (extra) and to remove (allow)."""

    __slots__ = ("_allow", "_extra", "_loaded", "_resource")
    _normalise: Callable[[str], str]

    def __init__(
        self,
        resource: str | None = None,
        *,
        extra: Iterable[str] = (),
        allow: Iterable[str] = (),
    ) -> None:
        self._resource = resource
        self._extra = _normalise_all(extra, type(self)._normalise)
        self._allow = _normalise_all(allow, type(self)._normalise)
        self._loaded: frozenset[str] | None = None  # the effective entries, on first use

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._resource!r}, "
            f"extra={len(self._extra)}, allow={len(self._allow)})"
        )


class DomainList(_EntryList):
    """A set of domains matched on the domain itself and every parent domain."""

    __slots__ = ()
    _normalise = staticmethod(normalise_domain)

    def _entries(self) -> frozenset[str]:
        # No lock: two threads racing here compute equal sets and the assignment is atomic.
        entries = _load("domain", self._resource, normalise_domain) if self._resource else None
        if entries is None:
            entries = self._extra
        elif self._extra:
            entries = entries | self._extra
        if self._allow:
            # Dropping every entry under an allowed domain lets match() stop at the first
            # hit while the allow list still wins over a more specific entry.
            entries = frozenset(e for e in entries if not _covered(e, self._allow))
        self._loaded = entries
        return entries

    def match(self, ascii_domain: str) -> str | None:
        """The entry matching the domain or its nearest listed parent, or None."""
        deny = self._loaded
        if deny is None:
            deny = self._entries()
        allow = self._allow
        # Entries have two labels or more, so a bare TLD never hits; the walk stops before
        # slicing one off.
        if ascii_domain in deny:
            return ascii_domain
        if allow and ascii_domain in allow:
            return None
        dot = ascii_domain.find(".")
        after = ascii_domain.find(".", dot + 1)
        while after >= 0:
            parent = ascii_domain[dot + 1 :]
            if parent in deny:
                return parent
            if allow and parent in allow:
                return None
            dot = after
            after = ascii_domain.find(".", dot + 1)
        return None

    def __contains__(self, ascii_domain: object) -> bool:
        return isinstance(ascii_domain, str) and self.match(ascii_domain) is not None

    def __len__(self) -> int:
        deny = self._loaded
        return len(self._entries() if deny is None else deny)


class LocalPartList(_EntryList):
    """Role (or other) local parts; matched case-insensitively, ignoring a +tag subaddress."""

    __slots__ = ()
    _normalise = staticmethod(normalise_local_part)

    def _load(self) -> frozenset[str]:
        entries = self._extra
        if self._resource:
            entries = _load("local", self._resource, normalise_local_part) | entries
        entries = entries - self._allow
        self._loaded = entries
        return entries

    def match(self, local_part: str) -> str | None:
        """The entry matching the local part (before any '+'), or None."""
        entries = self._loaded
        if entries is None:
            entries = self._load()
        name = local_part.partition("+")[0].lower()
        return name if name in entries else None

    def __contains__(self, local_part: object) -> bool:
        return isinstance(local_part, str) and self.match(local_part) is not None

    def __len__(self) -> int:
        entries = self._loaded
        return len(self._load() if entries is None else entries)


_default_lock = threading.Lock()
_default: Lists | None = None


@dataclass(frozen=True, slots=True)
class Lists:
    """The lists a verification consults."""

    disposable: DomainList
    free: DomainList
    role: LocalPartList

    @classmethod
    def default(cls) -> Lists:
        """The shipped lists, one shared instance; files load on first lookup."""
        global _default
        if _default is None:
            with _default_lock:
                if _default is None:
                    _default = cls(
                        DomainList("disposable.txt"),
                        DomainList("free.txt"),
                        LocalPartList("role.txt"),
                    )
        return _default

    @classmethod
    def with_overrides(
        cls,
        *,
        disposable: Iterable[str] = (),
        not_disposable: Iterable[str] = (),
        free: Iterable[str] = (),
        not_free: Iterable[str] = (),
        role: Iterable[str] = (),
        not_role: Iterable[str] = (),
    ) -> Lists:
        """The shipped lists plus entries to add and entries to allow (allow wins)."""
        return cls(
            DomainList("disposable.txt", extra=disposable, allow=not_disposable),
            DomainList("free.txt", extra=free, allow=not_free),
            LocalPartList("role.txt", extra=role, allow=not_role),
        )
