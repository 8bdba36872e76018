"""Read participation lists (registrations, attendance lists, survey answers) into records.

Input: a CSV or XLSX table as German Excel writes it (:mod:`lernnetz.loaders.tables`:
UTF-8 with or without BOM, Windows-1252, Latin-1; ``,``, ``;`` or tab; XLSX first sheet or
``sheet``; streamed; at most :data:`~lernnetz.loaders.tables.MAX_ROWS` rows). The canonical
header is ``municipality,land,topics,kind,date,source``; column names are matched
case-insensitively, ignoring umlauts, spaces, ``_`` and ``-``, with these aliases:

=================  ====================================================================
field              accepted column names
=================  ====================================================================
``municipality``   municipality, gemeinde, kommune, gemeindename, name, ort, stadt, teilnehmer
``ags``            ags, ags8, gemeindeschluessel, amtlicher gemeindeschluessel, ars
``land``           land, bundesland, state
``kreis``          kreis, landkreis, district, kreisname
``topics``         topics, topic, themen, thema, themenfelder, interessen, schwerpunkte
``kind``           kind, art, typ, type, teilnahmeart
``date``           date, datum
``source``         source, quelle
``event``          event, event_id, eventid, veranstaltung, veranstaltung_id
``weight``         weight, gewicht
=================  ====================================================================

A file needs ``municipality`` or ``ags``, and ``topics`` or ``event``. Other columns
are ignored (and listed in the report). Per row:

* **municipality**: a manual mapping (``mapping``, see :mod:`lernnetz.loaders.resolution`)
  first; else the AGS (8 digits; a 12-digit ARS is converted; a 7-digit AGS or 4-digit Kreis
  key gets back the leading zero Excel dropped) or a name resolved by :class:`lernnetz.loaders.names.NameResolver` with the
  ``land``/``kreis`` hints. Ambiguous and unmatched names are rejected, never guessed. A
  Kreis or Verband named in the list ("Landkreis Lippe", "Kreis Mayen-Koblenz", "VG Vallendar",
  "Amt Süderbrarup", or its 5-digit Kreis / 9-digit Verband key in the ``ags`` column) is
  imported **at its own level**: the record's ``level`` is ``kreis`` or ``verband`` and its key
  the register's Kreis or Verband key, and its edges start at the District or Association node.
  Its interest is never spread onto its Gemeinden (the analytics that rank Gemeinden count
  Gemeinde-level rows only).
* **topics**: separated by ``;``, ``|`` or line breaks (``,`` too when every part is a
  topic), each read through the topic vocabulary (:mod:`lernnetz.loaders.topics`). An
  unknown or ambiguous topic is rejected **on its own** (row, column, value, suggestions);
  the row's other topics and the municipality are kept. At most :data:`MAX_TOPICS_PER_CELL`
  topics per cell.
* **event**: an event id of the programme data (``rk-03-2022-04-05``): an ATTENDED edge.
* **kind**: ``registered``, ``attended``, ``survey`` or ``peer-learning`` (German:
  angemeldet/Anmeldung, teilgenommen/Teilnahme, Umfrage/Befragung, Peer-Learning).
  Empty: ``attended`` when the row names an event, otherwise ``survey``.
* **date**: ISO ``2024-05-07`` (optionally with a time) or German ``07.05.2024`` /
  ``7.5.24`` (Excel dates too); anything after the date but a time is refused. Empty: the
  event's date, else the import's default date; a row with no date at all is rejected.
* **source**: empty → the import's default source (the file name).
* **weight**: optional decimal number in [0, 10] (``1.5`` or ``1,5``; no ``1_0``), default 1.

A row with no topic and no event, or whose municipality, event, kind, date or weight is
bad, is rejected with one reject line per problem (row, column, value, reason); a cell
longer than :data:`~lernnetz.loaders.tables.MAX_CELL_CHARS` or with a NUL byte too. Nothing
is dropped silently; identical records are merged. Problems with the file itself raise
:class:`lernnetz.loaders.errors.InputError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lernnetz.loaders.errors import InputError
from lernnetz.loaders.names import NameResolver, Resolution
from lernnetz.loaders.records import ParticipationRecord
from lernnetz.loaders.resolution import NameMapping, ResolutionRow
from lernnetz.loaders.tables import cell_problem, extra_cells, header_key, read_table
from lernnetz.loaders.textio import write_csv_atomic
from lernnetz.loaders.topics import TopicLookup

__all__ = ["ParticipationImport", "Reject", "TopicLookup", "parse_date", "parse_weight", "read_participation"]

KINDS = ("registered", "attended", "survey", "peer-learning")
KIND_ALIASES: dict[str, str] = {
    "registered": "registered", "registration": "registered", "anmeldung": "registered",
    "angemeldet": "registered", "registriert": "registered",
    "attended": "attended", "attendance": "attended", "teilnahme": "attended", "teilgenommen": "attended",
    "anwesend": "attended",
    "survey": "survey", "umfrage": "survey", "befragung": "survey",
    "peer learning": "peer-learning", "peerlearning": "peer-learning", "peer-learning": "peer-learning",
}  # fmt: skip

FIELDS: dict[str, tuple[str, ...]] = {
    "municipality": (
        "municipality",
        "gemeinde",
        "kommune",
        "gemeindename",
        "name",
        "ort",
        "stadt",
        "teilnehmer",
    ),
    "ags": ("ags", "ags8", "gemeindeschlussel", "amtlicher gemeindeschlussel", "ars"),
    "land": ("land", "bundesland", "state"),
    "kreis": ("kreis", "landkreis", "district", "kreisname"),
    "topics": ("topics", "topic", "themen", "thema", "themenfelder", "interessen", "schwerpunkte"),
    "kind": ("kind", "art", "typ", "type", "teilnahmeart"),
    "date": ("date", "datum"),
    "source": ("source", "quelle"),
    "event": ("event", "event id", "eventid", "veranstaltung", "veranstaltung id"),
    "weight": ("weight", "gewicht"),
}
CANONICAL_HEADER = ("municipality", "land", "topics", "kind", "date", "source")
REJECT_COLUMNS = ("row", "column", "value", "reason")
#: Most topics one cell may name (there are fewer than 50 topics in all).
MAX_TOPICS_PER_CELL = 20
_TOPIC_SPLIT = re.compile(r"[;|\n]")
_ALIAS_TO_FIELD = {header_key(a): f for f, aliases in FIELDS.items() for a in aliases}


@dataclass(frozen=True, slots=True)
class Reject:
    """One problem with one row (or one value of it): what the rejects file holds."""

    row: int
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class ParticipationImport:
    """Everything reading a participation file produced (see module docstring)."""

    path: str
    rows_read: int = 0
    matched_exact: int = 0
    matched_fuzzy: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    rows_imported: int = 0
    duplicate_records: int = 0
    records: list[ParticipationRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    #: matches a person should check: fuzzy and partial-name matches, topic typos.
    review: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    resolution: list[ResolutionRow] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    values_skipped: int = 0
    encoding: str = ""
    sheet: str = ""

    @property
    def rows_rejected(self) -> int:
        """Rows not imported (each has at least one reject line)."""
        return len(self.rejected_rows)

    def summary(self) -> dict[str, Any]:
        """The report's numbers and lists as plain data."""
        return {
            "file": self.path, "rows_read": self.rows_read, "matched_exact": self.matched_exact,
            "matched_fuzzy": self.matched_fuzzy, "ambiguous": self.ambiguous, "unmatched": self.unmatched,
            "rows_imported": self.rows_imported, "rows_rejected": self.rows_rejected,
            "values_skipped": self.values_skipped, "records": len(self.records),
            "duplicate_records": self.duplicate_records, "rejected": [asdict(r) for r in self.rejects],
            "review": list(self.review), "columns": dict(self.columns), "ignored_columns": list(self.ignored_columns),
            "resolution_counts": self.resolution_counts(), "encoding": self.encoding, "sheet": self.sheet,
        }  # fmt: skip

    def resolution_counts(self) -> dict[str, int]:
        """Input rows by resolution status (ok, review, ambiguous, unmatched)."""
        out = dict.fromkeys(("ok", "review", "ambiguous", "unmatched"), 0)
        for r in self.resolution:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def write_rejects(self, path: Path) -> None:
        """Write the rejects as CSV (row, column, value, reason), atomically."""
        write_rejects(path, self.rejects)


