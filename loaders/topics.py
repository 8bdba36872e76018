"""The topic vocabulary: what people write for a topic, and which slug it means.

One vocabulary, kept in ``data/topics.csv``: each topic's slug, German and English labels,
and the ``synonyms`` column (``;``-separated short forms, synonyms and spellings). A text is
compared by a folded key (case, umlauts ä/ae, ß, punctuation and hyphens ignored), so
"Mobilität", "mobilitaet", "MOBILITÄT" and "mobility" all mean ``mobility``.

Keys, strongest first:

1. *exact*: the slug (also with spaces for hyphens), each label, each label without its
   parenthesised part and with the parentheses dropped ("Mobilität (und Infrastruktur)" →
   "Mobilität", "Mobilität und Infrastruktur"), and every synonym;
2. *part*: the parts of a label split at ``/``, ``,``, ``und``, ``and`` and ``&``
   ("Einzelhandel / Innenstadt" → "Innenstadt").

A key that fits two topics at the same strength is **ambiguous**: :meth:`TopicLookup.lookup`
returns both slugs and :meth:`TopicLookup.get` returns None, never a guess. A text that
fits nothing gets :meth:`TopicLookup.suggest`: the closest keys (rapidfuzz ``WRatio`` on the
folded keys), for "did you mean" in reports, the CLI and the API. A close typo ("mobilty")
is accepted only by :meth:`TopicLookup.lookup` with ``typos=True`` (the importer, which lists
such rows for review) and only when one topic is clearly closest.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from lernnetz.loaders.namefold import fold

#: The repository's data folder (the curated files), unless LERNNETZ_CURATED_DIR says otherwise.
_DEFAULT_CURATED = Path(__file__).resolve().parent.parent / "data"
#: A typo is accepted at this ``fuzz.ratio`` or above, if no other topic comes within the margin.
TYPO_THRESHOLD = 88.0
TYPO_MARGIN = 6.0


def topic_key(text: str) -> str:
    """The folded comparison key of a topic text."""
    return re.sub(r"[\s,.()\-_/&'\"]+", " ", fold(str(text))).strip()


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """What a topic text means: ``slugs`` (one, or several when ambiguous, or none) and how."""

    text: str
    slugs: tuple[str, ...]
    method: str  # exact | part | typo | ambiguous | unknown
    suggestions: tuple[str, ...] = ()

    @property
    def slug(self) -> str | None:
        """The one slug, or None when ambiguous or unknown."""
        return self.slugs[0] if len(self.slugs) == 1 else None


def _label_forms(label: str) -> list[str]:
    """A label, without its parenthesised part, and with the parentheses dropped."""
    out = [label]
    if "(" in label:
        out.append(re.sub(r"\([^)]*\)", " ", label))
        out.append(label.replace("(", " ").replace(")", " "))
    return out


def _label_parts(label: str) -> list[str]:
    out: list[str] = []
    for form in _label_forms(label):
        out.extend(p for p in re.split(r"\s*/\s*|\s*,\s*|\s+und\s+|\s+and\s+|\s*&\s*", form) if p.strip())
    return out


class TopicLookup:
    """Topic slugs by slug, label, synonym or label part (see the module docstring)."""

    def __init__(
        self, topics: Iterable[tuple[str, str, str]], synonyms: dict[str, list[str]] | None = None
    ) -> None:
        self.slugs: set[str] = set()
        self.labels: dict[str, str] = {}
        exact: dict[str, set[str]] = {}
        parts: dict[str, set[str]] = {}
        for slug, label_de, label_en in topics:
            self.slugs.add(slug)
            self.labels[slug] = label_de or label_en or slug
            texts = [slug, slug.replace("-", " ")]
            for label in (label_de, label_en):
                texts.extend(_label_forms(label or ""))
            texts.extend((synonyms or {}).get(slug, []))
            for text in texts:
                if topic_key(text):
                    exact.setdefault(topic_key(text), set()).add(slug)
            for label in (label_de, label_en):
                for part in _label_parts(label or ""):
                    if topic_key(part):
                        parts.setdefault(topic_key(part), set()).add(slug)
        self._map: dict[str, tuple[tuple[str, ...], str]] = {}
        for key, slugs in parts.items():
            self._map[key] = (tuple(sorted(slugs)), "part")
        for key, slugs in exact.items():
            self._map[key] = (tuple(sorted(slugs)), "exact")
        self._keys = sorted(self._map)

    @classmethod
    def from_frame(cls, df: Any, synonyms: dict[str, list[str]] | None = None) -> TopicLookup:
        """From a store's ``topics()`` frame; synonyms from its ``synonyms`` column when it has
        one, else from the vocabulary file (:func:`vocabulary_synonyms`)."""
        if synonyms is None:
            if "synonyms" in df:
                synonyms = {s: _split(v) for s, v in zip(df["slug"], df["synonyms"].fillna(""), strict=True)}
            else:
                synonyms = vocabulary_synonyms()
        rows = zip(df["slug"], df["label_de"].fillna(""), df["label_en"].fillna(""), strict=True)
        return cls(rows, synonyms)

    def lookup(self, text: str, *, typos: bool = False) -> TopicMatch:
        """What ``text`` means (see :class:`TopicMatch`)."""
        key = topic_key(text)
        hit = self._map.get(key)
        if hit is not None:
            slugs, method = hit
            return TopicMatch(text, slugs, method if len(slugs) == 1 else "ambiguous")
        if typos and len(key) >= 5:
            scored = process.extract(
                key, self._keys, scorer=fuzz.ratio, limit=10, score_cutoff=TYPO_THRESHOLD - TYPO_MARGIN
            )
            if scored and scored[0][1] >= TYPO_THRESHOLD:
                top = scored[0][1]
                close = {s for k, score, _ in scored if score >= top - TYPO_MARGIN for s in self._map[k][0]}
                if len(close) == 1:
                    return TopicMatch(text, tuple(close), "typo")
        return TopicMatch(text, (), "unknown", tuple(self.suggest(text)))

    def get(self, text: str) -> str | None:
        """The one slug a text means, or None (unknown or ambiguous)."""
        return self.lookup(text).slug

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Slugs of the closest topics, best first (for "did you mean")."""
        key = topic_key(text)
        if not key:
            return []
        out: list[str] = []
        for k, _score, _ in process.extract(key, self._keys, scorer=fuzz.WRatio, limit=20, score_cutoff=60):
            for s in self._map[k][0]:
                if s not in out:
                    out.append(s)
        return out[:limit]

    def candidates(self, text: str, limit: int = 3) -> list[dict[str, str]]:
        """Suggestions as ``{"slug", "label"}`` dicts (the API's ``candidates``)."""
        return [{"slug": s, "label": self.labels.get(s, s)} for s in self.suggest(text, limit)]


def _split(cell: str) -> list[str]:
    return [s.strip() for s in str(cell or "").split(";") if s.strip()]


def read_synonyms(path: Path) -> dict[str, list[str]]:
    """``{slug: [synonym, …]}`` from a topics.csv with a ``synonyms`` column (empty without)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {r["slug"]: _split(r.get("synonyms") or "") for r in csv.DictReader(fh) if r.get("slug")}


def vocabulary_synonyms() -> dict[str, list[str]]:
    """The synonyms of the curated ``topics.csv`` (LERNNETZ_CURATED_DIR, else the repository's
    ``data/``); empty when there is none. Cached per file state."""
    folder = Path(os.environ.get("LERNNETZ_CURATED_DIR") or _DEFAULT_CURATED)
    path = folder / "topics.csv"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _cached_synonyms(str(path), stamp)


@functools.lru_cache(maxsize=8)
def _cached_synonyms(path: str, _stamp: int) -> dict[str, list[str]]:
    try:
        return read_synonyms(Path(path))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
