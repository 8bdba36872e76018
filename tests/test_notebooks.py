"""The three notebooks run top to bottom on ../shared/data (nbclient, kernel python3).

Each notebook runs in its own temporary data dir (``LERNNETZ_DATA_DIR``) from the
``notebooks/`` folder, so its first cell finds the shared data at ``../../shared/data``.
A cell error fails the test. The committed notebooks must carry no outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import SHARED_DATA

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_explore", "02_match", "03_learning_networks"]
CELL_TIMEOUT_S = 300


def test_the_three_notebooks_exist_without_outputs() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and "Deutsch" in first.source and "English" in first.source
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: committed with outputs"


def test_notebooks_use_only_the_public_api() -> None:
    allowed = ("graph.", "graph ", "lernnetz.loaders.fetch", "pandas", "os", "tempfile", "pathlib")
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for line in cell.source.splitlines():
                words = line.split()
                if words[:1] in (["import"], ["from"]):
                    assert words[1].startswith(allowed) or words[1] in {"os", "tempfile", "graph"}, line
                    assert not words[1].startswith(
                        (
                            "lernnetz.graph.store.nx_store",
                            "lernnetz.graph.store.neo4j_store",
                            "lernnetz.graph.store.cypher",
                        )
                    ), line


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SHARED_DATA.is_dir()
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LERNNETZ_BACKEND", "networkx")
    monkeypatch.setenv("LERNNETZ_SHARED_DATA", str(SHARED_DATA))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(NOTEBOOKS.parent), os.environ.get("PYTHONPATH", "")])
    )
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        allow_errors=False,
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "SYNTHETIC DEMO DATA" in text  # the synthetic data is labelled on screen
    assert "Datenlizenz Deutschland" in text  # and the attribution is shown
    assert not any(o.get("output_type") == "error" for o in outputs)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{name}: no picture was shown"
    if name == "03_learning_networks":
        frames = [o for o in outputs if "<iframe srcdoc=" in o.get("data", {}).get("text/html", "")]
        assert frames, "the interactive view was not displayed inline"
        assert (tmp_path / "data" / "learning_network_ulm.html").exists()
    if name == "02_match":
        assert (tmp_path / "data" / "matches_ulm.geojson").exists()
