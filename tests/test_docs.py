"""The docs stay true: every Python example in README.md and docs/ runs, and the reason
table matches the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run(page: Path) -> None:
    """All python blocks of a page run in order, in one fresh interpreter."""
    blocks = FENCE.findall(page.read_text("utf-8"))
    if not blocks:
        pytest.skip("no python examples")
    script = "\n\n".join(blocks)
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        cwd=ROOT, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_reason_page_matches_the_code() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from render_reasons import DOC, render
    finally:
        sys.path.pop(0)
    assert DOC.read_text("utf-8") == render(), "run: python tools/render_reasons.py"


def test_every_public_name_is_documented() -> None:
    import emailcheck

    text = "\n".join(page.read_text("utf-8") for page in PAGES)
    missing = [name for name in emailcheck.__all__ if name not in text]
    assert not missing, f"public names with no mention in README/docs: {missing}"
