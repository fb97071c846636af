"""Typo suggestions: the popular mailbox provider a mistyped domain most likely meant."""

# How a suggestion is decided (precision first: a wrong "did you mean" is worse than none).
#
# A domain is split into its first label, the *name* ("gmail"), and the rest, the *suffix*
# ("com", "co.uk"). Providers are compared only with domains of the same shape, so a
# subdomain such as "mail.gmial.com" never gets a suggestion. Each part is compared with a
# weighted optimal-string-alignment distance: a keyboard-neighbour substitution ("gnail"),
# a doubled or undoubled letter ("gmaill", "yaho") cost 0.6, a transposition ("gmial") 0.8,
# any other edit 1.0, and edits at the first letter of the name 0.75 more (people rarely
# mistype it, while unrelated real names often differ there: bmail/gmail, soho/zoho).
#
# The suffix may be fixed only when the typed TLD cannot be a real one the provider uses:
# - a typed two-letter TLD is a country's real namespace ("gmx.at" and "yahoo.gr" are
#   providers too), so it is never swapped for another; the one exception is a letter
#   dropped from .com or .net ("gmail.co", "hotmail.cm", "gmail.om"): .co, .cm and .om
#   are real ccTLDs, but <popular brand>.co is a typosquat, not a mailbox provider, so this
#   is offered only for popular providers with a distinctive name (or when DNS says the
#   typed domain has no mail);
# - any other TLD is fixed only for a single keyboard slip (".con", ".cmo", ".comm",
#   "co.ukk", "web.dee"), which never produces a real TLD the provider could own, except
#   the few listed in _REAL_TLD_LOOKALIKES; a plain extra letter is not enough ("web.dev").
#
# The name may be fixed within a budget that grows with the provider's popularity tier
# (share of the largest weight) and name length; short names get none, as nearly every
# short edit is somebody's real domain (gmac.com, ibm.com, love.com for live.com).
# has_mail=False (the typed domain receives no mail) adds 0.5 to budgets and opens small
# budgets for short popular names; has_mail=True (it does receive mail) allows only a
# single keyboard slip (cost <= 0.8) from a top-tier provider with a name of 5+ letters.
#
# Finally the best acceptable provider must be the clear answer: none is offered when any
# provider is strictly closer (even one we would not suggest), or when another within
# _TIE_MARGIN is not at least _DOMINANCE times less popular.

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

_ADJACENT_KEY_COST = 0.6
_DOUBLED_LETTER_COST = 0.6
_TRANSPOSITION_COST = 0.8
_PLAIN_EDIT_COST = 1.0
_FIRST_LETTER_PENALTY = 0.75

# A single keyboard slip; the most a TLD may be fixed by, and all has_mail=True allows.
_SLIP_COST = 0.8

_TOP_TIER_SHARE = 0.10
_MID_TIER_SHARE = 0.02

_TIE_MARGIN = 0.3
_DOMINANCE = 5.0

_EPSILON = 1e-9

# Real TLDs one keyboard slip away from a provider's TLD: never "fixed".
_REAL_TLD_LOOKALIKES = frozenset({"bet"})
# Two-letter country TLDs reachable by dropping one letter of these.
_DROPPED_LETTER_TLDS = ("com", "net")

_QWERTY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")

_DOMAIN_PATTERN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")

_TOP, _MID, _LOW = 2, 1, 0


def _keyboard_neighbours() -> frozenset[str]:
    pairs: set[str] = set()
    for row_index, row in enumerate(_QWERTY_ROWS):
        below = _QWERTY_ROWS[row_index + 1] if row_index + 1 < len(_QWERTY_ROWS) else ""
        for column, key in enumerate(row):
            # Rows are staggered: a key touches the two keys below it at column-1 and column.
            near = row[column + 1 : column + 2] + below[max(column - 1, 0) : column + 1]
            for other in near:
                pairs.add(key + other)
                pairs.add(other + key)
    return frozenset(pairs)


_NEIGHBOURS = _keyboard_neighbours()


def _extra_letter_costs(text: str) -> tuple[float, ...]:
    """Cost of each letter of ``text`` being a stray extra one (less when it is doubled)."""
    last = len(text) - 1
    return tuple(
        _DOUBLED_LETTER_COST
        if (i > 0 and text[i - 1] == ch) or (i < last and text[i + 1] == ch)
        else _PLAIN_EDIT_COST
        for i, ch in enumerate(text)
    )


