"""Territory directory: parishes, cantons and district offices, found by forgiving name lookup.

The whole territory (≈1,500 names) is read once and kept in memory; lookups are accent-,
case- and typo-tolerant (rapidfuzz) and never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.text import name_key
from bot.storage.models import Canton, District, Parish, Province, Zone


@dataclass(frozen=True)
class Office:
    """A district directorate as shown to citizens."""

    code: str
    name: str
    zone_name: str
    address: str | None
    hours: str | None
    phone: str | None


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


class TerritoryDirectory:
    """In-memory, read-only view of the territory tables."""

    def __init__(self, places: list[Place], offices: dict[str, Office]) -> None:
        self._places = places
        self._offices = offices
        self._by_code = {p.code: p for p in places}
        self._keys = [name_key(p.name) for p in places]
        self._by_key: dict[str, list[Place]] = {}
        for key, place in zip(self._keys, places, strict=True):
            self._by_key.setdefault(key, []).append(place)

    @classmethod
    async def load(cls, session: AsyncSession) -> TerritoryDirectory:
        """Reads provinces, cantons, parishes and districts once."""
        provinces = {p.code: p for p in await session.scalars(select(Province))}
        cantons = {c.code: c for c in await session.scalars(select(Canton))}
        zones = {z.code: z.name for z in await session.scalars(select(Zone))}
        offices = {
            d.code: Office(d.code, d.name, zones.get(d.zone_code, ""), d.address, d.hours, d.phone)
            for d in await session.scalars(select(District))
        }
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
                )
            )
        for parish in await session.scalars(select(Parish)):
            canton = cantons[parish.canton_code]
            province = provinces[canton.province_code]
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
                    canton.district_code,
                )
            )
        return cls(places, offices)

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

    def find(
        self, text: str, *, kinds: tuple[str, ...] = ("parish", "canton"), limit: int = 5
    ) -> Match:
        """Finds places by name: exact (accent/case-insensitive) first, then fuzzy."""
        key = name_key(text)
        if not key:
            return Match((), ())
        exact = tuple(p for p in self._by_key.get(key, []) if p.kind in kinds)
        if exact:
            # A parish named like its canton (the cabecera) is the same place for the citizen.
            parishes = tuple(p for p in exact if p.kind == "parish")
            return Match(parishes or exact, ())
        scored = process.extract(
            key, self._keys, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=80
        )
        places: list[Place] = []
        for _, score, index in scored:
            place = self._places[index]
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
            places = [self._places[i] for _, _, i in loose if self._places[i].kind in kinds]
        unique: list[Place] = []
        for place in places:
            if place not in unique:
                unique.append(place)
        return Match((), tuple(unique[:limit]))
