"""German municipal names: normalise them and resolve them to an AGS, never guessing.

Lists that KTS receives (registrations, attendance lists, surveys) name municipalities
the way people write them: "Stadt Mayen", "Alte Hansestadt Lemgo", "Frankfurt/Oder",
"Neustadt a.d. Aisch", "St. Ingbert", "Giessen". The register writes "Mayen, Stadt",
"Lemgo, Stadt", "Frankfurt (Oder), Stadt", "Neustadt a.d.Aisch, St", "St. Ingbert, Stadt",
"Gießen, Universitätsstadt".

Normalisation (:func:`fold`, :func:`core_name`, :func:`compact`):

* lower case; ä/ö/ü → a/o/u and ae/oe/ue → a/o/u (so "Mülheim" = "Muelheim"), ß → ss;
* "St." → "sankt", "a.d." → "an der", "a.M." → "am main", "a." → "am", "i.d." → "in der",
  "b." → "bei", "i." → "im";
* hyphens, slashes, brackets and dots → spaces; runs of spaces collapsed;
* the register's designation after the first comma (", Stadt", ", St", ", M", ", GKSt",
  ", Hansestadt", ", Universitätsstadt" …) is dropped; in other input a part after a
  comma that is not a designation is kept as a qualifier ("Neustadt, Hessen");
* administrative prefixes ("Stadt", "Gemeinde", "Markt", "Hansestadt", "Alte
  Hansestadt", "Landeshauptstadt", "Landkreis", "Kreis", "Verbandsgemeinde" …) are
  stripped by :func:`core_name` — only when the full name matches nothing (there is a
  Gemeinde called "Stadt Wehlen" and one called "Amt Neuhaus");
* :func:`compact` also drops the small words of river and region qualifiers ("am",
  "an der", "in", "im", "bei") and expands the register's abbreviations ("OPf." →
  "oberpfalz", "Westf." → "westfalen", "Vogtl." → "vogtland" …), so "Frankfurt an der
  Oder" = "Frankfurt (Oder)" and "Neustadt an der Donau" = "Neustadt a.d.Donau".

Resolution (:class:`NameResolver`), in this order, stopping at the first stage that
finds anything:

1. an 8-digit AGS (or 12-digit ARS) that is in the register → ``exact`` (method ``ags``);
2. names whose normalised full name equals the input, plus names that *extend* it with a
   qualifier ("Frankfurt" → "Frankfurt am Main" and "Frankfurt (Oder)"; "Weiden" →
   "Weiden" and "Weiden i.d.OPf."), plus names equal after stripping prefixes on either
   side ("Erlbach" → "Erlbach" and "Markt Erlbach"), plus equal compact forms;
3. the Land and Kreis hints narrow those candidates, then the input's spelling does
   where several are left (folding makes "Münster" = "Munster" and "Neunkirchen" =
   "Neuenkirchen"; "Münster"/"Muenster" rule out Munster, "Munster" fits both). One left →
   ``exact`` (method ``name`` when its full name equals the input, otherwise ``partial``,
   ``+hint`` when a hint decided); several →
   ``ambiguous`` with the candidates; none left because a hint excludes them →
   ``unmatched`` (the hint conflicts with the name);
4. when stage 2 found nothing: fuzzy matching with rapidfuzz (``fuzz.ratio`` on the
   compact forms, among the Gemeinden the hints allow) with a threshold
   (:data:`FUZZY_THRESHOLD`). The best match is taken only if no other Gemeinde scores
   within :data:`FUZZY_MARGIN` points of it; otherwise ``ambiguous``.

A name that says it is a Kreis ("Landkreis Hof") or a Gemeindeverband
("Verbandsgemeinde Vallendar", "Amt Süderbrarup") and is not itself a Gemeinde's name is
``unmatched`` with that reason: participation is recorded per Gemeinde, and picking the
Kreisstadt or the namesake Gemeinde would be a guess. Gemeindefreie Gebiete are not
candidates.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from lernnetz.loaders.records import LAENDER

#: Minimum ``fuzz.ratio`` (0–100) on compact names for a fuzzy match.
FUZZY_THRESHOLD = 88.0
#: A fuzzy match must beat every other Gemeinde by at least this many points.
FUZZY_MARGIN = 4.0

STATUSES = ("exact", "fuzzy", "ambiguous", "unmatched")

#: Prefixes stripped by :func:`core_name` (folded form, longest first where it matters).
PREFIXES = (
    "freie und hansestadt ", "freie hansestadt ", "alte hansestadt ", "hansestadt ",
    "landeshauptstadt ", "universitatsstadt ", "wissenschaftsstadt ", "kreisfreie stadt ", "lutherstadt ",
    "klingenstadt ", "reuterstadt ", "barbarossastadt ", "hochschulstadt ", "goethestadt ",
    "grosse kreisstadt ", "kreisstadt ", "stadtkreis ", "stadt ", "ortsgemeinde ", "marktgemeinde ",
    "gemeinde ", "markt ", "flecken ", "landkreis ", "eifelkreis ", "kreis ", "lk ", "lkr ",
    "regionalverband ", "verbandsgemeinde ", "verbandsfreie gemeinde ", "samtgemeinde ",
    "verwaltungsgemeinschaft ", "vgem ", "vg ", "amt ",
)  # fmt: skip
#: Prefixes that say the name is a Kreis, not a Gemeinde.
DISTRICT_PREFIXES = ("landkreis ", "kreis ", "eifelkreis ", "lk ", "lkr ", "regionalverband ", "region ")
#: Prefixes that say the name is a Gemeindeverband, not a Gemeinde.
ASSOCIATION_PREFIXES = (
    "verbandsgemeinde ", "samtgemeinde ", "verwaltungsgemeinschaft ", "vgem ", "vg ", "amt ",
    "gemeindeverwaltungsverband ", "verwaltungsverband ",
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
    "gebiet", "geb", "bezirk", "nordseebad", "kreis", "stadtkreis", "landkreis",
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


def base_name(text: str) -> str:
    """The folded name without the designations after commas ("Mayen, Stadt" → "mayen").

    A part after a comma that is not a designation stays as a qualifier
    ("Neustadt, Hessen" → "neustadt hessen")."""
    parts = fold(text).split(", ")
    kept = [parts[0]] + [p for p in parts[1:] if not _is_designation(p)]
    return _clean(" ".join(kept))


def register_base_name(text: str) -> str:
    """A register name without everything after its first comma (always a designation there)."""
    return _clean(fold(text).split(", ")[0])


def strip_prefixes(folded: str) -> str:
    """Remove administrative prefixes ("stadt ", "alte hansestadt ", "landkreis " …), repeatedly."""
    t = folded
    changed = True
    while changed:
        changed = False
        for p in PREFIXES:
            if t.startswith(p) and len(t) > len(p):
                t, changed = t[len(p) :].strip(), True
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


@dataclass(frozen=True, slots=True)
class Place:
    """A Gemeinde as the resolver knows it."""

    ags: str
    name: str
    district_key: str
    district: str
    state_code: str
    population: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for candidate lists."""
        return {
            "ags": self.ags,
            "name": self.name,
            "district": self.district,
            "state": LAENDER.get(self.state_code, ("", self.state_code))[1],
            "population": self.population,
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

    @property
    def matched(self) -> bool:
        """True for exact and fuzzy matches."""
        return self.status in {"exact", "fuzzy"}


class NameResolver:
    """Resolves municipality names (with optional Land/Kreis hints) to AGS; see module docstring."""

    def __init__(self, places: Iterable[Place], districts: Mapping[str, str] | None = None) -> None:
        self.places: dict[str, Place] = {p.ags: p for p in places}
        self.district_names: dict[str, str] = dict(districts or {})
        self._full: dict[str, list[str]] = defaultdict(list)
        self._stripped: dict[str, list[str]] = defaultdict(list)
        self._compact: dict[str, list[str]] = defaultdict(list)
        self._by_first: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for p in sorted(self.places.values(), key=lambda x: x.ags):
            full = register_base_name(p.name)
            self._full[full].append(p.ags)
            stripped = strip_prefixes(full)
            if stripped != full:
                self._stripped[stripped].append(p.ags)
            self._compact[_compact_words(full)].append(p.ags)
            self._by_first[full.split(" ")[0]].append((full, p.ags))
        self._compact_keys = sorted(self._compact)
        self._districts_by_core: dict[str, list[str]] = defaultdict(list)
        for key, name in sorted(self.district_names.items()):
            self._districts_by_core[strip_prefixes(register_base_name(name))].append(key)
            self._districts_by_core[_compact_words(strip_prefixes(register_base_name(name)))].append(key)

    @classmethod
    def from_frames(cls, municipalities: Any, districts: Any) -> NameResolver:
        """Build from store frames (``municipalities()``, ``districts()``); gemeindefreie Gebiete skipped."""
        dnames = dict(zip(districts["key"], districts["name"], strict=True))
        m = municipalities[~municipalities["unincorporated"].astype(bool)]
        places = [
            Place(
                ags=str(r.ags),
                name=str(r.name),
                district_key=str(r.district_key or ""),
                district=str(dnames.get(r.district_key, "")),
                state_code=str(r.state_code),
                population=int(r.population),
            )
            for r in m.itertuples(index=False)
        ]
        return cls(places, dnames)

    @classmethod
    def from_register(cls, register: Any) -> NameResolver:
        """Build from a :class:`lernnetz.loaders.records.Register`; gemeindefreie Gebiete skipped."""
        dnames = {d.key: d.name for d in register.districts}
        places = [
            Place(
                ags=m.ags,
                name=m.name,
                district_key=m.district_key or "",
                district=dnames.get(m.district_key or "", ""),
                state_code=m.state_code,
                population=m.population,
            )
            for m in register.municipalities
            if not m.is_unincorporated
        ]
        return cls(places, dnames)

    # ------------------------------------------------------------------ hints

    def district_keys(self, hint: str) -> list[str] | None:
        """Kreis keys a Kreis hint can mean (5-digit key, name, "Landkreis X"); None if unknown."""
        h = hint.strip()
        if not h:
            return None
        if h.isdigit() and len(h) == 5:
            return [h] if h in self.district_names else None
        core = core_name(h)
        found = self._districts_by_core.get(core) or self._districts_by_core.get(_compact_words(core))
        return sorted(set(found)) if found else None

    # ------------------------------------------------------------------ resolve

    def resolve(self, name: str, *, land: str = "", kreis: str = "") -> Resolution:
        """Resolve one name; see the module docstring for the stages."""
        raw = (name or "").strip()
        if not raw:
            return Resolution("unmatched", reason="no municipality name or AGS given")
        notes: list[str] = []
        land_code = land_key(land) if land.strip() else None
        if land.strip() and land_code is None:
            notes.append(f"Land hint {land!r} not recognised, ignored")
        kreis_keys = self.district_keys(kreis) if kreis.strip() else None
        if kreis.strip() and kreis_keys is None:
            notes.append(f"Kreis hint {kreis!r} not recognised, ignored")

        digits = raw.replace(" ", "")
        if digits.isdigit():
            return self._by_key(digits, notes)

        found = self._name_candidates(raw)
        if found:
            method_of, ags_list = found
            hinted = self._apply_hints(ags_list, land_code, kreis_keys)
            allowed = hinted
            if len(allowed) > 1:  # several left: drop those the input's spelling rules out
                allowed = [a for a in allowed if _spelling_fits(raw, self.places[a].name)] or allowed
            if not allowed:
                places = tuple(self.places[a] for a in ags_list)
                return Resolution(
                    "unmatched",
                    reason=_join(
                        f"{raw!r} names {_describe(places)}, but none of them lies in "
                        f"{_hint_text(land, kreis)}",
                        notes,
                    ),
                    candidates=places,
                )
            if len(allowed) > 1:
                places = tuple(self.places[a] for a in allowed)
                return Resolution(
                    "ambiguous",
                    reason=_join(
                        f"{raw!r} fits {len(allowed)} Gemeinden: {_describe(places)}; "
                        "add a Land or Kreis hint or the AGS",
                        notes,
                    ),
                    candidates=places,
                )
            ags = allowed[0]
            method = method_of[ags]
            return Resolution(
                "exact",
                ags=ags,
                name=self.places[ags].name,
                method=method + ("+hint" if len(hinted) < len(ags_list) else ""),
                score=100.0,
                reason=_join("", notes),
            )

        folded = fold(raw)
        if folded.startswith(DISTRICT_PREFIXES):
            return Resolution(
                "unmatched",
                reason=_join(
                    f"{raw!r} names a Kreis, not a Gemeinde; participation is recorded per Gemeinde", notes
                ),
            )
        if folded.startswith(ASSOCIATION_PREFIXES):
            return Resolution(
                "unmatched",
                reason=_join(
                    f"{raw!r} names a Gemeindeverband, not a Gemeinde; list its Gemeinden instead", notes
                ),
            )
        return self._fuzzy(raw, land_code, kreis_keys, notes)

    def _by_key(self, digits: str, notes: list[str]) -> Resolution:
        ags = digits
        if len(digits) == 12:
            ags = digits[:5] + digits[9:]
        if len(ags) != 8:
            return Resolution(
                "unmatched", reason=_join(f"{digits!r} is not an 8-digit AGS or 12-digit ARS", notes)
            )
        if ags not in self.places:
            return Resolution(
                "unmatched", reason=_join(f"AGS {ags} is not a Gemeinde of the register", notes)
            )
        return Resolution("exact", ags=ags, name=self.places[ags].name, method="ags", score=100.0)

    def _name_candidates(self, raw: str) -> tuple[dict[str, str], list[str]] | None:
        """Stage 2: ``({ags: method}, sorted ags)`` for the first input variant that finds anything."""
        full = base_name(raw)
        variants = [full]
        if not full.startswith(DISTRICT_PREFIXES + ASSOCIATION_PREFIXES):
            variants = list(dict.fromkeys([full, strip_prefixes(full)]))
        for v in variants:
            exact = self._full.get(v, [])
            if not exact:
                continue
            method = dict.fromkeys(exact, "name")
            for a in (
                self._extensions(v) + self._stripped.get(v, []) + self._compact.get(_compact_words(v), [])
            ):
                method.setdefault(a, "partial")
            return method, sorted(method)
        for v in variants:
            method = {}
            for a in (
                self._extensions(v) + self._stripped.get(v, []) + self._compact.get(_compact_words(v), [])
            ):
                method.setdefault(a, "partial")
            if method:
                return method, sorted(method)
        return None

    def _extensions(self, v: str) -> list[str]:
        """Gemeinden whose full name is ``v`` followed by more words ("frankfurt" → "frankfurt am main")."""
        first = v.split(" ", maxsplit=1)[0]
        prefix = v + " "
        return [a for full, a in self._by_first.get(first, []) if full.startswith(prefix)]

    def _apply_hints(
        self, ags_list: list[str], land_code: str | None, kreis_keys: list[str] | None
    ) -> list[str]:
        out = ags_list
        if land_code is not None:
            out = [a for a in out if self.places[a].state_code == land_code]
        if kreis_keys is not None:
            out = [a for a in out if self.places[a].district_key in kreis_keys]
        return out

    def _fuzzy(
        self, raw: str, land_code: str | None, kreis_keys: list[str] | None, notes: list[str]
    ) -> Resolution:
        key = _compact_words(strip_prefixes(base_name(raw)))
        if not key:
            return Resolution("unmatched", reason=_join(f"{raw!r} is not a name", notes))
        if land_code is None and kreis_keys is None:
            choices = self._compact_keys
        else:
            choices = sorted(
                {k for k in self._compact_keys if self._apply_hints(self._compact[k], land_code, kreis_keys)}
            )
        hits = process.extract(
            key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD - FUZZY_MARGIN, limit=8
        )
        scored: list[tuple[float, str]] = []
        for choice, score, _ in hits:
            for a in self._apply_hints(self._compact[choice], land_code, kreis_keys):
                scored.append((float(score), a))
        scored.sort(key=lambda x: (-x[0], x[1]))
        if not scored or scored[0][0] < FUZZY_THRESHOLD:
            best = f" (closest: {self.places[scored[0][1]].name}, score {scored[0][0]:.0f})" if scored else ""
            return Resolution(
                "unmatched",
                reason=_join(f"no Gemeinde called {raw!r}{_in_hint(land_code, kreis_keys)}{best}", notes),
            )
        top = scored[0][0]
        close = [a for s, a in scored if s >= top - FUZZY_MARGIN]
        if len(close) > 1:
            places = tuple(self.places[a] for a in close)
            return Resolution(
                "ambiguous",
                score=top,
                reason=_join(
                    f"{raw!r} is close to several Gemeinden: {_describe(places)}; add a hint or the AGS",
                    notes,
                ),
                candidates=places,
            )
        ags = scored[0][1]
        return Resolution(
            "fuzzy",
            ags=ags,
            name=self.places[ags].name,
            method="fuzzy",
            score=top,
            reason=_join(f"{raw!r} read as {self.places[ags].name!r} (score {top:.0f})", notes),
        )


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


def _describe(places: Iterable[Place]) -> str:
    items = [f"{p.name} ({p.ags}, {LAENDER.get(p.state_code, ('', p.state_code))[0]})" for p in places]
    return "; ".join(items[:8]) + (f"; … {len(items) - 8} more" if len(items) > 8 else "")


def _hint_text(land: str, kreis: str) -> str:
    parts = [f"Land {land!r}" if land.strip() else "", f"Kreis {kreis!r}" if kreis.strip() else ""]
    return " and ".join(p for p in parts if p)


def _in_hint(land_code: str | None, kreis_keys: list[str] | None) -> str:
    if kreis_keys:
        return f" in Kreis {', '.join(kreis_keys)}"
    if land_code:
        return f" in {LAENDER[land_code][1]}"
    return ""


def _join(text: str, notes: list[str]) -> str:
    return "; ".join(p for p in [text, *notes] if p)
