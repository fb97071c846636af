"""The documentation site builds with ``mkdocs build --strict`` and its nav misses no page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def nav_pages(entries: list[object]) -> set[str]:
    pages: set[str] = set()
    for entry in entries:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                pages |= nav_pages(value)
            else:
                pages.add(str(value))
    return pages


def test_every_page_is_in_the_nav() -> None:
    yaml = pytest.importorskip("yaml")
    # mkdocs.yml has no custom tags, so the safe loader reads it.
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").glob("**/*.md")}
    assert nav_pages(config["nav"]) == pages


def test_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    api = (tmp_path / "api" / "index.html").read_text("utf-8")
    for name in ("verify_batch", "to_dataframe", "email_type", "EmailCheckValidator",
                 "EmailCheck", "Sandbox"):
        assert name in api, name
