"""Acceptance: a list written the way people write it, built from the real register, resolves
with no wrong match (issue 11). See tests/real_lists.py for how the list is written."""

from __future__ import annotations

import pytest

from lernnetz.loaders.names import NameResolver
from lernnetz.loaders.records import Register
from tests.real_lists import build_list, evaluate


@pytest.fixture(scope="module")
def resolver(register: Register) -> NameResolver:
    return NameResolver.from_register(register)


def test_register_list_in_every_form_has_no_wrong_match(register: Register, resolver: NameResolver) -> None:
    rows = build_list(register)
    out = evaluate(resolver, rows)
    counts = out["counts"]
    print(f"\nreal-register list: {len(rows)} rows; {counts}; wrong matches {len(out['wrong'])}")
    print(dict(sorted(out["by_form"].items())))
    assert out["wrong"] == []
    by_form = out["by_form"]
    # every designation form of a unique name resolves (none unmatched), at its own level too
    for form in (
        "plain",
        "upper",
        "lower",
        "paren",
        "PAREN",
        "prefix",
        "comma",
        "spelled-out",
        "kreis",
        "verband",
    ):
        assert by_form[form].get("unmatched", 0) == 0, form
        assert by_form[form].get("ok", 0) >= 0.95 * sum(by_form[form].values()), (form, by_form[form])
    assert by_form["namesake"] == {"ambiguous": by_form["namesake"]["ambiguous"]}  # never guessed
    assert by_form["typo"].get("review", 0) >= 0.9 * sum(by_form["typo"].values())  # fuzzy: always for review
    assert counts.get("unmatched", 0) <= 5


@pytest.mark.parametrize(
    ("text", "land", "register_name", "level"),
    [
        ("Laichingen (Stadt)", "", "Laichingen, Stadt", "gemeinde"),
        ("Rinteln (Stadt)", "", "Rinteln, Stadt", "gemeinde"),
        ("ILLERTISSEN (STADT)", "", "Illertissen, St", "gemeinde"),
        ("Horn-Bad Meinberg (Stadt)", "", "Horn-Bad Meinberg, Stadt", "gemeinde"),
        ("Schieder-Schwalenberg (Stadt)", "", "Schieder-Schwalenberg, Stadt", "gemeinde"),
        ("Barweiler", "RP", "Barweiler", "gemeinde"),
        ("Bärweiler", "RP", "Bärweiler", "gemeinde"),
        ("Halle (Saale)", "", "Halle (Saale), Stadt", "gemeinde"),
        ("Frankfurt (Oder)", "", "Frankfurt (Oder), Stadt", "gemeinde"),
        ("Ehingen (Donau)", "", "Ehingen (Donau), Stadt", "gemeinde"),
        ("Stadt Ehingen (Donau)", "", "Ehingen (Donau), Stadt", "gemeinde"),
        ("Mayen (Große Kreisstadt)", "", "Mayen, Stadt", "gemeinde"),
        ("Lemgo (Hansestadt)", "", "Lemgo, Stadt", "gemeinde"),
        ("Landkreis Lippe", "", "Lippe", "kreis"),
        ("VG Vallendar", "", "Vallendar", "verband"),
        ("Amt Süderbrarup", "", "Süderbrarup", "verband"),
        ("Gemeinde Amt Neuhaus", "", "Amt Neuhaus", "gemeinde"),  # a Gemeinde whose name starts with "Amt"
        ("GVV Plochingen", "", "GVV Plochingen", "verband"),
        ("VG Weißenthurm", "", "Weißenthurm", "verband"),
        ("Neu-Ulm (GKSt)", "", "Neu-Ulm, GKSt", "gemeinde"),
        ("Lügde (Stadt)", "", "Lügde, Stadt der Osterräder", "gemeinde"),
        (
            "Blomberg (Stadt)",
            "",
            "Blomberg, Stadt",
            "gemeinde",
        ),  # the designation tells it from Blomberg (NI)
        ("Stadt Lage", "", "Lage, Stadt", "gemeinde"),
    ],
)
def test_the_issue_examples(
    resolver: NameResolver, text: str, land: str, register_name: str, level: str
) -> None:
    r = resolver.resolve(text, land=land)
    assert (r.status, r.name, r.level) == ("exact", register_name, level), r.reason
    assert r.review_status == "ok"


def test_official_parentheses_are_kept_and_exact_spelling_wins(resolver: NameResolver) -> None:
    # "Halle (Saale)" is not "Halle (Westf.)": the parenthesised part is part of the name
    assert resolver.resolve("Halle (Westf.)").name != resolver.resolve("Halle (Saale)").name
    exact = resolver.resolve("Barweiler")
    assert (exact.method_kind, exact.name) == ("exact", "Barweiler")
    folded = resolver.resolve("Baerweiler")
    assert (folded.method_kind, folded.name) == ("folded", "Bärweiler")
    hinted = resolver.resolve("Neustadt", land="Hessen")
    assert hinted.method_kind == "hint" and hinted.review_status == "review"  # a partial name: check it
