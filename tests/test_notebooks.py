"""The evaluators' notebooks in notebooks/ run top to bottom and are committed as generated, without outputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 120  # seconds per cell


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS_DIR / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILT = _builder().build()


def test_every_notebook_in_the_folder_is_generated():
    assert sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(BUILT)


@pytest.mark.parametrize("name", sorted(BUILT))
def test_committed_notebook_equals_build_and_has_no_outputs(name):
    path = NOTEBOOKS_DIR / name
    assert path.read_text(encoding="utf-8") == BUILT[name], (
        f"{name} differs from what notebooks/build_notebooks.py writes: run it and commit the result")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} cell {cell.id} has outputs"


def test_python3_kernel_is_this_venvs_python():
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.language == "python"
    command = KernelManager(kernel_name=KERNEL).format_kernel_cmd()
    assert Path(command[0]).resolve() == Path(sys.executable).resolve(), (
        f"kernel {KERNEL!r} ({spec.resource_dir}) would start {command[0]}, not {sys.executable}")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BUILT))
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = nbformat.reads(BUILT[name], as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell and the traceback, if any cell fails
    for cell in nb.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{name} cell {cell.id}: {errors}"
            assert cell.execution_count is not None, f"{name} cell {cell.id} did not run"
