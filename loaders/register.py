"""Parse the Destatis Gemeindeverzeichnis ("Alle politisch selbständigen Gemeinden").

Three forms of the same register give identical :class:`~loaders.records.Register`
records:

* the official XLSX (``3112YYYY_Auszug_GV.xlsx``, sheet ``Onlineprodukt_Gemeinden…``:
  title and header rows, then one row per record with Satzart 10/20/30/40/50/60),
* the CSV export of that sheet (``AuszugGV…csv``: the same columns, UTF-8 with BOM,
  numbers with blanks as thousands separators, coordinates with decimal commas),
* the clean CSV (``gemeinden_gv_YYYY-MM-DD.csv``: one row per Satzart-60 record with
  Land and Kreis names joined in).

``read_register(path)`` picks the parser from the file's content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from lernnetz.loaders import plausible as pl
from lernnetz.loaders.errors import InputError, Problem
from lernnetz.loaders.records import (
    DISTRICT_TYPES,
    GERMANY_BBOX,
    LAENDER,
    MUNICIPALITY_TYPES,
    AssociationRecord,
    DistrictRecord,
    MunicipalityRecord,
    Provenance,
    Register,
    StateRecord,
)
from lernnetz.loaders.register_xlsx import workbook_records
from lernnetz.loaders.textio import csv_rows, read_text

DESTATIS_ATTRIBUTION = (
    "© Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys, "
    "Gebietsstand {stichtag_de} (Daten verändert); "
    "Datenlizenz Deutschland – Namensnennung – Version 2.0 (https://www.govdata.de/dl-de/by-2-0)"
)

CLEAN_COLUMNS = [
    "ags",
    "ars",
    "name",
    "typ_code",
    "land_code",
    "land",
    "kreis_code",
    "kreis",
    "kreis_typ",
    "gemeindeverband_code",
    "gemeindeverband",
    "flaeche_km2",
    "bevoelkerung",
    "maennlich",
    "weiblich",
    "plz",
    "lon",
    "lat",
]
HIERARCHY_COLUMNS = [
    "satzart",
    "textkennzeichen",
    "land",
    "rb",
    "kreis",
    "vb",
    "gemeinde",
    "gemeindename",
    "flaeche",
    "bevoelkerung",
    "maennlich",
    "weiblich",
    "jekm2",
    "postleitzahl",
    "laengengrad",
    "breitengrad",
]
_DISTRICT_TYPE_CODES = {name: code for code, name in DISTRICT_TYPES.items()}


def attribution(stichtag: str) -> str:
    """The dl-de/by-2-0 source note for a register with this Stichtag (ISO date)."""
    y, m, d = [*stichtag.split("-"), "", "", ""][:3]
    stichtag_de = f"{d}.{m}.{y}" if d else stichtag
    return DESTATIS_ATTRIBUTION.format(stichtag_de=stichtag_de)


def stichtag_from_name(name: str) -> str:
    """Guess the Stichtag (ISO date) from an official or derived file name, or ``""``."""
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", name)
    if m:
        return f"{m[1]}-{m[2]}-{m[3]}"
    m = re.search(r"(\d{2})(\d{2})(\d{4})_Auszug_GV", name)
    if m:
        return f"{m[3]}-{m[2]}-{m[1]}"
    return ""


def read_register(path: str | Path, *, stichtag: str = "", sha256: str = "", url: str = "") -> Register:
    """Read the register from any of its three forms, chosen by content."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(p, "no such file")
    if p.is_dir():
        raise InputError.single(p, "this is a folder; give the register file itself")
    with p.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        register = parse_xlsx(p)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError.single(p, "this is an old binary Excel (.xls) file; use the .xlsx edition")
    else:
        text = read_text(p)
        first = text.split("\n", 1)[0]
        if first.startswith("satzart"):
            register = parse_hierarchy_csv(p)
        elif first.startswith("ags"):
            register = parse_clean_csv(p)
        else:
            raise InputError.single(
                p,
                "not a Gemeindeverzeichnis file: expected the official XLSX, its CSV export "
                "(header starting 'satzart') or the clean CSV (header starting 'ags')",
                row=1,
                value=first[:60],
            )
    stichtag = stichtag or register.provenance.stichtag or stichtag_from_name(p.name)
    register.provenance = Provenance(
        source=str(p),
        stichtag=stichtag,
        sha256=sha256,
        url=url,
        attribution=attribution(stichtag) if stichtag else attribution("unbekannt"),
    )
    return register


