"""The analysts' face: ``import lernnetz as ln; kn = ln.open()`` answers exactly what the
functions behind the CLI and the API answer (each method forwards, nothing of its own).

Runs on the session's analytics store (real register and programme, hand-made and
synthetic participation); ``ln.fetch``/``ln.load``/``ln.open`` on an empty data dir are
exercised by the notebooks (tests/test_notebooks.py) and the README test.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from matplotlib.figure import Figure

import lernnetz as ln
from lernnetz.graph import analytics as A
from lernnetz.graph.analytics.basic import graph_stats, near_region
from lernnetz.graph.analytics.programme import list_projects
from lernnetz.graph.errors import NoGraph
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore

ULM = "08421000"


@pytest.fixture(scope="module")
def kn(store: NetworkXStore, tmp_path_factory: pytest.TempPathFactory) -> ln.Lernnetz:
    settings = Settings(LERNNETZ_DATA_DIR=tmp_path_factory.mktemp("face"))  # type: ignore[call-arg]
    return ln.Lernnetz(store, settings)


def test_the_questions_forward_to_the_analytics(kn: ln.Lernnetz, store: NetworkXStore) -> None:
    pd.testing.assert_frame_equal(
        kn.matches("Ulm", radius_km=30, topics=["strategy-development"]),
        A.matches(store, "Ulm", 30, topics=["strategy-development"]),
    )
    assert len(kn.matches("Ulm", radius_km=30)) > 0
    pd.testing.assert_frame_equal(kn.recommend("Blaustein", top=3), A.recommend(store, "Blaustein", 3))
    nets = kn.learning_networks("Ulm", radius_km=30)
    pd.testing.assert_frame_equal(nets.groups, A.learning_networks(store, "Ulm", radius_km=30).groups)
    pd.testing.assert_frame_equal(kn.white_spots("mobility", 30), A.white_spots(store, "mobility", 30))
    pd.testing.assert_frame_equal(
        kn.white_spots_by_district("mobility", 30), A.white_spots_by_district(store, "mobility", 30)
    )
    pd.testing.assert_frame_equal(
        kn.plan_events("mobility", 2, 50).hosts, A.plan_events(store, "mobility", 2, 50).hosts
    )
    c = kn.connections("Lemgo", "Ulm")
    assert c.a["name"].startswith("Lemgo") and c.b["key"] == ULM
    pd.testing.assert_frame_equal(c.to_frame(), A.connections(store, "Lemgo", "Ulm").to_frame())


def test_the_tables(kn: ln.Lernnetz, store: NetworkXStore) -> None:
    ulm = kn.municipalities([ULM]).iloc[0]
    assert (ulm["name"], ulm["state"], ulm["district"]) == (
        "Ulm, Universitätsstadt",
        "Baden-Württemberg",
        "Ulm, Stadtkreis",
    )
    assert len(kn.municipalities()) == len(store.municipalities())
    pd.testing.assert_frame_equal(kn.projects(round=2019), list_projects(store, round=2019))
    assert len(kn.projects()) == 73
    near = kn.near("Ulm", 10)
    pd.testing.assert_frame_equal(near, near_region(store, "Ulm", 10))
    assert near.iloc[0]["ags"] == ULM and near.iloc[0]["distance_km"] == 0
    assert set(kn.topics()["slug"]) >= {"mobility", "strategy-development"}
    assert kn.stats() == graph_stats(store)
    assert "Datenlizenz Deutschland" in kn.attribution
    assert int(kn.interests().to_numpy().sum()) > 0


def test_pictures_and_exports(kn: ln.Lernnetz, tmp_path: Path) -> None:
    found = kn.matches("Ulm", radius_km=30)
    geo = json.loads(kn.save(found, tmp_path / "m.geojson").read_text(encoding="utf-8"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(found)
    assert "Datenlizenz" in json.dumps(geo)
    fig = kn.map(candidates=found, focus=[ULM], title="Ulm")
    assert isinstance(fig, Figure)
    assert kn.save(fig, tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert isinstance(kn.interest_chart(top=5), Figure)
    view = kn.show(kn.learning_networks("Ulm", radius_km=30), tmp_path / "net.html")
    assert view.path.exists() and "vis-network" in view.path.read_text(encoding="utf-8")
    g = nx.Graph()
    g.add_edge("Municipality:" + ULM, "Project:ulm")
    assert kn.show(g, tmp_path / "g.html").path.exists()


def test_open_without_a_graph_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LERNNETZ_BACKEND", "networkx")
    kn = ln.open()
    assert kn.settings.data_dir == tmp_path and repr(kn) == "Lernnetz(NetworkXStore)"
    with pytest.raises(NoGraph) as err:
        kn.matches("Ulm", radius_km=30)
    assert "lernnetz load" in (err.value.hint or "")
