"""The German municipal name resolver, on real name variants from the register."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from lernnetz.loaders.names import (
    FUZZY_THRESHOLD,
    NameResolver,
    base_name,
    compact,
    core_name,
    fold,
    land_key,
)
from lernnetz.loaders.records import Register


@pytest.fixture(scope="module")
def resolver(register: Register) -> NameResolver:
    return NameResolver.from_register(register)


def _ags_where(register: Register, predicate: object) -> list[str]:
    """AGS of the Gemeinden whose register name satisfies the predicate (independent of the resolver)."""
    assert callable(predicate)
    return sorted(m.ags for m in register.municipalities if not m.is_unincorporated and predicate(m.name))


def test_fold_and_core_name() -> None:
    assert fold("Gießen") == fold("Giessen") == "giessen"
    assert fold("Mülheim an der Ruhr") == fold("Muelheim an der Ruhr")
    assert fold("St. Ingbert") == "sankt ingbert"
    assert fold("Neustadt a.d. Aisch") == fold("Neustadt a.d.Aisch") == "neustadt an der aisch"
    assert core_name("Alte Hansestadt Lemgo") == core_name("Lemgo, Stadt") == "lemgo"
    assert core_name("Stadt Mayen") == core_name("Mayen, Stadt") == "mayen"
    assert core_name("Landkreis Mayen-Koblenz") == "mayen koblenz"
    assert core_name("Verbandsgemeinde Vallendar") == "vallendar"
    assert base_name("Neustadt, Hessen") == "neustadt hessen"  # a qualifier after a comma is kept
    assert compact("Frankfurt an der Oder") == compact("Frankfurt (Oder), Stadt") == "frankfurtoder"
    assert compact("Weiden in der Oberpfalz") == compact("Weiden i.d.OPf.")
    assert land_key("Bayern") == land_key("BY") == land_key("09") == "09"
    assert land_key("NRW") == "05" and land_key("Thüringen") == land_key("Thueringen") == "16"
    assert land_key("Atlantis") is None


def test_lemgo_variants(register: Register, resolver: NameResolver) -> None:
    (lemgo,) = _ags_where(register, lambda n: n.split(",")[0] == "Lemgo")
    (lemgow,) = _ags_where(register, lambda n: n == "Lemgow")  # a real, different Gemeinde
    for text in ("Lemgo", "Alte Hansestadt Lemgo", "Stadt Lemgo", "lemgo", "Lemgo, Stadt", lemgo):
        r = resolver.resolve(text)
        assert (r.status, r.ags) == ("exact", lemgo), text
    assert resolver.resolve("Lemgow").ags == lemgow
    typo = resolver.resolve("Lemgoo")  # one letter too many: fuzzy, and not the Lemgow
    assert typo.status == "fuzzy" and typo.ags == lemgo and typo.score >= FUZZY_THRESHOLD
    # a hint that contradicts the name is flagged, not overridden
    conflict = resolver.resolve("Lemgo", land="Bayern")
    assert conflict.status == "unmatched" and "Bayern" in conflict.reason


def test_mayen_and_kreise(register: Register, resolver: NameResolver) -> None:
    (mayen,) = _ags_where(register, lambda n: n.split(",")[0] == "Mayen")
    assert resolver.resolve("Stadt Mayen").ags == mayen
    assert resolver.resolve("Mayen", kreis="Landkreis Mayen-Koblenz").ags == mayen
    # a Kreis or a Gemeindeverband resolves at its own level, never to its namesake town
    for text, key in (
        ("Landkreis Mayen-Koblenz", "07137"),
        ("Landkreis Hof", "09475"),
        ("Kreis Höxter", "05762"),
    ):
        r = resolver.resolve(text)
        assert (r.status, r.level, r.ags) == ("exact", "kreis", key), text
    for text in ("Verbandsgemeinde Vallendar", "VG Vallendar"):
        r = resolver.resolve(text)
        assert (r.status, r.level, r.name) == ("exact", "verband", "Vallendar"), text
        assert r.ags is not None and len(r.ags) == 9 and r.ags.startswith("07137")
    amt = resolver.resolve("Amt Süderbrarup")
    assert (amt.level, amt.name) == ("verband", "Süderbrarup")
    # … unless the register has a Gemeinde with exactly that name
    (amt_neuhaus,) = _ags_where(register, lambda n: n == "Amt Neuhaus")
    assert resolver.resolve("Amt Neuhaus").ags == amt_neuhaus
    (wehlen,) = _ags_where(register, lambda n: n.startswith("Stadt Wehlen"))
    assert resolver.resolve("Stadt Wehlen").ags == wehlen


def test_frankfurt(register: Register, resolver: NameResolver) -> None:
    (oder,) = _ags_where(register, lambda n: n.startswith("Frankfurt (Oder)"))
    (main,) = _ags_where(register, lambda n: n.startswith("Frankfurt am Main"))
    assert oder != main
    for text in ("Frankfurt (Oder)", "Frankfurt/Oder", "Frankfurt an der Oder", "Stadt Frankfurt (Oder)"):
        assert resolver.resolve(text).ags == oder, text
    for text in ("Frankfurt am Main", "Frankfurt a.M.", "Stadt Frankfurt am Main", "Frankfrt am Main"):
        r = resolver.resolve(text)
        assert r.ags == main and r.matched, text
    both = resolver.resolve("Frankfurt")
    assert both.status == "ambiguous" and both.ags is None
    assert sorted(p.ags for p in both.candidates) == sorted([oder, main])
    assert resolver.resolve("Frankfurt", land="Brandenburg").ags == oder
    assert resolver.resolve("Frankfurt", land="HE").ags == main


def test_the_many_neustadt(register: Register, resolver: NameResolver) -> None:
    # independently: every register Gemeinde whose name starts with the word "Neustadt"
    neustadt = [m for m in register.municipalities if re.match(r"Neustadt\b", m.name)]
    assert len(neustadt) >= 15
    plain = resolver.resolve("Neustadt")
    assert plain.status == "ambiguous" and plain.ags is None
    assert sorted(p.ags for p in plain.candidates) == sorted(m.ags for m in neustadt)
    per_land: dict[str, list[str]] = defaultdict(list)
    for m in neustadt:
        per_land[m.state_code].append(m.ags)
    assert any(len(v) == 1 for v in per_land.values()) and any(len(v) > 1 for v in per_land.values())
    for land, keys in per_land.items():
        r = resolver.resolve("Neustadt", land=land)
        if len(keys) == 1:
            assert (r.status, r.ags) == ("exact", keys[0]), land
        else:
            assert r.status == "ambiguous" and sorted(p.ags for p in r.candidates) == sorted(keys), land
    # a Kreis hint narrows further: Neustadt a.d.Donau lies in Kreis Kelheim
    (donau,) = [m for m in neustadt if "Donau" in m.name]
    assert resolver.resolve("Neustadt", kreis="Kelheim").ags == donau.ags
    assert resolver.resolve("Neustadt", kreis=donau.district_key or "").ags == donau.ags
    assert resolver.resolve("Neustadt an der Donau").ags == donau.ags
    # Titisee-Neustadt and Bad Neustadt are other names, not Neustadt candidates
    titisee = _ags_where(register, lambda n: n.startswith("Titisee-Neustadt"))
    assert titisee and titisee[0] not in {p.ags for p in plain.candidates}


def test_spellings_sankt_umlauts_abbreviations(register: Register, resolver: NameResolver) -> None:
    (ingbert,) = _ags_where(register, lambda n: n.startswith("St. Ingbert"))
    assert resolver.resolve("Sankt Ingbert").ags == resolver.resolve("St. Ingbert").ags == ingbert
    (giessen,) = _ags_where(register, lambda n: n.startswith("Gießen"))
    assert resolver.resolve("Giessen").ags == resolver.resolve("Universitätsstadt Gießen").ags == giessen
    (weiden,) = _ags_where(register, lambda n: n.startswith("Weiden i.d.OPf."))
    assert resolver.resolve("Weiden in der Oberpfalz").ags == weiden
    # plain "Weiden" is also a village in Rheinland-Pfalz: ambiguous without a hint
    assert resolver.resolve("Weiden").status == "ambiguous"
    assert resolver.resolve("Weiden", land="BY").ags == weiden


def test_keys_and_nonsense(register: Register, resolver: NameResolver) -> None:
    ulm = next(m for m in register.municipalities if m.name.startswith("Ulm,"))
    assert resolver.resolve(ulm.ags).ags == ulm.ags
    assert resolver.resolve(ulm.ars).ags == ulm.ags  # 12-digit ARS
    assert resolver.resolve("99999999").status == "unmatched"
    # Excel drops the leading zero: 7-digit AGS and 4-digit Kreis keys get it back
    lemgo = resolver.resolve("5766044")  # Lemgo, 05766044 in the register
    assert (lemgo.ags, lemgo.level) == ("05766044", "gemeinde") and lemgo.name.startswith("Lemgo")
    lippe = resolver.resolve("5766")  # Kreis Lippe, 05766
    assert (lippe.ags, lippe.level) == ("05766", "kreis")
    assert resolver.resolve("1234").status == "unmatched"  # 01234 is no Kreis
    assert resolver.resolve("Atlantis").status == "unmatched"
    assert resolver.resolve("").status == "unmatched"
    unincorporated = next(m for m in register.municipalities if m.is_unincorporated)
    assert resolver.resolve(unincorporated.ags).status == "unmatched"


def test_umlaut_spelling_rules_out_namesakes_but_never_guesses(
    register: Register, resolver: NameResolver
) -> None:
    # folding makes "Münster" = "Munster" and "Neunkirchen" = "Neuenkirchen"; the spelling decides
    (munster,) = _ags_where(register, lambda n: n.split(",")[0] == "Munster")
    muenster = _ags_where(register, lambda n: re.match(r"Münster\b", n) is not None)
    assert len(muenster) > 1
    for text in ("Münster", "Muenster"):
        r = resolver.resolve(text)
        assert r.status == "ambiguous" and munster not in {p.ags for p in r.candidates}, text
        assert set(muenster) >= {p.ags for p in r.candidates}, text
    plain = resolver.resolve("Munster")  # the exact spelling of a register name beats the folded ones
    assert (plain.status, plain.ags, plain.method) == ("exact", munster, "name")
    neuen = _ags_where(register, lambda n: n.split(",")[0] == "Neuenkirchen")
    neun = _ags_where(register, lambda n: n.split(",")[0] == "Neunkirchen")
    assert neuen and neun
    for text, own, other in (("Neunkirchen", neun, neuen), ("Neuenkirchen", neuen, neun)):
        got = {p.ags for p in resolver.resolve(text).candidates}
        assert set(own) <= got and not got & set(other), text
    (buende,) = _ags_where(register, lambda n: n.split(",")[0] == "Bünde")
    assert _ags_where(register, lambda n: n.split(",")[0] == "Bunde")  # the namesake exists
    r = resolver.resolve("Bünde")
    assert (r.status, r.ags, r.method) == ("exact", buende, "name")
    (bunde,) = _ags_where(register, lambda n: n.split(",")[0] == "Bunde")
    assert resolver.resolve("Bunde").ags == bunde  # spelled as in the register: no guess involved
    assert resolver.resolve("Buende").ags == buende
