"""The ``lernnetz`` command line (typer + rich).

Exit codes: 0 success; 2 bad input (the message names file, row, column and value,
or the argument); 1 when the store cannot be reached or holds no graph yet.
Command groups from other modules register themselves at the bottom of this file.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from graph.config import Settings, open_store
from graph.errors import Ambiguous, LernnetzError, StoreUnavailable
from graph.jsonsafe import py as _jsonable
from graph.store import GraphStore
from loaders.errors import InputError

app = typer.Typer(
    name="lernnetz",
    help="Knowledge-transfer network of the Modellprojekte Smart Cities: who should learn from whom, and where.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Official reference data: fetch from the publisher, show what is cached.")
app.add_typer(data_app, name="data")

console = Console()
err = Console(stderr=True)


class Format(StrEnum):
    """Output formats for tables."""

    table = "table"
    csv = "csv"
    json = "json"
    geojson = "geojson"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or geojson")]


@contextmanager
def handled() -> Iterator[None]:
    """Turn domain errors into messages and exit codes."""
    try:
        yield
    except InputError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    except Ambiguous as exc:
        err.print(f"[red]error:[/red] {exc.detail}", highlight=False)
        for c in exc.candidates[:30]:
            extra = ", ".join(f"{k}={v}" for k, v in c.items() if k not in {"kind", "key", "name"})
            err.print(f"  {c['kind']:<12} {c['key']:<28} {c['name']}  {extra}", highlight=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}", highlight=False)
        raise typer.Exit(2) from exc
    except StoreUnavailable as exc:
        err.print(f"[red]error:[/red] {exc.detail}", highlight=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}", highlight=False)
        raise typer.Exit(1) from exc
    except LernnetzError as exc:
        err.print(f"[red]error:[/red] {exc.detail}", highlight=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}", highlight=False)
        raise typer.Exit(2) from exc


def store_from_settings(backend: str | None = None) -> GraphStore:
    """Open the configured store (inside :func:`handled`)."""
    return open_store(Settings(), backend=backend)


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain JSON-ready dicts (numpy scalars and NaN converted)."""
    return [_jsonable(r) for r in df.to_dict(orient="records")]


def emit(
    df: pd.DataFrame,
    fmt: Format,
    *,
    title: str = "",
    geojson: Callable[[pd.DataFrame], dict[str, Any]] | None = None,
) -> None:
    """Print a result table in the chosen format."""
    if fmt == Format.json:
        sys.stdout.write(json.dumps(frame_records(df), ensure_ascii=False, indent=2) + "\n")
    elif fmt == Format.csv:
        flat = df.copy()
        for c in flat.columns:
            if flat[c].map(lambda v: isinstance(v, list | dict | tuple)).any():
                flat[c] = flat[c].map(
                    lambda v: (
                        json.dumps(_jsonable(v), ensure_ascii=False)
                        if isinstance(v, list | dict | tuple)
                        else v
                    )
                )
        sys.stdout.write(flat.to_csv(index=False))
    elif fmt == Format.geojson:
        if geojson is None:
            from graph.export import to_geojson

            geojson = to_geojson
        with handled():  # a table without coordinates: exit 2 with a message, not a traceback
            doc = geojson(df)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        table = Table(title=title or None, show_lines=False)
        for c in df.columns:
            table.add_column(str(c), overflow="fold")
        for row in df.itertuples(index=False):
            table.add_row(*[_cell(v) for v in row])
        console.print(table)
        console.print(f"{len(df)} row(s)")


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.2f}"
    if isinstance(v, list | tuple):
        return ", ".join(_cell(x) if not isinstance(x, dict) else str(x.get("id", x)) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={_cell(x)}" for k, x in v.items())
    return "" if v is None else str(v)


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

    from loaders.fetch import fetch_boundaries, fetch_register

    settings = Settings()
    with handled():
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
    from loaders.fetch import read_metadata
    from loaders.register import attribution

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

    from graph.pipeline import load as run_load

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
    from graph.queries_basic import graph_stats

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
    from graph.queries_basic import municipality_detail
    from graph.regions import resolve_municipality

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
    console.print(f"  funded: {'yes — ' + ', '.join(projects) if projects else 'no'}")


@app.command()
def near(
    region: str,
    radius_km: Annotated[float, typer.Option("--radius-km", "-r", help="radius in km (0 < r ≤ 1000)")] = 20.0,
    fmt: FormatOpt = Format.table,
    backend: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Municipalities within a radius of a region (distance = to the region's nearest Gemeinde)."""
    from graph.queries_basic import near_region

    with handled():
        store = store_from_settings(backend)
        df = near_region(store, region, radius_km)
    emit(df, fmt, title=f"within {radius_km:g} km of {region}")


def main() -> None:  # pragma: no cover - console entry point alias
    """Run the CLI."""
    app()


# Command groups defined in other modules register themselves on `app`.
from graph import cli_analytics, cli_api, cli_programme, cli_viz  # noqa: E402,F401