def _edit_cost(
    typed: str,
    target: str,
    typed_costs: tuple[float, ...],
    target_costs: tuple[float, ...],
    *,
    limit: float,
    first_letter_penalty: float,
) -> float:
    """Weighted optimal-string-alignment distance from ``typed`` to ``target``.

    Both are non-empty; ``*_costs`` are their ``_extra_letter_costs``. Returns ``math.inf``
    as soon as the distance must exceed ``limit``.
    """
    n, m = len(typed), len(target)
    bound = limit + _EPSILON
    if abs(n - m) * _DOUBLED_LETTER_COST > bound:
        return math.inf
    inf = math.inf
    neighbours = _NEIGHBOURS
    adjacent, plain, swap = _ADJACENT_KEY_COST, _PLAIN_EDIT_COST, _TRANSPOSITION_COST
    penalty = first_letter_penalty
    # Cells further than `band` off the diagonal need that many extra or missing letters,
    # each costing at least 0.6, so they can never come in under the limit.
    band = int(bound / _DOUBLED_LETTER_COST)
    omit_costs = (target_costs[0] + penalty, *target_costs[1:])
    previous = [0.0] * (m + 1)
    for j in range(1, m + 1):
        previous[j] = previous[j - 1] + omit_costs[j - 1]
    before = previous
    previous_min = 0.0
    for i in range(1, n + 1):
        letter = typed[i - 1]
        extra = typed_costs[i - 1]
        current = [inf] * (m + 1)
        if i <= band:
            current[0] = previous[0] + extra + (penalty if i == 1 else 0.0)
        row_min = current[0]
        for j in range(max(1, i - band), min(m, i + band) + 1):
            wanted = target[j - 1]
            diagonal = previous[j - 1]
            if letter == wanted:
                best = diagonal
            else:
                best = diagonal + (adjacent if letter + wanted in neighbours else plain)
                if i == 1 and j == 1:
                    best += penalty
                if i > 1 and j > 1 and letter == target[j - 2] and typed[i - 2] == wanted:
                    cost = before[j - 2] + swap + (penalty if j == 2 else 0.0)
                    best = cost if cost < best else best  # min() is a call: slower here
            cost = previous[j] + extra
            best = cost if cost < best else best
            cost = current[j - 1] + omit_costs[j - 1]
            best = cost if cost < best else best
            current[j] = best
            row_min = best if best < row_min else row_min
        # Transpositions reach back two rows, so stop only when two rows are over the limit.
        if row_min > bound and previous_min > bound:
            return inf
        before, previous, previous_min = previous, current, row_min
    result = previous[m]
    return result if result <= bound else inf


@dataclass(frozen=True, slots=True)
class _Provider:
    domain: str
    name: str
    suffix: str
    weight: float
    tier: int


@dataclass(frozen=True, slots=True)
class _SuffixFix:
    cost: float
    dropped_letter: bool  # "co" -> "com": the typed TLD is a real country one


_SAME_SUFFIX = _SuffixFix(0.0, dropped_letter=False)


@dataclass(frozen=True, slots=True)
class _Name:
    text: str
    letters: frozenset[str]
    extra_costs: tuple[float, ...]
    providers: tuple[_Provider, ...]


# has_mail -> position in the per-mode budget tuples.
_MODE: dict[bool | None, int] = {None: 0, False: 1, True: 2}
# Per mode, the largest name budget any provider can have (sizes the length window).
_MAX_NAME_BUDGET = (1.8, 2.3, _SLIP_COST)
_NEVER = -1.0  # a budget no name cost meets; 0.0 admits only the exact name


@dataclass(frozen=True, slots=True)
class _Target:
    """A provider a typed suffix may be fixed to, with its name budget per mode."""

    provider: _Provider
    fix: _SuffixFix
    budgets: tuple[float, float, float]


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: a cheap dict key
class _Reach:
    """A provider name worth comparing with one typed suffix."""

    name: _Name
    targets: tuple[_Target, ...]
    budgets: tuple[float, float, float]  # the largest of its targets'


_ByLength = dict[int, tuple[_Reach, ...]]

