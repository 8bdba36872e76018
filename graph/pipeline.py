"""Assemble everything the store is loaded from: register, programme, participation.

``assemble(settings)`` reads the cached official register (from ``lernnetz data
fetch``), the curated programme files, the optional boundaries (neighbourhood) and
the participation ledger (every import so far), and returns one
:class:`lernnetz.graph.model.GraphData`. ``load(settings)`` puts it into the configured store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from pathlib import Path

from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import open_store
from lernnetz.graph.store.protocol import GraphStore, ProgressFn
from lernnetz.graph.writer import exclusive
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.ledger import REQUIRED_FIELDS, escape_cell, ledger_record, ledger_row, unescape_cell
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.records import ParticipationRecord, RelationRecord
from lernnetz.loaders.textio import csv_rows, write_csv_atomic, write_text_atomic

LEDGER_NAME = "participation_ledger.csv"
_LEDGER_FIELDS = [f.name for f in fields(ParticipationRecord)]
#: The ties imported with ``lernnetz import ties`` (rebuilt into every load).
TIES_LEDGER_NAME = "ties_ledger.csv"
_TIE_FIELDS = [f.name for f in fields(RelationRecord)]


def ledger_path(settings: Settings) -> Path:
    """The file that keeps every imported participation row (so reloads keep them)."""
    return settings.data_dir / LEDGER_NAME


def read_ledger(settings: Settings) -> list[ParticipationRecord]:
    """All participation records imported so far (empty when none)."""
    path = ledger_path(settings)
    if not path.exists():
        return []
    return [ledger_record(path, n, r) for n, r in csv_rows(path, REQUIRED_FIELDS)]


def append_ledger(settings: Settings, records: Iterable[ParticipationRecord]) -> int:
    """Add records to the ledger (atomic rewrite, duplicates ignored). Returns how many were new.

    Call it only under :func:`lernnetz.graph.writer.exclusive` (it reads, then rewrites)."""
    old = read_ledger(settings)
    seen = set(old)
    new = [r for r in dict.fromkeys(records) if r not in seen]
    if not new:
        return 0
    write_ledger(settings, [*old, *new])
    return len(new)


def _as_is(value: object) -> object:
    return value  # the ledgers escape formula-like text themselves, reversibly


def write_ledger(settings: Settings, records: Iterable[ParticipationRecord]) -> None:
    """Rewrite the ledger with exactly ``records`` (atomically; under the write lock)."""
    rows = (ledger_row(r) for r in records)  # formula-like text escaped (reversibly) for spreadsheets
    write_csv_atomic(
        ledger_path(settings), _LEDGER_FIELDS, ([r[k] for k in _LEDGER_FIELDS] for r in rows), cell=_as_is
    )


def ledger_digest(settings: Settings) -> str:
    """sha256 of the ledger's bytes ("" when there is none)."""
    path = ledger_path(settings)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def mark_applied(settings: Settings) -> None:
    """Record that the store holds every row of the ledger as it is now."""
    write_text_atomic(_mark_path(settings), ledger_digest(settings) + "\n")


def _mark_path(settings: Settings) -> Path:
    return ledger_path(settings).with_name(ledger_path(settings).name + ".applied")


def applied_mark(settings: Settings) -> str:
    """The ledger digest the store was last brought up to ("" when never)."""
    mark = _mark_path(settings)
    return mark.read_text(encoding="utf-8").strip() if mark.exists() else ""


def ties_ledger_path(settings: Settings) -> Path:
    """The file that keeps every imported tie (so reloads keep them)."""
    return settings.data_dir / TIES_LEDGER_NAME


def read_ties_ledger(settings: Settings) -> list[RelationRecord]:
    """Every tie imported so far (empty when none)."""
    path = ties_ledger_path(settings)
    if not path.exists():
        return []
    return [
        RelationRecord(**{k: unescape_cell(r[k]) for k in _TIE_FIELDS})
        for _, r in csv_rows(path, _TIE_FIELDS)
    ]


