"""Plausibility checks for the register and the curated files: small validators, one rule each.

Each ``check_*`` returns ``None`` for a plausible value or a message for a :class:`Problem`
(the caller names file, row, column and value). The bounds below keep absurd values (a
population of 10^15, a 10^20 participant count that Neo4j cannot store as a 64-bit integer,
the year 9999, an id ``../../etc/passwd``, a 100 kB name) out of both stores alike, before
either is touched.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from lernnetz.loaders.records import LAENDER

#: Inhabitants of one Gemeinde (Berlin, the largest, has about 3.7 million).
POPULATION_MAX = 5_000_000
#: Area of one Gemeinde in km² (the largest, Berlin, has about 891 km²).
AREA_MAX_KM2 = 10_000.0
#: Participants of one event.
PARTICIPANTS_MAX = 1_000_000
#: The ordinal of an event in its series (13th Bundeskongress …).
EVENT_NUMBER_MAX = 1_000
#: Years a programme event may lie in (the MPSC programme runs from 2019 into the 2030s).
EVENT_YEARS = (2019, 2035)
#: Longest name, label or title.
NAME_MAX = 200
#: The kinds of KTS events (``data/README.md``, ``events.csv``).
EVENT_KINDS = frozenset(
    {
        "regionalkonferenz",
        "kongress",
        "peer-learning",
        "aeg-treffen",
        "mpsc-treffen",
        "videokonferenzreihe",
        "bundeskongress-nsp",
        "smart-country-convention",
    }
)

_SAFE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_WHOLE = re.compile(r"[+-]?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_whole(text: str) -> int | None:
    """``text`` as a whole number of ASCII digits (optional sign), else ``None``: Python's
    ``int()`` would also take ``1_0`` (as 10), blanks and non-ASCII digits."""
    return int(text) if _WHOLE.fullmatch(text) else None


def check_range(value: float, low: float, high: float, what: str) -> str | None:
    """A number between ``low`` and ``high`` (inclusive), finite."""
    if not math.isfinite(value) or not low <= value <= high:
        return f"implausible {what}: must be between {low:,g} and {high:,g}"
    return None


def check_safe_id(value: str, what: str = "id") -> str | None:
    """An id of lower-case letters, digits and single inner hyphens (no ``/``, ``.``, blanks)."""
    if len(value) > NAME_MAX:
        return f"{what} longer than {NAME_MAX} characters"
    if not _SAFE_ID.fullmatch(value):
        return f"{what} may hold only a-z, 0-9 and inner hyphens (e.g. 'rk-03-2022-04-05')"
    return None


def check_name(value: str, what: str = "name") -> str | None:
    """A name, label or title of at most :data:`NAME_MAX` characters without control characters."""
    if len(value) > NAME_MAX:
        return f"{what} longer than {NAME_MAX} characters ({len(value)})"
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        return f"{what} contains a control character"
    return None


def check_iso_date(value: str, years: tuple[int, int] | None = None) -> str | None:
    """A date written exactly ``YYYY-MM-DD`` (no trailing text), valid, within ``years``."""
    if not _ISO_DATE.fullmatch(value):
        return "not a date of the form YYYY-MM-DD"
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return "not a valid date (YYYY-MM-DD)"
    if years is not None and not years[0] <= day.year <= years[1]:
        return f"implausible year: must be between {years[0]} and {years[1]}"
    return None


def check_event_kind(value: str) -> str | None:
    """One of :data:`EVENT_KINDS`."""
    if value not in EVENT_KINDS:
        return f"unknown event kind; must be one of {', '.join(sorted(EVENT_KINDS))}"
    return None


#: A whole Gemeindeverzeichnis has about 10,800 Gemeinden and 200 gemeindefreie Gebiete.
REGISTER_MIN_MUNICIPALITIES = 10_000


def check_register_whole(municipalities: int, laender: set[str]) -> str | None:
    """Whether a register is a plausible whole: at least :data:`REGISTER_MIN_MUNICIPALITIES`
    Gemeinden (``municipalities``) and every one of the 16 Länder (keys in ``laender``)
    present. A 100-row extract is not."""
    missing = sorted(set(LAENDER) - laender)
    if municipalities >= REGISTER_MIN_MUNICIPALITIES and not missing:
        return None
    names = ", ".join(LAENDER[k][0] for k in missing)
    return (
        f"not the whole Gemeindeverzeichnis: {municipalities:,} Gemeinden (a whole register has at "
        f"least {REGISTER_MIN_MUNICIPALITIES:,}), {16 - len(missing)} of 16 Länder"
        + (f" (missing: {names})" if missing else "")
    )