def write_rejects(path: Path, rejects: Iterable[Reject]) -> None:
    """Write rejects to ``path`` as UTF-8 CSV, atomically, every cell neutralised."""
    write_csv_atomic(Path(path), REJECT_COLUMNS, ((r.row, r.column, r.value, r.reason) for r in rejects))


def map_columns(
    path: Path, header: list[str], header_row: int
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Field → column index, field → column name as written, and the ignored column names."""
    index: dict[str, int] = {}
    used: dict[str, str] = {}
    ignored: list[str] = []
    for i, h in enumerate(header):
        f = _ALIAS_TO_FIELD.get(header_key(h))
        if f is None:
            if h:
                ignored.append(h)
            continue
        if f in index:
            raise InputError.single(
                path, f"columns {used[f]!r} and {h!r} both mean {f!r}; keep one", row=header_row, column=h
            )
        index[f], used[f] = i, h
    if "municipality" not in index and "ags" not in index:
        raise InputError.single(
            path,
            "no municipality column (municipality, gemeinde, kommune, name or ags); found: "
            + ", ".join(header),
            row=header_row,
            column="municipality",
        )
    if "topics" not in index and "event" not in index:
        raise InputError.single(
            path,
            "no topics or event column (topics, themen, event, veranstaltung); found: " + ", ".join(header),
            row=header_row,
            column="topics",
        )
    return index, used, ignored


# ---------------------------------------------------------------------------- values


def parse_date(text: str) -> str | None:
    """ISO date from ``2024-05-07`` (a time may follow), ``07.05.2024``, ``7.5.24``; None otherwise."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", t)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})", t)
        if not m:
            return None
        d, mo, y = (int(x) for x in m.groups())
        if y < 100:
            y += 2000
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def parse_weight(text: str) -> float | None:
    """A weight in [0, 10] from ``1``, ``1.5`` or ``1,5``; None for anything else (``1_0``, ``1e1``)."""
    t = text.strip()
    if not re.fullmatch(r"\d{1,2}(?:[.,]\d+)?", t):
        return None
    w = float(t.replace(",", "."))
    return w if 0.0 <= w <= 10.0 else None


