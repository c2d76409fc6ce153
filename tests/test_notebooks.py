"""Every notebook in notebooks/ runs top to bottom in a real Jupyter kernel, and is saved clean.

The kernel must be this test run's Python (the project's virtual environment), not
whatever "python3" kernel a machine has installed: a kernelspec in ~/.local/share/jupyter
or /usr/share/jupyter could point at another interpreter without funcnet. So the kernel
is started from ipykernel's own built-in spec, which `jupyter_client` builds on the fly
with `sys.executable`: a `KernelSpecManager` with no kernel folders to search finds only
that native "python3" spec. Nothing is installed and no user or system spec is read.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# The notebooks show the default backend; one pass of them keeps `make test` short.
pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="the notebooks run on the default backend (TensorFlow) only, to keep make test short",
)
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds; every notebook runs whole in under a minute on 2 cores
NOTEBOOK_BUDGET = 60


def kernel_manager() -> KernelManager:
    """A manager for a kernel that runs `sys.executable` (see the module docstring)."""
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    return KernelManager(kernel_name=NATIVE_KERNEL_NAME, kernel_spec_manager=specs)


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    client = NotebookClient(
        nb,
        km=kernel_manager(),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute()


def test_there_are_notebooks() -> None:
    assert [p.name for p in PATHS] == [
        "01_quickstart.ipynb",
        "02_multi_input.ipynb",
        "03_shared_layers.ipynb",
        "04_residual.ipynb",
        "05_multi_output.ipynb",
        "06_structured_data.ipynb",
        "07_segmentation.ipynb",
    ]


def test_kernel_runs_this_python(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    out = execute(nb, tmp_path)
    assert out.cells[0].outputs[0]["text"].strip() == sys.executable


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    try:
        # Run in tmp_path so that anything a notebook writes lands there, not in the repo.
        out = execute(nb, tmp_path)
    except CellExecutionError as err:
        pytest.fail(f"{path.name} failed:\n{err}", pytrace=False)
    seconds = time.perf_counter() - started
    errors = [o for c in out.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors
    pictures = [
        o for c in out.cells for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {})
    ]
    assert pictures, f"{path.name} shows no architecture picture (fn.plot(model) inline)"
    # Generous against a busy CI machine; on this machine each takes 10-25 s.
    assert seconds < 2 * NOTEBOOK_BUDGET, f"{path.name} took {seconds:.0f} s"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_saved_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; run `make strip-notebooks`"
