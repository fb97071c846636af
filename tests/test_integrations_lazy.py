"""``import emailcheck`` imports no framework; each integration only its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORKS = ("pydantic", "pydantic_core", "django", "wtforms", "pandas", "nbclient",
              "IPython", "mkdocs")


def loaded_after(code: str) -> set[str]:
    script = (
        f"import sys\n{code}\n"
        f"print(','.join(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.strip()
    return set(filter(None, out.split(",")))


def test_import_emailcheck_loads_no_framework() -> None:
    assert loaded_after(
        "import emailcheck, emailcheck.integrations\n"
        "emailcheck.Verifier().verify_batch(['a@b.co.uk'], dns=False)._repr_html_()"
    ) == set()


@pytest.mark.parametrize(("module", "framework"), [
    ("pydantic", "pydantic"), ("django", "django"), ("wtforms", "wtforms")])
def test_each_integration_loads_only_its_framework(module: str, framework: str) -> None:
    pytest.importorskip(framework)
    # The pydantic module imports pydantic only when a model is built with its type.
    loaded = loaded_after(f"import emailcheck.integrations.{module}")
    assert loaded <= {framework}