def _topic_tokens(cell: str, topics: TopicLookup) -> list[str]:
    out: list[str] = []
    for token in (t.strip() for t in _TOPIC_SPLIT.split(cell)):
        if not token:
            continue
        parts = [p.strip() for p in token.split(",") if p.strip()]
        if topics.lookup(token).slugs or len(parts) < 2 or not all(topics.lookup(p).slugs for p in parts):
            out.append(token)
        else:
            out.extend(parts)
    return out


def read_participation(
    path: Path,
    resolver: NameResolver,
    *,
    topics: TopicLookup,
    events: Mapping[str, str],
    default_source: str | None = None,
    default_date: str | None = None,
    mapping: NameMapping | None = None,
    sheet: str | None = None,
) -> ParticipationImport:
    """Read and resolve a participation file; see the module docstring.

    ``events`` maps each known event id to its start date (may be empty).
    """
    path = Path(path)
    if default_date is not None and parse_date(default_date) is None:
        raise InputError.single(path, "the default date is not a valid date", value=default_date)
    table = read_table(path, lambda h: header_key(h) in _ALIAS_TO_FIELD, sheet=sheet)
    index, used, ignored = map_columns(path, table.header, table.header_row)
    out = ParticipationImport(path=str(path), columns=used, ignored_columns=ignored, encoding=table.encoding,
                              sheet=table.sheet)  # fmt: skip
    source_default = (default_source or path.name).strip()
    events_by_key = {k.lower(): k for k in events}
    date_default = parse_date(default_date) if default_date else None
    key_names = resolver.key_names() if mapping else {}

    records: list[ParticipationRecord] = []
    for row, values in table.rows:
        out.rows_read += 1
        problems: list[Reject] = []
        skipped: list[Reject] = []
        cells = {f: values[i] if i < len(values) else "" for f, i in index.items()}
        spill = extra_cells(values, len(table.header))
        if spill:
            problems.append(Reject(row, "", values[len(table.header)][:80], spill))
        for f, v in cells.items():
            why = cell_problem(v)
            if why:
                problems.append(Reject(row, used[f], v[:80] + ("…" if len(v) > 80 else ""), why))
                cells[f] = ""
        name, ags_cell = cells.get("municipality", ""), cells.get("ags", "")
        land, kreis = cells.get("land", ""), cells.get("kreis", "")

        # municipality: manual mapping, AGS, name
        res: Resolution | None = (
            mapping.resolution(name, land, kreis, key_names) if mapping and name else None
        )
        if res is not None:
            col, val = used.get("municipality", "municipality"), name
        elif ags_cell:
            res = resolver.resolve(ags_cell)
            col, val = used["ags"], ags_cell
            if res.matched and name:
                by_name = resolver.resolve(name, land=land, kreis=kreis)
                if by_name.matched and by_name.ags != res.ags:
                    res = Resolution(
                        "unmatched",
                        reason=f"AGS {res.ags} is {res.name!r} but the name {name!r} means {by_name.name!r} "
                        f"({by_name.ags})",
                    )
        else:
            res = resolver.resolve(name, land=land, kreis=kreis)
            col, val = used.get("municipality", "municipality"), name
        out.resolution.append(ResolutionRow.of(row, col, val, land, kreis, res))
        if res.status == "exact":
            out.matched_exact += 1
        elif res.status == "fuzzy":
            out.matched_fuzzy += 1
        elif res.status == "ambiguous":
            out.ambiguous += 1
        else:
            out.unmatched += 1
        ags: str | None = None
        review: dict[str, Any] | None = None
        if res.matched:  # a Gemeinde, or a Kreis or Verband at its own level (its key in ``ags``)
            ags = res.ags
            if res.review_status == "review":
                review = {"row": row, "value": val, "ags": res.ags, "name": res.name, "method": res.method,
                          "score": round(res.score, 1)}  # fmt: skip
        else:
            problems.append(Reject(row, col, val, f"{res.status}: {res.reason}"))

        # event
        event_id: str | None = None
        event_cell = cells.get("event", "")
        if event_cell:
            event_id = events_by_key.get(event_cell.lower())
            if event_id is None:
                problems.append(
                    Reject(row, used["event"], event_cell, "unknown event id (not in data/events.csv)")
                )

        # topics: an unknown one is skipped on its own
        slugs: list[str] = []
        topics_cell = cells.get("topics", "")
        tokens = _topic_tokens(topics_cell, topics) if topics_cell else []
        if len(tokens) > MAX_TOPICS_PER_CELL:
            problems.append(Reject(row, used["topics"], topics_cell[:80],
                                   f"{len(tokens)} topics in one cell (at most {MAX_TOPICS_PER_CELL}); split the row"))  # fmt: skip
            tokens = []
        for token in tokens:
            hit = topics.lookup(token, typos=True)
            if hit.slug is not None:
                slugs.append(hit.slug)
                if hit.method == "typo":
                    out.review.append({"row": row, "value": token, "ags": "", "name": hit.slug, "method": "topic typo",
                                       "score": 0.0})  # fmt: skip
            elif hit.slugs:
                skipped.append(Reject(row, used["topics"], token, f"topic fits several topics ({', '.join(hit.slugs)}); "
                                      "give one of these slugs; skipped, the row's other topics were kept"))  # fmt: skip
            else:
                hint = f"; did you mean {', '.join(hit.suggestions)}?" if hit.suggestions else ""
                skipped.append(Reject(row, used["topics"], token,
                                      f"unknown topic{hint} (skipped; the row's other topics were kept)"))  # fmt: skip
        slugs = list(dict.fromkeys(slugs))
        if not slugs and not event_cell:
            problems.append(Reject(row, used.get("topics", used.get("event", "topics")), topics_cell[:80],
                                   "the row names no known topic and no event; nothing to import"))  # fmt: skip

        # kind
        kind_cell = cells.get("kind", "")
        kind = "attended" if event_cell else "survey"
        if kind_cell:
            kind = KIND_ALIASES.get(header_key(kind_cell)) or KIND_ALIASES.get(kind_cell.lower()) or ""
            if not kind:
                problems.append(
                    Reject(row, used["kind"], kind_cell, f"unknown kind; use one of {', '.join(KINDS)}")
                )

        # date
        date_cell = cells.get("date", "")
        date: str | None
        if date_cell:
            date = parse_date(date_cell)
            if date is None:
                problems.append(
                    Reject(row, used["date"], date_cell, "not a date (use 2024-05-07 or 07.05.2024)")
                )
        else:
            date = ((events.get(event_id) or None) if event_id else None) or date_default
            if date is None and not (event_cell and event_id is None):
                problems.append(Reject(row, used.get("date", "date"), "",
                                       "no date (add a date column or give a default date)"))  # fmt: skip

        # source, weight
        source = cells.get("source", "") or source_default
        weight = 1.0
        weight_cell = cells.get("weight", "")
        if weight_cell:
            parsed = parse_weight(weight_cell)
            if parsed is None:
                problems.append(
                    Reject(
                        row, used["weight"], weight_cell, "weight must be a number in [0, 10] (1.5 or 1,5)"
                    )
                )
            weight = parsed if parsed is not None else 1.0

        out.rejects.extend(problems + skipped)
        if problems:
            out.rejected_rows.add(row)
            continue
        assert ags is not None and date is not None
        out.values_skipped += len(skipped)
        out.rows_imported += 1
        if review is not None:
            out.review.append(review)
        topic_slugs: list[str | None] = list(slugs) or [None]
        for slug in topic_slugs:
            records.append(
                ParticipationRecord(
                    ags,
                    kind,
                    date,
                    source,
                    topic=slug,
                    event_id=event_id,
                    weight=weight,
                    level=res.level or "gemeinde",
                )
            )

    if out.rows_read == 0:
        raise InputError.single(path, "the file has a header but no data rows", row=table.header_row)
    unique = list(dict.fromkeys(records))
    out.duplicate_records = len(records) - len(unique)
    out.records = unique
    return out
