"""notebooks/analysis.ipynb runs top to bottom, on a synthetic sweep, in a kernel of this interpreter."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers.commands import NOTEBOOK
from tests.helpers.fake_sweep import write_fake_sweep


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_notebook_runs_on_a_sweep_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sweep = write_fake_sweep(
        tmp_path / "sweep",
        grid={"data.num_categories": [1, 2, 3], "model.drop_rate": [0.0, 0.5], "seed": [0, 1]},
        fail=[1],
        missing=[4],
    )
    out = tmp_path / "figures"
    monkeypatch.setenv("FAKEID_SWEEPS", str(sweep.path))  # the kernel inherits this environment
    monkeypatch.setenv("FAKEID_FIGURES", str(out))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # Probe appended to this in-memory copy only: which interpreter ran the notebook.
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    # jupyter_client starts the `python3` kernel with this interpreter (`python` in kernel.json -> sys.executable).
    NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()

    assert notebook.cells[-1].outputs[0]["text"].strip() == sys.executable
    texts = "\n".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert "10 ok, 1 failed; 1 grid points missing" in texts  # the completeness report
    assert "skipped" not in texts
    for name in ("fig1", "fig2", "fig3"):
        assert all((out / f"{name}.{suffix}").stat().st_size > 0 for suffix in ("png", "pdf", "csv"))
    images = [
        output for cell in notebook.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    ]
    assert len(images) == 3
