"""The three notebooks run top to bottom on ../shared/data (nbclient, kernel python3).

Each notebook runs in its own temporary data dir (``LERNNETZ_DATA_DIR``) from the
``notebooks/`` folder, so its first cell finds the shared data at ``../../shared/data``.
A cell error fails the test. The committed notebooks must carry no outputs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import lernnetz
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


#: The only imports a notebook may have: the face, pandas and three standard modules.
ALLOWED_IMPORTS = {
    "import lernnetz as ln",
    "import pandas as pd",
    "import os",
    "import tempfile",
    "from pathlib import Path",
}
#: What ``ln.`` may name: the face's module-level functions (``lernnetz.__all__``).
FACE_FUNCTIONS = set(lernnetz.__all__) - {"Lernnetz", "__version__"}
#: What ``kn.`` may name: the public methods and properties of the opened graph, except the
#: store behind it (``kn.store`` is the way into the internals).
FACE_METHODS = {n for n in dir(lernnetz.Lernnetz) if not n.startswith("_")} - {"store"}


def test_notebooks_use_only_the_public_face() -> None:
    """``import lernnetz as ln; kn = ln.open()`` and its methods, nothing internal."""
    assert {"open", "fetch", "load"} <= FACE_FUNCTIONS
    assert {
        "matches",
        "recommend",
        "learning_networks",
        "white_spots",
        "plan_events",
        "connections",
    } <= FACE_METHODS
    assert (
        "store" not in FACE_METHODS and "settings" not in FACE_METHODS
    )  # the store behind the face: internals
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        for line in code.splitlines():
            if line.split()[:1] in (["import"], ["from"]):
                assert line.strip() in ALLOWED_IMPORTS, f"{name}: {line}"
        assert "lernnetz." not in code, f"{name}: reaches into lernnetz's modules"
        used_ln = set(re.findall(r"\bln\.(\w+)", code))
        used_kn = set(re.findall(r"\bkn\.(\w+)", code))
        assert used_ln <= FACE_FUNCTIONS, f"{name}: ln.{sorted(used_ln - FACE_FUNCTIONS)} is not the face"
        assert used_kn <= FACE_METHODS, f"{name}: kn.{sorted(used_kn - FACE_METHODS)} is not the face"
        assert "kn = ln.open()" in code, name
    # together they show the analysts' questions, a map and the interactive view
    assert {
        "matches",
        "recommend",
        "learning_networks",
        "white_spots",
        "plan_events",
        "map",
        "show",
    } <= _all_used()


def _all_used() -> set[str]:
    """Every ``kn.`` name used by any notebook."""
    used: set[str] = set()
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        used |= set(
            re.findall(r"\bkn\.(\w+)", "\n".join(c.source for c in nb.cells if c.cell_type == "code"))
        )
    return used


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
