"""docs/notebook.ipynb runs top to bottom in a real kernel of this interpreter."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


def test_notebook_runs_and_renders_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    # A kernelspec of our own that names this interpreter, so the kernel sees the same
    # packages as the tests (and src/ when run from a checkout).
    spec_dir = tmp_path / "kernels" / "emailcheck-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "emailcheck test", "language": "python",
    }), "utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    try:
        KernelSpecManager().get_kernel_spec("emailcheck-test")
    except NoSuchKernel:  # pragma: no cover - JUPYTER_PATH is honoured by jupyter_client
        pytest.skip("jupyter_client ignored JUPYTER_PATH")

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="emailcheck-test", timeout=60,
        resources={"metadata": {"path": str(ROOT)}},
    )
    try:
        client.execute()
    except RuntimeError as error:
        # Only a kernel that never ran a cell (no sockets, a sandboxed machine) is a skip;
        # one that dies while running the notebook is a failure.
        if any(cell.get("execution_count") for cell in notebook.cells):
            raise
        pytest.skip(f"the Jupyter kernel could not start: {error}")

    html = [
        output["data"]["text/html"]
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", ())
        if "text/html" in output.get("data", {})
    ]
    assert any("emailcheck-result" in page for page in html)  # one Result
    assert any("emailcheck-batch" in page and "4 results" in page for page in html)
    assert any("<table" in page and "suggestion" in page and "dataframe" in page
               for page in html)  # pandas' own table
