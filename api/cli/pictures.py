"""CLI commands for pictures and interactive pages: ``map``, ``interest-chart``, ``view``.

Registered on :data:`lernnetz.api.cli.common.app` by importing this module (``lernnetz/api/cli/__init__.py`` imports every command module).
(``lernnetz networks … --html`` lives with the analytics commands and calls
:func:`lernnetz.graph.pictures.network.learning_network_html`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lernnetz.api.cli.common import app, console, handled, store_from_settings
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore

PngOpt = Annotated[Path | None, typer.Option("--png", help="write a PNG picture here")]
SvgOpt = Annotated[Path | None, typer.Option("--svg", help="write an SVG picture here")]


def _outputs(png: Path | None, svg: Path | None) -> list[Path]:
    out = [p for p in (png, svg) if p is not None]
    if not out:
        raise InvalidArgument("no output file given", hint="add --png out.png and/or --svg out.svg")
    for p, ext in ((png, ".png"), (svg, ".svg")):
        if p is not None and p.suffix.lower() != ext:
            raise InvalidArgument(f"{p} does not end in {ext}", hint=f"name the file …{ext}")
    return out


def _check_topic(store: GraphStore, topic: str | None) -> str | None:
    if topic is None:
        return None
    slugs = set(store.topics()["slug"])
    if topic not in slugs:
        raise InvalidArgument(f"unknown topic {topic!r}", hint="`lernnetz topics` lists the topic slugs")
    return topic


@app.command("map")
def map_cmd(
    png: PngOpt = None,
    svg: SvgOpt = None,
    topic: Annotated[
        str | None, typer.Option(help="topic slug: shade only projects addressing it, show its white spots")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="zoom to this region and show its candidates (non-funded matches)")
    ] = None,
    radius_km: Annotated[
        float, typer.Option("--radius-km", "-r", help="radius for candidates and white spots (km)")
    ] = 50.0,
    boundaries: Annotated[
        Path | None,
        typer.Option(help="BKG boundary source (default: the boundaries fetched into the data dir, if any)"),
    ] = None,
    points_only: Annotated[bool, typer.Option("--points-only", help="draw no outlines")] = False,
    title: Annotated[str | None, typer.Option(help="picture title")] = None,
) -> None:
    """A static map (PNG/SVG): Länder and Kreise, project territories, candidates, white spots."""
    from lernnetz.graph.analytics.basic import check_radius, near_region
    from lernnetz.graph.pictures.maps import default_boundaries, germany_map, save_figure

    with handled():
        outputs = _outputs(png, svg)
        radius_km = check_radius(radius_km)
        store = store_from_settings()
        topic = _check_topic(store, topic)
        projects = None
        white = None
        candidates = None
        focus = None
        if topic is not None:
            pt = store.project_topics()
            projects = sorted(set(pt.loc[pt["topic"] == topic, "project_id"]))
            from lernnetz.graph.analytics import white_spots

            white = white_spots(store, topic, radius_km)
        region_keys = None
        region_name = ""
        if region is not None:
            from lernnetz.graph.regions import resolve_region

            reg = resolve_region(store, region)
            region_keys, region_name = list(reg.members), reg.name
            focus = list(near_region(store, region, radius_km)["ags"])
            from lernnetz.graph.analytics import matches

            candidates = matches(store, region, radius_km, topics=[topic] if topic else None)
        source = None if points_only else (boundaries or default_boundaries(Settings().data_dir))
        topic_label = ""
        if topic is not None:
            t = store.topics().set_index("slug")
            topic_label = str(t.loc[topic, "label_de"]) if topic in t.index else topic
        label = title or " · ".join(
            x
            for x in (
                "Modellprojekte Smart Cities",
                f"Thema: {topic_label}" if topic else "",
                f"{region_name}, {radius_km:g} km" if region else "",
            )
            if x
        )
        fig = germany_map(
            store,
            boundaries=source,
            projects=projects,
            candidates=candidates,
            white_spots=white,
            focus=focus,
            title=label,
            region=region_keys,
            radius_km=radius_km if region is not None else None,
        )
        for p in outputs:
            save_figure(fig, p)
            console.print(f"wrote {p}", highlight=False)
    if candidates is not None:
        console.print(f"candidates: {len(candidates)}", highlight=False)
    if white is not None:
        console.print(f"white spots: {len(white)}", highlight=False)


@app.command("interest-chart")
def interest_chart_cmd(
    png: PngOpt = None,
    svg: SvgOpt = None,
    top: Annotated[int, typer.Option(min=1, max=60, help="how many topics (most interest first)")] = 15,
    title: Annotated[str | None, typer.Option(help="chart title")] = None,
) -> None:
    """A bar chart (PNG/SVG) of interested municipalities per topic and Land."""
    from lernnetz.graph.pictures.maps import interest_chart, save_figure

    with handled():
        outputs = _outputs(png, svg)
        store = store_from_settings()
        fig = interest_chart(store, top=top, title=title or "")
        for p in outputs:
            save_figure(fig, p)
            console.print(f"wrote {p}", highlight=False)


@app.command("view")
def view_cmd(
    region: str,
    html_out: Annotated[Path, typer.Option("--html", help="write the interactive page here")],
    radius_km: Annotated[float, typer.Option("--radius-km", "-r", help="radius in km")] = 20.0,
    physics: Annotated[bool, typer.Option(help="let vis-network's physics move the nodes")] = False,
    graph: Annotated[
        Path | None, typer.Option("--graph", help="also write the subgraph as .graphml or .gexf (Gephi, yEd)")
    ] = None,
) -> None:
    """An interactive offline page: the municipalities within a radius of a region and their projects."""
    from lernnetz.graph.analytics.basic import near_region
    from lernnetz.graph.pictures.network import write_network_html
    from lernnetz.graph.pictures.views import store_subgraph

    with handled():
        store = store_from_settings()
        near = near_region(store, region, radius_km)
        G = store_subgraph(store, list(near["ags"]))
        write_network_html(
            G,
            html_out,
            title=f"{region}: Umkreis / within {radius_km:g} km",
            physics=physics,
            attribution=str(store.info().get("attribution", "")),
        )
        if graph is not None:
            from lernnetz.graph.pictures.export import write_network

            write_network(G, graph)
            console.print(f"wrote {graph}", highlight=False)
    console.print(
        f"wrote {html_out} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)", highlight=False
    )
