"""Plain records produced by the loaders and consumed by every graph store."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Land key → (short code, name). Official order of the AGS Land keys.
LAENDER: dict[str, tuple[str, str]] = {
    "01": ("SH", "Schleswig-Holstein"),
    "02": ("HH", "Hamburg"),
    "03": ("NI", "Niedersachsen"),
    "04": ("HB", "Bremen"),
    "05": ("NW", "Nordrhein-Westfalen"),
    "06": ("HE", "Hessen"),
    "07": ("RP", "Rheinland-Pfalz"),
    "08": ("BW", "Baden-Württemberg"),
    "09": ("BY", "Bayern"),
    "10": ("SL", "Saarland"),
    "11": ("BE", "Berlin"),
    "12": ("BB", "Brandenburg"),
    "13": ("MV", "Mecklenburg-Vorpommern"),
    "14": ("SN", "Sachsen"),
    "15": ("ST", "Sachsen-Anhalt"),
    "16": ("TH", "Thüringen"),
}
LAND_BY_SHORT: dict[str, str] = {short: code for code, (short, _) in LAENDER.items()}

#: Textkennzeichen of Satzart 60 (Gemeinde) records.
MUNICIPALITY_TYPES: dict[str, str] = {
    "60": "Markt",
    "61": "Kreisfreie Stadt",
    "62": "Stadtkreis",
    "63": "Stadt",
    "64": "Kreisangehörige Gemeinde",
    "65": "gemeindefreies Gebiet, bewohnt",
    "66": "gemeindefreies Gebiet, unbewohnt",
    "67": "Große Kreisstadt",
}
#: Textkennzeichen 65/66: areas that belong to no Gemeinde.
UNINCORPORATED_TYPES = frozenset({"65", "66"})

#: Textkennzeichen of Satzart 40 (Kreis) records.
DISTRICT_TYPES: dict[str, str] = {
    "41": "Kreisfreie Stadt",
    "42": "Stadtkreis",
    "43": "Kreis",
    "44": "Landkreis",
    "45": "Regionalverband",
}

#: Bounding box of Germany (with a margin) that every official centre point lies in.
GERMANY_BBOX = (47.2, 55.1, 5.8, 15.1)  # lat_min, lat_max, lon_min, lon_max


@dataclass(frozen=True, slots=True)
class StateRecord:
    """A Land (Satzart 10)."""

    code: str
    short: str
    name: str


@dataclass(frozen=True, slots=True)
class DistrictRecord:
    """A Kreis (Satzart 40); key is AGS[0:5]."""

    key: str
    name: str
    type_code: str
    type: str
    state_code: str


@dataclass(frozen=True, slots=True)
class AssociationRecord:
    """A Gemeindeverband (Satzart 50: Amt, Verbandsgemeinde, VG …); key is ARS[0:9]."""

    key: str
    name: str
    district_key: str


@dataclass(frozen=True, slots=True)
class MunicipalityRecord:
    """A Gemeinde or gemeindefreies Gebiet (Satzart 60)."""

    ags: str
    ars: str
    name: str
    type_code: str
    type: str
    state_code: str
    district_key: str | None
    association_key: str
    association_name: str
    area_km2: float
    population: int
    population_male: int
    population_female: int
    postcode: str | None
    lat: float | None
    lon: float | None

    @property
    def is_unincorporated(self) -> bool:
        """True for gemeindefreie Gebiete (Textkennzeichen 65/66)."""
        return self.type_code in UNINCORPORATED_TYPES


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a set of records came from."""

    source: str
    stichtag: str
    sha256: str = ""
    url: str = ""
    attribution: str = ""


