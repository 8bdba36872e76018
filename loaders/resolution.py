"""The resolution file (what each input row resolved to) and the manual name mapping.

**Resolution file**: every import and dry run can write one row per input row (CSV or XLSX,
by the file's suffix), columns :data:`RESOLUTION_COLUMNS`: the row number, the input value
and its hints, the AGS (or Kreis/Verband key) chosen or none, the register's name, the
level, the method (``exact``, ``folded``, ``hint``, ``fuzzy``, ``manual``), the score and
the status (``ok``, ``review``, ``ambiguous``, ``unmatched``) with the reason. Every cell is
neutralised against spreadsheet formulas.

**Manual mapping**: an analyst corrects the ``ags`` column of that file (or writes a file
``name,land,ags`` by hand: aliases Gemeinde/Kommune/input, Bundesland, Kreis) and hands it
back with ``--mapping``; rows with an empty ``ags`` are skipped. An input whose name (case
and umlauts folded, designations dropped), Land and Kreis match a mapping row resolves to
that AGS **before any other step**, with method ``manual`` and the mapping's provenance
(file and row). The file is validated as a whole: an AGS (or Kreis/Verband key) the register
does not hold, or two rows mapping the same name and Land to different keys, is an
:class:`~lernnetz.loaders.errors.InputError` naming file, row, column and value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from pathlib import Path

from lernnetz.loaders.errors import InputError, Problem
from lernnetz.loaders.namefold import Resolution, base_name, land_key
from lernnetz.loaders.tables import header_key, read_table
from lernnetz.loaders.textio import neutralise_cell, write_bytes_atomic, write_csv_atomic

RESOLUTION_COLUMNS = (
    "row", "column", "input", "land", "kreis", "ags", "name", "level", "method", "score", "status", "reason",
)  # fmt: skip
MAPPING_COLUMNS = ("name", "land", "kreis", "ags", "source")
_MAPPING_ALIASES = {
    "name": ("name", "input", "municipality", "gemeinde", "kommune", "gemeindename", "from", "to"),
    "land": ("land", "bundesland", "state"),
    "kreis": ("kreis", "landkreis", "district"),
    "ags": ("ags", "ags8", "key", "schlussel", "gemeindeschlussel"),
}
_ALIAS = {header_key(a): f for f, aliases in _MAPPING_ALIASES.items() for a in aliases}


@dataclass(frozen=True, slots=True)
class ResolutionRow:
    """One input row of the resolution file."""

    row: int
    column: str
    input: str
    land: str
    kreis: str
    ags: str
    name: str
    level: str
    method: str
    score: float
    status: str
    reason: str

    @classmethod
    def of(cls, row: int, column: str, value: str, land: str, kreis: str, res: Resolution) -> ResolutionRow:
        """The row for one resolution."""
        return cls(row, column, value, land, kreis, res.ags or "", res.name, res.level if res.ags else "",
                   res.method_kind, round(res.score, 1), res.review_status, res.reason)  # fmt: skip


def write_resolution(path: Path, rows: Iterable[ResolutionRow]) -> Path:
    """Write the resolution file, CSV or XLSX by ``path``'s suffix, atomically and neutralised."""
    path = Path(path)
    data = [[neutralise_cell(v) for v in astuple(r)] for r in rows]
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("resolution")
        ws.append(list(RESOLUTION_COLUMNS))
        for r in data:
            ws.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        return write_bytes_atomic(path, buf.getvalue())
    return write_csv_atomic(path, RESOLUTION_COLUMNS, data, cell=lambda v: v)  # neutralised above


def mapping_key(name: str, land: str = "", kreis: str = "") -> tuple[str, str, str]:
    """The key a mapping row and an input row are compared by."""
    lk = land_key(land) if land.strip() else None
    return (base_name(name), lk or base_name(land), base_name(kreis))


@dataclass(frozen=True, slots=True)
class Mapping:
    """One manual mapping: the key, the AGS (or Kreis/Verband key) and where it was said."""

    name: str
    land: str
    kreis: str
    ags: str
    source: str


