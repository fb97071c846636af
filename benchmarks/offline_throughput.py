"""Offline verification throughput: emailcheck against email-validator, same data, same run.

    python benchmarks/offline_throughput.py [--count 100000] [--seed 2026] [--repeat 5]

Generates realistic addresses (about 10 % malformed) with a fixed seed, then times
``emailcheck.Verifier().verify(addr, dns=False)`` (syntax, typo, disposable, role and
free checks, full result objects) and ``email_validator.validate_email(addr,
check_deliverability=False)`` (syntax only) over the same list. Prints both rates and
the ratio; the two take turns, and the best of ``--repeat`` runs counts for each. A
second line measures a cold start: every domain unique, so no per-domain cache helps.
"""

from __future__ import annotations

import argparse
import gc
import random
import string
import time
from collections.abc import Callable, Sequence

FIRST = ["james", "mary", "li", "wei", "fatima", "olga", "jose", "anna", "mohammed", "sara",
         "john", "emma", "lucas", "noah", "mia", "yuki", "ahmed", "ines", "pierre", "sofia"]
LAST = ["smith", "garcia", "wang", "kowalski", "muller", "rossi", "silva", "kim", "nguyen",
        "johnson", "brown", "tanaka", "dubois", "novak", "andersson", "ivanova", "lopez"]
PROVIDERS = ["gmail.com"] * 30 + ["yahoo.com"] * 8 + ["hotmail.com"] * 8 + ["outlook.com"] * 6 + [
    "icloud.com", "aol.com", "gmx.de", "web.de", "orange.fr", "mail.ru", "yandex.ru", "qq.com",
    "163.com", "naver.com", "comcast.net", "btinternet.com", "libero.it", "proton.me"] * 2
TYPOS = ["gmal.com", "gmial.com", "hotmial.com", "yaho.com", "outlok.com", "gmail.con"]
DISPOSABLE = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"]
TLDS = ["com"] * 10 + ["co.uk", "de", "fr", "io", "org", "net", "com.au", "nl", "es", "it"]
ROLES = ["info", "sales", "support", "admin", "contact", "hello"]


def company_domains(rng: random.Random, count: int) -> list[str]:
    words = ["acme", "north", "blue", "data", "green", "atlas", "nova", "prime", "delta",
             "bright", "metro", "alpha", "river", "summit", "pixel", "terra", "orbit"]
    domains = []
    for _ in range(count):
        name = rng.choice(words) + rng.choice(words)
        name += rng.choice(["", "", "labs", "group", "-tech"])
        prefix = rng.choice(["", "", "", "mail.", "eu."])
        domains.append(prefix + name + "." + rng.choice(TLDS))
    return [*domains, "bücher.de", "müller-gmbh.de", "例子.广告", "пример.рф"]


def local_part(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    shape = rng.random()
    if shape < 0.35:
        return f"{first}.{last}"
    if shape < 0.55:
        return f"{first[0]}{last}{rng.randint(1, 99)}"
    if shape < 0.65:
        return f"{first}+{rng.choice(['news', 'shop', 'work'])}"
    if shape < 0.72:
        return rng.choice(ROLES)
    if shape < 0.74:
        return rng.choice(["josé", "müller", "françois"])
    return f"{first}{rng.choice(['_', '-', ''])}{last}"


def malformed(rng: random.Random, good: str) -> str:
    local, _, domain = good.partition("@")
    breakers: list[Callable[[], str]] = [
        lambda: local + domain,                        # missing @
        lambda: f"{local}..x@{domain}",                # consecutive dots
        lambda: f"{local} @{domain}",                  # space
        lambda: f"{local}@{domain}.",                  # trailing dot
        lambda: f"{local}@@{domain}",                  # two @
        lambda: f".{local}@{domain}",                  # leading dot
        lambda: f"{local}@{domain.replace('.', '..', 1)}",
        lambda: f"{local}@-{domain}",
        lambda: f"{local},x@{domain}",
        lambda: f"{local}@{domain.split('.')[0]}",     # no TLD
        lambda: "x" * 70 + "@" + domain,               # local part too long
        lambda: f"{local}@",
    ]
    return rng.choice(breakers)()


def generate(count: int, seed: int, unique_domains: bool = False) -> list[str]:
    rng = random.Random(seed)
    companies = company_domains(rng, 2000)
    addresses = []
    for index in range(count):
        roll = rng.random()
        if unique_domains:
            domain = "".join(rng.choices(string.ascii_lowercase, k=10)) + f"{index}.com"
        elif roll < 0.55:
            domain = rng.choice(PROVIDERS)
        elif roll < 0.58:
            domain = rng.choice(TYPOS)
        elif roll < 0.60:
            domain = rng.choice(DISPOSABLE)
        else:
            domain = rng.choice(companies)
        address = f"{local_part(rng)}@{domain}"
        if rng.random() < 0.10:
            address = malformed(rng, address)
        addresses.append(address)
    return addresses


def best_rates(runs: Sequence[Callable[[Sequence[str]], object]], addresses: Sequence[str],
               repeat: int) -> list[float]:
    """Addresses per second of each run, best of ``repeat``. The runs take turns, so a
    slow spell of a shared machine hits both sides rather than one."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for index, run in enumerate(runs):
            gc.collect()
            started = time.perf_counter()
            run(addresses)
            best[index] = min(best[index], time.perf_counter() - started)
    return [len(addresses) / seconds for seconds in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import email_validator
    from email_validator import EmailNotValidError, validate_email

    import emailcheck

    verifier = emailcheck.Verifier()

    def run_emailcheck(addresses: Sequence[str]) -> object:
        verify = verifier.verify
        return [verify(address, dns=False) for address in addresses]

    def run_email_validator(addresses: Sequence[str]) -> object:
        out = []
        for address in addresses:
            try:
                out.append(validate_email(address, check_deliverability=False))
            except EmailNotValidError as error:
                out.append(error)
        return out

    addresses = generate(args.count, args.seed)
    results = run_emailcheck(addresses[:2000])  # warm: load lists once, as any app would
    run_email_validator(addresses[:2000])
    invalid = sum(result.status == "invalid" for result in results)  # type: ignore[attr-defined]
    print(f"{len(addresses):,} addresses, seed {args.seed}, "
          f"{invalid / len(results):.1%} invalid per emailcheck")
    print(f"email-validator {email_validator.__version__}, emailcheck {emailcheck.__version__}")

    for label, data in (("realistic list", addresses),
                        ("cold: all domains unique", generate(args.count // 5, args.seed, True))):
        ours, theirs = best_rates((run_emailcheck, run_email_validator), data, args.repeat)
        print(f"{label:26} emailcheck {ours:>10,.0f}/s   email-validator {theirs:>10,.0f}/s"
              f"   ratio {ours / theirs:5.2f}x")


if __name__ == "__main__":
    main()