# --------------------------------------------------------------------------- values


def _number(text: str) -> str:
    return text.replace("\u00a0", "").replace(" ", "").replace(",", ".").strip()


_N = TypeVar("_N", int, float)


class _Row:
    """Field access for one input row that turns bad values into :class:`Problem`."""

    def __init__(self, file: str, row: int, values: dict[str, str], problems: list[Problem]):
        self.file, self.row, self.values, self.problems = file, row, values, problems

    def text(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def bad(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, self.row, column, self.values.get(column)))

    def key(self, column: str, digits: int) -> str:
        value = self.text(column)
        if not value.isdigit() or len(value) > digits:
            self.bad(column, f"expected a key of {digits} digits")
            return "0" * digits
        return value.zfill(digits)

    def integer(self, column: str, *, high: int) -> int:
        """A whole number between 0 and ``high`` (empty: 0)."""
        value = _number(self.text(column))
        if value == "":
            return 0
        number = pl.parse_whole(value.removesuffix(".0"))
        if number is None:
            self.bad(column, "expected a whole number")
            return 0
        return self.within(column, number, high)

    def decimal(self, column: str, *, high: float) -> float:
        """A finite number between 0 and ``high`` (empty: 0)."""
        value = _number(self.text(column))
        if value == "":
            return 0.0
        try:
            number = float(value)
        except ValueError:
            self.bad(column, "expected a number")
            return 0.0
        return self.within(column, number, high)

    def within(self, column: str, number: _N, high: float) -> _N:
        problem = pl.check_range(number, 0, high, column)
        if problem is not None:
            self.bad(column, problem)
            return type(number)(0)
        return number

    def name(self, column: str) -> str:
        value = self.text(column)
        problem = pl.check_name(value, column)
        if problem is not None:
            self.bad(column, problem)
            return value[: pl.NAME_MAX]
        return value

    def coordinates(self, lat_column: str, lon_column: str) -> tuple[float | None, float | None]:
        lat_s, lon_s = _number(self.text(lat_column)), _number(self.text(lon_column))
        if lat_s == "" and lon_s == "":
            return None, None
        try:
            lat, lon = float(lat_s), float(lon_s)
        except ValueError:
            self.bad(lat_column if not _is_float(lat_s) else lon_column, "expected a coordinate")
            return None, None
        if lat == 0.0 and lon == 0.0:
            # The publisher's placeholder for "no point" (the German-Luxembourg condominium).
            return None, None
        lat_min, lat_max, lon_min, lon_max = GERMANY_BBOX
        if not lat_min <= lat <= lat_max:
            self.bad(lat_column, f"latitude outside Germany ({lat_min}–{lat_max})")
        if not lon_min <= lon <= lon_max:
            self.bad(lon_column, f"longitude outside Germany ({lon_min}–{lon_max})")
        return lat, lon


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- assembly


def _finish(
    file: str,
    states: dict[str, StateRecord],
    districts: dict[str, DistrictRecord],
    associations: dict[str, AssociationRecord],
    rows: list[tuple[int, MunicipalityRecord]],
    problems: list[Problem],
    stichtag: str,
) -> Register:
    seen: dict[str, int] = {}
    municipalities: list[MunicipalityRecord] = []
    for row, m in rows:
        if m.ags in seen:
            problems.append(
                Problem(file, f"duplicate AGS (first seen in row {seen[m.ags]})", row, "ags", m.ags)
            )
            continue
        seen[m.ags] = row
        if m.state_code not in LAENDER:
            problems.append(Problem(file, "unknown Land key", row, "land", m.state_code))
        municipalities.append(m)
    if not municipalities and not problems:
        problems.append(Problem(file, "no Gemeinde (Satzart 60) records in the file"))
    if problems:
        raise InputError(problems)
    # Three special areas (…999) carry a Kreis key that exists nowhere: they have no Kreis.
    fixed = [m if m.district_key in districts else _without_district(m) for m in municipalities]
    return Register(
        states=sorted(states.values(), key=lambda s: s.code),
        districts=sorted(districts.values(), key=lambda d: d.key),
        associations=sorted(associations.values(), key=lambda a: a.key),
        municipalities=sorted(fixed, key=lambda m: m.ags),
        provenance=Provenance(source=file, stichtag=stichtag),
    )