class NameMapping:
    """Manual mappings by :func:`mapping_key` (see the module docstring)."""

    def __init__(self, mappings: Iterable[Mapping] = ()) -> None:
        self.entries: dict[tuple[str, str, str], Mapping] = {}
        for m in mappings:
            self.entries[mapping_key(m.name, m.land, m.kreis)] = m

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, name: str, land: str = "", kreis: str = "") -> Mapping | None:
        """The mapping for an input row, or None."""
        return self.entries.get(mapping_key(name, land, kreis))

    def resolution(
        self, name: str, land: str, kreis: str, names: dict[str, tuple[str, str]]
    ) -> Resolution | None:
        """The input's manual resolution (``names``: key → (register name, level)), or None."""
        m = self.get(name, land, kreis)
        if m is None:
            return None
        reg_name, level = names[m.ags]
        return Resolution("exact", ags=m.ags, name=reg_name, method="manual", score=100.0,
                          reason=f"manual mapping ({m.source})", level=level)  # fmt: skip

    def merged(self, other: NameMapping, path: Path) -> NameMapping:
        """This mapping with ``other``'s rows added; a different key for the same input is an error."""
        problems = [
            Problem(str(path), f"{m.name!r} ({m.land or 'no Land'}) is already mapped to {self.entries[k].ags} "
                    f"({self.entries[k].source}); remove one of the two", column="ags", value=m.ags)
            for k, m in other.entries.items() if k in self.entries and self.entries[k].ags != m.ags
        ]  # fmt: skip
        if problems:
            raise InputError(problems)
        return NameMapping([*self.entries.values(), *other.entries.values()])

    def rows(self) -> list[Mapping]:
        """The mappings in file order of their keys."""
        return [self.entries[k] for k in sorted(self.entries)]


def read_mapping(path: Path, names: dict[str, tuple[str, str]], *, sheet: str | None = None) -> NameMapping:
    """Read and validate a mapping file (or a corrected resolution file) against ``names``
    (every known Gemeinde AGS and Kreis/Verband key)."""
    path = Path(path)
    table = read_table(path, lambda h: header_key(h) in _ALIAS, sheet=sheet)
    index: dict[str, int] = {}
    for i, h in enumerate(table.header):
        f = _ALIAS.get(header_key(h))
        if f is not None and f not in index:
            index[f] = i
    for need in ("name", "ags"):
        if need not in index:
            raise InputError.single(path, f"no {need} column; found: {', '.join(table.header)}", row=table.header_row,
                                    column=need)  # fmt: skip
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], tuple[int, str]] = {}
    out: list[Mapping] = []

    def get(cells: list[str], f: str) -> str:
        return cells[index[f]] if f in index else ""

    for n, cells in table.rows:
        name, ags = get(cells, "name"), get(cells, "ags").replace(" ", "")
        land, kreis = get(cells, "land"), get(cells, "kreis")
        if not ags:
            continue
        col = table.header[index["ags"]]
        if ags.isdigit() and len(ags) == 7:
            ags = "0" + ags
        if not name:
            problems.append(Problem(str(path), "no name for this AGS", n, table.header[index["name"]], ags))
            continue
        if ags not in names:
            problems.append(Problem(str(path), "no Gemeinde (8 digits), Kreis (5) or Verband (9) of the register "
                                    "has this key", n, col, ags))  # fmt: skip
            continue
        key = mapping_key(name, land, kreis)
        if key in seen and seen[key][1] != ags:
            problems.append(Problem(str(path), f"{name!r} is mapped to {seen[key][1]} in row {seen[key][0]} and to "
                                    f"{ags} here; keep one", n, col, ags))  # fmt: skip
            continue
        seen[key] = (n, ags)
        out.append(Mapping(name, land, kreis, ags, f"{path.name} row {n}"))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError.single(path, "the mapping file maps no name (every ags cell is empty)")
    return NameMapping(out)


def write_mapping(path: Path, mapping: NameMapping) -> Path:
    """Write mappings (``name,land,kreis,ags,source``) atomically; call under the write lock
    when ``path`` is in the data directory."""
    return write_csv_atomic(
        path, MAPPING_COLUMNS, ((m.name, m.land, m.kreis, m.ags, m.source) for m in mapping.rows())
    )


def load_saved_mapping(path: Path, names: dict[str, tuple[str, str]]) -> NameMapping:
    """The mappings kept in the data directory (empty when none); keys gone from the register
    are skipped (a later Gebietsstand), never an error for every import."""
    if not path.exists():
        return NameMapping()
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            name = (r.get("name") or "").lstrip("'")
            if r.get("ags") in names and name:
                out.append(
                    Mapping(name, r.get("land") or "", r.get("kreis") or "", r["ags"], r.get("source") or "")
                )
    return NameMapping(out)
