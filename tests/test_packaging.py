"""The distribution installs one top-level package, ``lernnetz``, and works from a wheel.

Builds the wheel (``pip wheel --no-deps``), installs it into a fresh venv
(``--system-site-packages`` for the dependencies, ``--no-deps``, no pip of its own) and,
from a temporary working directory (so the sources in the repository cannot be
imported by accident), imports the layers, runs ``lernnetz --help`` and reads the curated
programme files shipped inside the package. The venv's site-packages must hold only
``lernnetz`` and its dist-info: no top-level ``graph``, ``api`` or ``loaders``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: What the wheel is built from (pyproject.toml's package-dir and readme).
SOURCES = ["pyproject.toml", "README.md", "lernnetz", "graph", "api", "loaders", "data"]

CHECK = """
import json, sys
import lernnetz, lernnetz.graph, lernnetz.api, lernnetz.loaders
import lernnetz.api.cli, lernnetz.graph.store, lernnetz.graph.analytics, lernnetz.graph.pictures
from lernnetz.graph.settings import CURATED_DIR
print(json.dumps({
    "file": lernnetz.__file__,
    "graph": lernnetz.graph.__file__,
    "version": lernnetz.__version__,
    "curated": sorted(p.name for p in CURATED_DIR.glob("*.csv")),
    "example": (CURATED_DIR / "examples" / "registrations.csv").is_file(),
    "open": callable(lernnetz.open),
}))
"""


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, f"{argv}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.mark.slow
def test_wheel_installs_one_top_level_package(tmp_path: Path) -> None:
    import json

    wheels, venv, cwd = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    cwd.mkdir()
    # build from a copy of what the distribution consists of: setuptools builds in-tree and
    # would otherwise reuse a stale build/ folder (modules deleted since would ship again)
    src = tmp_path / "src"
    src.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=junk)
        else:
            shutil.copy2(REPO / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)], cwd)
    (wheel,) = wheels.glob("lernnetz-*.whl")
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], cwd)
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        cwd,
    )
    (site,) = (venv / "lib").glob("python3*/site-packages")
    top = sorted(p.name for p in site.iterdir() if p.name != "__pycache__")
    assert top == ["lernnetz", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"], top
    assert not {"graph", "api", "loaders"} & set(top)

    out = json.loads(_run([str(python), "-c", CHECK], cwd).stdout)
    assert Path(out["file"]).is_relative_to(site), out  # the wheel's copy, not the repository's
    assert Path(out["graph"]) == site / "lernnetz" / "graph" / "__init__.py"
    assert out["version"] == "0.1.0" and out["open"]
    assert {"projects.csv", "project_members.csv", "topics.csv", "events.csv"} <= set(out["curated"]), out
    assert out["example"]

    help_ = _run([str(venv / "bin" / "lernnetz"), "--help"], cwd).stdout
    assert "Usage: lernnetz" in help_ and "match" in help_ and "load" in help_
    listed = (site / f"{top[1]}" / "top_level.txt").read_text().split()
    assert listed == ["lernnetz"]
