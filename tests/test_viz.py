"""The interactive network page (lernnetz.graph.pictures.network): offline, geographic, JSON-safe, labelled.

The browser side (does it render?) is in test_browser.py; this file checks the page text.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from lernnetz.graph.geo import haversine_km
from lernnetz.graph.pictures import network as viz
from lernnetz.graph.pictures.network import (
    EDGE_LABEL_LIMIT,
    KIND_STYLE,
    network_html,
    remote_references,
    write_network_html,
)
from lernnetz.graph.pictures.views import learning_network_html, show_network, store_subgraph
from lernnetz.graph.store.nx_store import NetworkXStore
from tests import viz_fixtures

demo_store = viz_fixtures.demo_store
learning_result = viz_fixtures.learning_result
ATTRIBUTION = "© Statistisches Bundesamt (Destatis), Gemeindeverzeichnis; dl-de/by-2-0"
HTTP_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)
HTTP_LINK = re.compile(r"<link[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)


def dataset(page: str, name: str) -> list[dict[str, Any]]:
    """The JSON array passed to ``new vis.DataSet`` for ``nodes`` or ``edges``."""
    start = page.index(f"{name} = new vis.DataSet(") + len(f"{name} = new vis.DataSet(")
    value, _ = json.JSONDecoder().raw_decode(page, start)
    assert isinstance(value, list)
    return value


def options(page: str) -> dict[str, Any]:
    start = page.index("var options = ") + len("var options = ")
    value, _ = json.JSONDecoder().raw_decode(page, start)
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def ulm_graph(nx_store: NetworkXStore) -> nx.Graph:
    """Municipalities within 30 km of Ulm plus the projects whose territory lies there."""
    near = nx_store.near(["08421000"], 30.0)
    return store_subgraph(nx_store, list(near["ags"]))


@pytest.fixture(scope="module")
def ulm_page(ulm_graph: nx.Graph) -> str:
    return network_html(ulm_graph, title="Ulm <30 km> & Umgebung", attribution=ATTRIBUTION)


# ---------------------------------------------------------------------------- offline


def test_page_has_no_remote_script_or_stylesheet(ulm_page: str) -> None:
    assert not HTTP_SCRIPT.search(ulm_page)
    assert not HTTP_LINK.search(ulm_page)
    assert remote_references(ulm_page) == []
    assert "cdn.jsdelivr" not in ulm_page and "cdnjs" not in ulm_page and "unpkg" not in ulm_page
    assert "bootstrap" not in ulm_page.lower()
    assert "<script src" not in ulm_page and "<link" not in ulm_page


def test_the_check_catches_what_pyvis_does_by_itself() -> None:
    from pyvis.network import Network

    net = Network(cdn_resources="in_line")
    net.add_node("a")
    raw = net.generate_html(notebook=False)
    assert HTTP_SCRIPT.search(raw) and HTTP_LINK.search(raw)  # pyvis's in_line mode is not offline
    assert remote_references(raw)
    assert remote_references('<style>@import url("https://fonts.example/x.css");</style>')


def test_vendored_vis_network_is_inlined_with_its_licence_header(ulm_page: str) -> None:
    assert "@version 9.1.9" in ulm_page
    assert "vis.js is dual licensed" in ulm_page
    assert "sourceMappingURL" not in ulm_page
    assert ulm_page.count("@version 9.1.") == 1  # pyvis's own 9.1.2 copy was replaced, not added


def test_vendored_assets_match_the_recorded_checksums_and_licences() -> None:
    readme = (viz.ASSETS / "README.md").read_text(encoding="utf-8")
    for name in ("vis-network.min.js", "vis-network.min.css"):
        digest = hashlib.sha256((viz.ASSETS / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in readme
    assert "9.1.9" in readme and viz.VIS_VERSION == "9.1.9"
    assert "Permission is hereby granted" in (viz.ASSETS / "vis-network.LICENSE-MIT").read_text()
    assert "Apache License" in (viz.ASSETS / "vis-network.LICENSE-APACHE-2.0").read_text()


# ---------------------------------------------------------------------------- content


def test_every_node_and_edge_is_in_the_page(ulm_graph: nx.Graph, ulm_page: str) -> None:
    nodes = dataset(ulm_page, "nodes")
    edges = dataset(ulm_page, "edges")
    assert len(nodes) == ulm_graph.number_of_nodes() > 50
    assert {n["id"] for n in nodes} == {str(n) for n in ulm_graph.nodes}
    assert len(edges) == ulm_graph.number_of_edges() >= 1
    assert f'data-expected-nodes="{ulm_graph.number_of_nodes()}"' in ulm_page


def test_colour_and_shape_by_kind(ulm_graph: nx.Graph, ulm_page: str) -> None:
    nodes = {n["id"]: n for n in dataset(ulm_page, "nodes")}
    ulm = nodes["Municipality:08421000"]
    assert ulm["color"]["background"] == KIND_STYLE["funded"]["color"]
    blaustein = nodes["Municipality:08425020"]
    assert ulm_graph.nodes["Municipality:08425020"]["kind"] == "candidate"
    assert blaustein["color"]["background"] == KIND_STYLE["candidate"]["color"]
    project = nodes["Project:ulm"]
    assert project["shape"] == "diamond"
    assert project["color"]["background"] == KIND_STYLE["project"]["color"]


def test_positions_follow_geography(ulm_graph: nx.Graph, ulm_page: str) -> None:
    nodes = {n["id"]: n for n in dataset(ulm_page, "nodes")}
    munis = [n for n in ulm_graph.nodes if str(n).startswith("Municipality:")]
    east = max(munis, key=lambda n: ulm_graph.nodes[n]["lon"])
    west = min(munis, key=lambda n: ulm_graph.nodes[n]["lon"])
    north = max(munis, key=lambda n: ulm_graph.nodes[n]["lat"])
    south = min(munis, key=lambda n: ulm_graph.nodes[n]["lat"])
    assert nodes[east]["x"] == max(nodes[m]["x"] for m in munis)
    assert nodes[west]["x"] == min(nodes[m]["x"] for m in munis)
    assert nodes[north]["y"] == min(nodes[m]["y"] for m in munis)  # screen y points down
    assert nodes[south]["y"] == max(nodes[m]["y"] for m in munis)

    # pixel distances are proportional to great-circle distances (within 1 %)
    def px(a: str, b: str) -> float:
        return math.dist((nodes[a]["x"], nodes[a]["y"]), (nodes[b]["x"], nodes[b]["y"]))

    def km(a: str, b: str) -> float:
        A, B = ulm_graph.nodes[a], ulm_graph.nodes[b]
        return float(haversine_km(A["lat"], A["lon"], B["lat"], B["lon"]))

    scale = px(east, west) / km(east, west)
    assert px(north, south) / km(north, south) == pytest.approx(scale, rel=0.01)
    assert px(north, east) / km(north, east) == pytest.approx(scale, rel=0.01)


def test_size_grows_with_population(ulm_graph: nx.Graph, ulm_page: str) -> None:
    nodes = {n["id"]: n for n in dataset(ulm_page, "nodes")}
    munis = sorted(
        (n for n in ulm_graph.nodes if str(n).startswith("Municipality:")),
        key=lambda n: ulm_graph.nodes[n]["population"],
    )
    sizes = [nodes[n]["size"] for n in munis]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    ulm_pop = ulm_graph.nodes["Municipality:08421000"]["population"]
    assert nodes["Municipality:08421000"]["size"] == pytest.approx(5 + math.sqrt(ulm_pop) / 25, abs=0.01)


def test_physics_off_by_default_and_switchable(ulm_graph: nx.Graph, ulm_page: str) -> None:
    assert options(ulm_page)["physics"]["enabled"] is False
    on = network_html(ulm_graph, title="t", attribution=ATTRIBUTION, physics=True)
    assert options(on)["physics"]["enabled"] is True
    assert "Physik / physics: an / on" in on


def test_title_legend_attribution_and_tooltips(ulm_graph: nx.Graph, ulm_page: str) -> None:
    assert f"<title>{html.escape('Ulm <30 km> & Umgebung')}</title>" in ulm_page
    assert "<h1>Ulm &lt;30 km&gt; &amp; Umgebung</h1>" in ulm_page
    assert html.escape(ATTRIBUTION) in ulm_page
    legend = ulm_page[ulm_page.index('<div id="lernnetz-legend">') :]
    legend = legend[: legend.index("</div>")]
    for kind in ("project", "funded", "candidate"):
        assert f'data-kind="{kind}"' in legend
    assert 'data-kind="event"' not in legend  # only kinds present are listed
    nodes = {n["id"]: n for n in dataset(ulm_page, "nodes")}
    assert "AGS 08421000" in nodes["Municipality:08421000"]["title"]
    assert "Quelle / source:" in nodes["Municipality:08421000"]["title"]


def test_numpy_attributes_do_not_break_json() -> None:
    G = nx.Graph()
    G.add_node(
        "a",
        kind="candidate",
        label="A",
        lat=np.float64(48.4),
        lon=np.float32(10.0),
        population=np.int64(5000),
    )
    G.add_node(
        "b",
        kind="project",
        label="B",
        lat=np.float64(48.5),
        lon=np.float64(10.1),
        population=np.int32(120000),
    )
    G.add_edge(
        "a", "b", shared_topics=np.array(["mobilitaet"]), distance_km=np.float64(13.24), weight=np.int64(2)
    )
    page = network_html(G, title="numpy", attribution=ATTRIBUTION)
    nodes = {n["id"]: n for n in dataset(page, "nodes")}
    assert nodes["a"]["size"] == pytest.approx(5 + math.sqrt(5000) / 25, abs=0.01)
    (edge,) = dataset(page, "edges")
    assert edge["label"] == "mobilitaet · 13.2 km"


def test_text_is_never_markup() -> None:
    G = nx.Graph()
    evil = "</script><script>window.pwned=1</script><img src=x onerror=alert(1)>"
    G.add_node("x", kind="candidate", label=evil, title=evil, lat=48.0, lon=10.0)
    page = network_html(G, title=evil, attribution=evil)
    assert "<script>window.pwned" not in page
    assert "<img src=x" not in page
    nodes = dataset(page, "nodes")
    assert nodes[0]["label"] == evil  # the data survives intact as text


def test_edge_labels_move_to_tooltips_on_large_graphs() -> None:
    G = nx.path_graph(EDGE_LABEL_LIMIT + 2)
    for n in G.nodes:
        G.nodes[n].update(kind="candidate", lat=48.0 + n * 0.001, lon=10.0)
    for u, v in G.edges:
        G.edges[u, v]["label"] = f"e{u}"
    page = network_html(G, title="big", attribution=ATTRIBUTION)
    edges = dataset(page, "edges")
    assert len(edges) == EDGE_LABEL_LIMIT + 1
    assert all("label" not in e and e["title"] for e in edges)
    small = network_html(nx.subgraph(G, range(5)).copy(), title="small", attribution=ATTRIBUTION)
    assert [e["label"] for e in dataset(small, "edges")] == ["e0", "e1", "e2", "e3"]


def test_nodes_without_coordinates_sit_beside_their_neighbours() -> None:
    G = nx.Graph()
    G.add_node("Municipality:1", kind="candidate", lat=48.0, lon=10.0)
    G.add_node("Municipality:2", kind="candidate", lat=48.0, lon=10.5)
    G.add_node("Municipality:3", kind="candidate", lat=49.0, lon=10.25)
    G.add_node("Topic:mobilitaet", label="Mobilität")
    G.add_node("Event:x", label="lonely event")
    G.add_edge("Topic:mobilitaet", "Municipality:1")
    G.add_edge("Topic:mobilitaet", "Municipality:2")
    pos = viz.layout(G)
    mid = ((pos["Municipality:1"][0] + pos["Municipality:2"][0]) / 2, pos["Municipality:1"][1])
    assert math.dist(pos["Topic:mobilitaet"], mid) < 100
    assert pos["Event:x"][1] > max(p[1] for n, p in pos.items() if n != "Event:x")  # below the map
    page = network_html(G, title="t", attribution=ATTRIBUTION)
    kinds = {n["id"]: n["kind"] for n in dataset(page, "nodes")}
    assert kinds["Topic:mobilitaet"] == "topic" and kinds["Event:x"] == "event"


def test_nodes_at_one_place_are_spread() -> None:
    G = nx.Graph()
    G.add_node("Municipality:08421000", kind="funded", lat=48.4, lon=9.99)
    G.add_node("Project:ulm", kind="project", lat=48.4, lon=9.99)
    pos = viz.layout(G)
    assert math.dist(pos["Municipality:08421000"], pos["Project:ulm"]) > 10


def test_synthetic_data_is_labelled() -> None:
    G = nx.Graph()
    G.add_node("a", kind="candidate", lat=48.0, lon=10.0, title="interest: mobilitaet (source=synthetic)")
    assert "synthetische Beteiligungsdaten" in network_html(G, title="t", attribution=ATTRIBUTION)
    G.nodes["a"]["title"] = "interest: mobilitaet (source=kts-survey-2023.csv)"
    assert "synthetische Beteiligungsdaten" not in network_html(G, title="t", attribution=ATTRIBUTION)


# ---------------------------------------------------------------------------- files and notebooks


def test_write_network_html(ulm_graph: nx.Graph, tmp_path: Path) -> None:
    out = write_network_html(ulm_graph, tmp_path / "a" / "ulm.html", title="Ulm", attribution=ATTRIBUTION)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert out.stat().st_mode & 0o044 == 0o044  # readable by others (a page to share)
    assert len(dataset(text, "nodes")) == ulm_graph.number_of_nodes()


def test_show_network_writes_the_file_and_displays_as_srcdoc_iframe(
    ulm_graph: nx.Graph, tmp_path: Path
) -> None:
    view = show_network(ulm_graph, tmp_path / "view.html", title="Ulm", attribution=ATTRIBUTION)
    assert view.path.read_text(encoding="utf-8") == view.html
    shown = view._repr_html_()
    assert shown.startswith("<iframe srcdoc=")
    assert 'sandbox="allow-scripts"' in shown
    srcdoc = re.match(r'<iframe srcdoc="([^"]*)"', shown)
    assert srcdoc is not None
    assert html.unescape(srcdoc.group(1)) == view.html  # the whole page, attribute-escaped
    assert "view.html" in repr(view)


def test_learning_network_page(learning_result: Any, tmp_path: Path) -> None:
    from lernnetz.graph.pictures.learning_page import group_colour, learning_page_data

    out = tmp_path / "ln.html"
    page = learning_network_html(learning_result, out, attribution=ATTRIBUTION)
    assert out.read_text(encoding="utf-8") == page
    assert remote_references(page) == []
    assert html.escape(ATTRIBUTION) in page
    groups = len(learning_result.groups)
    assert f"{groups} Gruppe(n)" in page
    assert "rendered " not in page  # no debug line
    data = learning_page_data(learning_result)
    members = learning_result.members
    # one hub node per group (its territory collapsed), one node per member, group colours
    hubs = [n for n in data["nodes"] if n["kind"] == "hub"]  # a hub leading several groups: one node
    assert len(hubs) == learning_result.groups["hub_project"].nunique()
    assert sorted(g for n in hubs for g in n["groups"]) == sorted(learning_result.groups["group_id"])
    assert [g["color"] for g in data["groups"]] == [group_colour(i) for i in range(groups)]
    assert len({g["color"] for g in data["groups"]}) == groups
    mem = [n for n in data["nodes"] if n["kind"] == "member"]
    assert len(mem) == int((members["role"] == "member").sum())
    colour = {g["id"]: g["color"] for g in data["groups"]}
    assert all(n["color"] == colour[n["group"]] for n in mem + hubs)
    # the hub sits at its lead Gemeinde (Ulm's territory is Ulm alone): pixel distances from
    # the hub are proportional to great-circle km from Ulm's centre point (within 1 %)
    terr = members[(members["role"] == "hub") & (members["group_id"] == 1)]
    assert len(terr) == 1
    lat0, lon0 = float(terr["lat"].iloc[0]), float(terr["lon"].iloc[0])
    by_name = members.set_index("name")
    ratios = [
        ((n["x"] - hubs[0]["x"]) ** 2 + (n["y"] - hubs[0]["y"]) ** 2) ** 0.5
        / haversine_km(
            lat0, lon0, float(by_name.loc[n["label"], "lat"]), float(by_name.loc[n["label"], "lon"])
        )
        for n in mem
        if n["group"] == 1
    ]
    assert max(ratios) / min(ratios) < 1.01
    # without a store, unassigned candidates have no position: listed at the side, by name
    assert {u["label"] for u in data["unplaced"]} >= set(learning_result.unassigned["name"])
    assert not any(re.search(r"\b\d{8}\b", n["tip"]) for n in data["nodes"])


# ---------------------------------------------------------------------------- static pictures


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_germany_map_with_outlines_png_and_svg(
    nx_store: NetworkXStore, shared_data: Path, tmp_path: Path
) -> None:
    from lernnetz.graph.pictures.maps import boundaries_available, germany_map, save_figure

    assert boundaries_available(shared_data)
    fig = germany_map(nx_store, boundaries=shared_data, title="Modellprojekte")
    png = save_figure(fig, tmp_path / "de.png")
    w, h = _png_size(png)
    assert w > 600 and h > 800
    svg = save_figure(fig, tmp_path / "de.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Statistisches Bundesamt" in svg and "GeoBasis-DE / BKG 2021" in svg  # both attributions
    assert "Länder" in svg and "Kreise" in svg and "project territory" in svg  # legend
    assert "<dc:date>" not in svg  # reproducible
    # 16 Länder outlines + 401 Kreis outlines are drawn as paths
    assert svg.count("<path") > 400


def test_germany_map_points_only_without_boundaries(nx_store: NetworkXStore, tmp_path: Path) -> None:
    from lernnetz.graph.errors import InvalidArgument
    from lernnetz.graph.pictures.maps import boundaries_available, germany_map, save_figure

    assert not boundaries_available(tmp_path)  # an empty folder has no outlines
    near = nx_store.near(["08421000"], 30.0)
    cands = nx_store.municipalities(list(near["ags"]))
    cands = cands[~cands["funded"].astype(bool)].head(20)
    fig = germany_map(nx_store, boundaries=tmp_path, candidates=cands, focus=list(near["ags"]), title="Ulm")
    svg = save_figure(fig, tmp_path / "ulm.svg").read_text(encoding="utf-8")
    assert "GeoBasis-DE" not in svg  # no BKG data shown, no BKG note
    assert "Statistisches Bundesamt" in svg
    assert "candidate (20 auf der Karte / on the map)" in svg
    shown = [
        n
        for n in cands["name"].astype(str)
        if f">{n.split(',')[0].strip()}<" in svg or n.split(",")[0] in svg
    ]
    assert len(shown) >= 10  # zoomed maps label the candidates (where there is room)
    with pytest.raises(InvalidArgument) as exc:
        save_figure(fig, tmp_path / "ulm.jpg")
    assert exc.value.hint == "use .png or .svg"


def test_interest_table_counts_each_municipality_once(demo_store: NetworkXStore) -> None:
    from lernnetz.graph.pictures.maps import interest_table

    t = interest_table(demo_store)
    i = demo_store.interests()
    pairs = i[["ags", "topic"]].drop_duplicates()
    assert int(t.to_numpy().sum()) == len(pairs)
    top = t.index[0]
    assert int(t.loc[top].sum()) == int((pairs["topic"] == top).sum())
    assert list(t.sum(axis=1)) == sorted(t.sum(axis=1), reverse=True)
    by = pairs.merge(demo_store.municipalities()[["ags", "state_code"]], on="ags")
    bw = int(((by["topic"] == top) & (by["state_code"] == "08")).sum())
    assert int(t.loc[top, "BW"]) == bw


def test_interest_chart_labels_synthetic_data(
    demo_store: NetworkXStore, nx_store: NetworkXStore, tmp_path: Path
) -> None:
    from lernnetz.graph.errors import InvalidArgument
    from lernnetz.graph.pictures.maps import interest_chart, save_figure

    svg = save_figure(interest_chart(demo_store, top=5), tmp_path / "chart.svg").read_text(encoding="utf-8")
    assert "synthetic demo data" in svg
    assert "Datenlizenz Deutschland" in svg
    with pytest.raises(InvalidArgument):
        interest_chart(nx_store)  # no participation in the plain store


def test_cli_map_view_and_chart(
    demo_store: NetworkXStore, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from lernnetz.api import cli
    from lernnetz.api.cli import pictures as cli_viz

    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli_viz, "store_from_settings", lambda backend=None: demo_store)
    run = CliRunner()
    topic = demo_store.project_topics().query("project_id == 'ulm'")["topic"].iloc[0]
    png, svg = tmp_path / "m.png", tmp_path / "m.svg"
    r = run.invoke(
        cli.app,
        ["map", "--topic", topic, "--region", "Ulm", "--radius-km", "30", "--png", str(png), "--svg", str(svg),
         "--boundaries", str(shared_data)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert _png_size(png)[0] > 300 and "GeoBasis-DE" in svg.read_text(encoding="utf-8")
    assert "candidates:" in r.output and "white spots:" in r.output
    label = demo_store.topics().set_index("slug").loc[topic, "label_de"]
    assert f"Thema: {html.escape(label, quote=False)}" in svg.read_text(
        encoding="utf-8"
    )  # words, not the slug

    r = run.invoke(cli.app, ["map", "--png", str(tmp_path / "x.jpg")])
    assert r.exit_code == 2 and "does not end in .png" in " ".join(r.output.split())
    r = run.invoke(cli.app, ["map", "--topic", "no-such-topic", "--png", str(png)])
    assert r.exit_code == 2 and "unknown topic" in " ".join(r.output.split())
    r = run.invoke(cli.app, ["map"])
    assert r.exit_code == 2 and "no output file" in " ".join(r.output.split())

    r = run.invoke(cli.app, ["interest-chart", "--png", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    assert _png_size(tmp_path / "c.png")[0] > 300

    page = tmp_path / "v.html"
    r = run.invoke(
        cli.app,
        ["view", "Ulm", "--radius-km", "10", "--html", str(page), "--graph", str(tmp_path / "v.gexf")],
    )
    assert r.exit_code == 0, r.output
    import networkx as nx

    assert nx.read_gexf(tmp_path / "v.gexf").number_of_nodes() == len(demo_store.near(["08421000"], 10.0)) + 1
    text = page.read_text(encoding="utf-8")
    assert remote_references(text) == []
    assert len(dataset(text, "nodes")) == len(demo_store.near(["08421000"], 10.0)) + 1  # + the Ulm project


def test_slide_map_legend_outside_labels_apart_ring_and_scale(
    demo_store: NetworkXStore, tmp_path: Path
) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation

    from lernnetz.graph.analytics import matches, white_spots
    from lernnetz.graph.analytics.basic import near_region
    from lernnetz.graph.pictures.maps import germany_map, save_figure
    from lernnetz.graph.regions import resolve_region

    bounds = Path(__file__).resolve().parents[2] / "shared" / "data" / "bkg_vg5000"
    reg = resolve_region(demo_store, "Ulm")
    cand = matches(demo_store, "Ulm", 30.0)
    ws = white_spots(demo_store, "mobility", 30.0)
    fig = germany_map(
        demo_store, boundaries=bounds, candidates=cand, white_spots=ws,
        focus=list(near_region(demo_store, "Ulm", 30.0)["ags"]), title="Ulm, 30 km",
        region=list(reg.members), radius_km=30.0,
    )  # fmt: skip
    ax = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= frame.x1  # the legend sits right of the map, covering no data
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    assert len(labels) >= 20 and "Ulm" in {t.get_text() for t in labels}
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1 :]:
            assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
    texts = {t.get_text() for t in ax.get_legend().get_texts()}
    # the ring: 30 km around Ulm spans 60 km; the view fits it
    x0, x1 = ax.get_xlim()
    assert 60_000 < x1 - x0 < 70_000
    assert "30 km um die Region / around the region" in texts
    assert any(t.get_text() == "20 km" for t in ax.texts)  # scale bar: a fifth of ~65 km, rounded
    # counts say what the map shows (white spots for mobility Germany-wide are many more)
    spot = next(t for t in texts if t.startswith("weißer Fleck"))
    n_shown = int(spot.split("(")[1].split()[0])
    assert 0 < n_shown < len(ws)
    for ext in ("png", "svg"):
        assert save_figure(fig, tmp_path / f"ulm.{ext}").stat().st_size > 10_000


def test_learning_page_ignores_extra_columns_and_missing_role(learning_result: Any) -> None:
    """The page uses only groups/members/unassigned and to_graph(); extra columns change nothing,
    and without a ``role`` column the members are those listed in ``groups.members``."""
    import copy

    from lernnetz.graph.pictures.learning_page import learning_page_data

    base = learning_page_data(learning_result)
    other = copy.copy(learning_result)
    other.members = learning_result.members.assign(
        extra=1, nested=[{"x": [1]}] * len(learning_result.members)
    )
    other.members = other.members.drop(columns=["role"])
    other.groups = learning_result.groups.assign(quality=0.5)
    data = learning_page_data(other)
    assert [(n["id"], n["kind"], n["group"]) for n in data["nodes"]] == [
        (n["id"], n["kind"], n["group"]) for n in base["nodes"]
    ]