def write_ties_ledger(settings: Settings, records: Sequence[RelationRecord]) -> None:
    """Rewrite the ties ledger with exactly ``records`` (atomically; under the write lock)."""
    rows = (
        [escape_cell(getattr(r, k)) for k in _TIE_FIELDS] for r in records
    )  # reversible, spreadsheet-safe
    write_csv_atomic(ties_ledger_path(settings), _TIE_FIELDS, rows, cell=_as_is)


def assemble(settings: Settings, *, with_programme: bool = True) -> GraphData:
    """Read every input into one GraphData; raises InputError on bad input.

    Neighbour pairs (from ``lernnetz data fetch --boundaries``) whose AGS are not in the
    register (boundaries of another Gebietsstand) are left out and counted in
    ``GraphData.notes``, never dropped silently.
    """
    from lernnetz.loaders.boundaries_fetch import NEIGHBOURS_FILE, read_boundaries_metadata
    from lernnetz.loaders.fetch import load_cached_register

    register = load_cached_register(settings.data_dir)
    programme = None
    if with_programme:
        if not settings.curated_dir.is_dir():
            raise InputError.single(
                settings.curated_dir,
                "the folder of curated programme files (projects.csv, …) does not exist; set "
                "LERNNETZ_CURATED_DIR to the data/ folder of the lernnetz sources",
            )
        programme = read_programme(settings.curated_dir, register)
        programme.relations.extend(read_ties_ledger(settings))
    data = GraphData(register=register, programme=programme, participation=read_ledger(settings))
    neighbours = settings.data_dir / NEIGHBOURS_FILE
    if neighbours.exists():
        known = {m.ags for m in register.municipalities}
        unknown: set[str] = set()
        skipped = 0
        for n, r in csv_rows(neighbours, ["ags_a", "ags_b", "shared_border_km"]):
            a, b = r["ags_a"], r["ags_b"]
            try:
                km = float(r["shared_border_km"])
            except ValueError:
                raise InputError.single(
                    neighbours,
                    "expected a number",
                    row=n,
                    column="shared_border_km",
                    value=r["shared_border_km"],
                ) from None
            if a in known and b in known:
                data.neighbours.append((a, b, km))
            else:
                skipped += 1
                unknown.update(k for k in (a, b) if k not in known)
        if skipped:
            keys = sorted(unknown)
            data.notes.append(
                f"{skipped} neighbour pair(s) in {neighbours} left out: AGS not in the register "
                f"(boundaries of another Gebietsstand?): {', '.join(keys[:10])}{' …' if len(keys) > 10 else ''}"
            )
        bmeta = read_boundaries_metadata(settings.data_dir) or {}
        data.neighbours_source = (str(bmeta.get("source", neighbours)), str(bmeta.get("stand", "")))
    return data


def load(
    settings: Settings,
    *,
    backend: str | None = None,
    progress: Callable[[str], None] | None = None,
    batches: ProgressFn | None = None,
    notes: Callable[[str], None] | None = None,
) -> GraphStore:
    """Assemble the inputs and replace the configured store's graph. Returns the store.

    ``progress`` gets a message per step, ``batches`` the store's progress while it writes
    (see :data:`lernnetz.graph.store.protocol.ProgressFn`), ``notes`` every note of :func:`assemble` (input
    rows left out of the graph).

    The whole read-and-replace holds the write lock (:func:`lernnetz.graph.writer.exclusive`),
    so an import running at the same time lands either before (and is in the ledger this
    load reads) or after (and is added to the new graph), never in between.
    """
    say = progress or (lambda _msg: None)
    with exclusive(settings):
        say("reading the register, programme data and participation ledger")
        data = assemble(settings)
        for note in data.notes:
            (notes or say)(note)
        store = open_store(settings, backend=backend)
        say(f"writing the graph into the {store.backend} store")
        store.replace(data, progress=batches)
        mark_applied(settings)  # the new graph holds exactly the ledger it was built from
    return store
