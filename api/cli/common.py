"""The ``lernnetz`` command line (typer + rich): the app and what every command shares.

Exit codes: 0 success; 2 bad input (the message names file, row, column and value,
or the argument); 1 when the store cannot be reached or holds no graph yet.
The commands live in the modules beside this one and register on ``app``;
``lernnetz.api.cli`` imports them all.
"""

from __future__ import annotations

import atexit
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from lernnetz.graph.errors import Ambiguous, LernnetzError, StoreUnavailable
from lernnetz.graph.jsonsafe import py as _jsonable
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore, open_store
from lernnetz.loaders.errors import InputError

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
    excel_csv = "excel-csv"
    xlsx = "xlsx"
    json = "json"
    geojson = "geojson"


FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="table, csv (plain), excel-csv (German Excel: ';', decimal comma, BOM), xlsx (binary: "
        "redirect to a file), json or geojson",
    ),
]


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
        suggestions = getattr(exc, "candidates", None) or []
        if suggestions:
            err.print("did you mean:", highlight=False)
            for c in suggestions[:10]:
                err.print(
                    f"  {c.get('kind', ''):<12} {c.get('key', ''):<28} {c.get('name', '')}", highlight=False
                )
        if exc.hint:
            err.print(f"hint: {exc.hint}", highlight=False)
        raise typer.Exit(2) from exc


def store_from_settings(backend: str | None = None) -> GraphStore:
    """Open the configured store (inside :func:`handled`). The embedded store writes what this
    command built (tables, indexes, the analytics context) into its warm cache at exit, so the
    next command finds it beside the snapshot."""
    store = open_store(Settings(), backend=backend)
    persist = getattr(store, "persist_warm", None)
    if persist is not None:
        atexit.register(_persist_quietly, persist)
    return store


def _persist_quietly(persist: Callable[[], bool]) -> None:
    with suppress(Exception):  # only a cache: never turn a good answer into a failure at exit
        persist()


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain JSON-ready dicts (numpy scalars and NaN converted)."""
    return [_jsonable(r) for r in df.to_dict(orient="records")]


def emit(
    df: pd.DataFrame,
    fmt: Format,
    *,
    title: str = "",
    geojson: Callable[[pd.DataFrame], dict[str, Any]] | None = None,
    attribution: str = "",
) -> None:
    """Print a result table in the chosen format (CSV and XLSX through
    :mod:`lernnetz.graph.pictures.tables`, the renderer the API uses too)."""
    if fmt == Format.json:
        sys.stdout.write(json.dumps(frame_records(df), ensure_ascii=False, indent=2) + "\n")
    elif fmt in (Format.csv, Format.excel_csv):
        from lernnetz.graph.pictures.tables import to_csv

        sys.stdout.flush()
        sys.stdout.buffer.write(to_csv(df, "excel" if fmt == Format.excel_csv else "plain"))
        sys.stdout.buffer.flush()
    elif fmt == Format.xlsx:
        from lernnetz.graph.pictures.tables import to_xlsx

        if sys.stdout.isatty():
            err.print("[red]error:[/red] xlsx is binary: redirect it into a file (… -f xlsx > table.xlsx)")
            raise typer.Exit(2)
        sys.stdout.buffer.write(
            to_xlsx({title or "lernnetz": df}, source="lernnetz CLI", attribution=attribution)
        )
        sys.stdout.buffer.flush()
    elif fmt == Format.geojson:
        if geojson is None:
            from lernnetz.graph.pictures.export import to_geojson

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
