"""Typo suggestions: corrections, precision on real domains, has_mail, ties, cache, data."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
import threading
import time
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emailcheck._typo as typo
from emailcheck._typo import TypoSuggester, parse_providers, suggest_domain

DATA = resources.files("emailcheck").joinpath("data")


def _file_entries(name: str) -> list[str]:
    # Read independently of the module's parser, so both are checked against each other.
    lines = DATA.joinpath(name).read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


PROVIDER_LINES = _file_entries("providers.txt")
PROVIDERS = [line.split("\t")[0] for line in PROVIDER_LINES]
FREE_DOMAINS = _file_entries("free.txt")

SUGGESTER = TypoSuggester()


# --- corrections ---------------------------------------------------------------------------

TYPOS = [
    # (typed, expected): suggested offline (has_mail=None) and when DNS finds no mail.
    ("gmal.com", "gmail.com"),  # John's
    ("gmial.com", "gmail.com"),
    ("gamil.com", "gmail.com"),
    ("gnail.com", "gmail.com"),
    ("gmaill.com", "gmail.com"),
    ("gmai.com", "gmail.com"),
    ("hotmial.com", "hotmail.com"),
    ("hotmal.com", "hotmail.com"),
    ("hotnial.com", "hotmail.com"),
    ("yaho.com", "yahoo.com"),
    ("yahooo.com", "yahoo.com"),
    ("outlok.com", "outlook.com"),
    ("iclod.com", "icloud.com"),
    ("protonmial.com", "protonmail.com"),
    ("googlemial.com", "googlemail.com"),
    # The TLD alone.
    ("gmail.con", "gmail.com"),
    ("gmail.cmo", "gmail.com"),
    ("gmail.ocm", "gmail.com"),
    ("gmail.comm", "gmail.com"),
    ("gmail.vom", "gmail.com"),
    ("gmail.om", "gmail.com"),
    ("gmail.cm", "gmail.com"),
    ("gmail.co", "gmail.com"),
    ("hotmail.co", "hotmail.com"),
    ("yahoo.co", "yahoo.com"),
    ("outlook.cmo", "outlook.com"),
    ("yahoo.con", "yahoo.com"),
    ("gmx.con", "gmx.com"),
    ("me.con", "me.com"),
    ("163.cmo", "163.com"),
    ("web.dee", "web.de"),
    ("hotmail.co.ukk", "hotmail.co.uk"),
    ("uol.con.br", "uol.com.br"),
    # Country-domain providers keep their country.
    ("yaho.co.uk", "yahoo.co.uk"),
    ("hotmial.co.uk", "hotmail.co.uk"),
    ("hotmial.fr", "hotmail.fr"),
    ("yahooo.fr", "yahoo.fr"),
    # Name and TLD slips together.
    ("gmial.con", "gmail.com"),
]


@pytest.mark.parametrize(("typed", "expected"), TYPOS)
@pytest.mark.parametrize("has_mail", [None, False])
def test_typos_are_corrected(typed: str, expected: str, has_mail: bool | None) -> None:
    assert SUGGESTER.suggest(typed, has_mail=has_mail) == expected


def test_module_level_suggest_domain() -> None:
    assert suggest_domain("gmal.com") == "gmail.com"
    assert suggest_domain("gmal.com", has_mail=True) is None
    assert suggest_domain("gmail.com") is None


# --- precision: real domains are never corrected -------------------------------------------


@pytest.mark.parametrize("domain", PROVIDERS)
def test_every_provider_is_left_alone(domain: str) -> None:
    for has_mail in (None, False, True):
        assert SUGGESTER.suggest(domain, has_mail=has_mail) is None


@pytest.mark.parametrize("domain", FREE_DOMAINS)
def test_every_known_free_mailbox_domain_is_left_alone(domain: str) -> None:
    # free.txt holds ~400 real providers, most of them not in providers.txt (hotmail.ch,
    # live.at, gmx.us, mail.de …): a near-miss of a provider can still be a real one.
    for has_mail in (None, True):
        assert SUGGESTER.suggest(domain, has_mail=has_mail) is None


NOT_PROVIDERS = [
    # Companies, universities and public bodies, several of them a few letters from a
    # provider, a provider's name under another TLD, or a provider with another label.
    "ibm.com", "hp.com", "gm.com", "ge.com", "aon.com", "bt.com", "cnn.com",
    "amazon.com", "apple.com", "google.com", "microsoft.com", "facebook.com",
    "netflix.com", "github.com", "gitlab.com", "mailchimp.com", "mailgun.com",
    "sendgrid.net", "hotels.com", "hotmart.com", "hotjar.com", "msnbc.com",
    "livenation.com", "wahoo.com", "cloud.com", "protonvpn.com",
    "mit.edu", "msu.edu", "gmu.edu", "stanford.edu", "harvard.edu", "berkeley.edu",
    "ox.ac.uk", "cam.ac.uk", "ucl.ac.uk", "bbc.co.uk", "gov.uk", "nhs.net",
    "ethz.ch", "tum.de", "u-tokyo.ac.jp", "libera.chat",
    "outlook-company.com", "yahoo-inc.com", "gmac.com", "mail.org", "gmx.org",
    "bmail.com", "love.com", "life.com", "soho.com", "tree.com", "never.com",
    "roger.com", "carter.net", "tonline.de",
    "web.dev", "web.com", "orange.com", "laposte.fr", "free.com", "sfr.com",
    "comcast.com", "verizon.com", "att.com", "cox.com", "charter.com", "telus.com",
    "yahoo.net", "yandex.net", "sina.com.cn", "163.net", "gmail.co.uk",
    "gmx.bet", "acme.co", "wbe.de",
    # Subdomains: more labels than any provider.
    "mail.yahoo.com", "smtp.gmail.com", "mx.google.com", "mail.gmial.com",
    "yahoo.co.uk.example.com",
]  # fmt: skip


@pytest.mark.parametrize("domain", NOT_PROVIDERS)
def test_ordinary_domains_are_left_alone(domain: str) -> None:
    assert SUGGESTER.suggest(domain) is None
    assert SUGGESTER.suggest(domain, has_mail=True) is None


def test_the_non_provider_table_is_large_and_disjoint_from_the_providers() -> None:
    assert len(NOT_PROVIDERS) >= 60
    assert not set(NOT_PROVIDERS) & set(PROVIDERS)
    assert not set(NOT_PROVIDERS) & set(FREE_DOMAINS)


# --- has_mail ---------------------------------------------------------------------------

HAS_MAIL_ROWS = [
    # (typed, has_mail, expected)
    # A real, mail-accepting domain: only a single keyboard slip from a top provider.
    ("gmial.com", True, "gmail.com"),
    ("gnail.com", True, "gmail.com"),
    ("yaho.com", True, "yahoo.com"),
    ("outlok.com", True, "outlook.com"),
    ("hotmial.com", True, "hotmail.com"),
    ("gmal.com", True, None),  # a dropped letter is also how real names differ
    ("hotmal.com", True, None),
    ("hotnial.com", True, None),  # two slips
    ("protonmial.com", True, None),  # not a top-tier provider
    ("yaho.co.uk", True, None),
    ("gmail.co", True, None),  # a real .co domain that receives mail
    # No mail servers: a near miss is almost surely a typo, so looser.
    ("bmail.com", False, "gmail.com"),  # first-letter slip
    ("bmail.com", None, None),
    ("aoll.com", False, "aol.com"),  # short name
    ("aoll.com", None, None),
    ("aol.co", False, "aol.com"),
    ("aol.co", None, None),
    ("gmx.co", False, "gmx.com"),
    ("tonline.de", False, "t-online.de"),
    ("tonline.de", None, None),
    ("comcast.ne", False, "comcast.net"),
    ("comcast.ne", None, None),
]


@pytest.mark.parametrize(("typed", "has_mail", "expected"), HAS_MAIL_ROWS)
def test_has_mail_moves_the_threshold(typed: str, has_mail: bool | None, expected: str) -> None:
    assert SUGGESTER.suggest(typed, has_mail=has_mail) == expected


def test_has_mail_true_only_ever_narrows_the_offline_answer() -> None:
    for typed, _ in TYPOS:
        online = SUGGESTER.suggest(typed, has_mail=True)
        assert online is None or online == SUGGESTER.suggest(typed)


# --- ambiguity ---------------------------------------------------------------------------


def test_a_tie_between_two_providers_gives_no_suggestion() -> None:
    # "s" is a keyboard neighbour of both "e" and "d": equally close, equally popular.
    tied = TypoSuggester([("tellmore.com", 100), ("tellmord.com", 100)])
    assert tied.suggest("tellmors.com") is None
    # A clear popularity winner breaks the tie.
    clear = TypoSuggester([("tellmore.com", 1000), ("tellmord.com", 100)])
    assert clear.suggest("tellmors.com") == "tellmore.com"


def test_a_near_tie_in_the_shipped_table_gives_no_suggestion() -> None:
    # 136 -> 126 (keyboard slip) or 163 (swap): close in cost and in popularity.
    assert SUGGESTER.suggest("136.com", has_mail=False) is None


def test_a_closer_provider_that_may_not_be_suggested_blocks_a_farther_one() -> None:
    lone = TypoSuggester([("hotmail.com", 1000)])
    assert lone.suggest("hotmall.com") == "hotmail.com"
    # hotmal.com is one doubled letter away, too short and rare to suggest itself, but it
    # makes hotmail.com the wrong guess to offer.
    crowded = TypoSuggester([("hotmail.com", 1000), ("hotmal.com", 1)])
    assert crowded.suggest("hotmall.com") is None


# --- the suggester ------------------------------------------------------------------------


def test_custom_providers_replace_the_shipped_table() -> None:
    ours = TypoSuggester(providers=[("examplemail.com", 100.0)])
    assert ours.suggest("exmaplemail.com") == "examplemail.com"
    assert ours.suggest("examplemail.con") == "examplemail.com"
    assert ours.suggest("examplemail.com") is None
    assert ours.suggest("gmal.com") is None


def test_custom_providers_can_be_any_iterable() -> None:
    ours = TypoSuggester(pair for pair in [("examplemail.com", 3), ("othermail.net", 1)])
    assert ours.suggest("exmaplemail.com") == "examplemail.com"


@pytest.mark.parametrize(
    "providers",
    [
        [],
        [("Gmail.com", 1.0)],
        [("localhost", 1.0)],
        [("gmail..com", 1.0)],
        [("gmail.com", 0)],
        [("gmail.com", -5.0)],
        [("gmail.com", math.nan)],
        [("gmail.com", math.inf)],
        [("gmail.com", True)],
        [("gmail.com", 1.0), ("gmail.com", 2.0)],
    ],
)
def test_invalid_providers_are_rejected(providers: list[tuple[str, float]]) -> None:
    with pytest.raises(ValueError, match="provider"):
        TypoSuggester(providers)


@pytest.mark.parametrize("cache_size", [-1, 1.5, True])
def test_invalid_cache_size_is_rejected(cache_size: int) -> None:
    with pytest.raises(ValueError, match="cache_size"):
        TypoSuggester(cache_size=cache_size)


def test_the_cache_stays_within_its_bound_and_answers_stay_right() -> None:
    small = TypoSuggester(cache_size=2)
    domains = [typed for typed, _ in TYPOS] + NOT_PROVIDERS[:30]
    for _ in range(2):
        for domain in domains:
            assert small.suggest(domain) == SUGGESTER.suggest(domain)
            assert small.suggest(domain, has_mail=True) == SUGGESTER.suggest(domain, has_mail=True)
    info = small.cache_info()
    assert info.maxsize == 2
    assert info.currsize == 2
    assert info.misses == 4 * len(domains)  # every distinct pair was evicted in between


def test_the_cache_is_keyed_by_domain_and_has_mail() -> None:
    fresh = TypoSuggester()
    assert fresh.suggest("gmal.com") == "gmail.com"
    assert fresh.suggest("gmal.com", has_mail=True) is None
    assert fresh.suggest("gmal.com") == "gmail.com"
    info = fresh.cache_info()
    assert (info.hits, info.misses) == (1, 2)


def test_the_default_table_loads_lazily_and_once() -> None:
    code = textwrap.dedent(
        """
        import emailcheck._typo as typo
        assert typo._default_index is None
        first = typo.TypoSuggester()
        assert typo._default_index is None, "constructing must not load"
        assert first.suggest("gmal.com") == "gmail.com"
        loaded = typo._default_index
        assert loaded is not None
        second = typo.TypoSuggester()
        assert second.suggest("hotmial.com") == "hotmail.com"
        assert typo._default_index is loaded
        assert first._index is second._index is loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_concurrent_first_use_parses_the_table_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typo, "_default_index", None)
    calls: list[int] = []
    real_parse = typo.parse_providers

    def counting_parse(text: str) -> list[tuple[str, float]]:
        calls.append(1)
        time.sleep(0.05)  # widen the window in which a second thread could start a load
        return real_parse(text)

    monkeypatch.setattr(typo, "parse_providers", counting_parse)
    results: list[str | None] = []
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        results.append(TypoSuggester().suggest("gmal.com"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert results == ["gmail.com"] * 8


# --- providers.txt ---------------------------------------------------------------------------


def test_providers_file_states_origin_date_and_licence() -> None:
    header = DATA.joinpath("providers.txt").read_text("utf-8").split("\n\n")[0]
    for field in ("# Origin:", "# Date: 2026-11-23", "# Licence: MIT"):
        assert field in header


def test_providers_file_holds_unique_tab_separated_weighted_host_names() -> None:
    label = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
    weights: dict[str, float] = {}
    for line in PROVIDER_LINES:
        domain, weight = line.split("\t")
        assert all(label.fullmatch(part) for part in domain.split(".")), domain
        assert domain.count(".") >= 1
        assert float(weight) > 0
        assert domain not in weights, f"duplicate {domain}"
        weights[domain] = float(weight)
    assert 100 <= len(weights) <= 200
    assert max(weights, key=weights.__getitem__) == "gmail.com"
    assert parse_providers(DATA.joinpath("providers.txt").read_text("utf-8")) == list(
        weights.items()
    )


def test_every_provider_is_a_known_free_mailbox_domain() -> None:
    assert not set(PROVIDERS) - set(FREE_DOMAINS)


@pytest.mark.parametrize(
    "domain",
    ["gmx.com", "gmx.de", "gmx.net", "ymail.com", "mail.com", "me.com", "mac.com",
     "hotmail.co.uk", "hotmail.fr", "gmail.com", "googlemail.com", "live.com", "msn.com",
     "aol.com", "icloud.com", "yahoo.co.jp", "yahoo.fr", "web.de", "mail.ru", "yandex.ru",
     "qq.com", "163.com", "126.com", "naver.com", "proton.me", "protonmail.com",
     "yahoo.co.uk", "live.nl", "aol.de"],
)  # fmt: skip
def test_named_providers_are_in_the_table(domain: str) -> None:
    assert domain in PROVIDERS


def test_parse_providers_skips_comments_and_blank_lines() -> None:
    text = "# header\n\nexample.com\t10  # trailing comment\n  other.net\t2.5\n"
    assert parse_providers(text) == [("example.com", 10.0), ("other.net", 2.5)]


@pytest.mark.parametrize("line", ["example.com", "example.com 10", "example.com\tten", "a\t1\t2"])
def test_parse_providers_names_the_bad_line(line: str) -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_providers("# header\n" + line + "\n")


# --- properties ------------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
_domains = st.lists(_label, min_size=2, max_size=4).map(".".join)
_has_mail = st.sampled_from([None, False, True])


@settings(max_examples=500, deadline=None)
@given(_domains, _has_mail)
def test_any_domain_gets_a_provider_or_nothing(domain: str, has_mail: bool | None) -> None:
    suggestion = SUGGESTER.suggest(domain, has_mail=has_mail)
    assert suggestion != domain
    assert suggestion is None or suggestion in PROVIDERS


def _mutate(domain: str, data: st.DataObject) -> str:
    letters = list(domain)
    for _ in range(data.draw(st.integers(1, 2))):
        at = data.draw(st.integers(0, len(letters) - 1))
        kind = data.draw(st.sampled_from(["drop", "double", "swap", "replace"]))
        if kind == "drop" and len(letters) > 1:
            del letters[at]
        elif kind == "double":
            letters.insert(at, letters[at])
        elif kind == "swap" and at + 1 < len(letters):
            letters[at], letters[at + 1] = letters[at + 1], letters[at]
        elif kind == "replace":
            letters[at] = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"))
    return "".join(letters)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(PROVIDERS), st.data(), _has_mail)
def test_near_misses_of_providers_get_a_provider_or_nothing(
    provider: str, data: st.DataObject, has_mail: bool | None
) -> None:
    typed = _mutate(provider, data)
    suggestion = SUGGESTER.suggest(typed, has_mail=has_mail)
    assert suggestion != typed
    assert suggestion is None or suggestion in PROVIDERS
    if typed in PROVIDERS:
        assert suggestion is None
