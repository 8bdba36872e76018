"""Normalising German municipal names: the folding rules the name resolver compares with.

Lists that KTS receives (registrations, attendance lists, surveys) name municipalities
the way people write them: "Stadt Mayen", "Alte Hansestadt Lemgo", "Frankfurt/Oder",
"Neustadt a.d. Aisch", "St. Ingbert", "Giessen", "Laichingen (Stadt)". The register writes
"Mayen, Stadt", "Lemgo, Stadt", "Frankfurt (Oder), Stadt", "Neustadt a.d.Aisch, St",
"St. Ingbert, Stadt", "Gießen, Universitätsstadt".

* :func:`fold`: lower case; ä/ö/ü → a/o/u and ae/oe/ue → a/o/u (so "Mülheim" = "Muelheim"),
  ß → ss; "St." → "sankt", "a.d." → "an der", "a.M." → "am main", "a." → "am", "i.d." →
  "in der", "b." → "bei", "i." → "im"; hyphens, slashes, brackets and dots → spaces.
* :func:`base_name`: the designation after a comma (", Stadt", ", St", ", GKSt", ", Hansestadt"
  …) or in trailing parentheses ("(Stadt)", "(Große Kreisstadt)", "(GKSt)", "(Markt)", any
  case) is dropped; a parenthesised part that is not a designation is part of the name
  ("Halle (Saale)", "Frankfurt (Oder)", "Ehingen (Donau)"); in input a part after a comma
  that is not a designation is kept as a qualifier ("Neustadt, Hessen").
* :func:`core_name` also strips administrative prefixes ("Stadt", "Alte Hansestadt",
  "Landkreis", "Verbandsgemeinde" …); :func:`compact` drops the small words of river and
  region qualifiers and expands the register's abbreviations ("OPf." → "oberpfalz").
* :func:`literal`: the name as spelled (case folded, umlauts kept, designations dropped):
  "exact spelling beats folded" compares these.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lernnetz.loaders.records import LAENDER

#: Prefixes stripped by :func:`core_name` (folded form, longest first where it matters).
PREFIXES = (
    "freie und hansestadt ", "freie hansestadt ", "alte hansestadt ", "hansestadt ",
    "landeshauptstadt ", "universitatsstadt ", "wissenschaftsstadt ", "kreisfreie stadt ", "lutherstadt ",
    "klingenstadt ", "reuterstadt ", "barbarossastadt ", "hochschulstadt ", "goethestadt ",
    "grosse kreisstadt ", "kreisstadt ", "stadtkreis ", "stadt ", "ortsgemeinde ", "marktgemeinde ",
    "gemeinde ", "markt ", "flecken ", "landkreis ", "eifelkreis ", "kreis ", "lk ", "lkr ",
    "regionalverband ", "verbandsgemeinde ", "verbandsfreie gemeinde ", "samtgemeinde ",
    "verwaltungsgemeinschaft ", "vgem ", "vg ", "amt ", "gemeindeverwaltungsverband ", "verwaltungsverband ",
    "gvv ", "vvg der stadt ", "vvg der gemeinde ", "vvg ",
)  # fmt: skip
#: Prefixes that say the name is a Kreis, not a Gemeinde.
DISTRICT_PREFIXES = ("landkreis ", "kreis ", "eifelkreis ", "lk ", "lkr ", "regionalverband ", "region ")
#: Prefixes that say the name is a Gemeindeverband, not a Gemeinde.
ASSOCIATION_PREFIXES = (
    "verbandsgemeinde ", "samtgemeinde ", "verwaltungsgemeinschaft ", "vgem ", "vg ", "amt ",
    "gemeindeverwaltungsverband ", "verwaltungsverband ", "gvv ", "vvg ",
)  # fmt: skip
#: Words of qualifiers that :func:`compact` drops.
CONNECTIVES = frozenset({"a", "am", "an", "d", "der", "die", "dem", "den", "i", "im", "in", "b", "bei", "ob"})
#: Abbreviations of the register expanded by :func:`compact`.
ABBREVIATIONS = {
    "opf": "oberpfalz", "ufr": "unterfranken", "ofr": "oberfranken", "mfr": "mittelfranken",
    "ndb": "niederbayern", "obb": "oberbayern", "schw": "schwaben", "vogtl": "vogtland",
    "westf": "westfalen", "holst": "holstein", "thur": "thuringen", "oldb": "oldenburg",
    "hess": "hessen", "wstrasse": "weinstrasse", "erzgeb": "erzgebirge", "fichtelgeb": "fichtelgebirge",
}  # fmt: skip

_DESIGNATION_WORDS = frozenset({
    "stadt", "st", "m", "gkst", "krst", "gemeinde", "markt", "flecken", "kurort", "kirchspiel",
    "gebiet", "geb", "bezirk", "nordseebad", "kreis", "stadtkreis", "landkreis", "vgem",
})  # fmt: skip
_SPECIAL_DESIGNATIONS = frozenset(
    {"fundort des neanderthalers", "tor zur eifel", "barbarossast", "hansestadt an der ruhr"}
)

#: Land hints: folded name, short code, 2-digit key and common aliases → Land key.
LAND_ALIASES: dict[str, str] = {}


_FOLD_RULES = [
    (re.compile(p), r)
    for p, r in (
        (r"\bst\.\s*", "sankt "),
        (r"\ba\.\s*d\.\s*", "an der "),
        (r"\ba\.\s*m\.", "am main "),
        (r"\ba\.\s*rh\.", "am rhein "),
        (r"\ba\.\s*", "am "),
        (r"\bi\.\s*d\.\s*", "in der "),
        (r"\bb\.\s*", "bei "),
        (r"\bi\.\s*", "im "),
        (r"[-/()]", " "),
        (r"\s*,\s*", ", "),
        (r"\s+", " "),
    )
]


@functools.lru_cache(maxsize=1 << 17)
def fold(text: str) -> str:
    """Lower case, umlauts and ß folded (ä→a, ae→a, ß→ss), abbreviations spelled out,
    hyphens/slashes/brackets as spaces, spaces collapsed. Commas are kept."""
    t = text.strip().lower().replace("ß", "ss")
    if not t.isascii():
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    t = t.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    if "." in t:
        for pattern, repl in _FOLD_RULES[:8]:
            t = pattern.sub(repl, t)
    for pattern, repl in _FOLD_RULES[8:]:
        t = pattern.sub(repl, t)
    return t.strip(" ,")


def _is_designation(part: str) -> bool:
    """Whether a folded part after a comma is a designation ("stadt", "st", "universitatsstadt" …)."""
    p = part.strip(" .")
    words = p.replace(".", " ").split()
    if not words or p in _SPECIAL_DESIGNATIONS or words[0] in {"stadt", "gemeinde", "markt"}:
        return True
    last = words[-1]
    return last in _DESIGNATION_WORDS or last.endswith(("stadt", "gemeinde", "flecken", "kommune"))


def _clean(folded: str) -> str:
    return re.sub(r"\s+", " ", folded.replace(".", " ").replace(",", " ")).strip()


_PAREN = re.compile(r"\(([^()]*)\)\s*$")


def drop_designations(text: str) -> str:
    """The text without trailing parenthesised designations ("Laichingen (Stadt)" →
    "Laichingen", "ILLERTISSEN (STADT)" → "ILLERTISSEN"); an official parenthesised part
    stays ("Halle (Saale)", "Frankfurt (Oder)")."""
    t = text.strip()
    while True:
        m = _PAREN.search(t)
        if not m or not m.group(1).strip() or not _is_designation(fold(m.group(1))):
            return t
        t = t[: m.start()].rstrip(" ,")


def base_name(text: str) -> str:
    """The folded name without the designations after commas ("Mayen, Stadt" → "mayen") or in
    trailing parentheses ("Laichingen (Stadt)" → "laichingen").

    A part after a comma that is not a designation stays as a qualifier
    ("Neustadt, Hessen" → "neustadt hessen")."""
    parts = fold(drop_designations(text)).split(", ")
    kept = [parts[0]] + [p for p in parts[1:] if not _is_designation(p)]
    return _clean(" ".join(kept))


def designation_kind(text: str) -> str:
    """``stadt``, ``markt`` or "" for a designation text ("St", "GKSt", "Große Kreisstadt", "M")."""
    words = fold(text).replace(".", " ").split()
    if any(w in {"st", "gkst", "krst"} or w.endswith("stadt") for w in words):
        return "stadt"
    if any(w in {"m", "markt", "marktgemeinde"} for w in words):
        return "markt"
    return ""


def stated_designation(text: str) -> str:
    """The kind of designation an input states: as a prefix ("Stadt Blomberg"), in trailing
    parentheses ("Blomberg (Stadt)") or after a comma ("Blomberg, Stadt"); "" when none."""
    t = text.strip()
    m = _PAREN.search(t)
    if m and _is_designation(fold(m.group(1))):
        return designation_kind(m.group(1))
    if "," in t and _is_designation(fold(t.split(",", 1)[1])):
        return designation_kind(t.split(",", 1)[1])
    first = fold(t).split(" ")
    for n in (3, 2, 1):
        head = " ".join(first[:n]) + " "
        if len(first) > n and head in PREFIXES and not head.startswith(("landkreis", "kreis", "amt", "vg")):
            return designation_kind(head)
    return ""


def register_designation(name: str) -> str:
    """The designation kind of a register name ("Blomberg, Stadt" → stadt; "Blomberg" → "")."""
    return designation_kind(name.split(",", 1)[1]) if "," in name else ""


def literal(text: str, *, register: bool = False) -> str:
    """The name as spelled: case folded, umlauts and ß kept, designations (after a comma, in
    trailing parentheses) dropped, hyphens, slashes, brackets and spaces collapsed."""
    t = text.split(",", maxsplit=1)[0] if register else drop_designations(text)
    if not register and "," in t:
        head, _, rest = t.partition(",")
        t = head if _is_designation(fold(rest)) else t
    return " ".join(re.sub(r"[-/(),]", " ", t.casefold()).split())


def register_base_name(text: str) -> str:
    """A register name without everything after its first comma (always a designation there)."""
    return _clean(fold(text).split(", ")[0])


def strip_prefixes(folded: str, *, once: bool = False) -> str:
    """Remove administrative prefixes ("stadt ", "alte hansestadt ", "landkreis " …), repeatedly
    (or only the first one with ``once``)."""
    t = folded
    changed = True
    while changed:
        changed = False
        for p in PREFIXES:
            if t.startswith(p) and len(t) > len(p):
                t, changed = t[len(p) :].strip(), True
                if once:
                    return t
    return t


def core_name(text: str) -> str:
    """The folded name without designations and administrative prefixes."""
    return strip_prefixes(base_name(text))


def compact(text: str) -> str:
    """A spelling-independent key: the name (designations dropped, prefixes kept) without
    qualifier words, abbreviations expanded, no spaces ("Frankfurt an der Oder" →
    "frankfurtoder", "Weiden i.d.OPf." → "weidenoberpfalz")."""
    return _compact_words(base_name(text))


def _compact_words(base: str) -> str:
    words = [ABBREVIATIONS.get(w, w) for w in base.split()]
    kept = [w for w in words if w not in CONNECTIVES] or words
    return "".join(kept)


def _init_land_aliases() -> None:
    for code, (short, name) in LAENDER.items():
        for alias in (code, short.lower(), fold(name), fold(name).replace(" ", "")):
            LAND_ALIASES[alias] = code
    LAND_ALIASES.update({"nrw": "05", "bawu": "08", "bw": "08", "mv": "13", "meckpomm": "13", "bayer": "09"})


_init_land_aliases()


def land_key(hint: str) -> str | None:
    """The Land key for a hint ("Bayern", "BY", "09", "NRW"), or None when unknown."""
    h = fold(hint).replace(".", "")
    if not h:
        return None
    if h.isdigit() and len(h) == 1:
        h = "0" + h
    return LAND_ALIASES.get(h) or LAND_ALIASES.get(h.replace(" ", ""))


_WORD = re.compile(r"[^\W\d_]+")


def _spelled_out(word: str) -> str:
    """A word with umlauts written out (ä → ae, ß → ss), other accents dropped: lossless for
    German spellings, unlike :func:`fold`."""
    t = word.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))


def _umlauts_dropped(word: str) -> str:
    return _spelled_out(word.replace("ä", "a").replace("ö", "o").replace("ü", "u"))


def _spelling_fits(raw: str, register_name: str) -> bool:
    """Whether the input could be the register name spelled with or without umlauts.

    :func:`fold` makes "Münster" = "Munster" and "Neunkirchen" = "Neuenkirchen" (ae/oe/ue →
    a/o/u). Word by word, an input word that folds like a word of the name must be that word
    with its umlauts written out ("Muenster", "Münster") or left off ("Munster"): so
    "Münster" and "Muenster" rule out Munster and "Neunkirchen" rules out Neuenkirchen, while
    "Munster" still fits both (flagged as ambiguous, never guessed)."""
    said: dict[str, set[str]] = defaultdict(set)
    for u in _WORD.findall(raw.lower()):
        said[fold(u)].add(_spelled_out(u))
    for w in _WORD.findall(register_name.split(",", maxsplit=1)[0].lower()):
        forms = said.get(fold(w))
        if forms and not forms & {_spelled_out(w), _umlauts_dropped(w)}:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Place:
    """A Gemeinde as the resolver knows it."""

    ags: str
    name: str
    district_key: str
    district: str
    state_code: str
    population: int = 0
    level: str = "gemeinde"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for candidate lists."""
        return {
            "ags": self.ags,
            "name": self.name,
            "district": self.district,
            "state": LAENDER.get(self.state_code, ("", self.state_code))[1],
            "population": self.population,
            "level": self.level,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a name resolved to.

    ``status`` is ``exact``, ``fuzzy``, ``ambiguous`` or ``unmatched``; ``ags`` is set
    for the first two. ``method`` says how (``ags``, ``name``, ``partial``, ``fuzzy``),
    ``score`` is the fuzzy score (100 for exact), ``candidates`` the places an ambiguous
    name fits, ``reason`` a sentence for the report.
    """

    status: str
    ags: str | None = None
    name: str = ""
    method: str = ""
    score: float = 0.0
    reason: str = ""
    candidates: tuple[Place, ...] = field(default_factory=tuple)
    level: str = "gemeinde"

    @property
    def matched(self) -> bool:
        """True for exact and fuzzy matches."""
        return self.status in {"exact", "fuzzy"}

    @property
    def method_kind(self) -> str:
        """The resolution file's method: exact, folded, hint, fuzzy or manual ("" when none)."""
        m = self.method
        if not self.matched:
            return ""
        if m.startswith("manual"):
            return "manual"
        if m == "fuzzy":
            return "fuzzy"
        if m.endswith("+hint"):
            return "hint"
        return "exact" if m in {"ags", "name"} else "folded"

    @property
    def review_status(self) -> str:
        """ok (take it), review (a partial-name or fuzzy match a person should check),
        ambiguous or unmatched."""
        if self.status in {"ambiguous", "unmatched"}:
            return self.status
        return "review" if self.method == "fuzzy" or self.method.startswith("partial") else "ok"
