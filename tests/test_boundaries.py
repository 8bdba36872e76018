"""BKG boundaries (VG5000 in ../shared/data): outlines for maps and Gemeinde neighbourhood.

The full neighbourhood of all 10,997 VG5000 Gemeinden takes about 2 s, so it runs in full and
is compared with the published adjacency in ``derived/`` (30,993 pairs, >= 50 m shared border).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lernnetz.graph.model import EdgeKind, GraphData
from lernnetz.graph.tables import build_tables
from lernnetz.loaders.boundaries import (
    Neighbours,
    boundary_source,
    find_boundary_files,
    gemeinde_neighbours,
    level_of,
    read_kreise,
    read_laender,
    shared_borders,
)
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import Register

REFERENCE = "derived/adjacency_gemeinden_vg5000_2021-01-01.csv"


@pytest.fixture(scope="module")
def neighbours(shared_data: Path, register: Register) -> Neighbours:
    return gemeinde_neighbours(shared_data, [m.ags for m in register.municipalities])


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> dict[tuple[str, str], float]:
    with (shared_data / REFERENCE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # the published file does not always put the smaller key first
    return {tuple(sorted((r["ags_a"], r["ags_b"]))): float(r["shared_border_km"]) for r in rows}  # type: ignore[misc]


def test_level_names() -> None:
    assert level_of("vg5000_gem_2021-01-01_wgs84") == "gemeinden"
    assert level_of("VG250_KRS") == "kreise"
    assert level_of("vg250_lan") == "laender"
    assert level_of("vg250_vwg") is None


def test_finds_the_shared_vg5000_files(shared_data: Path) -> None:
    files = find_boundary_files(shared_data)
    assert {k: p.name for k, p in files.items()} == {
        "gemeinden": "vg5000_gem_2021-01-01_wgs84.geojson",
        "kreise": "vg5000_krs_2021-01-01_wgs84.geojson",
        "laender": "vg5000_lan_2021-01-01_wgs84.geojson",
    }
    src = boundary_source(shared_data, "kreise")
    assert src.stand == "2021-01-01"
    assert "GeoBasis-DE / BKG 2021" in src.attribution


def test_kreis_outlines_match_the_register(shared_data: Path, register: Register) -> None:
    kreise = read_kreise(shared_data)
    assert list(kreise.columns) == ["key", "name", "geometry"]
    assert kreise.crs.to_epsg() == 4326
    assert sorted(kreise["key"]) == sorted(d.key for d in register.districts)
    assert kreise.geometry.is_valid.all()
    minx, miny, maxx, maxy = kreise.total_bounds
    assert 5.8 < minx < 6.0 and 14.9 < maxx < 15.1 and 47.2 < miny < 47.4 and 55.0 < maxy < 55.1


def test_land_outlines_one_per_land(shared_data: Path, register: Register) -> None:
    """The Länder file has 25 features; GF==9 keeps one polygon per Land (waters dropped)."""
    laender = read_laender(shared_data)
    assert len(laender) == 16
    assert sorted(laender["key"]) == sorted(s.code for s in register.states)
    names = dict(zip(laender["key"], laender["name"], strict=True))
    assert names["09"] == "Bayern" and names["11"] == "Berlin"


def test_neighbours_agree_with_the_published_adjacency(
    neighbours: Neighbours, reference: dict[tuple[str, str], float]
) -> None:
    """Measured: all 30,993 pairs agree (100%); shared border within 0.02 km of the reference."""
    mine = {(a, b): km for a, b, km in neighbours.pairs + neighbours.unknown}
    overlap = len(mine.keys() & reference.keys())
    assert len(reference) == 30_993
    assert overlap / len(reference) >= 0.99
    assert overlap / len(mine) >= 0.99
    diffs = sorted(abs(mine[p] - reference[p]) for p in mine.keys() & reference.keys())
    assert diffs[len(diffs) // 2] < 0.005  # median
    assert diffs[-1] < 0.05
    assert all(km >= 0.05 for km in mine.values())


def test_neighbours_are_sorted_pairs_in_the_register(neighbours: Neighbours, register: Register) -> None:
    known = {m.ags for m in register.municipalities}
    assert neighbours.pairs == sorted(neighbours.pairs)
    assert all(a < b for a, b, _ in neighbours.pairs)
    assert all(a in known and b in known for a, b, _ in neighbours.pairs)
    assert len({(a, b) for a, b, _ in neighbours.pairs}) == len(neighbours.pairs)
    assert neighbours.stand == "2021-01-01"


def test_keys_of_another_gebietsstand_are_reported_not_dropped(neighbours: Neighbours) -> None:
    """VG5000 is 01.01.2021: the Neitersen/Obernau and Greußen mergers have new keys."""
    assert neighbours.unknown_keys == ["07132502", "16065089"]
    assert neighbours.unknown  # every pair touching those keys is kept apart
    assert all(a in neighbours.unknown_keys or b in neighbours.unknown_keys for a, b, _ in neighbours.unknown)
    # the old Gemeinden and the three special 999 areas have no polygon
    for ags in ["07000999", "10042999", "13000999", "07132074", "16065023", "12073505"]:
        assert ags in neighbours.without_polygon


def test_islands_and_exclaves_have_no_neighbour(neighbours: Neighbours, register: Register) -> None:
    touched = {a for a, _, _ in neighbours.pairs} | {b for _, b, _ in neighbours.pairs}
    names = {m.ags: m.name for m in register.municipalities}
    alone = [names[a] for a in names if a not in touched and a not in neighbours.without_polygon]
    assert "Büsingen am Hochrhein" in alone
    assert "Helgoland" in alone


def test_neighbours_become_graph_edges(register: Register, neighbours: Neighbours) -> None:
    data = GraphData(register=register, neighbours=neighbours.pairs, neighbours_source=neighbours.provenance)
    tables = build_tables(data)
    edges = tables.edges_of(EdgeKind.NEIGHBOUR_OF)
    assert len(edges) == len(neighbours.pairs)
    first = edges[0]
    assert (first.src, first.dst, first.props["shared_border_km"]) == neighbours.pairs[0]
    assert first.props["ref_date"] == "2021-01-01"


def test_subset_by_land(shared_data: Path, register: Register, neighbours: Neighbours) -> None:
    """Restricting to one Land gives exactly the full result's pairs inside that Land."""
    sub = gemeinde_neighbours(shared_data, [m.ags for m in register.municipalities], laender=["10"])
    expected = [p for p in neighbours.pairs if p[0].startswith("10") and p[1].startswith("10")]
    assert sub.pairs == expected and len(expected) > 100