@dataclass(slots=True)
class Register:
    """The official municipality register: Länder, Kreise, Gemeindeverbände, Gemeinden."""

    states: list[StateRecord]
    districts: list[DistrictRecord]
    associations: list[AssociationRecord]
    municipalities: list[MunicipalityRecord]
    provenance: Provenance
    population_date: str = ""
    extra: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- programme data


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    """One Modellprojekt Smart Cities (``data/projects.csv``)."""

    id: str
    name: str
    label: str
    round: int
    category: str
    type: str
    states: tuple[str, ...]
    lead_key: str
    phase: str
    profile_url: str
    source: str
    confidence: str
    note: str = ""
    #: ``active``, ``ended`` or ``left`` where a source says so; empty = unknown.
    status: str = ""
    #: ISO date of the actual end (``ended``/``left``), where a source gives it.
    end_date: str = ""
    #: The source of ``status`` and ``end_date``.
    status_source: str = ""


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """One territory key of a project (``data/project_members.csv``).

    ``level`` is ``gemeinde`` (8-digit AGS), ``kreis`` (5-digit key) or ``verband``
    (9-digit Gemeindeverband key, expanded to its Gemeinden through the register).
    """

    project_id: str
    key: str
    level: str
    name: str
    role: str
    source: str
    confidence: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """One topic of the taxonomy (``data/topics.csv``)."""

    slug: str
    label_de: str
    label_en: str
    family: str
    parent: str
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class ProjectTopicRecord:
    """A project addresses a topic (``data/project_topics.csv``)."""

    project_id: str
    topic: str
    source: str
    confidence: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A KTS event (``data/events.csv``): Regionalkonferenz, Kongress, Peer-Learning …"""

    id: str
    kind: str
    number: int | None
    date_start: str
    date_end: str
    host_projects: tuple[str, ...]
    place_key: str
    format: str
    title: str
    participants: int | None
    source: str
    confidence: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class EventTopicRecord:
    """An event focuses on a topic (``data/event_topics.csv``)."""

    event_id: str
    topic: str
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class RelationRecord:
    """A known typed KTS tie (``data/relations.csv`` or ``lernnetz import ties``).

    ``from_kind``/``to_kind``: ``project`` (key its id), ``municipality`` (AGS), ``district``
    (5-digit Kreis key) or ``association`` (9-digit Gemeindeverband key)."""

    type: str
    from_kind: str
    from_key: str
    to_kind: str
    to_key: str
    source: str
    confidence: str
    note: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class OtherProgrammeRecord:
    """Another programme, open-source community, ranking or peer-learning format
    (``data/programmes.csv``): evidence of activity outside the MPSC."""

    id: str
    name: str
    operator: str
    years: str
    kind: str
    topics: tuple[str, ...]
    source: str
    confidence: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProgrammeParticipationRecord:
    """A Gemeinde, Verband or Kreis takes part in another programme
    (``data/programme_participation.csv``). ``key`` has the length of its ``level``."""

    programme_id: str
    key: str
    level: str
    name: str
    role: str
    year: str
    topics: tuple[str, ...]
    topic_evidence: str
    source: str
    confidence: str
    note: str = ""


@dataclass(slots=True)
class Programme:
    """All curated programme data."""

    projects: list[ProjectRecord]
    members: list[MemberRecord]
    topics: list[TopicRecord]
    project_topics: list[ProjectTopicRecord]
    events: list[EventRecord]
    event_topics: list[EventTopicRecord]
    relations: list[RelationRecord]
    source: str = ""
    #: Other programmes (``programmes.csv``) and who takes part in them.
    other_programmes: list[OtherProgrammeRecord] = field(default_factory=list)
    programme_participation: list[ProgrammeParticipationRecord] = field(default_factory=list)


# --------------------------------------------------------------------------- participation


@dataclass(frozen=True, slots=True)
class ParticipationRecord:
    """One resolved participation row: the interest or attendance of a Gemeinde, Kreis or Verband.

    ``level`` says whose: ``gemeinde`` (``ags`` an 8-digit AGS), ``kreis`` (``ags`` the
    5-digit Kreis key) or ``verband`` (``ags`` the 9-digit Gemeindeverband key, as the
    register has them). A row with a ``topic`` becomes an INTERESTED_IN edge; a row with an
    ``event_id`` becomes an ATTENDED edge (and, when it also names a topic, an interest too),
    drawn from the Municipality, District or Association node.
    Identity (for idempotent imports) is every field but ``weight``.
    """

    ags: str
    kind: str
    date: str
    source: str
    topic: str | None = None
    event_id: str | None = None
    weight: float = 1.0
    level: str = "gemeinde"
