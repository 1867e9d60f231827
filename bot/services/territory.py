"""Territory directory: parishes, cantons, district offices and who serves each place.

The whole territory (≈1,500 names) is read once and kept in memory; lookups are accent-,
case- and typo-tolerant (rapidfuzz) and never touch the database. Jurisdiction is parish-level
where a canton has several offices (Quito, Guayaquil: `parish_districts`) and canton-level
elsewhere; every mapping carries its source and confidence, and where none is known the answer
says so and names the zonal coordination instead of guessing an office.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.place_text import place_readings
from bot.domain.text import name_key
from bot.storage.models import Canton, District, Parish, ParishDistrict, Province, Zone

# More candidates than this are not listed: the citizen is asked to add the canton.
MAX_CHOICES = 8
_ALIAS = re.compile(r"^(?P<main>[^()]+?)\s*\((?P<alias>[^()]+)\)\s*$")


@dataclass(frozen=True)
class Office:
    """A district directorate as shown to citizens (staff keep its directory row)."""

    code: str
    name: str
    zone_name: str
    address: str | None
    hours: str | None
    phone: str | None
    services: str | None = None
    source: str | None = None
    checked_on: date | None = None
    zone_code: str | None = None


@dataclass(frozen=True)
class ZonalCoordination:
    """A ministry planning zone's coordination: the level above the district offices."""

    code: str
    name: str


@dataclass(frozen=True)
class Place:
    """A parish or a canton with its canton, province and serving district (when known)."""

    kind: str  # "parish" | "canton"
    code: str
    name: str
    canton_code: str
    canton_name: str
    province_code: str
    province_name: str
    timezone: str
    district_code: str | None
    district_source: str | None = None
    district_confidence: str | None = None

    @property
    def label(self) -> str:
        """'Tacamoros (Sozoranga, Loja)' — unambiguous for homonymous parishes."""
        if self.kind == "parish":
            return f"{self.name} ({self.canton_name}, {self.province_name})"
        return f"{self.name} ({self.province_name})"

    @property
    def parish_code(self) -> str | None:
        """The parish code, or None for a canton."""
        return self.code if self.kind == "parish" else None


@dataclass(frozen=True)
class Match:
    """The outcome of a name lookup: exact places, or the nearest names when none matched."""

    places: tuple[Place, ...]
    suggestions: tuple[Place, ...]
    more: bool = False  # more places matched than are listed: ask for the canton


@dataclass(frozen=True)
class OfficeAnswer:
    """What is truthfully known about who serves a place.

    `office` is set only when a shipped or staff mapping names it (with `confidence`, V/P/D/U);
    otherwise `city_offices` lists the offices of a canton with several (none known for this
    parish) and `zone` the zonal coordination; the call centre is always given by the flow.
    """

    place: Place
    office: Office | None
    confidence: str | None
    source: str | None
    city_offices: tuple[Office, ...]
    zone: ZonalCoordination | None


@dataclass(frozen=True)
class Coverage:
    """How many places get an office, an address, or only the zonal coordination."""

    parishes: int
    parishes_with_office: int
    parishes_with_address: int
    parishes_by_confidence: dict[str, int]
    parishes_with_zone_only: int
    parishes_without_zone: int
    cantons: int
    cantons_with_office: int
    offices: int
    offices_with_address: int
    offices_with_hours: int
    offices_with_phone: int


