"""mkdocs hook: links from the docs to repository files outside docs/ point at the repository."""

from __future__ import annotations

import posixpath
import re
from typing import Any

# A Markdown link target: ](path) or ](path#anchor); absolute URLs never match.
_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#)([^)\s]+)\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Rewrite links that leave docs/ (``../benchmarks/README.md``) to the repository,
    so the strict build still fails on every other broken link."""
    base = posixpath.dirname(page.file.src_uri)
    repository = str(config["repo_url"]).rstrip("/")

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(1)
        resolved = posixpath.normpath(posixpath.join(base, target))
        if not resolved.startswith("../"):
            return match.group(0)
        return f"]({repository}/blob/main/{resolved[3:]})"

    return _LINK.sub(rewrite, markdown)
