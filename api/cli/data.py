"""``lernnetz data fetch|info``, ``load``, ``stats``, ``municipality``, ``near``: data and lookups."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lernnetz.api.cli.common import (
    Format,
    FormatOpt,
    app,
    console,
    data_app,
    emit,
    err,
    handled,
    store_from_settings,
)
from lernnetz.graph.settings import Settings

# ---------------------------------------------------------------------------- data


@data_app.command("fetch")
def data_fetch(
    source: Annotated[
        str | None,
        typer.Option("--from", help="a local copy (file or folder, e.g. ../shared/data) or another URL"),
    ] = None,
    boundaries: Annotated[
        bool, typer.Option(help="also fetch BKG boundaries (Kreis/Land outlines, Gemeinde neighbours)")
    ] = False,
    boundaries_from: Annotated[
        str | None,
        typer.Option(
            "--boundaries-from", help="BKG boundaries from a local copy or URL (default: --from if a folder)"
        ),
    ] = None,
) -> None:
    """Download the Destatis Gemeindeverzeichnis (newest year first) into the cache."""
    from pathlib import Path

    from lernnetz.graph.writer import exclusive
    from lernnetz.loaders.boundaries_fetch import fetch_boundaries
    from lernnetz.loaders.fetch import fetch_register

    settings = Settings()
    with handled(), exclusive(settings):  # the cache is an input of every load: one writer at a time
        result = fetch_register(settings.data_dir, source, progress=sys.stderr.isatty())
        console.print(
            f"register: {result.path}  (Stichtag {result.stichtag}, sha256 {result.sha256[:12]}…)",
            highlight=False,
        )
        if boundaries or boundaries_from:
            bsource = boundaries_from or (source if source and Path(source).is_dir() else None)
            meta = fetch_boundaries(settings.data_dir, bsource)
            console.print(
                f"boundaries: {meta.get('source', bsource)} (Stand {meta.get('stand', '?')}); "
                f"neighbours: {settings.data_dir / 'neighbours.csv'}",
                highlight=False,
            )


@data_app.command("info")
def data_info() -> None:
    """Show the cached reference data, its source, Stichtag and the licence attribution."""
    from lernnetz.loaders.fetch import read_metadata
    from lernnetz.loaders.register import attribution

    settings = Settings()
    meta = read_metadata(settings.data_dir)
    if not meta:
        err.print(
            f"no reference data in {settings.data_dir}; run `lernnetz data fetch` (offline: --from PATH)"
        )
        raise typer.Exit(1)
    for k, v in meta.items():
        console.print(f"{k:>14}: {v}", highlight=False)
    console.print(
        f"\nAttribution: {meta.get('attribution') or attribution(str(meta.get('stichtag', '')))}",
        highlight=False,
    )


# ---------------------------------------------------------------------------- load, stats


@app.command()
def load(
    backend: Annotated[
        str | None, typer.Option(help="networkx (default) or neo4j; default from LERNNETZ_BACKEND")
    ] = None,
) -> None:
    """Build the graph from the cached register, the curated programme data and imports."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from lernnetz.graph.pipeline import load as run_load

    settings = Settings()
    notes: list[str] = []
    with handled():
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("loading …", total=None)
            store = run_load(
                settings,
                backend=backend,
                progress=lambda msg: bar.update(task, description=msg),
                batches=lambda stage, done, total: bar.update(
                    task, description=f"writing {stage}", completed=done, total=total
                ),
                notes=notes.append,
            )
            bar.update(task, description="preparing the analytics context …")
            from lernnetz.graph.analytics.context import prepare

            prepare(store)  # built once here (and kept beside the snapshot), not in every question
        info = store.info()
        store.close()
    for note in notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    console.print(
        f"loaded into {info['backend']}: " + ", ".join(f"{v} {k}" for k, v in info["nodes"].items())
    )


@app.command()
def stats(backend: Annotated[str | None, typer.Option(help="networkx or neo4j")] = None) -> None:
    """Counts of nodes and edges, funded municipalities, Stichtag and sources."""
    from lernnetz.graph.analytics.basic import graph_stats

    with handled():
        st = graph_stats(store_from_settings(backend))
    console.print(f"backend: {st['backend']}   Stichtag: {st['stichtag']}", highlight=False)
    for k, v in st["nodes"].items():
        console.print(f"  {k:<14} {v:>7}")
    console.print(
        f"  municipalities: {st['municipalities']} Gemeinden + {st['unincorporated_areas']} gemeindefreie "
        f"Gebiete; population {st['population']:,}"
    )
    console.print(
        f"  funded: {st['funded_municipalities']} Gemeinden lie in a model project's territory "
        f"({st['funded_unincorporated_areas']} gemeindefreie Gebiete too)"
    )
    for k, v in st["edges"].items():
        if v:
            console.print(f"  {k:<16} {v:>7}")
    console.print(f"\n{st['attribution']}", highlight=False)


@app.command()
def municipality(name_or_ags: str, backend: Annotated[str | None, typer.Option()] = None) -> None:
    """One municipality: key, Kreis, Land, population, area, position, funded by which projects."""
    from lernnetz.graph.analytics.basic import municipality_detail
    from lernnetz.graph.regions import resolve_municipality

    with handled():
        store = store_from_settings(backend)
        row = municipality_detail(store, resolve_municipality(store, name_or_ags))
    projects = sorted(p["id"] for p in row["projects"])
    console.print(f"[bold]{row['name']}[/bold]  AGS {row['ags']}  ARS {row['ars']}")
    dk = row["district_key"]
    console.print(f"  Kreis: {row['district'] or '—'} ({dk or '—'})   Land: {row['state']}")
    console.print(
        f"  type: {row['type']}   Gemeindeverband: {row['association_name']} ({row['association_key']})"
    )
    console.print(
        f"  population: {int(row['population']):,}   area: {row['area_km2']:.2f} km²   PLZ: {row['postcode']}"
    )
    console.print(f"  centre: {row['lat']}, {row['lon']}")
    how = f" (as {row['funded_as']}, confidence {row['funded_confidence']})" if row["funded_as"] else ""
    console.print(f"  funded: {'yes — ' + ', '.join(projects) + how if projects else 'no'}")
    for p in row["programmes"]:
        console.print(
            f"  other programme: {p['programme_id']} {p['year']} ({p['role']}), topics {', '.join(p['topics']) or '—'}, "
            f"source {p['source']}",
            highlight=False,
        )


@app.command()
def near(
    region: str,
    radius_km: Annotated[float, typer.Option("--radius-km", "-r", help="radius in km (0 < r ≤ 1000)")] = 20.0,
    fmt: FormatOpt = Format.table,
    backend: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Municipalities within a radius of a region (distance = to the region's nearest Gemeinde)."""
    from lernnetz.graph.analytics.basic import near_region

    with handled():
        store = store_from_settings(backend)
        df = near_region(store, region, radius_km)
    emit(df, fmt, title=f"within {radius_km:g} km of {region}")
