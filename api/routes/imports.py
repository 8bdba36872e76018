"""Writes: participation lists into the graph (authenticated)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from lernnetz.api.deps import ApiState, StateDep, StoreDep, require_token
from lernnetz.api.responses import errors
from lernnetz.api.schemas import ImportReport, TiesReport
from lernnetz.api.uploads import UPLOAD_BODY, as_file, receive_upload
from lernnetz.graph.participation import import_participation
from lernnetz.graph.ties import import_ties

router = APIRouter(prefix="/imports", tags=["imports"])

DryRun = Annotated[bool, Query(description="Resolve and report only; nothing is written to the graph.")]
Sheet = Annotated[
    str | None,
    Query(max_length=100, description="XLSX sheet by name or 1-based number (default: the first)."),
]
R = TypeVar("R", bound=BaseModel)


async def _import(
    request: Request, state: ApiState, model: type[R], run_import: Callable[[Path, str], Any], dry_run: bool
) -> R:
    """Receive the upload, run the import through the one write path (the write lock is taken
    inside), and report it under the uploaded file's name (not the server's temporary path)."""
    name, content = await receive_upload(request)

    def run() -> R:
        with as_file(name, content) as path:
            report = state.write(lambda: run_import(path, name), changes=not dry_run)
        body = report.as_dict()
        body.update(file=name)
        for server_side in ("rejects_file", "resolution_file"):
            body.pop(server_side, None)
        return model.model_validate(body)

    return await run_in_threadpool(run)


@router.post(
    "/participation",
    response_model=ImportReport,
    summary="Import a participation list (CSV/XLSX)",
    dependencies=[Depends(require_token)],
    openapi_extra=UPLOAD_BODY,
    responses=errors(400, 401, 403, 413, 422, 503),
)
async def import_participation_route(
    request: Request,
    state: StateDep,
    store: StoreDep,
    dry_run: DryRun = False,
    sheet: Sheet = None,
) -> ImportReport:
    """Conference registrations, attendance lists or survey answers as KTS gets them (canonical header
    `municipality,land,topics,kind,date,source`; see the README for the flexible columns). Names are
    resolved to AGS (normalised, with Land hints, then fuzzy); an ambiguous name is flagged, never
    guessed; a Kreis or Verband ("Landkreis Lippe", "VG Vallendar") is imported at its own level
    (its key, `level` in the resolution rows; see `GET /interests`). Returns the import report: rows read, matched exactly / fuzzily, ambiguous, unmatched,
    the rejected rows with row, column, value and reason, and how many edges are new.

    Needs `Authorization: Bearer <token>` (401 without, 403 wrong, 503 when the server has no token).
    At most 20 MB (413). Atomic: a file with bad content (422, naming file, row, column and value)
    changes nothing; importing the same file twice adds nothing the second time."""
    return await _import(
        request,
        state,
        ImportReport,
        lambda path, _name: import_participation(store, state.settings, path, dry_run=dry_run, sheet=sheet),
        dry_run,
    )


@router.post(
    "/ties",
    response_model=TiesReport,
    summary="Import typed ties (CSV/XLSX): Vorbild, Wissensaustausch, gemeinsame Entwicklung, Übertragung",
    dependencies=[Depends(require_token)],
    openapi_extra=UPLOAD_BODY,
    responses=errors(400, 401, 403, 413, 422, 503),
)
async def import_ties_route(
    request: Request,
    state: StateDep,
    store: StoreDep,
    dry_run: DryRun = False,
    sheet: Sheet = None,
) -> TiesReport:
    """The KTS's own ties (header e.g. `type,from,to,date,source`; types in German or English: Vorbild /
    role model, Wissensaustausch / exchange, gemeinsame Entwicklung / co-development, Übertragung /
    transfer). Ends are model projects (id or name), Gemeinden, Kreise or Verbände (name or key, resolved
    like participation lists; ambiguous names are rejected, never guessed). Atomic and idempotent; the ties
    are kept in the ties ledger, so a reload keeps them, and show in `/connections` and network pictures.
    Needs `Authorization: Bearer <token>`; at most 20 MB (413); a bad file is a 422 and changes nothing."""
    return await _import(
        request,
        state,
        TiesReport,
        lambda path, name: import_ties(
            store, state.settings, path, dry_run=dry_run, source=name, sheet=sheet
        ),
        dry_run,
    )