# A different first letter costs at least a cheap edit plus the penalty.
_NEW_FIRST_LETTER_COST = _DOUBLED_LETTER_COST + _FIRST_LETTER_PENALTY


@dataclass(frozen=True, slots=True)
class _Reachable:
    """The provider names one typed suffix can reach, indexed for the two passes."""

    exact: dict[str, _Reach]
    # Per mode: names that may be suggested for a different typed name, by length.
    fuzzy: tuple[_ByLength, _ByLength, _ByLength]
    by_length: _ByLength
    by_first_letter: dict[str, _ByLength]


def _by_length(reaches: Iterable[_Reach]) -> _ByLength:
    grouped: dict[int, list[_Reach]] = {}
    for reach in reaches:
        grouped.setdefault(len(reach.name.text), []).append(reach)
    return {length: tuple(group) for length, group in grouped.items()}


def _suffix_fix(typed: str, target: str) -> _SuffixFix | None:
    if typed == target:
        return _SAME_SUFFIX
    typed_tld = typed.rpartition(".")[2]
    if typed_tld != target.rpartition(".")[2] and len(typed_tld) == 2:
        if target in _DROPPED_LETTER_TLDS and any(
            target[:i] + target[i + 1 :] == typed for i in range(len(target))
        ):
            return _SuffixFix(_PLAIN_EDIT_COST, dropped_letter=True)
        return None
    if typed_tld in _REAL_TLD_LOOKALIKES:
        return None
    cost = _edit_cost(
        typed,
        target,
        _extra_letter_costs(typed),
        _extra_letter_costs(target),
        limit=_SLIP_COST,
        first_letter_penalty=0.0,
    )
    return None if cost == math.inf else _SuffixFix(cost, dropped_letter=False)


def _name_budget(provider: _Provider, fix: _SuffixFix, has_mail: bool | None) -> float:
    """How far a typed name may be from ``provider``'s for a suggestion, given the suffix fix."""
    length, tier = len(provider.name), provider.tier
    if has_mail is True:
        if tier != _TOP or length < 5 or fix.cost > _SLIP_COST:
            return _NEVER
        return _SLIP_COST - fix.cost
    if fix.dropped_letter:
        if has_mail is False:
            allowed = tier != _LOW and length >= 3
        else:
            allowed = tier == _TOP and length >= 4
        return 0.0 if allowed else _NEVER
    if tier == _TOP:
        base = 0.0 if length <= 4 else 1.0 if length <= 6 else 1.4 if length <= 9 else 1.8
    elif tier == _MID:
        base = 0.0 if length <= 4 else _SLIP_COST
    else:
        base = 0.0 if length <= 6 else _SLIP_COST
    if has_mail is None:
        return base
    if base:
        return base + 0.5
    return _DOUBLED_LETTER_COST if tier != _LOW and length >= 3 else 0.0


class _ProviderIndex:
    """Providers grouped by name, with the typed-suffix lookups memoised."""

    def __init__(self, providers: Iterable[tuple[str, float]]) -> None:
        weights: dict[str, float] = {}
        for domain, weight in providers:
            _check_provider(domain, weight)
            if domain in weights:
                raise ValueError(f"duplicate provider domain: {domain!r}")
            weights[domain] = float(weight)
        if not weights:
            raise ValueError("no providers given")
        self.domains = frozenset(weights)
        largest = max(weights.values())
        grouped: dict[str, list[_Provider]] = {}
        for domain, weight in weights.items():
            name, _, suffix = domain.partition(".")
            share = weight / largest
            tier = _TOP if share >= _TOP_TIER_SHARE else _MID if share >= _MID_TIER_SHARE else _LOW
            grouped.setdefault(name, []).append(_Provider(domain, name, suffix, weight, tier))
        self.names = tuple(
            _Name(name, frozenset(name), _extra_letter_costs(name), tuple(members))
            for name, members in grouped.items()
        )
        self.suffixes = frozenset(p.suffix for name in self.names for p in name.providers)
        # Few distinct suffixes are ever typed (com, net, de …), so this stays small and hot.
        self.reachable = functools.lru_cache(maxsize=4096)(self._reachable)

    def _reachable(self, typed_suffix: str) -> _Reachable | None:
        fixes = {suffix: _suffix_fix(typed_suffix, suffix) for suffix in self.suffixes}
        reaches: list[_Reach] = []
        for name in self.names:
            targets = []
            for provider in name.providers:
                fix = fixes[provider.suffix]
                if fix is not None:
                    budgets = (
                        _name_budget(provider, fix, None),
                        _name_budget(provider, fix, False),
                        _name_budget(provider, fix, True),
                    )
                    targets.append(_Target(provider, fix, budgets))
            if targets:
                largest = (
                    max(t.budgets[0] for t in targets),
                    max(t.budgets[1] for t in targets),
                    max(t.budgets[2] for t in targets),
                )
                reaches.append(_Reach(name, tuple(targets), largest))
        if not reaches:
            return None
        first_letters = {reach.name.text[0] for reach in reaches}
        return _Reachable(
            exact={reach.name.text: reach for reach in reaches},
            fuzzy=(
                _by_length(r for r in reaches if r.budgets[0] >= _DOUBLED_LETTER_COST),
                _by_length(r for r in reaches if r.budgets[1] >= _DOUBLED_LETTER_COST),
                _by_length(r for r in reaches if r.budgets[2] >= _DOUBLED_LETTER_COST),
            ),
            by_length=_by_length(reaches),
            by_first_letter={
                letter: _by_length(r for r in reaches if r.name.text[0] == letter)
                for letter in first_letters
            },
        )


