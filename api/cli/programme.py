"""CLI commands for the programme data: projects, project, events, topics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from lernnetz.api.cli.common import Format, FormatOpt, app, console, emit, handled, store_from_settings
from lernnetz.graph.analytics.programme import list_events, list_projects, project_detail
from lernnetz.graph.settings import Settings


@app.command()
def projects(
    round: Annotated[int | None, typer.Option("--round", help="2019, 2020 or 2021")] = None,
    category: Annotated[str | None, typer.Option(help="GS, MS, KL or IK")] = None,
    state: Annotated[str | None, typer.Option(help="Land short code, e.g. BY")] = None,
    topic: Annotated[str | None, typer.Option(help="topic slug")] = None,
    status: Annotated[
        str | None, typer.Option(help="active, ended, left (where a source says so) or unknown")
    ] = None,
    fmt: FormatOpt = Format.table,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            help="BKG boundaries for -f geojson territories (default: those fetched into the data dir)"
        ),
    ] = None,
) -> None:
    """The model projects, filtered (``-f geojson``: territories as polygons when boundaries are known)."""
    with handled():
        store = store_from_settings()
        df = list_projects(store, round=round, category=category, state=state, topic=topic, status=status)
    geo = None
    if fmt == Format.geojson:  # territories as polygons when boundaries were fetched, else points
        from lernnetz.graph.pictures.geo_export import projects_geojson
        from lernnetz.graph.pictures.maps import default_boundaries

        bounds = boundaries or default_boundaries(Settings().data_dir)

        def geo(table: pd.DataFrame) -> dict[str, Any]:
            return projects_geojson(store, table, bounds, attribution=str(store.info()["attribution"]))

    emit(df, fmt, title="Modellprojekte Smart Cities", geojson=geo)


@app.command()
def project(project_id: str, fmt: FormatOpt = Format.table) -> None:
    """One project: members resolved to Gemeinden, topics, events, sources."""
    with handled():
        d = project_detail(store_from_settings(), project_id)
    p = d["project"]
    if fmt != Format.table:
        emit(d["gemeinden"], fmt)
        return
    console.print(f"[bold]{p['name']}[/bold] ({p['id']})  {p['label']}")
    console.print(
        f"  round {p['round']}, category {p['category']}, {p['type']}, Länder {', '.join(p['states'])}"
    )
    console.print(f"  source: {p['source']} (confidence {p['confidence']})", highlight=False)
    if p.get("status"):
        when = f" on {p['end_date']}" if p.get("end_date") else ""
        console.print(
            f"  status: {p['status']}{when} (source: {p['status_source']}); its results can still be learned from",
            highlight=False,
        )
    else:
        console.print("  status: unknown (no source says)", highlight=False)
    if p["note"]:
        console.print(f"  note: {p['note']}", highlight=False)
    emit(
        d["members"][["kind", "key", "role", "level", "via", "confidence", "note"]],
        Format.table,
        title="members as listed",
    )
    emit(d["gemeinden"], Format.table, title=f"territory: {len(d['gemeinden'])} Gemeinden")
    emit(d["topics"], Format.table, title="topics")
    emit(d["events"], Format.table, title="events hosted")
    if len(d["ties"]):
        emit(d["ties"], Format.table, title="known ties")


@app.command()
def events(
    kind: Annotated[str | None, typer.Option(help="regionalkonferenz, kongress, peer-learning, …")] = None,
    year: Annotated[int | None, typer.Option()] = None,
    topic: Annotated[str | None, typer.Option()] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """KTS events (Regionalkonferenzen, Kongresse, Peer-Learnings), in date order."""
    with handled():
        df = list_events(store_from_settings(), kind=kind, year=year, topic=topic)
    emit(df, fmt, title="events")


@app.command()
def topics(fmt: FormatOpt = Format.table) -> None:
    """The topic taxonomy."""
    with handled():
        df = store_from_settings().topics()
    emit(df[["slug", "label_de", "label_en", "family", "parent"]], fmt, title="topics")
