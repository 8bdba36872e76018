"""Import participation lists into the graph: resolve, report, persist atomically.

``import_participation(store, settings, path)`` reads a CSV/XLSX list with
:func:`lernnetz.loaders.participation.read_participation` (names resolved against the store's
register, topics and events checked against the programme data), then persists the
resolved records twice, as one unit:

1. the participation ledger (``participation_ledger.csv`` in the data directory, so a
   later ``lernnetz load`` rebuilds the same edges), via :func:`lernnetz.graph.pipeline.append_ledger`;
2. the store (:meth:`GraphStore.add_participation`: INTERESTED_IN and ATTENDED edges
   with kind, date, source and weight as provenance, from the Municipality, District or
   Association node of each record's ``level``; a Verband named for the first time gets its node).

If the ledger write fails the store is not touched; if the store write fails the
ledger is restored to its previous bytes. Both merge identical records, so importing
the same file twice changes nothing. ``dry_run=True`` reads, resolves and counts what
would be new, and writes nothing at all (no ledger, no store, no rejects file).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lernnetz.graph.pipeline import (
    append_ledger,
    applied_mark,
    ledger_digest,
    ledger_path,
    mark_applied,
    read_ledger,
    write_ledger,
)
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore
from lernnetz.graph.synthetic import SOURCE as SYNTHETIC_SOURCE
from lernnetz.graph.writer import exclusive
from lernnetz.loaders.names import NameResolver
from lernnetz.loaders.participation import ParticipationImport, read_participation, write_rejects
from lernnetz.loaders.records import ParticipationRecord
from lernnetz.loaders.resolution import (
    NameMapping,
    load_saved_mapping,
    read_mapping,
    write_mapping,
    write_resolution,
)
from lernnetz.loaders.textio import check_writable_file, write_bytes_atomic
from lernnetz.loaders.topics import TopicLookup

#: The manual name mappings every import honours (in the data directory, beside the ledger).
MAPPING_NAME = "name_mappings.csv"


@dataclass(slots=True)
class ImportReport:
    """What an import did (``as_dict()`` for JSON)."""

    file: str
    rows_read: int
    matched_exact: int
    matched_fuzzy: int
    ambiguous: int
    unmatched: int
    rows_imported: int
    rows_rejected: int
    records: int
    records_new: int
    edges_new: int
    dry_run: bool
    rejected: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)
    rejects_file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    values_skipped: int = 0
    resolution_counts: dict[str, int] = field(default_factory=dict)
    resolution_file: str | None = None
    mappings_used: int = 0
    encoding: str = ""
    #: one row per input row: what its municipality resolved to (the resolution file's rows)
    resolution: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


_RESOLVERS: weakref.WeakKeyDictionary[Any, tuple[Any, NameResolver]] = weakref.WeakKeyDictionary()


def resolver_for(store: GraphStore) -> NameResolver:
    """A name resolver over the store's register (Gemeinden and Kreise); kept per store
    until its node counts or register change."""
    info = store.info()
    stamp = (sorted((info.get("nodes") or {}).items()), info.get("stichtag"), info.get("register_sha256"))
    try:
        hit = _RESOLVERS.get(store)
    except TypeError:
        hit = None
    if hit is not None and hit[0] == stamp:
        return hit[1]
    resolver = NameResolver.from_frames(store.municipalities(), store.districts())
    with contextlib.suppress(TypeError):
        _RESOLVERS[store] = (stamp, resolver)
    return resolver


def mapping_path(settings: Settings) -> Path:
    """Where the saved manual name mappings live."""
    return settings.data_dir / MAPPING_NAME


def effective_mapping(store: GraphStore, settings: Settings, extra: str | Path | None = None) -> NameMapping:
    """The saved mappings, with a new mapping file's rows (validated) taking precedence."""
    names = resolver_for(store).key_names()
    saved = load_saved_mapping(mapping_path(settings), names)
    if extra is None:
        return saved
    given = read_mapping(Path(extra), names)
    return NameMapping([*saved.entries.values(), *given.entries.values()])


