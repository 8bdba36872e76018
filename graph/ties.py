"""Import the KTS's own typed ties (``lernnetz import ties FILE``): resolve, report, persist.

``import_ties(store, settings, path)`` reads a ties file with
:func:`lernnetz.loaders.ties.read_ties` (ends resolved against the store's projects and
register with the same name machinery as participation lists, the saved manual mappings
first), then persists the resolved ties as one unit under the write lock
(:func:`lernnetz.graph.writer.exclusive`), like :func:`lernnetz.graph.participation.persist_records`:

1. the store first catches up with a graph another process wrote meanwhile;
2. the **ties ledger** (``ties_ledger.csv`` in the data directory) is read afresh, the new
   ties are appended and it is rewritten atomically, so ``lernnetz load`` rebuilds them
   (:func:`lernnetz.graph.pipeline.assemble` adds the ledger's ties to the curated ones);
3. every tie of the ledger is merged into the store (:meth:`GraphStore.add_ties`, idempotent:
   this also repairs a store a killed writer left behind the ledger). If that fails, the
   ledger's previous bytes are put back and the error is raised.

Importing the same file twice adds nothing. ``dry_run`` reads, resolves and counts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lernnetz.graph.participation import _restore, effective_mapping, resolver_for
from lernnetz.graph.pipeline import read_ties_ledger, ties_ledger_path, write_ties_ledger
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore
from lernnetz.graph.writer import exclusive
from lernnetz.loaders.participation import write_rejects
from lernnetz.loaders.records import RelationRecord
from lernnetz.loaders.resolution import write_resolution
from lernnetz.loaders.textio import check_writable_file
from lernnetz.loaders.ties import TiesImport, as_dicts, read_ties


@dataclass(slots=True)
class TiesReport:
    """What a ties import did (``as_dict()`` for JSON)."""

    file: str
    rows_read: int
    rows_imported: int
    rows_rejected: int
    ties: int
    ties_new: int
    edges_new: int
    dry_run: bool
    imported: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejects_file: str | None = None
    resolution_file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def persist_ties(store: GraphStore, settings: Settings, records: Sequence[RelationRecord]) -> tuple[int, int]:
    """Append ties to the ledger and the store as one unit; ``(ledger rows new, edges new)``."""
    if not records:
        return 0, 0
    with exclusive(settings):
        store.refresh()
        path = ties_ledger_path(settings)
        before = path.read_bytes() if path.exists() else None
        old = read_ties_ledger(settings)
        seen = set(old)
        new = [r for r in dict.fromkeys(records) if r not in seen]
        if new:
            write_ties_ledger(settings, [*old, *new])
        try:
            edges_new = store.add_ties([*old, *new])
        except BaseException:
            if new:
                _restore(path, before)
            raise
    return len(new), edges_new


def read_file(
    store: GraphStore, settings: Settings, path: Path, *, source: str | None = None, sheet: str | None = None
) -> TiesImport:
    """Read and resolve a ties file against the store's projects and register."""
    projects = store.projects()
    names = dict(zip(projects["id"], projects["name"], strict=True))
    return read_ties(Path(path), resolver_for(store), names, default_source=source,
                     mapping=effective_mapping(store, settings), sheet=sheet)  # fmt: skip


def import_ties(
    store: GraphStore,
    settings: Settings,
    path: str | Path,
    dry_run: bool = False,
    *,
    rejects_path: str | Path | None = None,
    resolution_path: str | Path | None = None,
    source: str | None = None,
    sheet: str | None = None,
) -> TiesReport:
    """Import one ties file (see the module docstring). Raises InputError for a bad file."""
    result = read_file(store, settings, Path(path), source=source, sheet=sheet)
    for out, what in ((rejects_path if result.rejects and not dry_run else None, "rejects file"),
                      (resolution_path, "resolution file")):  # fmt: skip
        if out is not None:
            check_writable_file(Path(out), what)  # refused before anything is written
    if dry_run:
        known = set(read_ties_ledger(settings))
        ties_new = sum(1 for r in result.records if r not in known)
        edges_new = _count_new(store, result.records)
    else:
        ties_new, edges_new = persist_ties(store, settings, result.records)
    written = None
    if rejects_path is not None and result.rejects and not dry_run:
        write_rejects(Path(rejects_path), result.rejects)
        written = str(rejects_path)
    if resolution_path is not None:
        write_resolution(Path(resolution_path), result.resolution)
    return TiesReport(
        file=str(path), rows_read=result.rows_read, rows_imported=result.rows_read - result.rows_rejected,
        rows_rejected=result.rows_rejected, ties=len(result.records), ties_new=ties_new, edges_new=edges_new,
        dry_run=dry_run, imported=as_dicts(result.records), rejected=[asdict(r) for r in result.rejects],
        rejects_file=written, resolution_file=str(resolution_path) if resolution_path is not None else None,
        columns=result.columns, ignored_columns=result.ignored_columns,
    )  # fmt: skip


def _count_new(store: GraphStore, records: Sequence[RelationRecord]) -> int:
    rel = store.relations()
    have = set(
        zip(rel["type"], rel["from_kind"], rel["from_key"], rel["to_kind"], rel["to_key"], strict=True)
    )
    return len({(r.type, r.from_kind, r.from_key, r.to_kind, r.to_key) for r in records} - have)