#: The columns of a Gemeinde's Textkennzeichen, area, postcode, latitude and longitude in the
#: clean CSV and in the hierarchy (XLSX / CSV export); the population columns have the same
#: names in both (``bevoelkerung``, ``maennlich``, ``weiblich``).
_CLEAN_FIELDS = ("typ_code", "flaeche_km2", "plz", "lat", "lon")
_HIERARCHY_FIELDS = ("textkennzeichen", "flaeche", "postleitzahl", "breitengrad", "laengengrad")


def _gemeinde(
    r: _Row,
    fields: tuple[str, str, str, str, str],
    *,
    ags: str,
    ars: str,
    name: str,
    land: str,
    district_key: str,
    association_key: str,
    association_name: str,
) -> MunicipalityRecord:
    """A Satzart-60 record from the keys and the row's figures (``fields``: see above)."""
    type_column, area, postcode, lat_column, lon_column = fields
    typ = r.text(type_column)
    if typ not in MUNICIPALITY_TYPES:
        r.bad(type_column, "unknown Textkennzeichen")
    lat, lon = r.coordinates(lat_column, lon_column)
    return MunicipalityRecord(
        ags=ags,
        ars=ars,
        name=name,
        type_code=typ,
        type=MUNICIPALITY_TYPES.get(typ, ""),
        state_code=land,
        district_key=district_key,
        association_key=association_key,
        association_name=association_name,
        area_km2=r.decimal(area, high=pl.AREA_MAX_KM2),
        population=r.integer("bevoelkerung", high=pl.POPULATION_MAX),
        population_male=r.integer("maennlich", high=pl.POPULATION_MAX),
        population_female=r.integer("weiblich", high=pl.POPULATION_MAX),
        postcode=r.text(postcode) or None,
        lat=lat,
        lon=lon,
    )


def _without_district(m: MunicipalityRecord) -> MunicipalityRecord:
    from dataclasses import replace

    return replace(m, district_key=None)


def _state(code: str) -> StateRecord:
    short, name = LAENDER[code]
    return StateRecord(code=code, short=short, name=name)


# --------------------------------------------------------------------------- clean CSV


def parse_clean_csv(path: str | Path) -> Register:
    """Parse the clean one-row-per-Gemeinde CSV (``gemeinden_gv_YYYY-MM-DD.csv``)."""
    p = Path(path)
    file = str(p)
    problems: list[Problem] = []
    states: dict[str, StateRecord] = {}
    districts: dict[str, DistrictRecord] = {}
    associations: dict[str, AssociationRecord] = {}
    rows: list[tuple[int, MunicipalityRecord]] = []
    for n, values in csv_rows(p, CLEAN_COLUMNS, delimiter=","):
        r = _Row(file, n, values, problems)
        ags = r.key("ags", 8)
        land = r.key("land_code", 2)
        if land in LAENDER:
            states.setdefault(land, _state(land))
        kreis = r.text("kreis_code").zfill(5)
        if r.text("kreis"):
            kreis_typ = r.text("kreis_typ")
            districts.setdefault(
                kreis,
                DistrictRecord(
                    key=kreis,
                    name=r.name("kreis"),
                    type_code=_DISTRICT_TYPE_CODES.get(kreis_typ, ""),
                    type=kreis_typ,
                    state_code=land,
                ),
            )
        verband = r.key("gemeindeverband_code", 9)
        associations.setdefault(
            verband,
            AssociationRecord(key=verband, name=r.name("gemeindeverband"), district_key=verband[:5]),
        )
        municipality = _gemeinde(
            r,
            _CLEAN_FIELDS,
            ags=ags,
            ars=r.key("ars", 12),
            name=r.name("name"),
            land=land,
            district_key=ags[:5],
            association_key=verband,
            association_name=r.text("gemeindeverband"),
        )
        rows.append((n, municipality))
    return _finish(file, states, districts, associations, rows, problems, stichtag_from_name(p.name))