class TerritoryDirectory:
    """In-memory, read-only view of the territory tables."""

    def __init__(
        self,
        places: list[Place],
        offices: dict[str, Office],
        zones: list[tuple[ZonalCoordination, tuple[str, ...]]] | None = None,
    ) -> None:
        self._places = places
        self._offices = offices
        self._zones = zones or []
        self._by_code = {p.code: p for p in places}
        # One place per (canton, name): INEC lists some cabeceras twice (urban 01 and rural 50).
        seen: set[tuple[str, str, str]] = set()
        self._keys: list[str] = []
        self._key_places: list[Place] = []
        self._by_key: dict[str, list[Place]] = {}
        for place in sorted(places, key=lambda p: (len(p.name), p.code)):
            for key in _name_keys(place.name):
                marker = (place.kind, place.canton_code, key)
                if marker in seen:
                    continue
                seen.add(marker)
                self._keys.append(key)
                self._key_places.append(place)
                self._by_key.setdefault(key, []).append(place)
        self._sorted_keys = sorted(self._by_key)

    @classmethod
    async def load(cls, session: AsyncSession) -> TerritoryDirectory:
        """Reads provinces, cantons, parishes, districts, zones and jurisdictions once."""
        provinces = {p.code: p for p in await session.scalars(select(Province))}
        cantons = {c.code: c for c in await session.scalars(select(Canton))}
        zone_rows = list(await session.scalars(select(Zone)))
        zones = {z.code: z.name for z in zone_rows}
        offices = {
            d.code: Office(
                d.code,
                d.name,
                zones.get(d.zone_code, ""),
                d.address,
                d.hours,
                d.phone,
                d.services,
                d.source,
                d.checked_on,
                d.zone_code,
            )
            for d in await session.scalars(select(District))
        }
        by_parish = {m.parish_code: m for m in await session.scalars(select(ParishDistrict))}
        places: list[Place] = []
        for canton in cantons.values():
            province = provinces[canton.province_code]
            places.append(
                Place(
                    "canton",
                    canton.code,
                    canton.name,
                    canton.code,
                    canton.name,
                    province.code,
                    province.name,
                    province.timezone,
                    canton.district_code,
                    canton.district_source,
                    canton.district_confidence,
                )
            )
        for parish in await session.scalars(select(Parish)):
            canton = cantons[parish.canton_code]
            province = provinces[canton.province_code]
            own = by_parish.get(parish.code)
            places.append(
                Place(
                    "parish",
                    parish.code,
                    parish.name,
                    canton.code,
                    canton.name,
                    province.code,
                    province.name,
                    province.timezone,
                    own.district_code if own else canton.district_code,
                    own.source if own else canton.district_source,
                    own.confidence if own else canton.district_confidence,
                )
            )
        coverage = [
            (ZonalCoordination(z.code, z.name), tuple((z.serves or "").split())) for z in zone_rows
        ]
        return cls(places, offices, coverage)

    @property
    def parish_count(self) -> int:
        """How many parishes are loaded."""
        return sum(1 for p in self._places if p.kind == "parish")

    def get(self, code: str) -> Place | None:
        """Returns the parish or canton with INEC `code`."""
        return self._by_code.get(code)

    def office(self, district_code: str | None) -> Office | None:
        """Returns the district office with `district_code`."""
        return self._offices.get(district_code) if district_code else None

    def offices_in_province(self, province_code: str) -> list[Office]:
        """District offices whose code starts with the province code (e.g. 11D01, 11D06)."""
        return sorted(
            (o for o in self._offices.values() if o.code.startswith(province_code)),
            key=lambda o: o.code,
        )

    def office_for(self, place: Place) -> Office | None:
        """The district office serving `place`, when the canton mapping is known."""
        return self.office(place.district_code)

    def zone_for(self, place: Place) -> ZonalCoordination | None:
        """The zonal coordination of `place`: a canton listed by a zone wins over its province."""
        for wanted in (place.canton_code, place.province_code):
            for zone, serves in self._zones:
                if wanted in serves:
                    return zone
        return None

    def answer_for(self, place: Place) -> OfficeAnswer:
        """Who serves `place`, as far as the data truly says (never a guessed office)."""
        office = self.office_for(place)
        zone = self.zone_for(place)
        if office is not None:
            if office.zone_code:
                zone = next((z for z, _ in self._zones if z.code == office.zone_code), zone)
            return OfficeAnswer(
                place, office, place.district_confidence, place.district_source, (), zone
            )
        return OfficeAnswer(place, None, None, None, self._city_offices(place), zone)

    def _city_offices(self, place: Place) -> tuple[Office, ...]:
        """The offices of a canton that a zone covers alone (Quito, Guayaquil), when unmapped."""
        for zone, serves in self._zones:
            if place.canton_code in serves:
                taken = {
                    p.district_code
                    for p in self._places
                    if p.kind == "canton" and p.canton_code != place.canton_code
                }
                return tuple(
                    o
                    for o in sorted(self._offices.values(), key=lambda o: o.code)
                    if o.zone_code == zone.code and o.code not in taken
                )
        return ()

    def coverage(self) -> Coverage:
        """Counts parishes with an office, with an address, and those left to the zone."""
        parishes = [p for p in self._places if p.kind == "parish" and p.province_code != "90"]
        cantons = [p for p in self._places if p.kind == "canton" and p.province_code != "90"]
        with_office = [p for p in parishes if self.office_for(p) is not None]
        by_confidence: dict[str, int] = {}
        for place in with_office:
            tag = place.district_confidence or "?"
            by_confidence[tag] = by_confidence.get(tag, 0) + 1
        unmapped = [p for p in parishes if self.office_for(p) is None]
        offices = list(self._offices.values())
        return Coverage(
            parishes=len(parishes),
            parishes_with_office=len(with_office),
            parishes_with_address=sum(
                1 for p in with_office if (o := self.office_for(p)) and o.address
            ),
            parishes_by_confidence=dict(sorted(by_confidence.items())),
            parishes_with_zone_only=sum(1 for p in unmapped if self.zone_for(p)),
            parishes_without_zone=sum(1 for p in unmapped if not self.zone_for(p)),
            cantons=len(cantons),
            cantons_with_office=sum(1 for c in cantons if c.district_code),
            offices=len(offices),
            offices_with_address=sum(1 for o in offices if o.address),
            offices_with_hours=sum(1 for o in offices if o.hours),
            offices_with_phone=sum(1 for o in offices if o.phone),
        )

    def find(
        self, text: str, *, kinds: tuple[str, ...] = ("parish", "canton"), limit: int = 5
    ) -> Match:
        """Finds places by name: exact (accent/case-insensitive) first, then fuzzy.

        «Baños» also offers «Baños de Agua Santa»; «San José, Chambo» narrows homonyms by
        canton or province. More than `MAX_CHOICES` homonyms set `Match.more`.
        """
        name, _, where = text.partition(",")
        key, where_key = name_key(name), name_key(where)
        if not key:
            return Match((), ())
        exact = self._exact(key, kinds)
        if where_key:
            exact = [p for p in exact if _in_place(p, where_key)]
        if not exact:
            # «Tacamoros Sozoranga», «vivo en San José de Chambo»: a parish, then its canton.
            for reading in place_readings(text):
                found = [
                    p
                    for p in self._exact(reading.name, kinds)
                    if not reading.where or _in_place(p, reading.where)
                ]
                if found:
                    exact = found
                    break
        if exact:
            return Match(tuple(exact[:MAX_CHOICES]), (), len(exact) > MAX_CHOICES)
        return self._fuzzy(key, kinds, limit)

    def _exact(self, key: str, kinds: tuple[str, ...]) -> list[Place]:
        found = [p for p in self._by_key.get(key, []) if p.kind in kinds]
        if not found:
            return []
        if len(key) >= 4:
            # «Baños» is also the start of «Baños de Agua Santa»: offer both, never guess.
            for other in self._prefixed(key + " "):
                found.extend(p for p in self._by_key[other] if p.kind in kinds)
        unique: list[Place] = []
        for place in found:
            if place not in unique:
                unique.append(place)
        # A parish named like its canton (the cabecera) is the same place for the citizen.
        parish_cantons = {(p.canton_code, name_key(p.name)) for p in unique if p.kind == "parish"}
        unique = [
            p
            for p in unique
            if p.kind == "parish" or (p.canton_code, name_key(p.name)) not in parish_cantons
        ]
        exact_first = sorted(
            unique, key=lambda p: (name_key(p.name) != key, p.province_name, p.canton_name)
        )
        return exact_first

    def _prefixed(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self._sorted_keys, prefix)
        keys: list[str] = []
        for candidate in self._sorted_keys[start:]:
            if not candidate.startswith(prefix):
                break
            keys.append(candidate)
        return keys

    def _fuzzy(self, key: str, kinds: tuple[str, ...], limit: int) -> Match:
        scored = process.extract(
            key, self._keys, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=80
        )
        places: list[Place] = []
        for _, score, index in scored:
            place = self._key_places[index]
            if place.kind in kinds and place not in places:
                if score >= 92 and len(key) >= 4:
                    places.insert(0, place)
                else:
                    places.append(place)
        if places and fuzz.ratio(key, name_key(places[0].name)) >= 88:
            best = name_key(places[0].name)
            same = tuple(p for p in places if name_key(p.name) == best)
            return Match(same, ())
        if not places:
            loose = process.extract(
                key, self._keys, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=55
            )
            places = [self._key_places[i] for _, _, i in loose]
            places = [p for p in places if p.kind in kinds]
        unique: list[Place] = []
        for place in places:
            if place not in unique:
                unique.append(place)
        return Match((), tuple(unique[:limit]))


def _name_keys(name: str) -> list[str]:
    """The keys a place is found by: its name, and for «Checa (Jidcay)» both parts."""
    match = _ALIAS.match(name)
    if match is None:
        return [name_key(name)]
    keys = [name_key(match.group("main"))]
    alias = match.group("alias")
    if not alias.lower().startswith("cab"):
        keys.append(name_key(alias))
    return [k for k in keys if k]


def _in_place(place: Place, where_key: str) -> bool:
    """Whether the typed canton or province («Chambo», «Loja») is the place's."""
    return any(
        name_key(n) == where_key or name_key(n).startswith(where_key + " ")
        for n in (place.canton_name, place.province_name)
    )
