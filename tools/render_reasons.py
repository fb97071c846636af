"""Render docs/reasons.md from the reason table in the code (the single source).

    python tools/render_reasons.py          # rewrite docs/reasons.md
    python tools/render_reasons.py --check  # exit 1 if docs/reasons.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from emailcheck import REASON_INFO, Reason
from emailcheck._policy import DEFAULT_REASON_STATUS

DOC = Path(__file__).resolve().parent.parent / "docs" / "reasons.md"

GROUPS = [
    ("Syntax: the address cannot be mailed as written", Reason.EMPTY, Reason.POSSIBLE_TYPO),
    ("Offline signals", Reason.POSSIBLE_TYPO, Reason.DOMAIN_NOT_FOUND),
    ("DNS", Reason.DOMAIN_NOT_FOUND, Reason.ACCEPTED),
    ("SMTP: what the mail server meant", Reason.ACCEPTED, Reason.SUPPRESSED),
    ("History", Reason.SUPPRESSED, Reason.MAILBOX_NOT_CHECKED),
    ("Overall", Reason.MAILBOX_NOT_CHECKED, None),
]

HEADER = """\
# Reason codes

Every result carries one `reason`: a stable snake_case code (a `Reason` member, which is a
`str`), and a human `message`. The codes below are the whole vocabulary; they never change
meaning between releases. Each check in `result.checks` carries its own reason too.

**Default status** is what the default policy (`DefaultPolicy`) makes of the reason; *by
outcome* means it follows the check's outcome: `fail` → invalid, `warn` → risky, `error` →
unknown, `pass` → no opinion (see [the policy](policy.md)). Syntax reasons always come from
a failed syntax check, so they are always invalid.

This page is generated from `emailcheck.REASON_INFO` by `tools/render_reasons.py`; a test
fails when it is out of date.
"""


def default_status(reason: Reason) -> str:
    if reason.value in DEFAULT_REASON_STATUS:
        status = DEFAULT_REASON_STATUS[reason.value]
        return "flag only" if status is None else status.value
    return "by outcome"


def render() -> str:
    members = list(Reason)
    lines = [HEADER]
    for title, first, stop in GROUPS:
        start = members.index(first)
        end = members.index(stop) if stop is not None else len(members)
        lines.append(f"\n## {title}\n")
        lines.append("| code | default status | meaning | what to do |")
        lines.append("| --- | --- | --- | --- |")
        for reason in members[start:end]:
            meaning, action = REASON_INFO[reason]
            status = "invalid" if first is Reason.EMPTY else default_status(reason)
            lines.append(f"| `{reason.value}` | {status} | {meaning} | {action} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        return 0 if DOC.read_text("utf-8") == text else 1
    DOC.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
