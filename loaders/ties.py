"""Read a ties file (the KTS's own Netzwerk-Dashboard ties) into relation records.

A CSV or XLSX table (read by :mod:`lernnetz.loaders.tables`) with the columns

=============  =====================================================================
field          accepted column names
=============  =====================================================================
``type``       type, typ, art, beziehung, verbindung, tie, relation
``from``       from, von, from_name, partner_a, quelle_projekt
``to``         to, an, nach, zu, to_name, partner_b, ziel
``from_land``  from_land, von_land (a Land hint for ``from``); ``land`` hints both sides
``to_land``    to_land, nach_land
``date``       date, datum
``source``     source, quelle
``note``       note, notiz, bemerkung, kommentar
=============  =====================================================================

* **type**, in German or English, any case: Vorbild / role model → ``ROLE_MODEL_FOR``;
  Wissensaustausch / Austausch / exchange → ``EXCHANGES_WITH``; gemeinsame Entwicklung /
  co-development → ``CO_DEVELOPS_WITH``; Übertragung / Transfer → ``TRANSFERS_TO``; the
  type names themselves too. Anything else is rejected with the accepted words.
* **from** and **to**: a model project (its id, e.g. ``ulm``, or its name, e.g. "Smart City
  Ulm", matched exactly after folding), a Gemeinde, a Kreis or a Verband (AGS, 5-digit Kreis
  key, 9-digit Verband key or name — "Landkreis Lippe", "VG Vallendar", "Amt Süderbrarup" —
  resolved by :class:`lernnetz.loaders.names.NameResolver` with the Land hint; a manual mapping
  first). The record's ``from_kind``/``to_kind`` is ``project``, ``municipality``,
  ``district`` or ``association``. A project wins over a place of the same name (the KTS
  records ties between projects). Ambiguous and unmatched names are rejected, never guessed.
* **date**: ISO or German (``05.04.2022``); optional. **source**: default the file name.

A row with any problem is rejected as a whole (row, column, value, reason); a tie from a
node to itself too. Identical ties are merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lernnetz.loaders.errors import InputError
from lernnetz.loaders.namefold import fold
from lernnetz.loaders.names import NameResolver, Resolution
from lernnetz.loaders.participation import Reject, parse_date
from lernnetz.loaders.records import RelationRecord
from lernnetz.loaders.resolution import NameMapping, ResolutionRow
from lernnetz.loaders.tables import cell_problem, extra_cells, header_key, read_table

TIE_TYPES = ("ROLE_MODEL_FOR", "EXCHANGES_WITH", "CO_DEVELOPS_WITH", "TRANSFERS_TO")
TYPE_ALIASES: dict[str, str] = {
    "vorbild": "ROLE_MODEL_FOR", "role model": "ROLE_MODEL_FOR", "rolemodel": "ROLE_MODEL_FOR",
    "role model for": "ROLE_MODEL_FOR", "role model fur": "ROLE_MODEL_FOR", "vorbild fur": "ROLE_MODEL_FOR",
    "wissensaustausch": "EXCHANGES_WITH", "austausch": "EXCHANGES_WITH", "exchange": "EXCHANGES_WITH",
    "knowledge exchange": "EXCHANGES_WITH", "exchanges with": "EXCHANGES_WITH", "erfahrungsaustausch": "EXCHANGES_WITH",
    "gemeinsame entwicklung": "CO_DEVELOPS_WITH", "co development": "CO_DEVELOPS_WITH",
    "codevelopment": "CO_DEVELOPS_WITH", "co develops with": "CO_DEVELOPS_WITH", "ko entwicklung": "CO_DEVELOPS_WITH",
    "joint development": "CO_DEVELOPS_WITH",
    "ubertragung": "TRANSFERS_TO", "transfer": "TRANSFERS_TO", "transfers to": "TRANSFERS_TO",
    "ubertragung auf": "TRANSFERS_TO",
}  # fmt: skip
FIELDS: dict[str, tuple[str, ...]] = {
    "type": ("type", "typ", "art", "beziehung", "verbindung", "tie", "relation", "tie type"),
    "from": ("from", "von", "from name", "partner a", "quelle projekt"),
    "to": ("to", "an", "nach", "zu", "to name", "partner b", "ziel"),
    "land": ("land", "bundesland"),
    "from_land": ("from land", "von land", "von bundesland"),
    "to_land": ("to land", "nach land", "an land", "zu land"),
    "date": ("date", "datum"),
    "source": ("source", "quelle"),
    "note": ("note", "notiz", "bemerkung", "kommentar"),
}
_ALIAS = {header_key(a): f for f, aliases in FIELDS.items() for a in aliases}
#: The ``from_kind``/``to_kind`` of a place resolved at a level.
END_KIND = {"gemeinde": "municipality", "kreis": "district", "verband": "association"}


def tie_type(text: str) -> str | None:
    """The tie type a text means (German or English, any case), or None."""
    t = text.strip()
    if t.upper() in TIE_TYPES:
        return t.upper()
    return TYPE_ALIASES.get(header_key(t).replace("-", " "))


@dataclass(slots=True)
class TiesImport:
    """What reading a ties file produced."""

    path: str
    rows_read: int = 0
    records: list[RelationRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    resolution: list[ResolutionRow] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""

    @property
    def rows_rejected(self) -> int:
        """Rows not imported."""
        return len(self.rejected_rows)


def read_ties(
    path: Path,
    resolver: NameResolver,
    projects: Mapping[str, str],
    *,
    default_source: str | None = None,
    mapping: NameMapping | None = None,
    sheet: str | None = None,
) -> TiesImport:
    """Read and resolve a ties file (see the module docstring); ``projects`` maps project id → name."""
    path = Path(path)
    table = read_table(path, lambda h: header_key(h) in _ALIAS, sheet=sheet)
    index: dict[str, int] = {}
    used: dict[str, str] = {}
    ignored: list[str] = []
    for i, h in enumerate(table.header):
        f = _ALIAS.get(header_key(h))
        if f is None or f in index:
            if h:
                ignored.append(h)
            continue
        index[f], used[f] = i, h
    missing = [f for f in ("type", "from", "to") if f not in index]
    if missing:
        raise InputError.single(path, f"no {', '.join(missing)} column(s) (need type, from, to); found: "
                                f"{', '.join(table.header)}", row=table.header_row, column=missing[0])  # fmt: skip
    out = TiesImport(str(path), columns=used, ignored_columns=ignored, encoding=table.encoding)
    by_project = _project_index(projects)
    key_names = resolver.key_names() if mapping else {}
    source_default = (default_source or path.name).strip()
    records: list[RelationRecord] = []
    for row, values in table.rows:
        out.rows_read += 1
        cells = {f: values[i] if i < len(values) else "" for f, i in index.items()}
        problems: list[Reject] = []
        spill = extra_cells(values, len(table.header))
        if spill:
            problems.append(Reject(row, "", values[len(table.header)][:80], spill))
        for f, v in cells.items():
            why = cell_problem(v)
            if why:
                problems.append(Reject(row, used[f], v[:80], why))
                cells[f] = ""
        kind = tie_type(cells["type"])
        if kind is None:
            problems.append(Reject(row, used["type"], cells["type"], "unknown tie type; use Vorbild / role model, "
                                   "Wissensaustausch / exchange, gemeinsame Entwicklung / co-development or "
                                   "Übertragung / transfer"))  # fmt: skip
        ends: list[tuple[str, str]] = []
        for side in ("from", "to"):
            value = cells[side]
            land = cells.get(f"{side}_land", "") or cells.get("land", "")
            end, res = _endpoint(value, land, resolver, by_project, mapping, key_names)
            out.resolution.append(ResolutionRow.of(row, used[side], value, land, "", res))
            if end is None:
                problems.append(
                    Reject(
                        row, used[side], value, res.reason if res.matched else f"{res.status}: {res.reason}"
                    )
                )
            else:
                ends.append(end)
        if len(ends) == 2 and ends[0] == ends[1]:
            problems.append(Reject(row, used["to"], cells["to"], "a tie needs two different ends"))
        date = ""
        if cells.get("date"):
            date = parse_date(cells["date"]) or ""
            if not date:
                problems.append(
                    Reject(row, used["date"], cells["date"], "not a date (use 2024-05-07 or 07.05.2024)")
                )
        if problems:
            out.rejects.extend(problems)
            out.rejected_rows.add(row)
            continue
        assert kind is not None
        (fk, fkey), (tk, tkey) = ends
        note = "; ".join(p for p in (cells.get("note", ""), f"date {date}" if date else "") if p)
        records.append(
            RelationRecord(kind, fk, fkey, tk, tkey, cells.get("source") or source_default, "S", note, date)
        )
    if out.rows_read == 0:
        raise InputError.single(path, "the file has a header but no data rows", row=table.header_row)
    out.records = list(dict.fromkeys(records))
    return out


def _project_index(projects: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pid, name in projects.items():
        out[fold(pid)] = pid
        if name:
            out.setdefault(fold(name), pid)
    return out


def _endpoint(
    value: str,
    land: str,
    resolver: NameResolver,
    by_project: dict[str, str],
    mapping: NameMapping | None,
    key_names: dict[str, tuple[str, str]],
) -> tuple[tuple[str, str] | None, Resolution]:
    if not value:
        return None, Resolution("unmatched", reason="empty")
    key = fold(value)
    for prefix in (
        "smart city modellprojekt ",
        "modellprojekt smart city ",
        "smart city ",
        "modellprojekt ",
        "mpsc ",
    ):
        key = key.removeprefix(prefix)
    pid = by_project.get(fold(value)) or by_project.get(key)
    if pid is not None:
        return ("project", pid), Resolution(
            "exact", ags=pid, name=pid, method="name", score=100.0, level="project"
        )
    res = (mapping.resolution(value, land, "", key_names) if mapping else None) or resolver.resolve(
        value, land=land
    )
    if not res.matched:
        return None, res
    assert res.ags is not None
    return (END_KIND[res.level], res.ags), res


def as_dicts(records: list[RelationRecord]) -> list[dict[str, Any]]:
    """Records as plain dicts (for reports)."""
    return [
        {"type": r.type, "from_kind": r.from_kind, "from_key": r.from_key, "to_kind": r.to_kind,
         "to_key": r.to_key, "source": r.source, "date": r.date, "note": r.note}
        for r in records
    ]  # fmt: skip
