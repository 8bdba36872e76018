"""GeoJSON export of result tables (graph.export) and the CLI's --format geojson."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lernnetz.graph.analytics.basic import near_region
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.pictures.export import to_geojson, write_geojson
from lernnetz.graph.store.nx_store import NetworkXStore


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
