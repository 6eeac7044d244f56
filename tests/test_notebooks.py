"""The notebooks: committed without outputs, in step with their generator, and each runs top to
bottom (python3 kernel) producing its figures."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
NAMES = sorted(GEN.NOTEBOOKS)


def test_at_least_three_notebooks_in_step_with_the_generator():
    assert len(NAMES) >= 3
    for name in NAMES:
        committed = (NOTEBOOKS / name).read_text(encoding="utf-8")
        assert committed == GEN.render(GEN.NOTEBOOKS[name]), f"{name}: regenerate it"
        nb = nbformat.reads(committed, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs in git"


def _missing(name):
    from linrbp import plots as _plots
    missing = []
    for fn in GEN.NEEDS.get(name, ()):
        try:
            _plots.closed_form(fn)
        except _plots.MissingClosedForm:
            missing.append(fn)
    for module in GEN.NEEDS_MODULES.get(name, ()):
        if importlib.util.find_spec(module) is None:
            missing.append(module)
    return missing


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name, monkeypatch):
    if _missing(name):
        pytest.skip(f"not in this build: {', '.join(_missing(name))}")
    # The kernel imports this tree's linrbp, not an installed one.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # progress bars are plain text without ipywidgets: no "IProgress not found" warning
    assert not [o for o in outputs if o.output_type == "stream" and "IProgress" in o.get("text", "")]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # cells that end by showing a figure: a plots.* call or `fig`
    n_figures = sum(1 for c in nb.cells if c.cell_type == "code"
                    and (c.source.splitlines()[-1].startswith("plots.")
                         or c.source.splitlines()[-1] == "fig"))
    assert len(images) == n_figures > 0