# ---- hierarchy (XLSX, CSV export)


def parse_hierarchy_csv(path: str | Path) -> Register:
    """Parse the CSV export of the official sheet (all Satzarten in one table)."""
    p = Path(path)
    return _parse_hierarchy(str(p), csv_rows(p, HIERARCHY_COLUMNS, delimiter=","), stichtag_from_name(p.name))


def _parse_hierarchy(file: str, records: Iterable[tuple[int, dict[str, str]]], stichtag: str) -> Register:
    problems: list[Problem] = []
    states: dict[str, StateRecord] = {}
    districts: dict[str, DistrictRecord] = {}
    associations: dict[str, AssociationRecord] = {}
    rows: list[tuple[int, MunicipalityRecord]] = []
    for n, values in records:
        r = _Row(file, n, values, problems)
        satzart = r.text("satzart")
        if satzart in {"20", "30"}:
            continue  # Regierungsbezirk, Region: not part of the graph
        land = r.key("land", 2)
        if satzart == "10":
            if land not in LAENDER:
                r.bad("land", "unknown Land key")
                continue
            states[land] = _state(land)
        elif satzart == "40":
            key = land + r.key("rb", 1) + r.key("kreis", 2)
            typ = r.text("textkennzeichen")
            districts[key] = DistrictRecord(
                key=key,
                name=r.name("gemeindename"),
                type_code=typ,
                type=DISTRICT_TYPES.get(typ, ""),
                state_code=land,
            )
        elif satzart == "50":
            key = land + r.key("rb", 1) + r.key("kreis", 2) + r.key("vb", 4)
            associations[key] = AssociationRecord(key=key, name=r.name("gemeindename"), district_key=key[:5])
        elif satzart == "60":
            kreis = land + r.key("rb", 1) + r.key("kreis", 2)
            vb = r.key("vb", 4)
            ags = kreis + r.key("gemeinde", 3)
            association = associations.get(kreis + vb)
            municipality = _gemeinde(
                r,
                _HIERARCHY_FIELDS,
                ags=ags,
                ars=kreis + vb + ags[5:],
                name=r.name("gemeindename"),
                land=land,
                district_key=kreis,
                association_key=kreis + vb,
                association_name=association.name if association else "",
            )
            rows.append((n, municipality))
            if association is None:
                r.bad("vb", "Gemeinde before its Gemeindeverband (Satzart 50) record")
        else:
            r.bad("satzart", "unknown Satzart (expected 10, 20, 30, 40, 50 or 60)")
    return _finish(file, states, districts, associations, rows, problems, stichtag)


def parse_xlsx(path: str | Path) -> Register:
    """Parse the official workbook ``3112YYYY_Auszug_GV.xlsx`` (its cells read by
    :func:`lernnetz.loaders.register_xlsx.workbook_records`)."""
    p = Path(path)
    with workbook_records(p, HIERARCHY_COLUMNS) as (records, title_text):
        stichtag = stichtag_from_name(p.name)
        register = _parse_hierarchy(str(p), records, stichtag)
        joined = " ".join(title_text)
        # The title reads "… mit ausgewählten Merkmalen am 31.12.2020 (4. Quartal)".
        m = re.search(r"(?:Gebietsstand:?|\bam)\s*(\d{2})\.(\d{2})\.(\d{4})", joined)
        if m and not stichtag:
            register.provenance = Provenance(source=str(p), stichtag=f"{m[3]}-{m[2]}-{m[1]}")
        pm = re.search(r"Bevölkerung[^0-9]*(\d{2}\.\d{2}\.\d{4})", joined)
        if pm:
            register.population_date = pm[1]
        return register
