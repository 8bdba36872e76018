"""Read and validate the curated programme files in ``data/``.

Files (schemas in ``data/README.md``): ``projects.csv``, ``project_members.csv``,
``topics.csv``, ``project_topics.csv``, ``events.csv``, ``event_topics.csv``,
``relations.csv``, the other-programme layer ``programmes.csv`` and
``programme_participation.csv`` (see :mod:`lernnetz.loaders.other_programmes`) and,
optionally, ``key_changes.csv`` (AGS changes through mergers).

Validation (all problems are collected, then one :class:`InputError` is raised, so a
load stops before anything is written): ids unique; every AGS, Kreis and
Gemeindeverband key exists in the loaded register (a key that changed through a
merger is reported with its successor); every topic slug exists; every date is a
valid ISO date; no project without territory; no member listed twice; a project
status is active, ended or left, its end date a valid date, and both name their source;
values are plausible (:mod:`lernnetz.loaders.plausible`: safe ids, name lengths, event
kinds, years and participant counts in range).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lernnetz.loaders import plausible as pl
from lernnetz.loaders.errors import InputError, Problem
from lernnetz.loaders.other_programmes import read_other_programmes
from lernnetz.loaders.records import (
    EventRecord,
    EventTopicRecord,
    MemberRecord,
    Programme,
    ProjectRecord,
    ProjectTopicRecord,
    Register,
    RelationRecord,
    TopicRecord,
)
from lernnetz.loaders.textio import csv_rows

FILES = {
    "projects": ["id", "name", "label", "round", "category", "type", "states", "lead_key", "phase",
                 "profile_url", "source", "confidence", "note", "status", "end_date", "status_source"],
    "project_members": ["project_id", "key", "level", "name", "role", "source", "confidence", "note"],
    "topics": ["slug", "label_de", "label_en", "family", "parent", "source", "confidence"],
    "project_topics": ["project_id", "topic", "source", "confidence", "note"],
    "events": ["id", "kind", "number", "date_start", "date_end", "host_projects", "place_key", "format",
               "title", "participants", "source", "confidence", "note"],
    "event_topics": ["event_id", "topic", "source", "confidence"],
    "relations": ["type", "from_kind", "from_key", "to_kind", "to_key", "source", "confidence", "note"],
}  # fmt: skip
CATEGORIES = {"GS", "MS", "KL", "IK"}
ROUNDS = {2019, 2020, 2021}
LEVELS = {"gemeinde": 8, "kreis": 5, "verband": 9}
ROLES = {"lead", "member"}
CONFIDENCE = {"S", "G", "U"}
FORMATS = {"", "virtual", "in_person", "hybrid"}
STATUSES = {"", "active", "ended", "left"}
TIE_TYPES = {"ROLE_MODEL_FOR", "EXCHANGES_WITH", "CO_DEVELOPS_WITH", "TRANSFERS_TO"}


class _Checker:
    """Collects problems while rows are turned into records."""

    def __init__(self, register: Register, key_changes: dict[str, tuple[str, str]]) -> None:
        self.problems: list[Problem] = []
        self.ags = {m.ags for m in register.municipalities}
        self.kreise = {d.key for d in register.districts}
        self.verbaende = {a.key for a in register.associations}
        self.key_changes = key_changes

    def bad(self, file: Path, row: int, column: str, value: str, message: str) -> None:
        self.problems.append(Problem(str(file), message, row, column, value))

    def plausible(self, file: Path, row: int, column: str, value: str, message: str | None) -> None:
        """Record ``message`` of a :mod:`~lernnetz.loaders.plausible` check (``None``: fine)."""
        if message is not None:
            self.bad(file, row, column, value, message)

    def key(self, file: Path, row: int, column: str, value: str, level: str) -> bool:
        known = {"gemeinde": self.ags, "kreis": self.kreise, "verband": self.verbaende}[level]
        if len(value) != LEVELS[level] or not value.isdigit():
            self.bad(file, row, column, value, f"a {level} key has {LEVELS[level]} digits")
            return False
        if value in known:
            return True
        change = self.key_changes.get(value)
        if change:
            self.bad(file, row, column, value,
                     f"{level} key not in the register's Gebietsstand; it changed through a merger: "
                     f"{change[0]} ({change[1]})")  # fmt: skip
        else:
            self.bad(file, row, column, value, f"unknown {level} key: not in the loaded register")
        return False

    def date(
        self,
        file: Path,
        row: int,
        column: str,
        value: str,
        *,
        required: bool,
        years: tuple[int, int] | None = None,
    ) -> str:
        if not value:
            if required:
                self.bad(file, row, column, value, "a date is required (YYYY-MM-DD)")
            return ""
        problem = pl.check_iso_date(value, years)
        if problem is not None:
            self.bad(file, row, column, value, problem)
            return ""
        return dt.date.fromisoformat(value).isoformat()

    def choice(self, file: Path, row: int, column: str, value: str, allowed: set[str]) -> None:
        if value not in allowed:
            self.bad(
                file,
                row,
                column,
                value,
                f"must be one of {', '.join(sorted(a or '(empty)' for a in allowed))}",
            )

    def integer(
        self, file: Path, row: int, column: str, value: str, *, bounds: tuple[int, int] | None = None
    ) -> int | None:
        if not value:
            return None
        number = pl.parse_whole(value)
        if number is None:
            self.bad(file, row, column, value, "expected a whole number")
            return None
        if bounds is not None and (problem := pl.check_range(number, *bounds, column)) is not None:
            self.bad(file, row, column, value, problem)
            return None
        return number


def _read_key_changes(folder: Path) -> dict[str, tuple[str, str]]:
    path = folder / "key_changes.csv"
    if not path.exists():
        return {}
    out: dict[str, tuple[str, str]] = {}
    for _, r in csv_rows(path, ["old_key", "new_key", "date"]):
        out[r["old_key"].strip()] = (r["new_key"].strip(), f"successor since {r['date'].strip()}")
        out[r["new_key"].strip()] = (r["old_key"].strip(), f"new key since {r['date'].strip()}; predecessor")
    return out


#: The key level of a tie end that is a place (``relations.csv`` ``from_kind``/``to_kind``).
_TIE_END_LEVEL = {"municipality": "gemeinde", "district": "kreis", "association": "verband"}


def read_programme(folder: str | Path, register: Register) -> Programme:
    """Read and validate all programme files in ``folder`` against the register."""
    base = Path(folder)
    missing = [f"{name}.csv" for name in FILES if not (base / f"{name}.csv").exists()]
    if missing:
        raise InputError.single(base, f"missing programme file(s): {', '.join(missing)}")
    c = _Checker(register, _read_key_changes(base))
    table = {
        name: [
            (n, {k: (v or "").strip() for k, v in r.items()}) for n, r in csv_rows(base / f"{name}.csv", cols)
        ]
        for name, cols in FILES.items()
    }
    for name, found in table.items():
        for n, r in found:  # every row names its confidence (S/G/U, as in the facts file)
            c.choice(base / f"{name}.csv", n, "confidence", r["confidence"], CONFIDENCE)

    # ---- topics
    f = base / "topics.csv"
    topics: list[TopicRecord] = []
    for _, r in table["topics"]:
        topics.append(TopicRecord(r["slug"], r["label_de"], r["label_en"], r["family"], r["parent"],
                                  r["source"], r["confidence"]))  # fmt: skip
    _unique(c, f, [(n, r["slug"]) for n, r in table["topics"]], "slug")
    for n, r in table["topics"]:
        c.plausible(f, n, "slug", r["slug"], pl.check_safe_id(r["slug"], "slug"))
        for column in ("label_de", "label_en"):
            c.plausible(f, n, column, r[column], pl.check_name(r[column], column))
    slugs = {t.slug for t in topics}
    for n, r in table["topics"]:
        if r["parent"] and r["parent"] not in slugs:
            c.bad(f, n, "parent", r["parent"], "unknown parent topic slug")

    # ---- projects
    f = base / "projects.csv"
    projects: list[ProjectRecord] = []
    for n, r in table["projects"]:
        rnd = c.integer(f, n, "round", r["round"])
        if rnd not in ROUNDS:
            c.bad(f, n, "round", r["round"], "round must be 2019, 2020 or 2021")
        c.choice(f, n, "category", r["category"], CATEGORIES)
        level = {8: "gemeinde", 5: "kreis", 9: "verband"}.get(len(r["lead_key"]))
        if level is None:
            c.bad(
                f,
                n,
                "lead_key",
                r["lead_key"],
                "expected an 8-digit AGS, 5-digit Kreis or 9-digit Verband key",
            )
        else:
            c.key(f, n, "lead_key", r["lead_key"], level)
        states = tuple(s.strip() for s in r["states"].split(";") if s.strip())
        c.choice(f, n, "status", r["status"], STATUSES)
        end = c.date(f, n, "end_date", r["end_date"], required=False)
        if end and r["status"] not in {"ended", "left"}:
            c.bad(f, n, "end_date", r["end_date"], "an end date needs status ended or left")
        if (r["status"] or r["end_date"]) and not r["status_source"]:
            c.bad(f, n, "status_source", "", "a status or end date needs its source")
        projects.append(ProjectRecord(r["id"], r["name"], r["label"], rnd or 0, r["category"], r["type"], states,
                                      r["lead_key"], r["phase"], r["profile_url"], r["source"], r["confidence"],
                                      r["note"], r["status"], end, r["status_source"]))  # fmt: skip
    _unique(c, f, [(n, r["id"]) for n, r in table["projects"]], "id")
    for n, r in table["projects"]:
        c.plausible(f, n, "id", r["id"], pl.check_safe_id(r["id"]))
        for column in ("name", "label"):
            c.plausible(f, n, column, r[column], pl.check_name(r[column], column))
    project_ids = {p.id for p in projects}

    # ---- members
    f = base / "project_members.csv"
    members: list[MemberRecord] = []
    seen: dict[tuple[str, str], int] = {}
    for n, r in table["project_members"]:
        if r["project_id"] not in project_ids:
            c.bad(f, n, "project_id", r["project_id"], "unknown project id")
        if r["level"] not in LEVELS:
            c.choice(f, n, "level", r["level"], set(LEVELS))
        else:
            c.key(f, n, "key", r["key"], r["level"])
        c.choice(f, n, "role", r["role"], ROLES)
        ident = (r["project_id"], r["key"])
        if ident in seen:
            c.bad(
                f,
                n,
                "key",
                r["key"],
                f"member listed twice for project {r['project_id']} (first in row {seen[ident]})",
            )
        seen.setdefault(ident, n)
        members.append(MemberRecord(r["project_id"], r["key"], r["level"], r["name"], r["role"], r["source"],
                                    r["confidence"], r["note"]))  # fmt: skip
    with_members = {m.project_id for m in members}
    for n, r in table["projects"]:
        if r["id"] not in with_members:
            c.bad(base / "projects.csv", n, "id", r["id"], "project has no member (no territory)")

    # ---- project topics
    f = base / "project_topics.csv"
    _topic_links(c, f, table["project_topics"], "project_id", project_ids, "project id", slugs)
    project_topics = [
        ProjectTopicRecord(r["project_id"], r["topic"], r["source"], r["confidence"], r["note"])
        for _, r in table["project_topics"]
    ]
    _unique(c, f, [(n, f"{r['project_id']}/{r['topic']}") for n, r in table["project_topics"]], "topic")

    # ---- events
    f = base / "events.csv"
    events: list[EventRecord] = []
    for n, r in table["events"]:
        start = c.date(f, n, "date_start", r["date_start"], required=False, years=pl.EVENT_YEARS)
        end = c.date(f, n, "date_end", r["date_end"], required=False, years=pl.EVENT_YEARS)
        c.plausible(f, n, "id", r["id"], pl.check_safe_id(r["id"]))
        c.plausible(f, n, "kind", r["kind"], pl.check_event_kind(r["kind"]))
        c.plausible(f, n, "title", r["title"], pl.check_name(r["title"], "title"))
        if start and end and end < start:
            c.bad(f, n, "date_end", r["date_end"], "ends before it starts")
        hosts = tuple(h.strip() for h in r["host_projects"].split(";") if h.strip())
        for h in hosts:
            if h not in project_ids:
                c.bad(f, n, "host_projects", h, "unknown project id")
        if r["place_key"]:
            c.key(f, n, "place_key", r["place_key"], "gemeinde")
        c.choice(f, n, "format", r["format"], FORMATS)
        number = c.integer(f, n, "number", r["number"], bounds=(0, pl.EVENT_NUMBER_MAX))
        participants = c.integer(f, n, "participants", r["participants"], bounds=(0, pl.PARTICIPANTS_MAX))
        events.append(EventRecord(r["id"], r["kind"], number, start, end, hosts,
                                  r["place_key"], r["format"], r["title"],
                                  participants, r["source"],
                                  r["confidence"], r["note"]))  # fmt: skip
    _unique(c, f, [(n, r["id"]) for n, r in table["events"]], "id")
    event_ids = {e.id for e in events}

    f = base / "event_topics.csv"
    _topic_links(c, f, table["event_topics"], "event_id", event_ids, "event id", slugs)
    event_topics = [
        EventTopicRecord(r["event_id"], r["topic"], r["source"], r["confidence"])
        for _, r in table["event_topics"]
    ]
    _unique(c, f, [(n, f"{r['event_id']}/{r['topic']}") for n, r in table["event_topics"]], "topic")

    # ---- relations
    f = base / "relations.csv"
    relations: list[RelationRecord] = []
    for n, r in table["relations"]:
        c.choice(f, n, "type", r["type"], TIE_TYPES)
        for side in ("from", "to"):
            kind, key = r[f"{side}_kind"], r[f"{side}_key"]
            if kind == "project":
                if key not in project_ids:
                    c.bad(f, n, f"{side}_key", key, "unknown project id")
            elif kind in _TIE_END_LEVEL:  # a Gemeinde, Kreis or Verband: its key at that level
                c.key(f, n, f"{side}_key", key, _TIE_END_LEVEL[kind])
            else:
                c.bad(f, n, f"{side}_kind", kind, "must be project, municipality, district or association")
        relations.append(RelationRecord(r["type"], r["from_kind"], r["from_key"], r["to_kind"], r["to_key"],
                                        r["source"], r["confidence"], r["note"]))  # fmt: skip

    # ---- other programmes and who takes part in them
    others, taking_part = read_other_programmes(base, c, slugs, set(LEVELS), CONFIDENCE)

    if c.problems:
        raise InputError(c.problems)
    return Programme(
        projects, members, topics, project_topics, events, event_topics, relations, source=str(base),
        other_programmes=others, programme_participation=taking_part,
    )  # fmt: skip


def _unique(c: _Checker, file: Path, values: list[tuple[int, str]], column: str) -> None:
    first: dict[str, int] = {}
    for n, v in values:
        if v in first:
            c.bad(file, n, column, v, f"duplicate (first in row {first[v]})")
        first.setdefault(v, n)


def _topic_links(
    c: _Checker,
    file: Path,
    rows: list[tuple[int, dict[str, str]]],
    id_column: str,
    ids: set[str],
    what: str,
    slugs: set[str],
) -> None:
    """Check the rows that link a project or event (``id_column`` in ``ids``) to a topic slug."""
    for n, r in rows:
        if r[id_column] not in ids:
            c.bad(file, n, id_column, r[id_column], f"unknown {what}")
        if r["topic"] not in slugs:
            c.bad(file, n, "topic", r["topic"], "unknown topic slug")
