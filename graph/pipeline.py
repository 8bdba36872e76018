"""Assemble everything the store is loaded from: register, programme, participation.

``assemble(settings)`` reads the cached official register (from ``lernnetz data
fetch``), the curated programme files, the optional boundaries (neighbourhood) and
the participation ledger (every import so far), and returns one
:class:`lernnetz.graph.model.GraphData`. ``load(settings)`` puts it into the configured store.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from pathlib import Path

from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import open_store
from lernnetz.graph.store.protocol import GraphStore, ProgressFn
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.records import ParticipationRecord
from lernnetz.loaders.textio import csv_rows, write_text_atomic

LEDGER_NAME = "participation_ledger.csv"
_LEDGER_FIELDS = [f.name for f in fields(ParticipationRecord)]


def ledger_path(settings: Settings) -> Path:
    """The file that keeps every imported participation row (so reloads keep them)."""
    return settings.data_dir / LEDGER_NAME


def read_ledger(settings: Settings) -> list[ParticipationRecord]:
    """All participation records imported so far (empty when none)."""
    path = ledger_path(settings)
    if not path.exists():
        return []
    out = []
    for _, r in csv_rows(path, _LEDGER_FIELDS):
        out.append(
            ParticipationRecord(
                ags=r["ags"], kind=r["kind"], date=r["date"], source=r["source"],
                topic=r["topic"] or None, event_id=r["event_id"] or None, weight=float(r["weight"] or 1.0),
            )
        )  # fmt: skip
    return out


def append_ledger(settings: Settings, records: Iterable[ParticipationRecord]) -> int:
    """Add records to the ledger (atomic rewrite, duplicates ignored). Returns how many were new."""
    old = read_ledger(settings)
    seen = set(old)
    new = [r for r in dict.fromkeys(records) if r not in seen]
    if not new:
        return 0
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=_LEDGER_FIELDS)
    w.writeheader()
    for r in [*old, *new]:
        w.writerow({k: ("" if v is None else v) for k, v in asdict(r).items()})
    write_text_atomic(path, out.getvalue())
    return len(new)


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
    """
    say = progress or (lambda _msg: None)
    say("reading the register, programme data and participation ledger")
    data = assemble(settings)
    for note in data.notes:
        (notes or say)(note)
    store = open_store(settings, backend=backend)
    say(f"writing the graph into the {store.backend} store")
    store.replace(data, progress=batches)
    return store
