"""The shipped lists and their matching: parents, overrides, IDN, role +tags, lazy loading."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

import emailcheck._lists
from emailcheck._lists import DomainList, Lists, LocalPartList

DATA = resources.files("emailcheck").joinpath("data")
KNOWN_DISPOSABLE = ["mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com"]

# Independent of emailcheck._lists on purpose: the data must satisfy RFC 1123, not just
# whatever the loader happens to accept.
_LDH_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def entries(name: str) -> list[str]:
    lines = DATA.joinpath(name).read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_host_name(domain: str) -> bool:
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2:
        return False
    if not all(_LDH_LABEL.fullmatch(label) for label in labels):
        return False
    if "--" in domain:
        # "xn--" labels must be real A-labels (IDNA 2008), and "ab--" is reserved for them.
        try:
            return bool(idna.encode(idna.decode(domain)).decode("ascii") == domain)
        except (idna.IDNAError, UnicodeError):
            return False
    return True


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    # The directory holding the package under test, whether PYTHONPATH or an install.
    src = str(Path(emailcheck._lists.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


# --- disposable and free domains -----------------------------------------------------


@pytest.fixture(scope="module")
def lists() -> Lists:
    return Lists.default()


@pytest.mark.parametrize("domain", KNOWN_DISPOSABLE)
def test_known_disposable_domain_and_subdomains_match(lists: Lists, domain: str) -> None:
    assert domain in entries("disposable.txt")
    assert domain in lists.disposable
    assert lists.disposable.match(domain) == domain
    assert lists.disposable.match(f"mx.{domain}") == domain
    assert lists.disposable.match(f"a.b.c.{domain}") == domain


def test_gmail_is_free_not_disposable(lists: Lists) -> None:
    for domain in ("gmail.com", "googlemail.com"):
        assert domain not in lists.disposable
        assert lists.free.match(domain) == domain
    assert "yahoo.co.uk" in lists.free
    assert lists.free.match("mail.yahoo.co.uk") == "yahoo.co.uk"
    assert "example.com" not in lists.free


@pytest.mark.parametrize("domain", KNOWN_DISPOSABLE)
def test_only_whole_labels_match(lists: Lists, domain: str) -> None:
    # "notmailinator.com" is itself listed, so probe with names the file surely lacks.
    listed = set(entries("disposable.txt"))
    for probe in (f"zqx{domain}", f"{domain}.zqx.org", f"{domain}x", f"zqx-{domain}"):
        assert probe not in listed
        assert probe not in lists.disposable
    assert "xgmail.com" not in lists.free
    assert "gmail.co" not in lists.free
    assert "gmail.com.zqx.org" not in lists.free


def test_bare_tld_never_matches() -> None:
    domains = DomainList(extra=["example.com", "co.uk"])
    for name in ("com", "uk", "", "."):
        assert name not in domains
    assert "co.uk" in domains  # two labels are a domain, whatever the public suffix list says
    with pytest.raises(ValueError, match="two or more labels"):
        DomainList(extra=["com"])  # would never match: refused rather than ignored


def test_non_strings_are_not_contained(lists: Lists) -> None:
    assert None not in lists.disposable
    assert b"mailinator.com" not in lists.disposable
    assert 42 not in lists.role


def test_default_is_shared_and_immutable() -> None:
    assert Lists.default() is Lists.default()
    with pytest.raises(dataclasses.FrozenInstanceError):
        Lists.default().free = DomainList()  # type: ignore[misc]


# --- overrides -------------------------------------------------------------------------


def test_allow_removes_listed_domain_and_its_subdomains() -> None:
    lists = Lists.with_overrides(not_disposable=["MAILINATOR.com."])
    assert "mailinator.com" not in lists.disposable
    assert "mx.mailinator.com" not in lists.disposable
    assert "yopmail.com" in lists.disposable
    assert len(lists.disposable) == len(Lists.default().disposable) - 1
    assert "mailinator.com" in Lists.default().disposable  # the shared default is untouched


def test_allow_of_a_subdomain_keeps_its_siblings() -> None:
    lists = Lists.with_overrides(not_disposable=["inbox.mailinator.com"])
    assert "inbox.mailinator.com" not in lists.disposable
    assert "a.inbox.mailinator.com" not in lists.disposable
    assert lists.disposable.match("other.mailinator.com") == "mailinator.com"


def test_allow_wins_over_extra() -> None:
    domains = DomainList(extra=["example.org", "deep.sub.example.net"], allow=["sub.example.net"])
    assert "example.org" in domains
    assert "deep.sub.example.net" not in domains
    domains = DomainList(extra=["example.org"], allow=["example.org"])
    assert "example.org" not in domains
    assert len(domains) == 0


def test_extra_adds_domain_and_its_subdomains() -> None:
    lists = Lists.with_overrides(disposable=["Burner.Example"], free=["corp-mail.example"])
    assert lists.disposable.match("burner.example") == "burner.example"
    assert lists.disposable.match("x.burner.example") == "burner.example"
    assert "mailinator.com" in lists.disposable  # the file is still there
    assert "corp-mail.example" in lists.free
    assert "burner.example" not in Lists.default().disposable


def test_idn_overrides_are_normalised_to_a_labels() -> None:
    lists = Lists.with_overrides(disposable=["bücher.example"], not_free=["BÜCHER.test"])
    assert lists.disposable.match("xn--bcher-kva.example") == "xn--bcher-kva.example"
    assert "mail.xn--bcher-kva.example" in lists.disposable
    domains = DomainList(extra=["xn--bcher-kva.test"], allow=["bücher.test"])
    assert "xn--bcher-kva.test" not in domains


_LABELS = st.sampled_from(["a", "b", "c", "xn--bcher-kva"])
_NAMES = st.lists(_LABELS, min_size=1, max_size=4).map(".".join)
_ENTRIES = st.lists(st.lists(_LABELS, min_size=2, max_size=3).map(".".join), max_size=6)


@given(extra=_ENTRIES, allow=_ENTRIES, name=_NAMES)
def test_match_agrees_with_the_definition(extra: list[str], allow: list[str], name: str) -> None:
    labels = name.split(".")
    suffixes = [".".join(labels[i:]) for i in range(len(labels) - 1)]  # two labels or more
    expected = None
    if not any(suffix in allow for suffix in suffixes):
        expected = next((suffix for suffix in suffixes if suffix in extra), None)
    assert DomainList(extra=extra, allow=allow).match(name) == expected


@pytest.mark.parametrize("bad", ["not a domain", "-dash.com", "under_score.com", "a..b", "x@y.com"])
def test_invalid_overrides_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        DomainList(extra=[bad])


def test_a_string_is_not_taken_for_a_list_of_entries() -> None:
    with pytest.raises(TypeError):
        Lists.with_overrides(disposable="burner.example")


# --- role local parts ------------------------------------------------------------------


@pytest.mark.parametrize(
    "local", ["info", "Info", "INFO", "Info+news", "info+", "no-reply", "postmaster"]
)
def test_role_matches_case_insensitively_ignoring_tags(lists: Lists, local: str) -> None:
    assert local in lists.role
    assert lists.role.match(local) == local.partition("+")[0].lower()


@pytest.mark.parametrize("local", ["information", "john", "john+info", "+info", "in.fo", ""])
def test_role_needs_the_whole_local_part(lists: Lists, local: str) -> None:
    assert local not in lists.role


def test_role_overrides() -> None:
    lists = Lists.with_overrides(role=["CEO"], not_role=["Info"])
    assert "ceo+board" in lists.role
    assert "info" not in lists.role
    assert "sales" in lists.role
    assert LocalPartList(extra=["a"], allow=["A"]).match("a") is None
    with pytest.raises(ValueError, match="without \\+tag"):
        LocalPartList(extra=["info+tag"])


# --- loading ---------------------------------------------------------------------------


def test_import_reads_no_file() -> None:
    result = run_python(
        """
        import emailcheck._lists as m
        from emailcheck._lists import DomainList, Lists
        assert m._cache == {}, "loaded at import"
        Lists.default(); Lists.with_overrides(disposable=["x.example"]); DomainList("free.txt")
        assert m._cache == {}, "loaded on construction"
        assert "gmail.com" in Lists.default().free
        # The probe itself works: a lookup does fill the cache.
        assert list(m._cache) == [("domain", "free.txt")], m._cache.keys()
        """
    )
    assert result.returncode == 0, result.stderr


def test_each_file_is_read_once_per_process_across_threads() -> None:
    result = run_python(
        """
        import importlib.resources, threading
        import emailcheck._lists as m

        real = importlib.resources.files
        reads = []
        def files(package):
            reads.append(package)
            return real(package)
        importlib.resources.files = files

        barrier = threading.Barrier(16)
        sets = []
        def lookup():
            domains = m.DomainList("disposable.txt")
            barrier.wait()
            domains.match("mailinator.com")
            sets.append(domains._loaded)
        threads = [threading.Thread(target=lookup) for _ in range(16)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        m.Lists.with_overrides(not_disposable=["mailinator.com"]).disposable.match("a.com")
        assert len(reads) == 1, reads
        assert all(s is sets[0] for s in sets)
        """
    )
    assert result.returncode == 0, result.stderr


# --- the data files --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["disposable.txt", "free.txt"])
def test_domain_files_hold_unique_valid_lower_case_host_names(name: str) -> None:
    domains = entries(name)
    assert len(domains) == len(set(domains)), "duplicates"
    invalid = [domain for domain in domains if not is_host_name(domain)]
    assert not invalid
    listed = set(domains)
    redundant = [
        domain for domain in domains if any(parent in listed for parent in _parents(domain))
    ]
    assert not redundant, "parents already match these"
    assert len(DomainList(name)) == len(domains)


def _parents(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]


def test_disposable_is_sorted_and_large() -> None:
    domains = entries("disposable.txt")
    assert domains == sorted(domains)
    assert len(domains) > 5000


def test_role_file_holds_unique_lower_case_local_parts() -> None:
    names = entries("role.txt")
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*", name) for name in names)
    assert {"info", "postmaster", "abuse", "noreply", "no-reply", "webmaster"} <= set(names)


def test_no_domain_is_both_free_and_disposable() -> None:
    free = DomainList("free.txt")
    disposable = DomainList("disposable.txt")
    assert not [d for d in entries("free.txt") if d in disposable]
    assert not [d for d in entries("disposable.txt") if d in free]


def test_every_data_file_has_documented_sources() -> None:
    sources = DATA.joinpath("SOURCES.md").read_text("utf-8")
    names = [item.name for item in DATA.iterdir() if item.is_file()]
    assert "disposable.txt" in names
    undocumented = [n for n in names if n != "SOURCES.md" and f"`{n}`" not in sources]
    assert not undocumented, "add these to data/SOURCES.md"


@pytest.mark.parametrize("name", ["disposable.txt", "free.txt", "role.txt"])
def test_list_files_state_origin_date_and_licence(name: str) -> None:
    header = DATA.joinpath(name).read_text("utf-8").split("\n\n")[0]
    for field in ("# Origin:", "# Date: ", "# Licence: "):
        assert field in header
