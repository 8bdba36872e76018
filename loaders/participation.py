"""Read participation lists (registrations, attendance lists, survey answers) into records.

Input: a CSV file (UTF-8, ``,`` or ``;`` delimited; a UTF-8 BOM is fine) or an Excel
workbook (``.xlsx``: the first sheet; the header is the first of its first ten rows
that names at least two known columns). The canonical header is
``municipality,land,topics,kind,date,source``; column names are matched
case-insensitively, ignoring umlauts, spaces, ``_`` and ``-``, with these aliases:

=================  ====================================================================
field              accepted column names
=================  ====================================================================
``municipality``   municipality, gemeinde, kommune, gemeindename, name, ort, stadt
``ags``            ags, ags8, gemeindeschluessel, amtlicher gemeindeschluessel, ars
``land``           land, bundesland, state
``kreis``          kreis, landkreis, district, kreisname
``topics``         topics, topic, themen, thema, themenfelder, interessen
``kind``           kind, art, typ, type, teilnahmeart
``date``           date, datum
``source``         source, quelle
``event``          event, event_id, eventid, veranstaltung, veranstaltung_id
``weight``         weight, gewicht
=================  ====================================================================

A file needs ``municipality`` or ``ags``, and ``topics`` or ``event``. Other columns
are ignored (and listed in the report). Per row:

* **municipality**: the AGS (8 digits; 7 digits get the leading zero Excel dropped; a
  12-digit ARS is converted) or a name resolved by :class:`lernnetz.loaders.names.NameResolver`
  with the ``land``/``kreis`` hints. Ambiguous and unmatched names are rejected, never
  guessed.
* **topics**: one or more, separated by ``;`` (or ``|``), each a slug
  (``buergerbeteiligung``), a German label (``Digitale Stadtplanung``) or an English
  label, case- and umlaut-insensitive.
* **event**: an event id of the programme data (``rk-03-2022-04-05``). A row with an
  event becomes an ATTENDED edge (the event's topics then count for the municipality);
  with topics as well, each topic is an interest noted at that event.
* **kind**: ``registered``, ``attended``, ``survey`` or ``peer-learning`` (German:
  angemeldet/Anmeldung, teilgenommen/Teilnahme, Umfrage/Befragung, Peer-Learning).
  Empty: ``attended`` when the row names an event, otherwise ``survey``.
* **date**: ISO ``2024-05-07`` or German ``07.05.2024`` (Excel dates too). Empty: the
  event's date, else the import's default date; a row with no date at all is rejected.
* **source**: empty → the import's default source (the file name).
* **weight**: optional number in [0, 10], default 1; it scales the evidence of the row's
  topics (interests). An attendance counts by its kind alone (the store's attendances carry
  no weight).

A row with any problem is rejected as a whole, with one reject line per problem
(row, column, value, reason); nothing is dropped silently. Identical records are
merged. Problems with the file itself (empty, not UTF-8, not a table, no usable
columns) raise :class:`lernnetz.loaders.errors.InputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lernnetz.loaders.errors import InputError
from lernnetz.loaders.names import NameResolver, Resolution, fold
from lernnetz.loaders.records import ParticipationRecord
from lernnetz.loaders.textio import csv_rows, neutralise_cell

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
    "municipality": ("municipality", "gemeinde", "kommune", "gemeindename", "name", "ort", "stadt"),
    "ags": ("ags", "ags8", "gemeindeschlussel", "amtlicher gemeindeschlussel", "ars"),
    "land": ("land", "bundesland", "state"),
    "kreis": ("kreis", "landkreis", "district", "kreisname"),
    "topics": ("topics", "topic", "themen", "thema", "themenfelder", "interessen"),
    "kind": ("kind", "art", "typ", "type", "teilnahmeart"),
    "date": ("date", "datum"),
    "source": ("source", "quelle"),
    "event": ("event", "event id", "eventid", "veranstaltung", "veranstaltung id"),
    "weight": ("weight", "gewicht"),
}
CANONICAL_HEADER = ("municipality", "land", "topics", "kind", "date", "source")
REJECT_COLUMNS = ("row", "column", "value", "reason")
_TOPIC_SPLIT = re.compile(r"[;|\n]")


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", fold(str(text))).strip()


_ALIAS_TO_FIELD = {_header_key(a): f for f, aliases in FIELDS.items() for a in aliases}


class TopicLookup:
    """Topic slugs by slug, German label or English label (folded); parts of labels
    split at "/" too when they are unique ("Teilhabe" is not: two labels share it)."""

    def __init__(self, topics: Iterable[tuple[str, str, str]]) -> None:
        self.slugs: set[str] = set()
        exact: dict[str, str] = {}
        parts: dict[str, set[str]] = {}
        for slug, label_de, label_en in topics:
            self.slugs.add(slug)
            for text in (slug, label_de, label_en, slug.replace("-", " ")):
                if text:
                    exact[_topic_key(text)] = slug
            for label in (label_de, label_en):
                for part in re.split(r"\s*/\s*|\s+und\s+|\s*&\s*", label or ""):
                    if part:
                        parts.setdefault(_topic_key(part), set()).add(slug)
        self._map = dict(exact)
        for key, slugs in parts.items():
            if len(slugs) == 1 and key not in self._map:
                self._map[key] = next(iter(slugs))

    @classmethod
    def from_frame(cls, df: Any) -> TopicLookup:
        """From a store's ``topics()`` frame."""
        return cls(zip(df["slug"], df["label_de"].fillna(""), df["label_en"].fillna(""), strict=True))

    def get(self, text: str) -> str | None:
        """The slug a text means, or None."""
        return self._map.get(_topic_key(text))


