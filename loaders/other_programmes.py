"""Read and validate ``data/programmes.csv`` and ``data/programme_participation.csv``.

Other programmes (Smarte.Land.Regionen, Digitale Dörfer, open-source communities …) and
the places that take part in them: sourced evidence of activity of non-funded places.
Called by :func:`lernnetz.loaders.programme.read_programme` with its problem collector, so
every problem of every file is reported together and nothing is loaded partially.
Both files are optional as a pair (a folder without them has no programme layer); one
without the other is an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from lernnetz.loaders.errors import Problem
from lernnetz.loaders.records import OtherProgrammeRecord, ProgrammeParticipationRecord
from lernnetz.loaders.textio import csv_rows


class _Checker(Protocol):
    """The problem collector of :mod:`lernnetz.loaders.programme` (its used part)."""

    problems: list[Problem]

    def bad(self, file: Path, row: int, column: str, value: str, message: str) -> None: ...

    def choice(self, file: Path, row: int, column: str, value: str, allowed: set[str]) -> None: ...

    def key(self, file: Path, row: int, column: str, value: str, level: str) -> bool: ...


PROGRAMME_FILES = {
    "programmes": ["id", "name", "operator", "years", "kind", "topics", "source", "confidence", "note"],
    "programme_participation": ["programme_id", "key", "level", "name", "role", "year", "topics",
                                "topic_evidence", "source", "confidence", "note"],
}  # fmt: skip
PROGRAMME_KINDS = {"programme", "open-source-community", "ranking", "peer-learning"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in value.split(";") if v.strip()))


def read_other_programmes(
    base: Path, c: _Checker, slugs: set[str], levels: set[str], confidence: set[str]
) -> tuple[list[OtherProgrammeRecord], list[ProgrammeParticipationRecord]]:
    """Records of both files; problems go to ``c`` (nothing is raised here)."""
    present = {name: (base / f"{name}.csv").exists() for name in PROGRAMME_FILES}
    if not any(present.values()):
        return [], []
    if not all(present.values()):
        missing = next(n for n, ok in present.items() if not ok)
        have = next(n for n, ok in present.items() if ok)
        c.problems.append(
            Problem(str(base / f"{missing}.csv"), f"file missing: {have}.csv needs it beside it")
        )
        return [], []

    f = base / "programmes.csv"
    programmes: list[OtherProgrammeRecord] = []
    first: dict[str, int] = {}
    for n, raw in csv_rows(f, PROGRAMME_FILES["programmes"]):
        r = {k: (v or "").strip() for k, v in raw.items()}
        if not _SLUG.match(r["id"]):
            c.bad(f, n, "id", r["id"], "an id is a lowercase slug of a-z, 0-9 and '-'")
        elif r["id"] in first:
            c.bad(f, n, "id", r["id"], f"duplicate (first in row {first[r['id']]})")
        first.setdefault(r["id"], n)
        if not r["name"]:
            c.bad(f, n, "name", r["name"], "a programme needs a name")
        c.choice(f, n, "kind", r["kind"], PROGRAMME_KINDS)
        c.choice(f, n, "confidence", r["confidence"], confidence)
        if not r["source"]:
            c.bad(f, n, "source", r["source"], "every row names its source")
        topics = _split(r["topics"])
        for t in topics:
            if t not in slugs:
                c.bad(f, n, "topics", t, "unknown topic slug")
        programmes.append(OtherProgrammeRecord(r["id"], r["name"], r["operator"], r["years"], r["kind"], topics,
                                               r["source"], r["confidence"], r["note"]))  # fmt: skip
    ids = {p.id for p in programmes}

    f = base / "programme_participation.csv"
    rows: list[ProgrammeParticipationRecord] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for n, raw in csv_rows(f, PROGRAMME_FILES["programme_participation"]):
        r = {k: (v or "").strip() for k, v in raw.items()}
        if r["programme_id"] not in ids:
            c.bad(f, n, "programme_id", r["programme_id"], "unknown programme id (not in programmes.csv)")
        if r["level"] not in levels:
            c.choice(f, n, "level", r["level"], levels)
        else:
            c.key(f, n, "key", r["key"], r["level"])
        c.choice(f, n, "confidence", r["confidence"], confidence)
        if not r["source"]:
            c.bad(f, n, "source", r["source"], "every row names its source")
        elif r["source"].lower() == "synthetic":
            c.bad(f, n, "source", r["source"], "curated evidence cannot be synthetic")
        topics = _split(r["topics"])
        for t in topics:
            if t not in slugs:
                c.bad(f, n, "topics", t, "unknown topic slug")
        ident = (r["programme_id"], r["key"], r["role"], r["year"])
        if ident in seen:
            c.bad(f, n, "key", r["key"],
                  f"the same participation is listed twice (first in row {seen[ident]})")  # fmt: skip
        seen.setdefault(ident, n)
        rows.append(ProgrammeParticipationRecord(r["programme_id"], r["key"], r["level"], r["name"], r["role"],
                                                 r["year"], topics, r["topic_evidence"], r["source"],
                                                 r["confidence"], r["note"]))  # fmt: skip
    return programmes, rows