def test_shared_borders_threshold() -> None:
    """Unit squares in metres: a 1 km common edge counts, a corner or a 40 m edge does not."""
    from shapely.geometry import box

    geoms = [
        box(0, 0, 1000, 1000),
        box(1000, 0, 2000, 1000),  # shares 1000 m with the first
        box(2000, 1000, 3000, 2000),  # touches the second at one corner only
        box(-1000, 960, 0, 2000),  # shares 40 m with the first
    ]
    pairs = shared_borders(["a", "b", "c", "d"], geoms)
    assert pairs == [("a", "b", 1.0)]
    assert shared_borders(["a", "b", "c", "d"], geoms, min_shared_m=30) == [("a", "b", 1.0), ("a", "d", 0.04)]


def test_bad_boundary_source(tmp_path: Path, shared_data: Path) -> None:
    """A folder without BKG files, and a real Kreis feature with its AGS attribute removed."""
    import json

    with pytest.raises(InputError) as exc:
        read_kreise(tmp_path)
    assert exc.value.problems[0].file == str(tmp_path)
    real = json.loads(
        (shared_data / "bkg_vg5000" / "vg5000_krs_2021-01-01_wgs84.geojson").read_text(encoding="utf-8")
    )
    feature = real["features"][0]
    del feature["properties"]["AGS"]
    bad = tmp_path / "vg5000_krs.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_kreise(bad)
    p = exc.value.problems[0]
    assert p.file == str(bad) and p.column == "AGS"
