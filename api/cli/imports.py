"""CLI commands that import lists into the graph: ``lernnetz import participation`` and ``import ties``.

Registered on the main ``lernnetz`` app (``api/cli/__init__.py`` imports this module) as the
``import`` command group. Each command reads a CSV or XLSX list, resolves its names to AGS keys or
project ids, writes rejected rows beside the file, and adds the accepted rows atomically and
idempotently to the graph and its ledger (``--dry-run`` writes nothing); ``--format json`` prints
the import report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from lernnetz.api.cli.analytics import BackendOpt, _json
from lernnetz.api.cli.common import Format, FormatOpt, app, console, emit, err, handled, store_from_settings
from lernnetz.graph.jsonsafe import py as _jsonable
from lernnetz.graph.settings import Settings

import_app = typer.Typer(
    help="Import participation lists (registrations, attendance lists, surveys) and ties."
)
SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="XLSX sheet by name or number (default: the first)")
]
app.add_typer(import_app, name="import")


DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="read, resolve and report; write nothing")]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(help="where to write rejected rows (default: FILE.rejects.csv beside the file)"),
]


@import_app.command("participation")
def import_participation_cmd(
    file: Annotated[
        Path, typer.Argument(help="CSV or XLSX list; header e.g. municipality,land,topics,kind,date,source")
    ],
    dry_run: DryRunOpt = False,
    rejects: RejectsOpt = None,
    source: Annotated[
        str | None, typer.Option(help="provenance for rows without a source (default: file name)")
    ] = None,
    date: Annotated[str | None, typer.Option(help="date for rows without a date (2024-05-07)")] = None,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="also write the import report as JSON to this file")
    ] = None,
    resolution: Annotated[
        Path | None,
        typer.Option(
            "--resolution",
            help="write one row per input row (input, AGS chosen, register name, method, score, status) "
            "to this CSV or XLSX file, also with --dry-run",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="manual mapping (name,land,ags; or a corrected resolution file) honoured before any other "
            "step and kept for later imports",
        ),
    ] = None,
    sheet: SheetOpt = None,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Import a participation list: names → AGS, topics/events checked, edges added to the
    graph and to the participation ledger (atomically; importing twice changes nothing)."""
    from lernnetz.graph.participation import import_participation

    settings = Settings()
    rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
    with handled():
        store = store_from_settings(backend)
        report = import_participation(
            store, settings, file, dry_run, rejects_path=rejects_path, source=source, date=date,
            resolution_path=resolution, mapping_file=mapping, sheet=sheet,
        )  # fmt: skip
    if report_file is not None:
        report_file.write_text(
            json.dumps(_jsonable(report.as_dict()), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    if fmt in (Format.json, Format.geojson):
        _json(report.as_dict())
    elif fmt == Format.csv:
        emit(pd.DataFrame(report.rejected, columns=["row", "column", "value", "reason"]), Format.csv)
    else:
        mode = "[yellow]DRY RUN — nothing written[/yellow]\n" if dry_run else ""
        console.print(
            f"{mode}{file}: {report.rows_read} row(s) read; names matched exactly {report.matched_exact}, "
            f"fuzzily {report.matched_fuzzy}; ambiguous {report.ambiguous}; unmatched {report.unmatched}",
            highlight=False,
        )
        console.print(
            f"imported {report.rows_imported} row(s) as {report.records} record(s): {report.records_new} new in the "
            f"ledger, {report.edges_new} new edge(s){' (would be)' if dry_run else ''}; rejected {report.rows_rejected} row(s)",
            highlight=False,
        )
        counts = report.resolution_counts
        console.print(
            f"resolution: ok {counts.get('ok', 0)}, review {counts.get('review', 0)}, ambiguous "
            f"{counts.get('ambiguous', 0)}, unmatched {counts.get('unmatched', 0)}; manual mappings used "
            f"{report.mappings_used}; topics skipped {report.values_skipped}"
            + (f"; resolution file: {report.resolution_file}" if report.resolution_file else ""),
            highlight=False,
        )
        if report.review:
            emit(pd.DataFrame(report.review), Format.table, title="matches to check (partial or fuzzy)")
    _rejected(report, show=fmt == Format.table)


@import_app.command("ties")
def import_ties_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX; header e.g. type,from,to,date,source")],
    dry_run: DryRunOpt = False,
    rejects: RejectsOpt = None,
    resolution: Annotated[
        Path | None, typer.Option("--resolution", help="write what each from/to resolved to (CSV or XLSX)")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="provenance for rows without a source (default: file name)")
    ] = None,
    sheet: SheetOpt = None,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Import typed ties (Vorbild / role model, Wissensaustausch / exchange, gemeinsame Entwicklung /
    co-development, Übertragung / transfer) between projects, Gemeinden, Kreise and Verbände: atomic, idempotent, kept
    in the ties ledger so `lernnetz load` rebuilds them."""
    from lernnetz.graph.ties import import_ties

    settings = Settings()
    rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
    with handled():
        store = store_from_settings(backend)
        report = import_ties(store, settings, file, dry_run, rejects_path=rejects_path, resolution_path=resolution,
                             source=source, sheet=sheet)  # fmt: skip
    if fmt in (Format.json, Format.geojson):
        _json(report.as_dict())
    elif fmt == Format.csv:
        emit(pd.DataFrame(report.rejected, columns=["row", "column", "value", "reason"]), Format.csv)
    else:
        mode = "[yellow]DRY RUN — nothing written[/yellow]\n" if dry_run else ""
        console.print(
            f"{mode}{file}: {report.rows_read} row(s) read; imported {report.rows_imported} as {report.ties} tie(s): "
            f"{report.ties_new} new in the ledger, {report.edges_new} new edge(s){' (would be)' if dry_run else ''}; "
            f"rejected {report.rows_rejected} row(s)",
            highlight=False,
        )
        if report.imported:
            emit(pd.DataFrame(report.imported), Format.table, title="ties")
    _rejected(report, show=fmt == Format.table)


def _rejected(report: Any, *, show: bool) -> None:
    """The rejected rows (as a table when ``show``) and exit 2 when no row could be imported."""
    if show and report.rejected:
        emit(pd.DataFrame(report.rejected), Format.table, title="rejected")
        if report.rejects_file:
            console.print(f"rejects written to {report.rejects_file}", highlight=False)
    if report.rows_read and not report.rows_imported:
        err.print("error: no row could be imported (see the rejects)", highlight=False)
        raise typer.Exit(2)
