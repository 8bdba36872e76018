"""Resolve German municipal names to an AGS (or a Kreis or Verband key), never guessing.

The folding rules (designations in every position, umlauts, abbreviations) live in
:mod:`lernnetz.loaders.namefold`. Resolution (:class:`NameResolver`), in this order,
stopping at the first stage that finds anything:

1. an 8-digit AGS (or 12-digit ARS) that is in the register → ``exact`` (method ``ags``);
2. names whose normalised full name equals the input, plus names that *extend* it with a
   qualifier ("Frankfurt" → "Frankfurt am Main" and "Frankfurt (Oder)"), plus names equal
   after stripping prefixes on either side ("Erlbach" → "Erlbach" and "Markt Erlbach"),
   plus equal compact forms;
3. the Land and Kreis hints narrow those candidates, then the input's spelling does where
   several are left: a register name spelled exactly as the input (case aside) beats one
   that is equal only after folding umlauts ("Barweiler" is Barweiler, not Bärweiler);
   "Münster"/"Muenster" rule out Munster; a stated designation ("Stadt Blomberg", "Lage (Stadt)")
   keeps the namesakes the register designates alike (a Stadt, a Markt) when only some are. One
   left → ``exact`` (method ``name`` when spelled as in the register, ``folded`` when equal
   after folding, ``partial`` when the register name extends it, ``+hint`` when a hint
   decided); several → ``ambiguous`` with the candidates; none left because a hint
   excludes them → ``unmatched`` (the hint conflicts with the name);
4. a name that says it is a Kreis ("Landkreis Lippe", "Kreis Höxter") or a Gemeindeverband
   ("VG Vallendar", "Amt Süderbrarup", "Samtgemeinde X") and is not itself a Gemeinde's
   name resolves **at its own level** (``level`` ``kreis`` or ``verband``, the 5-digit Kreis
   key or the 9-digit Verband key in ``ags``); so does a name without such a prefix that is
   exactly a Landkreis's or a Verband's name and no Gemeinde's;
5. otherwise fuzzy matching with rapidfuzz (``fuzz.ratio`` on the compact forms, among the
   Gemeinden the hints allow) above :data:`FUZZY_THRESHOLD`, taken only if no other
   Gemeinde scores within :data:`FUZZY_MARGIN` points; else ``ambiguous``.

Gemeindefreie Gebiete are not candidates. :attr:`Resolution.method_kind` and
:attr:`Resolution.review_status` give the resolution file's method (exact, folded, hint,
fuzzy, manual) and status (ok, review, ambiguous, unmatched).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import fuzz, process

from lernnetz.loaders.namefold import (
    ASSOCIATION_PREFIXES,
    DISTRICT_PREFIXES,
    Place,
    Resolution,
    _compact_words,
    _spelling_fits,
    base_name,
    compact,
    core_name,
    fold,
    land_key,
    literal,
    register_base_name,
    register_designation,
    stated_designation,
    strip_prefixes,
)
from lernnetz.loaders.records import LAENDER

__all__ = [
    "FUZZY_MARGIN", "FUZZY_THRESHOLD", "STATUSES", "NameResolver", "Place", "Resolution",
    "base_name", "compact", "core_name", "fold", "land_key",
]  # fmt: skip

#: Minimum ``fuzz.ratio`` (0–100) on compact names for a fuzzy match.
FUZZY_THRESHOLD = 88.0
#: A fuzzy match must beat every other Gemeinde by at least this many points.
FUZZY_MARGIN = 4.0

STATUSES = ("exact", "fuzzy", "ambiguous", "unmatched")
#: Levels a name can resolve at.
LEVELS = ("gemeinde", "kreis", "verband")


class NameResolver:
    """Resolves municipality names (with optional Land/Kreis hints) to AGS; see module docstring.

    ``districts`` maps Kreis keys to names (``district_types`` to their type, "Landkreis",
    "Kreisfreie Stadt" …); ``associations`` maps Gemeindeverband keys (9 digits) to names.
    """

    def __init__(
        self,
        places: Iterable[Place],
        districts: Mapping[str, str] | None = None,
        *,
        district_types: Mapping[str, str] | None = None,
        associations: Mapping[str, str] | None = None,
    ) -> None:
        self.places: dict[str, Place] = {p.ags: p for p in places}
        self.district_names: dict[str, str] = dict(districts or {})
        self.district_types: dict[str, str] = dict(district_types or {})
        self.association_names: dict[str, str] = dict(associations or {})
        self._full: dict[str, list[str]] = defaultdict(list)
        self._stripped: dict[str, list[str]] = defaultdict(list)
        self._compact: dict[str, list[str]] = defaultdict(list)
        self._by_first: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._literal: dict[str, str] = {}
        for p in sorted(self.places.values(), key=lambda x: x.ags):
            full = register_base_name(p.name)
            self._full[full].append(p.ags)
            self._literal[p.ags] = literal(p.name, register=True)
            stripped = strip_prefixes(full)
            if stripped != full:
                self._stripped[stripped].append(p.ags)
            self._compact[_compact_words(full)].append(p.ags)
            self._by_first[full.split(" ")[0]].append((full, p.ags))
        self._compact_keys = sorted(self._compact)
        self._districts_by_core: dict[str, list[str]] = defaultdict(list)
        for key, name in sorted(self.district_names.items()):
            core = strip_prefixes(register_base_name(name))
            self._districts_by_core[core].append(key)
            self._districts_by_core[_compact_words(core)].append(key)
        self._associations_by_core: dict[str, list[str]] = defaultdict(list)
        for key, name in sorted(self.association_names.items()):
            core = strip_prefixes(base_name(name))  # "Marktl (VGem)", "GVV Plochingen" → the name
            self._associations_by_core[core].append(key)
            if _compact_words(core) != core:
                self._associations_by_core[_compact_words(core)].append(key)

    @classmethod
    def from_frames(cls, municipalities: Any, districts: Any) -> NameResolver:
        """Build from store frames (``municipalities()``, ``districts()``); gemeindefreie Gebiete
        skipped. Gemeindeverbände come from the Gemeinden's ``association_key``/``_name``: those
        with at least two Gemeinden (a verbandsfreie Gemeinde is its own "Verband")."""
        dnames = dict(zip(districts["key"], districts["name"], strict=True))
        dtypes = dict(zip(districts["key"], districts["type"], strict=True))
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
        members: dict[str, int] = defaultdict(int)
        anames: dict[str, str] = {}
        if "association_key" in municipalities:
            for key, name in zip(
                municipalities["association_key"], municipalities["association_name"], strict=True
            ):
                if key and name:
                    members[str(key)] += 1
                    anames[str(key)] = str(name)
        assoc = {k: n for k, n in anames.items() if members[k] >= 2}
        return cls(places, dnames, district_types=dtypes, associations=assoc)

    @classmethod
    def from_register(cls, register: Any) -> NameResolver:
        """Build from a :class:`lernnetz.loaders.records.Register`; gemeindefreie Gebiete skipped."""
        dnames = {d.key: d.name for d in register.districts}
        dtypes = {d.key: d.type for d in register.districts}
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
        members: dict[str, int] = defaultdict(int)
        for m in register.municipalities:
            members[m.association_key] += 1
        assoc = {a.key: a.name for a in register.associations if members.get(a.key, 0) >= 2}
        return cls(places, dnames, district_types=dtypes, associations=assoc)

    def key_names(self) -> dict[str, tuple[str, str]]:
        """Every key a name can resolve to → (register name, level): Gemeinden, Kreise, Verbände."""
        out = {a: (p.name, "gemeinde") for a, p in self.places.items()}
        out.update({k: (n, "kreis") for k, n in self.district_names.items()})
        out.update({k: (n, "verband") for k, n in self.association_names.items()})
        return out

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

    def level_place(self, level: str, key: str) -> Place:
        """A Kreis or Verband as a :class:`Place` (for candidates and results)."""
        if level == "kreis":
            name = self.district_names[key]
            return Place(key, name, key, name, key[:2], level="kreis")
        name = self.association_names[key]
        dkey = key[:5]
        return Place(key, name, dkey, self.district_names.get(dkey, ""), key[:2], level="verband")

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
            return self._decide(raw, found, land, kreis, land_code, kreis_keys, notes)

        folded = fold(raw)
        if folded.startswith(DISTRICT_PREFIXES):
            return self._at_level(raw, "kreis", land_code, kreis_keys, notes, prefixed=True)
        if folded.startswith(ASSOCIATION_PREFIXES):
            return self._at_level(raw, "verband", land_code, kreis_keys, notes, prefixed=True)
        for level in ("kreis", "verband"):
            res = self._at_level(raw, level, land_code, kreis_keys, notes, prefixed=False)
            if res.status != "unmatched":
                return res
        return self._fuzzy(raw, land_code, kreis_keys, notes)

    def _decide(
        self,
        raw: str,
        found: tuple[dict[str, str], list[str]],
        land: str,
        kreis: str,
        land_code: str | None,
        kreis_keys: list[str] | None,
        notes: list[str],
    ) -> Resolution:
        method_of, ags_list = found
        hinted = self._apply_hints(ags_list, land_code, kreis_keys)
        allowed = hinted
        said = literal(raw)
        if len(allowed) > 1:  # several left: an exact spelling wins, then the spelling rules others out
            spelled = [a for a in allowed if self._literal[a] == said]
            if any(method_of[a] != "name" and self._literal[a].startswith(said + " ") for a in allowed):
                spelled = []  # "Weiden" may mean Weiden i.d.OPf.: an extension is never ruled out
            allowed = spelled or ([a for a in allowed if _spelling_fits(raw, self.places[a].name)] or allowed)
        by_designation = False
        if len(allowed) > 1:  # "Stadt Blomberg", "Blomberg (Stadt)": the stated designation narrows
            kind = stated_designation(raw)
            same = [a for a in allowed if kind and register_designation(self.places[a].name) == kind]
            if same and len(same) < len(allowed):
                allowed, by_designation = same, True
        if not allowed:
            places = tuple(self.places[a] for a in ags_list)
            return Resolution(
                "unmatched",
                reason=_join(
                    f"{raw!r} names {_describe(places)}, but none of them lies in {_hint_text(land, kreis)}",
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
        reg = self._literal[ags]
        if method == "name" and not (said == reg or said.endswith(" " + reg)):
            method = "folded"  # equal only with umlauts or ß folded ("Muenster", "Giessen")
        return Resolution(
            "exact",
            ags=ags,
            name=self.places[ags].name,
            method=method + ("+hint" if len(hinted) < len(ags_list) or by_designation else ""),
            score=100.0,
            reason=_join("", notes),
        )

    def _at_level(
        self,
        raw: str,
        level: str,
        land_code: str | None,
        kreis_keys: list[str] | None,
        notes: list[str],
        *,
        prefixed: bool,
    ) -> Resolution:
        """A Kreis ("Landkreis Lippe") or Gemeindeverband ("VG Vallendar") named in a list."""
        core = core_name(raw)
        index = self._districts_by_core if level == "kreis" else self._associations_by_core
        keys = sorted(set(index.get(core, []) or index.get(_compact_words(core), [])))
        what = "Kreis" if level == "kreis" else "Gemeindeverband"
        if level == "kreis":
            independent = [k for k in keys if self.district_types.get(k, "") == "Kreisfreie Stadt"]
            if prefixed or not keys:
                keys = [k for k in keys if k not in independent] or (keys if not prefixed else [])
            else:
                keys = [k for k in keys if k not in independent]
        if land_code is not None:
            keys = [k for k in keys if k[:2] == land_code]
        if kreis_keys is not None:
            keys = [k for k in keys if k[:5] in kreis_keys]
        if not keys:
            return Resolution(
                "unmatched",
                reason=_join(f"{raw!r} names a {what}, but the register has no {what} called so"
                             f"{_in_hint(land_code, kreis_keys)}", notes),
            )  # fmt: skip
        places = tuple(self.level_place(level, k) for k in keys)
        if len(keys) > 1:
            return Resolution(
                "ambiguous",
                reason=_join(f"{raw!r} fits {len(keys)} {what}: {_describe(places)}; add a Land hint or the key",
                             notes),
                candidates=places, level=level,
            )  # fmt: skip
        p = places[0]
        return Resolution(
            "exact",
            ags=p.ags,
            name=p.name,
            method="name",
            score=100.0,
            reason=_join(f"{raw!r} is the {what} {p.name} ({p.ags})", notes),
            level=level,
        )

    def _by_key(self, digits: str, notes: list[str]) -> Resolution:
        # Excel drops the leading zero of keys from Länder 01-09: 4-digit Kreis keys, 7-digit AGS.
        if len(digits) in (4, 7):
            digits = "0" + digits
        if len(digits) == 5 and digits in self.district_names:
            p = self.level_place("kreis", digits)
            return Resolution("exact", ags=digits, name=p.name, method="ags", score=100.0, level="kreis")
        if len(digits) == 9 and digits in self.association_names:
            p = self.level_place("verband", digits)
            return Resolution("exact", ags=digits, name=p.name, method="ags", score=100.0, level="verband")
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
            variants = _strip_steps(full)  # "gemeinde amt neuhaus" → "amt neuhaus" → "neuhaus"
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


def _strip_steps(folded: str) -> list[str]:
    """The name with its administrative prefixes stripped one at a time, longest form first."""
    out = [folded]
    while True:
        nxt = strip_prefixes(out[-1], once=True)
        if nxt == out[-1]:
            return out
        out.append(nxt)


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
