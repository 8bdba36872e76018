"""A registration list written the way people write it, built from the real register.

:func:`build_list` takes a deterministic sample of the register's Gemeinden, Kreise and
Gemeindeverbände and writes each name in the forms real lists use: the designation as a
prefix ("Stadt Laichingen"), after a comma ("Laichingen, Stadt") and in parentheses
("Laichingen (Stadt)", "ILLERTISSEN (STADT)"), upper and lower case, umlauts written out
(ä → ae, ß → ss), with and without a Land hint; Kreise as "Landkreis X" / "Kreis X";
Verbände as "Amt X", "VG X", "Verbandsgemeinde X", "Samtgemeinde X"; plus every name the
register holds more than once (ambiguous without a hint) and one-letter typos of long
names. Each row knows the key it must resolve to (or that it may only be flagged).

:func:`evaluate` resolves every row and counts ok / review / ambiguous / unmatched and the
**wrong matches**: a row resolved to a key other than its own. A wrong match is worse than
a miss; the acceptance test demands zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from lernnetz.loaders.names import NameResolver
from lernnetz.loaders.records import LAENDER, Register

_DESIGNATIONS = {"Stadt", "Gemeinde", "Markt", "Flecken", "GKSt", "Große Kreisstadt", "Hansestadt"}
_VERBAND_PREFIX = {"01": "Amt", "13": "Amt", "12": "Amt", "07": "Verbandsgemeinde", "15": "Verbandsgemeinde",
                   "03": "Samtgemeinde", "09": "VG", "14": "VG", "16": "VG", "08": "Gemeindeverwaltungsverband"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Row:
    """One list row: what was written, the hint, the key it means, and the form used."""

    text: str
    land: str
    expected: str
    form: str


def _spelled_out(text: str) -> str:
    return (text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("Ä", "Ae")
            .replace("Ö", "Oe").replace("Ü", "Ue").replace("ß", "ss"))  # fmt: skip


def _designation(register_name: str) -> str:
    rest = register_name.split(",", 1)[1].strip() if "," in register_name else ""
    return {"St": "Stadt", "M": "Markt", "GKSt": "Große Kreisstadt"}.get(rest, rest)


def build_list(register: Register, step: int = 23) -> list[Row]:
    """The list (see the module docstring); every ``step``-th Gemeinde is sampled."""
    munis = [m for m in register.municipalities if not m.is_unincorporated]
    base_count = Counter(m.name.split(",")[0].strip().casefold() for m in munis)
    rows: list[Row] = []
    for i, m in enumerate(munis):
        base = m.name.split(",")[0].strip()
        short = LAENDER[m.state_code][0]
        if base_count[base.casefold()] > 1:
            rows.append(Row(base, "", m.ags, "namesake"))  # may only be flagged, or resolved by spelling
            rows.append(Row(base, short, m.ags, "namesake+land"))
            desig = _designation(m.name)
            if desig in _DESIGNATIONS and desig != "Gemeinde":  # the designation may tell namesakes apart
                rows.append(Row(f"{base} ({desig})", "", m.ags, "namesake+designation"))
                rows.append(Row(f"{desig.upper()} {base.upper()}", "", m.ags, "namesake+designation"))
            continue
        if i % step:
            continue
        desig = _designation(m.name)
        land = short if i % 2 else ""
        forms = [(base, "plain"), (base.upper(), "upper"), (base.lower(), "lower")]
        if desig in _DESIGNATIONS:
            forms += [(f"{base} ({desig})", "paren"), (f"{base.upper()} ({desig.upper()})", "PAREN"),
                      (f"{desig} {base}", "prefix"), (f"{base}, {desig}", "comma")]  # fmt: skip
        else:
            forms += [(f"{base} (Gemeinde)", "paren"), (f"Gemeinde {base}", "prefix")]
        if _spelled_out(base) != base:
            forms.append((_spelled_out(base), "spelled-out"))
        if len(base) >= 12 and " " not in base and "-" not in base:
            forms.append((base[:5] + base[6:], "typo"))
        rows.extend(Row(text, land, m.ags, form) for text, form in forms)
    for d in register.districts:
        if d.type in {"Landkreis", "Kreis"}:
            base = d.name.split(",")[0].strip()
            rows.append(Row(f"Landkreis {base}", "", d.key, "kreis"))
            rows.append(Row(f"Kreis {base}", LAENDER[d.state_code][0], d.key, "kreis+land"))
    members: dict[str, int] = defaultdict(int)
    for m in register.municipalities:
        members[m.association_key] += 1
    for j, a in enumerate(register.associations):
        prefix = _VERBAND_PREFIX.get(a.key[:2])
        if prefix and members.get(a.key, 0) >= 2 and j % 3 == 0:
            name = a.name.split(",")[0].replace(" (VGem)", "").strip()
            text = a.name if a.key[:2] == "08" and j % 2 else f"{prefix} {name.removeprefix('GVV ')}"
            rows.append(Row(text, LAENDER[a.key[:2]][0], a.key, "verband"))
    return rows


def evaluate(resolver: NameResolver, rows: list[Row]) -> dict[str, Any]:
    """Resolve every row: counts by status, the wrong matches, and counts by form."""
    counts: Counter[str] = Counter()
    by_form: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: list[tuple[Row, str | None, str]] = []
    for row in rows:
        res = resolver.resolve(row.text, land=row.land)
        counts[res.review_status] += 1
        by_form[row.form][res.review_status] += 1
        if res.matched and res.ags != row.expected:
            wrong.append((row, res.ags, res.method))
    return {"counts": dict(counts), "wrong": wrong, "by_form": {k: dict(v) for k, v in by_form.items()}}
