"""The embedded store, regions and the foundation CLI on the real register."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lernnetz.api.cli.common import app
from lernnetz.graph.analytics.basic import near_region
from lernnetz.graph.errors import Ambiguous, InvalidArgument, NoGraph, NotFound
from lernnetz.graph.model import GraphData
from lernnetz.graph.regions import resolve_region
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.records import Register
from tests.conftest import CLEAN_CSV

R = 6371.0088


def plain_haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An independent textbook haversine (no numpy), for checking the store."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def test_real_register_figures(register: Register) -> None:
    munis = register.municipalities
    assert len(munis) == 11_004
    assert sum(not m.is_unincorporated for m in munis) == 10_794
    assert sum(m.is_unincorporated for m in munis) == 210
    assert len(register.districts) == 401
    assert len(register.states) == 16
    assert sum(m.population for m in munis) == 83_166_711
    assert register.provenance.stichtag == "2020-12-31"
    assert "dl-de/by-2-0" in register.provenance.attribution


def test_store_counts(nx_store: NetworkXStore) -> None:
    info = nx_store.info()
    assert info["nodes"]["Municipality"] == 11_004
    assert info["nodes"]["District"] == 401
    assert info["nodes"]["State"] == 16
    assert info["nodes"]["Project"] == 73
    assert info["edges"]["IN_DISTRICT"] == 11_002  # the two 999 areas without a Kreis have none


def test_near_ulm_matches_an_independent_full_scan(nx_store: NetworkXStore, register: Register) -> None:
    ulm = next(m for m in register.municipalities if m.ags == "08421000")
    assert ulm.lat is not None and ulm.lon is not None
    expected = {
        m.ags: plain_haversine(ulm.lat, ulm.lon, m.lat, m.lon)
        for m in register.municipalities
        if m.lat is not None and m.lon is not None
    }
    expected = {a: d for a, d in expected.items() if d <= 20.0}
    got = nx_store.near(["08421000"], 20.0)
    assert set(got["ags"]) == set(expected)
    for a, d in zip(got["ags"], got["distance_km"], strict=True):
        assert abs(d - expected[a]) < 0.01
    assert list(got["distance_km"]) == sorted(got["distance_km"])
    assert got.iloc[0]["ags"] == "08421000" and got.iloc[0]["distance_km"] == 0.0
    # both sides of the Danube: Neu-Ulm (Bayern) is in, the Land border does not matter
    assert "09775135" in set(got["ags"])


def test_distance_to_a_region_is_the_minimum_over_its_gemeinden(
    nx_store: NetworkXStore, register: Register
) -> None:
    region = resolve_region(nx_store, "Landkreis Mayen-Koblenz")
    inside = set(region.members)
    got = near_region(nx_store, "Landkreis Mayen-Koblenz", 10.0)
    assert inside <= set(got["ags"])
    assert (got.loc[got["ags"].isin(inside), "distance_km"] == 0).all()
    pts = {m.ags: (m.lat, m.lon) for m in register.municipalities if m.lat is not None}
    outside = got[~got["ags"].isin(inside)]
    assert len(outside) > 0
    for a, d in zip(outside["ags"], outside["distance_km"], strict=True):
        lat, lon = pts[a]
        best = min(plain_haversine(lat, lon, *pts[c]) for c in inside if c in pts)
        assert abs(best - d) < 0.01


def test_radius_bounds(nx_store: NetworkXStore) -> None:
    for bad in (0.0, -5.0, 1000.1, float("nan")):
        with pytest.raises(InvalidArgument):
            near_region(nx_store, "Ulm", bad)


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("Ulm", "municipality", "08421000"),
        ("08421000", "municipality", "08421000"),
        ("Landkreis Mayen-Koblenz", "district", "07137"),
        ("07137", "district", "07137"),
        ("Bayern", "state", "09"),
        ("09", "state", "09"),
        ("Neustadt an der Weinstraße", "municipality", "07316000"),
        ("Frankfurt (Oder)", "municipality", "12053000"),
        ("Frankfurt am Main", "municipality", "06412000"),
        ("Alte Hansestadt Lemgo", "municipality", "05766044"),
        ("Stadt Mayen", "municipality", "07137068"),
        ("ulm", "project", "ulm"),
    ],
)
def test_regions_resolve(nx_store: NetworkXStore, text: str, kind: str, key: str) -> None:
    r = resolve_region(nx_store, text)
    assert (r.kind, r.key) == (kind, key)
    assert len(r.members) >= 1


def test_a_kreis_and_a_land_are_their_gemeinden_in_register_order(nx_store: NetworkXStore) -> None:
    """Their member lists are made on the first question about a Kreis or Land (not with the index)."""
    m = nx_store.municipalities()
    for text, column, key in (
        ("Landkreis Mayen-Koblenz", "district_key", "07137"),
        ("Bayern", "state_code", "09"),
    ):
        want = tuple(m.loc[m[column] == key, "ags"])
        assert len(want) > 10 and all(a.startswith(key) for a in want)
        assert resolve_region(nx_store, text).members == want


def test_ambiguous_name_returns_candidates_never_a_guess(nx_store: NetworkXStore) -> None:
    with pytest.raises(Ambiguous) as exc:
        resolve_region(nx_store, "Neustadt")
    names = [c["name"] for c in exc.value.candidates]
    assert len(names) > 5
    assert all("Neustadt" in n for n in names)


def test_unknown_region(nx_store: NetworkXStore) -> None:
    with pytest.raises(NotFound):
        resolve_region(nx_store, "Atlantis")
    with pytest.raises(NotFound):
        resolve_region(nx_store, "99999999")


def test_snapshot_round_trip_and_atomic_replace(
    tmp_path: Path, graph_data: GraphData, register: Register
) -> None:
    snap = tmp_path / "graph.pickle"
    store = NetworkXStore(snap)
    with pytest.raises(NoGraph):
        store.info()
    store.replace(graph_data)
    reopened = NetworkXStore(snap)
    assert reopened.info() == store.info()
    assert reopened.near(["08421000"], 15).equals(store.near(["08421000"], 15))
    before = snap.read_bytes()
    # a load whose records point nowhere fails and leaves the snapshot and the store as they were
    from dataclasses import replace

    broken = GraphData(
        register=Register(
            states=register.states,
            districts=register.districts,
            associations=register.associations,
            municipalities=[
                replace(register.municipalities[0], district_key="99999"),
                *register.municipalities[1:],
            ],
            provenance=register.provenance,
        ),
        programme=graph_data.programme,
    )
    with pytest.raises(InvalidArgument):
        reopened.replace(broken)
    assert snap.read_bytes() == before
    assert reopened.info() == store.info()
    assert not list(tmp_path.glob("*.tmp"))


# ---------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def loaded_cli(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data dir with the register fetched from the local copy and the graph loaded."""
    env = {"LERNNETZ_DATA_DIR": str(tmp_path_factory.mktemp("cli")), "LERNNETZ_BACKEND": "networkx"}
    runner = CliRunner()
    r = runner.invoke(app, ["data", "fetch", "--from", str(CLEAN_CSV)], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["load"], env=env)
    assert r.exit_code == 0, r.output
    return env