def _topic_key(text: str) -> str:
    return re.sub(r"[\s,.()]+", " ", fold(text)).strip()


@dataclass(frozen=True, slots=True)
class Reject:
    """One problem with one row: what the rejects file holds."""

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
    #: matches a person should check: fuzzy and partial-name matches.
    review: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one problem."""
        return len({r.row for r in self.rejects})

    def summary(self) -> dict[str, Any]:
        """The report's numbers and lists as plain data."""
        return {
            "file": self.path,
            "rows_read": self.rows_read,
            "matched_exact": self.matched_exact,
            "matched_fuzzy": self.matched_fuzzy,
            "ambiguous": self.ambiguous,
            "unmatched": self.unmatched,
            "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected,
            "records": len(self.records),
            "duplicate_records": self.duplicate_records,
            "rejected": [asdict(r) for r in self.rejects],
            "review": list(self.review),
            "columns": dict(self.columns),
            "ignored_columns": list(self.ignored_columns),
        }

    def write_rejects(self, path: Path) -> None:
        """Write the rejects as CSV (row, column, value, reason), atomically."""
        write_rejects(path, self.rejects)


def write_rejects(path: Path, rejects: Iterable[Reject]) -> None:
    """Write rejects to ``path`` as UTF-8 CSV via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(REJECT_COLUMNS)
            for r in rejects:
                w.writerow([neutralise_cell(v) for v in (r.row, r.column, r.value, r.reason)])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------- reading tables


def _table_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Header and ``(row number, values)`` of a CSV or XLSX file."""
    head = b""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError.single(path, f"cannot read the file: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or head.startswith(b"PK\x03\x04"):
        return _xlsx_rows(path)
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError.single(
            path, "old Excel .xls files are not supported; save the sheet as .xlsx or CSV"
        )
    if head.startswith(b"%PDF"):
        raise InputError.single(path, "this is a PDF, not a CSV or XLSX table")
    rows = list(csv_rows(path, []))
    if not rows:
        # csv_rows raised for a truly empty file; here only the header is present
        return _csv_header(path), iter(())
    header = list(rows[0][1].keys())
    return header, ((n, [r[h] for h in header]) for n, r in rows)


def _csv_header(path: Path) -> list[str]:
    from lernnetz.loaders.textio import read_text

    first = read_text(path).split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise InputError.single(path, f"not a readable XLSX workbook (truncated or damaged?): {exc}") from exc
    try:
        ws = wb.worksheets[0]
        all_rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    except Exception as exc:
        raise InputError.single(path, f"not a readable XLSX workbook (truncated or damaged?): {exc}") from exc
    finally:
        wb.close()
    if not any(any(_cell(v) for v in r) for _, r in all_rows):
        raise InputError.single(path, "the workbook's first sheet is empty")
    for idx, (_n, values) in enumerate(all_rows[:10]):
        names = [_cell(v) for v in values]
        if sum(1 for h in names if _header_key(h) in _ALIAS_TO_FIELD) >= 2:
            body = [(n, v) for n, v in all_rows[idx + 1 :] if any(_cell(x) for x in v)]
            width = len(names)
            return names, ((n, (list(v) + [None] * width)[:width]) for n, v in body)
    raise InputError.single(
        path,
        "no header row found in the first 10 rows (expected e.g. " + ",".join(CANONICAL_HEADER) + ")",
        row=1,
    )


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _map_columns(path: Path, header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    index: dict[str, int] = {}
    used: dict[str, str] = {}
    ignored: list[str] = []
    for i, h in enumerate(header):
        f = _ALIAS_TO_FIELD.get(_header_key(h))
        if f is None:
            if h:
                ignored.append(h)
            continue
        if f in index:
            raise InputError.single(
                path, f"columns {used[f]!r} and {h!r} both mean {f!r}; keep one", row=1, column=h
            )
        index[f], used[f] = i, h
    if "municipality" not in index and "ags" not in index:
        raise InputError.single(
            path,
            "no municipality column (municipality, gemeinde, kommune, name or ags); found: "
            + ", ".join(header),
            row=1,
            column="municipality",
        )
    if "topics" not in index and "event" not in index:
        raise InputError.single(
            path,
            "no topics or event column (topics, themen, event, veranstaltung); found: " + ", ".join(header),
            row=1,
            column="topics",
        )
    return index, used, ignored


# ---------------------------------------------------------------------------- values


def parse_date(text: str) -> str | None:
    """ISO date from ``2024-05-07``, ``07.05.2024``, ``7.5.24`` (or None when invalid)."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", t)
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


def _split_topics(cell: str, topics: TopicLookup) -> tuple[list[str], list[str]]:
    """Slugs and unknown tokens of a topics cell."""
    found: list[str] = []
    unknown: list[str] = []
    for token in (t.strip() for t in _TOPIC_SPLIT.split(cell)):
        if not token:
            continue
        slug = topics.get(token)
        if slug is not None:
            found.append(slug)
            continue
        parts = [p.strip() for p in token.split(",") if p.strip()]
        slugs = [topics.get(p) for p in parts]
        if len(parts) > 1 and all(slugs):
            found.extend(s for s in slugs if s)
        else:
            unknown.append(token)
    return list(dict.fromkeys(found)), unknown


def read_participation(
    path: Path,
    resolver: NameResolver,
    *,
    topics: TopicLookup,
    events: Mapping[str, str],
    default_source: str | None = None,
    default_date: str | None = None,
) -> ParticipationImport:
    """Read and resolve a participation file; see the module docstring.

    ``events`` maps each known event id to its start date (may be empty).
    """
    path = Path(path)
    header, rows = _table_rows(path)
    index, used, ignored = _map_columns(path, header)
    out = ParticipationImport(path=str(path), columns=used, ignored_columns=ignored)
    source_default = (default_source or path.name).strip()
    events_by_key = {k.lower(): k for k in events}
    if default_date is not None and parse_date(default_date) is None:
        raise InputError.single(path, "the default date is not a valid date", value=default_date)
    date_default = parse_date(default_date) if default_date else None

    def get(values: list[Any], f: str) -> str:
        i = index.get(f)
        return _cell(values[i]) if i is not None and i < len(values) else ""

    records: list[ParticipationRecord] = []
    for row, values in rows:
        out.rows_read += 1
        problems: list[Reject] = []
        name, ags_cell = get(values, "municipality"), get(values, "ags")
        land, kreis = get(values, "land"), get(values, "kreis")

        # municipality
        ags: str | None = None
        if ags_cell:
            key = ags_cell.replace(" ", "")
            if key.isdigit() and len(key) == 7:
                key = "0" + key
            res = resolver.resolve(key)
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
        if res.status == "exact":
            out.matched_exact += 1
        elif res.status == "fuzzy":
            out.matched_fuzzy += 1
        elif res.status == "ambiguous":
            out.ambiguous += 1
        else:
            out.unmatched += 1
        review: dict[str, Any] | None = None
        if res.matched:
            ags = res.ags
            if res.method not in {"ags", "name", "name+hint"}:
                review = {"row": row, "value": val, "ags": res.ags, "name": res.name, "method": res.method,
                          "score": round(res.score, 1)}  # fmt: skip
        else:
            problems.append(Reject(row, col, val, f"{res.status}: {res.reason}"))

        # event
        event_id: str | None = None
        event_cell = get(values, "event")
        if event_cell:
            event_id = events_by_key.get(event_cell.lower())
            if event_id is None:
                problems.append(
                    Reject(row, used["event"], event_cell, "unknown event id (not in data/events.csv)")
                )

        # topics
        slugs: list[str] = []
        topics_cell = get(values, "topics")
        if topics_cell:
            slugs, unknown = _split_topics(topics_cell, topics)
            for u in unknown:
                problems.append(
                    Reject(row, used["topics"], u, "unknown topic (give a slug or label of topics.csv)")
                )
        if not slugs and not unknown and not event_cell:  # also a cell of bare separators (";")
            problems.append(Reject(row, used.get("topics", used.get("event", "topics")), topics_cell,
                                   "the row names neither a topic nor an event"))  # fmt: skip

        # kind
        kind_cell = get(values, "kind")
        if kind_cell:
            kind = KIND_ALIASES.get(_header_key(kind_cell)) or KIND_ALIASES.get(kind_cell.strip().lower())
            if kind is None:
                problems.append(
                    Reject(row, used["kind"], kind_cell, f"unknown kind; use one of {', '.join(KINDS)}")
                )
                kind = ""
        else:
            kind = "attended" if event_cell else "survey"

        # date
        date_cell = get(values, "date")
        date: str | None
        if date_cell:
            date = parse_date(date_cell)
            if date is None:
                problems.append(
                    Reject(row, used["date"], date_cell, "not a date (use 2024-05-07 or 07.05.2024)")
                )
        else:
            date = (events.get(event_id) or None) if event_id else None
            date = date or date_default
            if date is None and not (event_cell and event_id is None):
                problems.append(Reject(row, used.get("date", "date"), "",
                                       "no date (add a date column or give a default date)"))  # fmt: skip

        # source, weight
        source = get(values, "source") or source_default
        weight = 1.0
        weight_cell = get(values, "weight")
        if weight_cell:
            try:
                weight = float(weight_cell.replace(",", "."))
                if not 0.0 <= weight <= 10.0:
                    raise ValueError
            except ValueError:
                problems.append(
                    Reject(row, used["weight"], weight_cell, "weight must be a number in [0, 10]")
                )

        if problems:
            out.rejects.extend(problems)
            continue
        assert ags is not None and date is not None
        out.rows_imported += 1
        if review is not None:
            out.review.append(review)
        if slugs:
            for slug in slugs:
                records.append(
                    ParticipationRecord(ags, kind, date, source, topic=slug, event_id=event_id, weight=weight)
                )
        else:
            records.append(
                ParticipationRecord(ags, kind, date, source, topic=None, event_id=event_id, weight=weight)
            )

    if out.rows_read == 0:
        raise InputError.single(path, "the file has a header but no data rows", row=1)
    unique = list(dict.fromkeys(records))
    out.duplicate_records = len(records) - len(unique)
    out.records = unique
    return out