def save_mapping(settings: Settings, mapping: NameMapping) -> None:
    """Keep the mappings in the data directory (under the write lock) for later imports."""
    with exclusive(settings):
        write_mapping(mapping_path(settings), mapping)


def read_file(
    store: GraphStore,
    path: Path,
    *,
    source: str | None = None,
    date: str | None = None,
    mapping: NameMapping | None = None,
    sheet: str | None = None,
) -> ParticipationImport:
    """Read and resolve a participation file against the store's register and programme data."""
    events = store.events()
    return read_participation(
        Path(path),
        resolver_for(store),
        topics=TopicLookup.from_frame(store.topics()),
        events={str(i): str(d or "") for i, d in zip(events["id"], events["date_start"], strict=True)},
        default_source=source,
        default_date=date,
        mapping=mapping,
        sheet=sheet,
    )


def import_participation(
    store: GraphStore,
    settings: Settings,
    path: str | Path,
    dry_run: bool = False,
    *,
    rejects_path: str | Path | None = None,
    source: str | None = None,
    date: str | None = None,
    resolution_path: str | Path | None = None,
    mapping_file: str | Path | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Import one participation file (see module docstring).

    ``resolution_path``: write the resolution file there (CSV or XLSX by suffix; also in a dry
    run). ``mapping_file``: a manual mapping (or corrected resolution file) honoured before any
    other resolution step; validated first, and kept in the data directory for later imports
    (not in a dry run). ``sheet``: the XLSX sheet (name or 1-based number).

    ``source`` is the provenance for rows without a source column (default: the file
    name — give the original name when importing an uploaded temporary file, so a
    re-upload stays idempotent); ``date`` the default date for rows without one.
    ``rejects_path``: where to write the rejects CSV (only when there are rejects and
    not in a dry run). Raises :class:`lernnetz.loaders.errors.InputError` for a bad file.
    """
    mapping = effective_mapping(store, settings, mapping_file)
    result = read_file(store, Path(path), source=source, date=date, mapping=mapping, sheet=sheet)
    records = result.records
    if rejects_path is not None and result.rejects and not dry_run:
        check_writable_file(Path(rejects_path), "rejects file")  # refused before anything is written
    if resolution_path is not None:
        check_writable_file(Path(resolution_path), "resolution file")
    if dry_run:
        known = set(read_ledger(settings))
        records_new = sum(1 for r in records if r not in known)
        edges_new = count_new_edges(store, records)
    else:
        records_new, edges_new = persist_records(store, settings, records)
        if mapping_file is not None:
            save_mapping(settings, mapping)
    written: str | None = None
    if rejects_path is not None and result.rejects and not dry_run:
        write_rejects(Path(rejects_path), result.rejects)
        written = str(rejects_path)
    if resolution_path is not None:
        write_resolution(Path(resolution_path), result.resolution)
    s = result.summary()
    return ImportReport(
        file=str(path),
        rows_read=s["rows_read"],
        matched_exact=s["matched_exact"],
        matched_fuzzy=s["matched_fuzzy"],
        ambiguous=s["ambiguous"],
        unmatched=s["unmatched"],
        rows_imported=s["rows_imported"],
        rows_rejected=s["rows_rejected"],
        records=len(records),
        records_new=records_new,
        edges_new=edges_new,
        dry_run=dry_run,
        rejected=s["rejected"],
        review=s["review"],
        rejects_file=written,
        columns=s["columns"],
        ignored_columns=s["ignored_columns"],
        values_skipped=s["values_skipped"],
        resolution_counts=s["resolution_counts"],
        resolution_file=str(resolution_path) if resolution_path is not None else None,
        mappings_used=sum(1 for r in result.resolution if r.method == "manual"),
        encoding=s["encoding"],
        resolution=[asdict(r) for r in result.resolution],
    )


def persist_records(
    store: GraphStore, settings: Settings, records: Sequence[ParticipationRecord]
) -> tuple[int, int]:
    """Append records to the ledger and the store as one unit; ``(ledger rows new, edges new)``.

    Runs under the write lock (:func:`lernnetz.graph.writer.exclusive`): the store first
    catches up with a graph another process wrote meanwhile, the ledger is read afresh, so
    concurrent writers (CLI processes, API workers) never drop each other's rows. The ledger
    is written first (atomic rewrite); if the store then fails, the ledger's previous bytes
    are put back and the error is raised.
    """
    if not records:
        return 0, 0
    with exclusive(settings):
        store.refresh()
        recover(store, settings)
        path = ledger_path(settings)
        before = path.read_bytes() if path.exists() else None
        records_new = append_ledger(settings, records)
        try:
            edges_new = store.add_participation(list(records))
        except BaseException:
            if records_new:
                _restore(path, before)
            raise
        mark_applied(settings)
    return records_new, edges_new


def recover(store: GraphStore, settings: Settings) -> int:
    """Finish what a killed writer left half done (call under the write lock).

    Every writer writes the ledger first, then the store, then the *applied mark* (the
    ledger's sha256, beside it). When the mark does not match the ledger, a writer died in
    between: the ledger's rows are merged into the store again (idempotent; the ledger is
    the truth) and the mark is written. Returns how many edges that added."""
    path = ledger_path(settings)
    if ledger_digest(settings) == applied_mark(settings) or not getattr(store, "loaded", True):
        return 0
    added = store.add_participation(read_ledger(settings)) if path.exists() else 0
    mark_applied(settings)
    return added


def _restore(path: Path, content: bytes | None) -> None:
    if content is None:
        path.unlink(missing_ok=True)
        return
    write_bytes_atomic(path, content)


def interest_identity(r: ParticipationRecord) -> tuple[str, ...]:
    """The identity of the INTERESTED_IN edge a record makes (as the stores merge it)."""
    return (r.level, r.ags, r.topic or "", r.kind, r.date, r.source, r.event_id or "")


def attendance_identity(r: ParticipationRecord) -> tuple[str, ...]:
    """The identity of the ATTENDED edge a record makes."""
    return (r.level, r.ags, r.event_id or "", r.kind, r.date, r.source)


def count_new_edges(store: GraphStore, records: Sequence[ParticipationRecord]) -> int:
    """How many edges :meth:`GraphStore.add_participation` would add (for dry runs)."""
    ags = sorted({r.ags for r in records if r.level == "gemeinde"})
    have_i: set[tuple[str, ...]] = set()
    have_a: set[tuple[str, ...]] = set()
    if ags:
        i = store.interests(ags)
        have_i.update(zip(["gemeinde"] * len(i), i["ags"], i["topic"], i["kind"], i["date"], i["source"],
                          i["event_id"].fillna(""), strict=True))  # fmt: skip
        a = store.attendances(ags)
        have_a.update(zip(["gemeinde"] * len(a), a["ags"], a["event_id"], a["kind"], a["date"], a["source"],
                          strict=True))  # fmt: skip
    if any(r.level != "gemeinde" for r in records):  # Kreise and Verbände
        li, la = store.level_interests(), store.level_attendances()
        have_i.update(zip(li["level"], li["key"], li["topic"], li["kind"], li["date"], li["source"],
                          li["event_id"].fillna(""), strict=True))  # fmt: skip
        have_a.update(zip(la["level"], la["key"], la["event_id"], la["kind"], la["date"], la["source"],
                          strict=True))  # fmt: skip
    new_i = {interest_identity(r) for r in records if r.topic} - have_i
    new_a = {attendance_identity(r) for r in records if r.event_id} - have_a
    return len(new_i) + len(new_a)


def remove_synthetic(settings: Settings) -> int:
    """Drop every ``source=synthetic`` row from the ledger (atomic rewrite); returns how many.

    The store keeps its edges until the next ``lernnetz load`` rebuilds it from the ledger.
    """
    with exclusive(settings):
        path = ledger_path(settings)
        records = read_ledger(settings)
        keep = [r for r in records if r.source != SYNTHETIC_SOURCE]
        removed = len(records) - len(keep)
        if not removed:
            return 0
        if not keep:
            path.unlink()
        else:
            write_ledger(settings, keep)
        mark_applied(settings)  # the store keeps the removed edges until the next load
    return removed
