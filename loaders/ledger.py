"""Rows of the participation ledger (``participation_ledger.csv``): record ⇄ CSV row.

The ledger is the truth every ``lernnetz load`` rebuilds participation from, and analysts
open it in spreadsheets. So a text cell that a spreadsheet would run as a formula
(``=HYPERLINK(…)``, ``+cmd``, ``@SUM(…)``, …) is written with a leading apostrophe
(:func:`lernnetz.loaders.textio.neutralise_cell`); a cell that itself starts with an
apostrophe gets one more, so reading strips exactly one and every value comes back as it
was imported (the ledger's identity of a row stays the same; importing twice changes nothing).

A hand-edited ledger with a bad ``weight`` or ``level`` is an :class:`InputError` naming the
ledger file, row, column and value, never a traceback. The ``level`` column (``gemeinde``,
``kreis``, ``verband``: whose participation the row is) came later: a ledger without it, or a
row with it empty, reads as ``gemeinde`` (what every row was before).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, fields
from pathlib import Path

from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import ParticipationRecord
from lernnetz.loaders.textio import FORMULA_PREFIXES, neutralise_cell

LEDGER_FIELDS = [f.name for f in fields(ParticipationRecord)]
#: The columns a ledger must have (older ledgers have no ``level``: every row a Gemeinde's).
REQUIRED_FIELDS = [f for f in LEDGER_FIELDS if f != "level"]
#: The levels a participation row may have.
LEVELS = ("gemeinde", "kreis", "verband")
#: The weights a participation row may carry (as the importer accepts them).
WEIGHT_RANGE = (0.0, 10.0)
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_ESCAPED = ("'", *FORMULA_PREFIXES)


def escape_cell(value: str) -> str:
    """``value`` safe for a spreadsheet and reversible by :func:`unescape_cell`."""
    if value.startswith("'"):
        return "'" + value
    return str(neutralise_cell(value))


def unescape_cell(value: str) -> str:
    """The value :func:`escape_cell` was given."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(_ESCAPED):
        return value[1:]
    return value


def ledger_row(record: ParticipationRecord) -> dict[str, str]:
    """The CSV row of one record (missing values empty, text cells escaped)."""
    out: dict[str, str] = {}
    for k, v in asdict(record).items():
        out[k] = "" if v is None else escape_cell(v) if isinstance(v, str) else str(v)
    return out


def ledger_record(file: Path, row: int, values: dict[str, str]) -> ParticipationRecord:
    """The record of one ledger row; a bad weight is an :class:`InputError` naming the place."""
    text = {k: unescape_cell(values.get(k) or "") for k in LEDGER_FIELDS}
    return ParticipationRecord(
        ags=text["ags"],
        kind=text["kind"],
        date=text["date"],
        source=text["source"],
        topic=text["topic"] or None,
        event_id=text["event_id"] or None,
        weight=_weight(file, row, values.get("weight") or ""),
        level=_level(file, row, text["level"]),
    )


def _level(file: Path, row: int, text: str) -> str:
    level = text.strip() or "gemeinde"
    if level not in LEVELS:
        raise InputError.single(
            file,
            f"the participation ledger holds a bad level: expected one of {', '.join(LEVELS)}; "
            "fix or delete the row (the ledger is a UTF-8 CSV file)",
            row=row,
            column="level",
            value=text,
        )
    return level


def _weight(file: Path, row: int, text: str) -> float:
    if not text.strip():
        return 1.0
    low, high = WEIGHT_RANGE
    weight = float(text) if _DECIMAL.fullmatch(text.strip()) else math.nan
    if not low <= weight <= high:  # NaN fails too
        raise InputError.single(
            file,
            f"the participation ledger holds a bad weight: expected a number in [{low:g}, {high:g}]; "
            "fix or delete the row (the ledger is a UTF-8 CSV file)",
            row=row,
            column="weight",
            value=text,
        )
    return weight
