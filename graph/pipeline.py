"""Assemble everything the store is loaded from: register, programme, participation.

``assemble(settings)`` reads the cached official register (from ``lernnetz data
fetch``), the curated programme files, the optional boundaries (neighbourhood) and
the participation ledger (every import so far), and returns one
:class:`graph.model.GraphData`. ``load(settings)`` puts it into the configured store.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from pathlib import Path

from graph.config import Settings, open_store
from graph.errors import NoGraph
from graph.model import GraphData
from graph.store import GraphStore
from loaders.programme import read_programme
from loaders.records import ParticipationRecord
from loaders.register import read_register
from loaders.textio import csv_rows

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
    fd, tmp = tempfile.mkstemp(prefix=LEDGER_NAME, dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=_LEDGER_FIELDS)
            w.writeheader()
            for r in [*old, *new]:
                w.writerow({k: ("" if v is None else v) for k, v in asdict(r).items()})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(new)


def register_path(settings: Settings) -> Path:
    """The cached register file, or a clear error telling how to fetch it."""
    from loaders.fetch import cached_register_path

    path = cached_register_path(settings.data_dir)
    if path is None:
        raise NoGraph(
            f"no official register in {settings.data_dir}",
            hint="run `lernnetz data fetch` (or `lernnetz data fetch --from ../shared/data` offline)",
        )
    return path


def assemble(settings: Settings, *, with_programme: bool = True) -> GraphData:
    """Read every input into one GraphData; raises InputError on bad input."""
    from loaders.fetch import read_metadata

    meta = read_metadata(settings.data_dir) or {}
    register = read_register(
        register_path(settings),
        stichtag=str(meta.get("stichtag", "")),
        sha256=str(meta.get("sha256", "")),
        url=str(meta.get("source", "")),
    )
    programme = read_programme(settings.curated_dir, register) if with_programme else None
    data = GraphData(register=register, programme=programme, participation=read_ledger(settings))
    neighbours = settings.data_dir / "neighbours.csv"
    if neighbours.exists():
        known = {m.ags for m in register.municipalities}
        pairs, unknown = [], []
        for n, r in csv_rows(neighbours, ["ags_a", "ags_b", "shared_border_km"]):
            if r["ags_a"] in known and r["ags_b"] in known:
                pairs.append((r["ags_a"], r["ags_b"], float(r["shared_border_km"])))
            else:  # boundaries of another Gebietsstand: reported by `lernnetz load`, not dropped silently
                unknown.append(n)
        data.neighbours = pairs
        data.register.extra["neighbour_rows_not_in_register"] = str(len(unknown))
        from loaders.fetch import read_boundaries_metadata

        bmeta = read_boundaries_metadata(settings.data_dir) or {}
        data.neighbours_source = (str(bmeta.get("source", neighbours)), str(bmeta.get("stand", "")))
    return data


def load(
    settings: Settings, *, backend: str | None = None, progress: Callable[[str], None] | None = None
) -> GraphStore:
    """Assemble the inputs and replace the configured store's graph. Returns the store."""
    say = progress or (lambda _msg: None)
    say("reading the register, programme data and participation ledger")
    data = assemble(settings)
    store = open_store(settings, backend=backend)
    say(f"writing the graph into the {store.backend} store")
    store.replace(data)
    return store