def _check_provider(domain: object, weight: object) -> None:
    if not isinstance(domain, str) or not _DOMAIN_PATTERN.fullmatch(domain):
        raise ValueError(f"provider domain must be a lower-case A-label: {domain!r}")
    if (
        isinstance(weight, bool)
        or not isinstance(weight, (int, float))
        or not math.isfinite(weight)
        or weight <= 0
    ):
        raise ValueError(f"provider weight must be a positive number: {domain!r} {weight!r}")


def parse_providers(text: str) -> list[tuple[str, float]]:
    """Parse ``domain<TAB>weight`` lines; ``#`` starts a comment; raises ``ValueError``."""
    providers: list[tuple[str, float]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.partition("#")[0].strip()
        if not line:
            continue
        fields = line.split("\t")
        try:
            if len(fields) != 2:
                raise ValueError("expected domain<TAB>weight")
            providers.append((fields[0].strip(), float(fields[1])))
        except ValueError as exc:
            raise ValueError(f"providers line {number}: {exc}: {raw!r}") from None
    return providers


_default_index: _ProviderIndex | None = None
_default_index_lock = threading.Lock()


def _load_default_index() -> _ProviderIndex:
    global _default_index
    with _default_index_lock:
        if _default_index is None:
            from importlib import resources

            source = resources.files("emailcheck").joinpath("data/providers.txt")
            _default_index = _ProviderIndex(parse_providers(source.read_text(encoding="utf-8")))
        return _default_index


class _TypedName:
    """The typed name with what every comparison of it needs, computed once."""

    __slots__ = ("extra_costs", "first", "letters", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.first = text[0]
        self.letters = frozenset(text)
        self.extra_costs = _extra_letter_costs(text)

    def cost_to(self, name: _Name, limit: float) -> float:
        """Weighted distance to ``name``, or ``math.inf`` when over ``limit``."""
        if name.text == self.text:
            return 0.0
        if limit < _DOUBLED_LETTER_COST - _EPSILON:
            return math.inf
        # A cheap lower bound first: every edit costs at least 0.6 and changes at most two
        # letters of the letter set or one of the length, and a different first letter
        # means one of them pays the penalty too.
        lower = max(
            _DOUBLED_LETTER_COST,
            len(self.letters ^ name.letters) * _DOUBLED_LETTER_COST / 2,
            abs(len(self.text) - len(name.text)) * _DOUBLED_LETTER_COST,
        )
        if self.first != name.text[0]:
            lower += _FIRST_LETTER_PENALTY
        if lower > limit + _EPSILON:
            return math.inf
        return _edit_cost(
            self.text,
            name.text,
            self.extra_costs,
            name.extra_costs,
            limit=limit,
            first_letter_penalty=_FIRST_LETTER_PENALTY,
        )


def _lengths(length: int, limit: float) -> range:
    """Name lengths within ``limit`` of ``length`` (each letter more or less costs >= 0.6)."""
    span = int(limit / _DOUBLED_LETTER_COST + _EPSILON)
    return range(max(length - span, 1), length + span + 1)


class TypoSuggester:
    """Suggests the popular provider a mistyped domain most likely meant; pure and cached."""

    def __init__(
        self,
        providers: Iterable[tuple[str, float]] | None = None,
        *,
        cache_size: int = 65536,
    ) -> None:
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ValueError(f"cache_size must be a non-negative int, not {cache_size!r}")
        self._index = None if providers is None else _ProviderIndex(providers)
        self._cached = functools.lru_cache(maxsize=cache_size)(self._suggest)

    def suggest(self, ascii_domain: str, *, has_mail: bool | None = None) -> str | None:
        """The provider domain ``ascii_domain`` (lower-case A-label) was likely meant as.

        ``has_mail``: whether DNS says the typed domain receives mail (``None``: unknown).
        """
        return self._cached(ascii_domain, has_mail)

    def cache_info(self) -> functools._CacheInfo:
        """Hit and miss counts of the suggestion cache."""
        return self._cached.cache_info()

    def _suggest(self, domain: str, has_mail: bool | None) -> str | None:
        index = self._index
        if index is None:
            index = self._index = _default_index or _load_default_index()
        if domain in index.domains:
            return None
        name, _, suffix = domain.partition(".")
        if not name or not suffix:
            return None
        reachable = index.reachable(suffix)
        if reachable is None:
            return None
        mode = _MODE[has_mail]
        typed = _TypedName(name)

        # Pass 1: the best provider within its own budget. Most domains stop here, and
        # the tight budgets keep it cheap: most names can only be matched exactly.
        best: _Target | None = None
        best_cost = math.inf
        known: dict[_Reach, float] = {}  # name costs found within budget
        exact = reachable.exact.get(name)
        fuzzy = reachable.fuzzy[mode]
        for reaches in (
            (exact,) if exact is not None else (),
            *(fuzzy.get(length, ()) for length in _lengths(len(name), _MAX_NAME_BUDGET[mode])),
        ):
            for reach in reaches:
                if reach in known:
                    continue  # the exact name can be fuzzy too
                name_cost = typed.cost_to(reach.name, reach.budgets[mode])
                if name_cost == math.inf:
                    continue
                known[reach] = name_cost
                for target in reach.targets:
                    cost = name_cost + target.fix.cost
                    if name_cost <= target.budgets[mode] + _EPSILON and (
                        best is None
                        or cost < best_cost - _EPSILON
                        or (
                            cost <= best_cost + _EPSILON
                            and target.provider.weight > best.provider.weight
                        )
                    ):
                        best, best_cost = target, cost
        if best is None:
            return None

        # Pass 2: the best must be the clear answer among every provider, suggestible or not.
        limit = best_cost + _TIE_MARGIN
        if limit + _EPSILON >= _NEW_FIRST_LETTER_COST:
            candidates = reachable.by_length
        else:
            candidates = reachable.by_first_letter.get(name[0], {})
        for length in _lengths(len(name), limit):
            for reach in candidates.get(length, ()):
                rival_name_cost = known.get(reach)
                if rival_name_cost is None:
                    rival_name_cost = typed.cost_to(reach.name, limit)
                if rival_name_cost == math.inf:
                    continue
                for target in reach.targets:
                    if target is best:
                        continue
                    cost = rival_name_cost + target.fix.cost
                    if cost < best_cost - _EPSILON:
                        return None  # a closer provider we may not suggest: ambiguous
                    if (
                        cost <= limit + _EPSILON
                        and target.provider.weight * _DOMINANCE > best.provider.weight
                    ):
                        return None
        return best.provider.domain


_default_suggester: TypoSuggester | None = None
_default_suggester_lock = threading.Lock()


def _make_default_suggester() -> TypoSuggester:
    global _default_suggester
    with _default_suggester_lock:
        if _default_suggester is None:
            _default_suggester = TypoSuggester()
        return _default_suggester


def suggest_domain(ascii_domain: str, *, has_mail: bool | None = None) -> str | None:
    """``TypoSuggester().suggest`` on one shared default suggester."""
    suggester = _default_suggester or _make_default_suggester()
    return suggester.suggest(ascii_domain, has_mail=has_mail)
