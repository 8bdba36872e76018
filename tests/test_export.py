"""GeoJSON export of result tables (graph.export) and the CLI's --format geojson."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lernnetz.graph.analytics.basic import near_region
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.pictures.export import to_geojson, write_geojson
from lernnetz.graph.store.nx_store import NetworkXStore
from tests import viz_fixtures

demo_store = viz_fixtures.demo_store


@pytest.fixture(scope="module")
def ulm_near(nx_store: NetworkXStore) -> pd.DataFrame:
    return near_region(nx_store, "08421000", 15.0)


def test_every_row_becomes_a_point_in_lon_lat_order(ulm_near: pd.DataFrame) -> None:
    fc = to_geojson(ulm_near)
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(ulm_near) > 10
    for f, row in zip(fc["features"], ulm_near.itertuples(index=False), strict=True):
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert lon == pytest.approx(row.lon, abs=1e-6)
        assert lat == pytest.approx(row.lat, abs=1e-6)
        assert f["properties"]["ags"] == row.ags
        assert "lat" not in f["properties"] and "lon" not in f["properties"]
    ulm = next(f for f in fc["features"] if f["properties"]["ags"] == "08421000")
    # Ulm lies east of 9.9° E and north of 48.3° N: a swapped pair would fail here
    assert 9.9 < ulm["geometry"]["coordinates"][0] < 10.1
    assert 48.3 < ulm["geometry"]["coordinates"][1] < 48.5
    assert ulm["properties"]["distance_km"] == 0.0


def test_properties_are_plain_json(ulm_near: pd.DataFrame) -> None:
    fc = to_geojson(ulm_near)
    text = json.dumps(fc, allow_nan=False)  # numpy scalars or NaN would raise here
    back = json.loads(text)
    assert back == fc
    first = fc["features"][0]["properties"]
    assert isinstance(first["population"], int)
    assert isinstance(first["funded"], bool)
    assert isinstance(first["distance_km"], float)


def test_rows_without_coordinates_are_kept_with_null_geometry(nx_store: NetworkXStore) -> None:
    # the three special 999 areas have no coordinates in the official register
    m = nx_store.municipalities(["07000999", "08421000", "13000999"])
    assert m["lat"].isna().sum() == 2
    fc = to_geojson(m[["ags", "name", "population", "lat", "lon"]])
    assert [f["properties"]["ags"] for f in fc["features"]] == ["07000999", "08421000", "13000999"]
    geoms = {f["properties"]["ags"]: f["geometry"] for f in fc["features"]}
    assert geoms["07000999"] is None and geoms["13000999"] is None
    assert geoms["08421000"]["type"] == "Point"


def test_lists_dicts_numpy_and_missing_values() -> None:
    df = pd.DataFrame(
        {
            "ags": ["08421000", "08425008"],
            "shared_topics": [["mobilitaet", "energie"], []],
            "projects": [[{"id": "ulm", "distance_km": np.float64(0.0)}], []],
            "score": [np.float32(0.5), np.nan],
            "n": np.array([1, 2], dtype=np.int64),
            "date": [pd.Timestamp("2022-04-05"), pd.NaT],
            "lat": [48.39841, np.nan],
            "lon": [9.99155, None],
        }
    )
    fc = to_geojson(df, attribution="© Destatis")
    assert fc["attribution"] == "© Destatis"
    a, b = (f["properties"] for f in fc["features"])
    assert a["shared_topics"] == ["mobilitaet", "energie"] and b["shared_topics"] == []
    assert a["projects"] == [{"id": "ulm", "distance_km": 0.0}]
    assert a["score"] == 0.5 and b["score"] is None
    assert a["n"] == 1 and type(a["n"]) is int
    assert a["date"].startswith("2022-04-05") and b["date"] is None
    assert fc["features"][1]["geometry"] is None
    json.dumps(fc, allow_nan=False)


def test_table_without_coordinates_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument) as exc:
        to_geojson(pd.DataFrame({"group_id": [1], "size": [3]}))
    assert "group_id" in exc.value.detail and exc.value.hint


def test_write_geojson_round_trip(ulm_near: pd.DataFrame, tmp_path: Path) -> None:
    out = write_geojson(ulm_near, tmp_path / "sub" / "near.geojson")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == len(ulm_near)
    assert not list(out.parent.glob("*.geojson.*"))  # no temp file left behind


def test_geopandas_reads_the_export(ulm_near: pd.DataFrame, tmp_path: Path) -> None:
    import geopandas as gpd

    out = write_geojson(ulm_near, tmp_path / "near.geojson")
    gdf = gpd.read_file(out)
    assert len(gdf) == len(ulm_near)
    assert set(gdf["ags"]) == set(ulm_near["ags"])
    ulm = gdf[gdf["ags"] == "08421000"].geometry.iloc[0]
    assert math.isclose(ulm.x, float(ulm_near.set_index("ags").loc["08421000", "lon"]), abs_tol=1e-6)


def test_cli_near_format_geojson(nx_store: NetworkXStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from lernnetz.api import cli

    monkeypatch.setattr(cli.data, "store_from_settings", lambda backend=None: nx_store)
    result = CliRunner().invoke(cli.app, ["near", "08421000", "--radius-km", "10", "--format", "geojson"])
    assert result.exit_code == 0, result.output
    fc = json.loads(result.stdout)
    expected = near_region(nx_store, "08421000", 10.0)
    assert [f["properties"]["ags"] for f in fc["features"]] == list(expected["ags"])
    assert all(f["geometry"]["type"] == "Point" for f in fc["features"])


# ---------------------------------------------------------------------------- tables people open

BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "bkg_vg5000"


@pytest.fixture(scope="module")
def awkward() -> pd.DataFrame:
    """Lists, dicts, floats with float noise, negatives, formula-like text, umlauts, missing values."""
    return pd.DataFrame(
        {
            "ags": ["08421000", "08425008", "07137003"],
            "name": ["Ulm, Universitätsstadt", '=HYPERLINK("x")', "Mayen; Stadt"],
            "topics": [["mobility", "energie"], [], ["strategy-development"]],
            "projects": [
                [{"id": "ulm", "name": "Ulm"}],
                [],
                [{"id": "myk", "name": "Landkreis Mayen-Koblenz"}],
            ],
            "score": [0.1 + 0.2, -3.5, np.nan],
            "distance_km": [np.float64(15.300000000000002), np.float32(0.5), 1234567.125],
            "population": np.array([126790, 2152, 19000], dtype=np.int64),
            "funded": [True, False, True],
        }
    )


def test_excel_csv_is_what_german_excel_reads(awkward: pd.DataFrame) -> None:
    from lernnetz.graph.pictures.tables import read_csv, to_csv

    data = to_csv(awkward, "excel")
    assert data.startswith("\ufeff".encode())  # BOM: Excel detects UTF-8
    text = data.decode("utf-8-sig")
    header, first, second, third = text.split("\r\n")[:4]
    assert header == "ags;name;topics;projects;score;distance_km;population;funded"
    # lists joined with "; " (quoted, since ; is the delimiter), decimal comma, no float noise, no JSON
    assert first == "08421000;Ulm, Universitätsstadt;mobility; energie;Ulm;0,3;15,3;126790;true".replace(
        "mobility; energie", '"mobility; energie"'
    )
    assert (
        second == '08425008;"\'=HYPERLINK(""x"")";;;-3,5;0,5;2152;false'
    )  # formula neutralised, -3,5 a number
    assert third.endswith(";;1234567,125;19000;true") and '"Mayen; Stadt"' in third
    assert "[" not in text and "{" not in text
    back = read_csv(data, "excel")
    assert list(back.columns) == list(awkward.columns)
    assert list(back["ags"]) == list(awkward["ags"])  # keys keep their leading zeros
    assert back.loc[0, "topics"] == "mobility; energie" and back.loc[1, "topics"] == ""
    assert back.loc[1, "name"] == '\'=HYPERLINK("x")'
    # numbers come back as numbers with pandas' German settings
    nums = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", dtype={"ags": str})
    assert nums["score"].tolist()[:2] == [0.3, -3.5] and math.isnan(nums["score"].iloc[2])
    assert nums["distance_km"].tolist() == [15.3, 0.5, 1234567.125]
    assert nums["population"].tolist() == [126790, 2152, 19000]


def test_plain_csv_round_trip(awkward: pd.DataFrame) -> None:
    from lernnetz.graph.pictures.tables import read_csv, text_cell, to_csv

    data = to_csv(awkward, "plain")
    assert not data.startswith("\ufeff".encode())
    back = read_csv(data, "plain")
    expected = awkward.map(text_cell)
    expected.loc[1, "name"] = "'" + expected.loc[1, "name"]
    pd.testing.assert_frame_equal(back, expected.astype(str))


def test_xlsx_round_trip_with_source_sheet(awkward: pd.DataFrame) -> None:
    from lernnetz.graph.pictures.tables import read_xlsx, to_xlsx

    near = pd.DataFrame({"ags": ["08421000"], "distance_km": [0.0]})
    data = to_xlsx({"awkward": awkward, "near": near}, source="test", attribution="© Destatis; dl-de/by-2-0")
    sheets = read_xlsx(data)
    assert list(sheets) == ["awkward", "near", "Quelle"]
    back = pd.read_excel(io.BytesIO(data), sheet_name="awkward", dtype={"ags": str})
    assert list(back["ags"]) == list(awkward["ags"])
    assert list(back["name"]) == ["Ulm, Universitätsstadt", '\'=HYPERLINK("x")', "Mayen; Stadt"]
    assert back["topics"].fillna("").tolist() == ["mobility; energie", "", "strategy-development"]
    assert back["projects"].fillna("").tolist() == ["Ulm", "", "Landkreis Mayen-Koblenz"]
    assert back["score"].tolist()[:2] == [0.3, -3.5] and math.isnan(back["score"].iloc[2])
    assert back["distance_km"].tolist() == [15.3, 0.5, 1234567.125]
    assert back["population"].tolist() == [126790, 2152, 19000]
    assert back["funded"].tolist() == [True, False, True]
    source = sheets["Quelle"].astype(str)
    text = " ".join(source.to_numpy().ravel())
    assert "© Destatis; dl-de/by-2-0" in text and "3 Zeilen / rows" in text and "1 Zeilen / rows" in text


# ---------------------------------------------------------------------------- networks for Gephi


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_network_files_read_back_by_networkx(fmt: str, tmp_path: Path) -> None:
    import networkx as nx

    from lernnetz.graph.pictures.export import file_graph, write_network

    G = nx.Graph(title="test", empty=None)
    G.add_node(
        "municipality:08421000", kind="funded", label="Ulm", population=np.int64(126790), lat=48.39, note=None
    )
    G.add_node("municipality:08425008", kind="candidate", label="Blaustein", population=16000, lat=np.nan)
    G.add_node("topic:mobility", kind="topic", label="Mobilität", population=0.5, topics=["a", "b"])
    G.add_edge(
        "municipality:08421000", "municipality:08425008", label="", weight=np.float64(0.25), extra=None
    )
    G.add_edge("municipality:08425008", "topic:mobility", kind="interest", evidence={"kind": "registered"})
    with pytest.raises(Exception):  # noqa: B017 - what networkx does with our raw graphs today
        nx.write_graphml(G, tmp_path / "raw.graphml") if fmt == "graphml" else nx.write_gexf(
            G, tmp_path / "raw.gexf"
        )
    out = write_network(G, tmp_path / f"net.{fmt}")
    R = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    H = file_graph(G)
    assert sorted(R.nodes) == sorted(G.nodes)
    assert {frozenset(e) for e in R.edges} == {frozenset(e) for e in G.edges}
    for n in G.nodes:
        got = {
            k: v
            for k, v in R.nodes[n].items()
            if not (fmt == "gexf" and k == "label" and "label" not in H.nodes[n])
        }
        assert got == H.nodes[n], n
    for u, v in G.edges:
        got = {k: x for k, x in R.edges[u, v].items() if not (fmt == "gexf" and k == "id")}
        assert got == H.edges[u, v]
    assert H.nodes["topic:mobility"]["topics"] == "a; b"
    assert H.nodes["municipality:08421000"]["population"] == 126790.0  # int and float mixed → float
    assert "note" not in H.nodes["municipality:08421000"] and "lat" not in H.nodes["municipality:08425008"]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_learning_network_graph_round_trip(fmt: str, demo_store: NetworkXStore, tmp_path: Path) -> None:
    import networkx as nx

    from lernnetz.graph.analytics import learning_networks
    from lernnetz.graph.pictures.export import file_graph, write_network

    G = learning_networks(demo_store, "Lemgo", radius_km=30.0).to_graph()
    out = write_network(G, tmp_path / f"lemgo.{fmt}")
    R = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    H = file_graph(G)
    assert sorted(R.nodes) == sorted(G.nodes) and len(G) > 20
    assert {frozenset(e) for e in R.edges} == {frozenset(e) for e in G.edges}
    for n in H.nodes:
        assert dict(R.nodes[n].items()) == H.nodes[n], n
    for u, v in H.edges:
        assert {k: x for k, x in R.edges[u, v].items() if k != "id"} == H.edges[u, v]


# ---------------------------------------------------------------------------- areas


def _valid_wgs84(fc: dict[str, object]) -> list[object]:
    from shapely.geometry import shape

    shapes = []
    for f in fc["features"]:  # type: ignore[attr-defined]
        g = shape(f["geometry"])
        assert g.is_valid, f["properties"]
        minx, miny, maxx, maxy = g.bounds
        assert 5.5 < minx <= maxx < 15.5 and 47.0 < miny <= maxy < 55.2  # Germany, lon/lat order
        shapes.append(g)
    return shapes


def test_project_territories_as_polygons(nx_store: NetworkXStore) -> None:
    from lernnetz.graph.pictures.geo_export import projects_geojson

    projects = nx_store.projects()
    fc = projects_geojson(nx_store, projects, BOUNDARIES)
    assert len(fc["features"]) == len(projects) == 73
    shapes = _valid_wgs84(fc)
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in fc["features"])
    by_id = {f["properties"]["id"]: s for f, s in zip(fc["features"], shapes, strict=True)}
    # Ulm's territory is the city of Ulm: it holds Ulm's centre point and not Neu-Ulm's (across the Danube)
    from shapely.geometry import Point

    assert by_id["ulm"].contains(Point(9.990402, 48.398454))
    assert not by_id["ulm"].contains(Point(10.0119, 48.3943))  # Neu-Ulm
    # the Landkreis Mayen-Koblenz territory holds Mayen and Andernach, and not Koblenz (kreisfrei)
    myk = by_id["landkreis-mayen-koblenz"]
    assert myk.contains(Point(7.2215, 50.3275)) and myk.contains(Point(7.4051, 50.4397))
    assert not myk.contains(Point(7.5886, 50.3569))


def test_projects_as_points_without_boundaries(nx_store: NetworkXStore) -> None:
    from lernnetz.graph.pictures.geo_export import projects_geojson

    fc = projects_geojson(nx_store, nx_store.projects(), None)
    assert all(f["geometry"]["type"] == "Point" for f in fc["features"])
    ulm = next(f for f in fc["features"] if f["properties"]["id"] == "ulm")
    assert ulm["geometry"]["coordinates"] == pytest.approx([9.990402, 48.398454], abs=1e-5)


def test_cli_projects_and_district_white_spots_as_geojson(
    nx_store: NetworkXStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lernnetz.api import cli
    from lernnetz.api.cli import analytics, programme

    monkeypatch.setattr(programme, "store_from_settings", lambda backend=None: nx_store)
    monkeypatch.setattr(analytics, "store_from_settings", lambda backend=None: nx_store)
    r = CliRunner().invoke(cli.app, ["projects", "-f", "geojson", "--boundaries", str(BOUNDARIES)])
    assert r.exit_code == 0, r.output
    fc = json.loads(r.stdout)
    assert len(fc["features"]) == 73 and {f["properties"]["geometry_kind"] for f in fc["features"]} == {
        "area"
    }
    _valid_wgs84(fc)
    r = CliRunner().invoke(
        cli.app,
        ["white-spots", "mobility", "--by-district", "-f", "geojson", "--boundaries", str(BOUNDARIES)],
    )
    assert r.exit_code == 0, r.output
    fc = json.loads(r.stdout)
    for f in fc["features"]:
        assert f["properties"]["geometry_kind"] == "area"
    _valid_wgs84(fc)
    r = CliRunner().invoke(cli.app, ["projects", "-f", "excel-csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes.startswith("\ufeff".encode()) and b"id;name;label" in r.stdout_bytes


# ---------------------------------------------------------------------------- the API offers the same


@pytest.fixture(scope="module")
def api(demo_store: NetworkXStore) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from lernnetz.api.main import create_app

    with TestClient(create_app(store=demo_store)) as c:
        yield c


def test_api_full_export_in_one_request(api: Any, nx_store: NetworkXStore) -> None:
    from lernnetz.graph.pictures.tables import read_csv

    everything = nx_store.municipalities()
    js = api.get("/municipalities", params={"limit": "all"}).json()
    assert js["total"] == len(everything) == len(js["items"]) > 10_000  # no silent cut at 100
    body = api.get("/municipalities", params={"limit": "all", "format": "excel-csv"}).content
    back = read_csv(body, "excel")
    assert list(back["ags"]) == list(everything["ags"])
    fc = api.get("/municipalities", params={"limit": "all", "format": "geojson"}).json()
    assert fc["numberMatched"] == fc["numberReturned"] == len(fc["features"]) == len(everything)
    fc = api.get("/municipalities", params={"limit": 5, "format": "geojson"}).json()
    assert fc["numberMatched"] == len(everything) and fc["numberReturned"] == 5
    assert api.get("/municipalities", params={"limit": "some"}).status_code == 422
    assert api.get("/municipalities", params={"limit": 1001}).status_code == 422


def test_api_xlsx_and_network_files(api: Any) -> None:
    import networkx as nx

    r = api.get("/municipalities", params={"district": "08425", "limit": "all", "format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheets = pd.read_excel(io.BytesIO(r.content), sheet_name=None, dtype={"ags": str})
    assert list(sheets) == ["municipalities", "Quelle"] or len(sheets) == 2
    table = next(iter(sheets.values()))
    assert len(table) == 55 and table["ags"].str.startswith("08425").all()  # Alb-Donau-Kreis: 55 Gemeinden
    assert "55" in " ".join(sheets["Quelle"].astype(str).to_numpy().ravel())
    r = api.get("/learning-networks", params={"region": "Ulm", "radius_km": 30, "format": "xlsx"})
    assert list(pd.read_excel(io.BytesIO(r.content), sheet_name=None)) == [
        "groups",
        "members",
        "unassigned",
        "Quelle",
    ]
    for fmt in ("graphml", "gexf"):
        r = api.get("/learning-networks/graph", params={"region": "Ulm", "radius_km": 30, "format": fmt})
        assert r.status_code == 200, r.text
        G = (
            nx.read_graphml(io.BytesIO(r.content))
            if fmt == "graphml"
            else nx.read_gexf(io.BytesIO(r.content))
        )
        assert G.number_of_nodes() > 10 and any(a.get("kind") == "project" for _, a in G.nodes(data=True))


# ---------------------------------------------------------------------------- the Python face


def test_python_face_export_map_and_show(demo_store: NetworkXStore, tmp_path: Path) -> None:
    import networkx as nx

    from lernnetz import Lernnetz
    from lernnetz.graph.pictures.tables import read_csv

    kn = Lernnetz(demo_store)
    ln = kn.learning_networks("Lemgo", radius_km=30.0)
    xlsx = kn.export(ln, tmp_path / "lemgo.xlsx")
    assert list(pd.read_excel(xlsx, sheet_name=None)) == ["groups", "members", "unassigned", "Quelle"]
    G = nx.read_gexf(kn.export(ln, tmp_path / "lemgo.gexf"))
    assert G.number_of_nodes() == ln.to_graph().number_of_nodes()
    near = kn.matches("Lemgo", 20.0)
    back = read_csv(kn.export(near, tmp_path / "m.csv", dialect="excel").read_bytes(), "excel")
    assert list(back["ags"]) == list(near["ags"])
    fc = json.loads(kn.export(near, tmp_path / "m.geojson").read_text(encoding="utf-8"))
    assert len(fc["features"]) == len(near)
    with pytest.raises(InvalidArgument):
        kn.export(near, tmp_path / "m.docx")
    fig = kn.map(tmp_path / "lemgo.png", region="Lemgo", radius_km=20.0, boundaries=BOUNDARIES)
    assert (tmp_path / "lemgo.png").stat().st_size > 10_000 and fig.axes
    view = kn.show(ln, tmp_path / "lemgo.html", boundaries=BOUNDARIES)
    assert "lernnetz-network" in view.html and '"kreise": [{' in view.html.replace(
        '"kreise":[{', '"kreise": [{'
    )


def test_api_projects_geojson_territories_after_fetch_boundaries(
    demo_store: NetworkXStore, tmp_path: Path
) -> None:
    """With boundaries fetched into the data dir, /projects?format=geojson gives territory polygons;
    without, points (the same app code, two data dirs)."""
    from fastapi.testclient import TestClient

    from lernnetz.api.main import create_app
    from lernnetz.graph.settings import Settings
    from lernnetz.loaders.boundaries_fetch import fetch_boundaries

    with_bounds = tmp_path / "with"
    fetch_boundaries(with_bounds, BOUNDARIES, progress=False, neighbours=False)
    for folder, kind in ((with_bounds, "area"), (tmp_path / "without", "point")):
        folder.mkdir(exist_ok=True)
        app = create_app(Settings(LERNNETZ_DATA_DIR=str(folder)), demo_store)
        with TestClient(app) as c:
            fc = c.get("/projects", params={"format": "geojson", "limit": "all"}).json()
        assert fc["numberMatched"] == fc["numberReturned"] == len(fc["features"]) == 73
        assert {f["properties"]["geometry_kind"] for f in fc["features"]} == {kind}
        if kind == "area":
            _valid_wgs84(fc)


def test_cli_networks_writes_graph_and_workbook(
    demo_store: NetworkXStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import networkx as nx

    from lernnetz.api import cli
    from lernnetz.api.cli import analytics

    monkeypatch.setattr(analytics, "store_from_settings", lambda backend=None: demo_store)
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path))
    out = [tmp_path / "ulm.graphml", tmp_path / "ulm.xlsx", tmp_path / "ulm.html"]
    r = CliRunner().invoke(
        cli.app,
        [
            "networks",
            "Ulm",
            "--radius-km",
            "30",
            "--graph",
            str(out[0]),
            "--xlsx",
            str(out[1]),
            "--html",
            str(out[2]),
        ],
    )
    assert r.exit_code == 0, r.output
    G = nx.read_graphml(out[0])
    assert any(a.get("kind") == "project" for _, a in G.nodes(data=True))
    sheets = pd.read_excel(out[1], sheet_name=None, dtype=str)
    assert list(sheets) == ["groups", "members", "unassigned", "Quelle"]
    first = sheets["groups"].iloc[0]  # names beside the keys, labels beside the slugs
    keys = [k.strip() for k in first["members"].split(";")]
    assert keys and all(n in first["member_names"] for n in demo_store.municipalities(keys)["name"])
    labels = demo_store.topics().set_index("slug")["label_de"]
    assert all(labels[s.strip()] in first["topic_labels"] for s in first["topics"].split(";"))
    assert "lernnetz-network" in out[2].read_text(encoding="utf-8")
    r = CliRunner().invoke(cli.app, ["networks", "Ulm", "--graph", str(tmp_path / "ulm.png")])
    assert r.exit_code == 2 and ".graphml or .gexf" in r.output