def test_cli_near_ulm_json(loaded_cli: dict[str, str], register: Register) -> None:
    r = CliRunner().invoke(app, ["near", "08421000", "--radius-km", "20", "--format", "json"], env=loaded_cli)
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    ulm = next(m for m in register.municipalities if m.ags == "08421000")
    pts = {m.ags: (m.lat, m.lon) for m in register.municipalities}
    assert rows[0]["ags"] == "08421000"
    assert {"09775135", "08425141"} <= {x["ags"] for x in rows}  # Neu-Ulm (Bayern), Blaustein
    for x in rows:
        lat, lon = pts[x["ags"]]
        assert abs(plain_haversine(ulm.lat, ulm.lon, lat, lon) - x["distance_km"]) < 0.01  # type: ignore[arg-type]
        assert x["distance_km"] <= 20


def test_cli_stats_and_municipality(loaded_cli: dict[str, str]) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["stats"], env=loaded_cli)
    assert r.exit_code == 0, r.output
    assert "10794 Gemeinden + 210 gemeindefreie Gebiete" in r.stdout
    assert "funded:" in r.stdout and "dl-de/by-2-0" in r.stdout.replace("\n", "")
    r = runner.invoke(app, ["municipality", "Lemgo"], env=loaded_cli)
    assert r.exit_code == 0, r.output
    assert "05766044" in r.stdout and "lemgo" in r.stdout.lower()


def test_cli_bad_input_exits_2_with_a_message(loaded_cli: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["near", "Neustadt", "--radius-km", "5"], env=loaded_cli)
    assert r.exit_code == 2 and "Neustadt" in r.output
    r = runner.invoke(app, ["near", "Ulm", "--radius-km", "5000"], env=loaded_cli)
    assert r.exit_code == 2 and "radius_km" in r.output
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(
        CLEAN_CSV.read_bytes()[:2000].decode("utf-8").encode("latin-1", errors="replace")
        + "Lübeck\n".encode("latin-1")
    )
    env = {**loaded_cli, "LERNNETZ_DATA_DIR": str(tmp_path / "other")}
    r = runner.invoke(app, ["data", "fetch", "--from", str(bad)], env=env)
    assert r.exit_code == 2
    assert str(bad) in r.output.replace("\n", "")


def test_cli_without_data_says_what_to_do(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app, ["stats"], env={"LERNNETZ_DATA_DIR": str(tmp_path), "LERNNETZ_BACKEND": "networkx"}
    )
    assert r.exit_code == 1
    assert "lernnetz load" in r.output or "lernnetz data fetch" in r.output


def test_cli_load_reports_neighbours_outside_the_register(tmp_path: Path) -> None:
    """Neighbour pairs with an AGS the register lacks are left out and said so, never dropped
    silently; a bad value in neighbours.csv and a missing curated folder exit 2 with a message."""
    env = {"LERNNETZ_DATA_DIR": str(tmp_path), "LERNNETZ_BACKEND": "networkx"}
    runner = CliRunner()
    r = runner.invoke(app, ["data", "fetch", "--from", str(CLEAN_CSV)], env=env)
    assert r.exit_code == 0, r.output
    neighbours = tmp_path / "neighbours.csv"
    neighbours.write_text(
        "ags_a,ags_b,shared_border_km\n08421000,09775135,4.2\n08421000,99999999,1.0\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["load"], env=env)
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "1 neighbour pair(s)" in said and "99999999" in said
    snapshot = tmp_path / "graph.pickle"
    assert NetworkXStore(snapshot).info()["edges"]["NEIGHBOUR_OF"] == 1
    before = snapshot.read_bytes()

    neighbours.write_text("ags_a,ags_b,shared_border_km\n08421000,09775135,vier\n", encoding="utf-8")
    r = runner.invoke(app, ["load"], env=env)
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and "shared_border_km" in said and "vier" in said
    assert str(neighbours) in "".join(r.output.split())  # the console may wrap a long path anywhere
    r = runner.invoke(app, ["load"], env={**env, "LERNNETZ_CURATED_DIR": str(tmp_path / "missing")})
    assert r.exit_code == 2 and "LERNNETZ_CURATED_DIR" in " ".join(r.output.split())
    assert snapshot.read_bytes() == before
