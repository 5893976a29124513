"""The demo county generator: a county shaped like Huachi (华池县, seed 000), or N of them.

Deterministic: every county draws from its own ``random.Random`` seeded with the seed and
the county's index, so the same seed gives the same data, and a build interrupted after
some counties resumes with identical results.

Fast and flat: a county is first *planned* (its townships, villages, groups, grids and
micro-grids with exact totals; a few thousand small objects), then its regions, Party
organisation, departments and staff are bulk-created, then its households and residents
are *streamed*: one generator per village yields households with their members, and
they are written in batches (bulk_create, primary keys returned). Nothing of a finished
batch is kept, so memory stays flat however many counties are built. Each county is
written in one transaction: it is there completely or not at all.

The loader bypasses the per-row services on purpose (they check permissions and write
an audit entry per row); it reuses their building blocks (``build_region``,
``build_position``, ``idnumbers.make_id``) so the rows are the same as the services'.
The caller writes one audit entry for the whole build.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from shanzhi.core import idnumbers
from shanzhi.demo import accounts as demo
from shanzhi.demo import names
from shanzhi.people.models import Department, PartyMember, PartyOrganisation, Position, Role, User
from shanzhi.people.services import build_position
from shanzhi.regions.models import GridStandard, Household, Region, Resident, ResidentTag, Tag
from shanzhi.regions.services import build_region

# Ages are reckoned from a fixed day so that the same seed gives the same people.
REFERENCE_DATE = dt.date(2025, 7, 1)
POSITION_START = dt.date(2021, 3, 1)  # the 2021 village elections

PROVINCE = ("620000000000", "甘肃省")
FIRST_CITY = ("621000000000", "庆阳市")
COUNTIES_PER_CITY = 79  # county digits 21..99 in each further city
MAX_COUNTIES = 1 + 89 * COUNTIES_PER_CITY

PHONES_PER_COUNTY = 200_000
PHONE_PREFIXES = ["139", "138", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159", "182",
                  "183", "187", "188", "198", "130", "131", "132", "155", "156", "185", "186", "166", "133",
                  "153", "177", "180", "181", "189", "199"]
_PHONE_SPACE = len(PHONE_PREFIXES) * 10**8
_PHONE_STEP = 1_234_567_891  # coprime with the space (odd, not a multiple of 5)


@dataclass(frozen=True)
class CountyShape:
    """Exact totals for one county."""

    townships: int
    villages: int  # villages and communities
    communities: int  # urban communities, all in the county seat (the first township)
    grids: int
    urban_grids: int
    micro_grids: int
    households: int
    party_groups: int


# Seed 000: 15 townships, 117 villages and communities, 685 grids, 1,072 micro-grid
# workers, 18,000 households, 277 party groups.
HUACHI = CountyShape(townships=15, villages=117, communities=5, grids=685, urban_grids=15, micro_grids=1072,
                     households=18_000, party_groups=277)
# Two townships, for quick tries and tests.
SMALL = CountyShape(townships=2, villages=5, communities=1, grids=20, urban_grids=1, micro_grids=30,
                    households=700, party_groups=8)
SHAPES = {"full": HUACHI, "small": SMALL}

DEPARTMENTS = [  # (name after the county's name, kind)
    ("水务局", Department.Kind.WATER),
    ("交通运输局", Department.Kind.ROADS),
    ("民政局", Department.Kind.CIVIL_AFFAIRS),
    ("公安局", Department.Kind.POLICE),
    ("司法局", Department.Kind.JUSTICE),
    ("人民法院", Department.Kind.COURT),
    ("市场监督管理局", Department.Kind.MARKET),
    ("住房和城乡建设局", Department.Kind.HOUSING),
    ("自然资源局", Department.Kind.NATURAL_RESOURCES),
    ("人力资源和社会保障局", Department.Kind.HUMAN_RESOURCES),
    ("信访局", Department.Kind.PETITION),
    ("应急管理局", Department.Kind.EMERGENCY),
    ("社会治理综合服务中心", Department.Kind.GOVERNANCE_CENTRE),
    ("生态环境局", Department.Kind.ENVIRONMENT),
    ("卫生健康局", Department.Kind.HEALTH),
    ("教育局", Department.Kind.EDUCATION),
    ("农业农村局", Department.Kind.AGRICULTURE),
    ("供电公司", Department.Kind.POWER),
]


# --------------------------------------------------------------------------- planning


@dataclass
class GridPlan:
    code: str
    name: str
    households: int = 0
    micro_grids: int = 1
    party_group: bool = False
    urban: bool = False
    group: int | None = None  # index into the village's groups
    lat: float = 0.0
    lon: float = 0.0


@dataclass
class VillagePlan:
    code: str
    name: str
    urban: bool
    lat: float
    lon: float
    surnames: list[str]
    grids: list[GridPlan] = field(default_factory=list)
    groups: list[tuple[str, str]] = field(default_factory=list)  # (code, name)


@dataclass
class TownshipPlan:
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    villages: list[VillagePlan] = field(default_factory=list)


@dataclass
class CountyPlan:
    index: int
    code: str
    name: str
    city: tuple[str, str] | None
    townships: list[TownshipPlan]

    @property
    def code6(self) -> str:
        return self.code[:6]

    def villages(self) -> Iterator[tuple[TownshipPlan, VillagePlan]]:
        for township in self.townships:
            for village in township.villages:
                yield township, village

    def grids(self) -> Iterator[GridPlan]:
        for _, village in self.villages():
            yield from village.grids


def county_identity(index: int) -> tuple[str, str, tuple[str, str]]:
    """(county code, county name, (city code, city name)) of the index-th county."""
    if index == 0:
        return demo.COUNTY_CODE, demo.COUNTY_NAME, FIRST_CITY
    if index >= MAX_COUNTIES:
        raise ValueError(f"at most {MAX_COUNTIES} counties")
    city = 11 + (index - 1) // COUNTIES_PER_CITY
    county = 21 + (index - 1) % COUNTIES_PER_CITY
    return (f"62{city:02d}{county:02d}000000", f"示范{city:02d}{county:02d}县",
            (f"62{city:02d}00000000", f"示范{city:02d}市"))


def split(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """``total`` split into len(weights) whole parts, each at least ``minimum``, roughly in
    proportion to the weights (largest remainder)."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    scale = rest / sum(weights)
    shares = [w * scale for w in weights]
    parts = [minimum + int(s) for s in shares]
    order = sorted(range(n), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _jitter(rng: random.Random, value: float, spread: float) -> float:
    return round(value + rng.uniform(-spread, spread), 6)


def _village_name(rng: random.Random, surname: str, used: set[str]) -> str:
    for _ in range(200):
        first = surname if rng.random() < 0.5 else rng.choice(names.TOPONYM_PREFIXES)
        name = first + rng.choice(names.TOPONYM_SUFFIXES) + "村"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of village names")  # pragma: no cover


def _surname(rng: random.Random) -> str:
    return rng.choices(names.SURNAME_CHOICES, cum_weights=names.SURNAME_WEIGHTS)[0]


def plan_county(index: int, shape: CountyShape, rng: random.Random) -> CountyPlan:
    """The county's places with exact totals; the first county holds the demo's places."""
    if shape.townships > len(names.TOWNSHIPS) or shape.communities > len(names.COMMUNITIES):
        raise ValueError("the shape has more townships or communities than the county has names")
    if not 1 <= shape.communities < shape.villages or shape.urban_grids < shape.communities:
        raise ValueError("the shape needs communities, rural villages and a grid per community")
    code, name, city = county_identity(index)
    code6 = code[:6]
    first = index == 0
    row, col = divmod(index, 30)
    lat0, lon0 = -0.45 * row, -0.5 * col  # later counties are laid out beside the first

    town_no = township_no = 0
    townships: list[TownshipPlan] = []
    for tname, kind, lat, lon in names.TOWNSHIPS[: shape.townships]:
        if kind == "town":
            tcode = f"{code6}{100 + town_no:03d}000"
            town_no += 1
        else:
            tcode = f"{code6}{200 + township_no:03d}000"
            township_no += 1
        townships.append(TownshipPlan(tcode, tname, kind, round(lat + lat0, 6), round(lon + lon0, 6)))

    rural_villages = shape.villages - shape.communities
    per_township = split(rural_villages, [rng.uniform(0.8, 1.25) for _ in townships], minimum=1)
    used_names: set[str] = set(names.COMMUNITIES)
    seat = townships[0]
    for i in range(shape.communities):
        seat.villages.append(VillagePlan(f"{seat.code[:9]}{i + 1:03d}", names.COMMUNITIES[i], True,
                                         _jitter(rng, seat.lat, 0.012), _jitter(rng, seat.lon, 0.015), []))
    for township, count in zip(townships, per_township, strict=True):
        for i in range(count):
            is_demo = first and township is seat and i == 0
            surnames = [demo.VILLAGE_NAME[0] if is_demo else _surname(rng)]
            if rng.random() < 0.6:
                surnames.append(_surname(rng))
            vname = demo.VILLAGE_NAME if is_demo else _village_name(rng, surnames[0], used_names)
            used_names.add(vname)
            township.villages.append(VillagePlan(f"{township.code[:9]}{201 + i:03d}", vname, False,
                                                 _jitter(rng, township.lat, 0.07), _jitter(rng, township.lon, 0.09),
                                                 surnames))

    villages = [v for t in townships for v in t.villages]
    urban = [v for v in villages if v.urban]
    rural = [v for v in villages if not v.urban]
    demo_village = rural[0] if first else None
    for village, n in zip(urban, split(shape.urban_grids, [1.0] * len(urban), minimum=1), strict=True):
        village.grids = [GridPlan(f"{village.code}{g + 1:03d}", f"{village.name}第{g + 1}网格", urban=True)
                         for g in range(n)]
    rural_grids = shape.grids - shape.urban_grids
    weights = [rng.uniform(0.6, 1.5) for _ in rural]
    for village, n in zip(rural, split(rural_grids, weights, minimum=2), strict=True):
        village.grids = [GridPlan(f"{village.code}{g + 1:03d}", f"{village.name}第{g + 1}网格") for g in range(n)]
    demo_grid = demo_village.grids[0] if demo_village else None

    # Households: urban grids 240–380, rural about 20 (within 16–28, inside the 15–30
    # standard), then nudged one by one until the county's total is exact.
    grids = [g for v in villages for g in v.grids]
    for grid in grids:
        grid.households = (rng.randint(240, 380) if grid.urban
                           else min(28, max(16, round(rng.gauss(20.3, 3.0)))))
    if demo_grid is not None:
        demo_grid.households = demo.GRID_HOUSEHOLDS
    adjustable = [g for g in grids if not g.urban and g is not demo_grid]
    diff = shape.households - sum(g.households for g in grids)
    if not -12 * len(adjustable) <= diff <= 8 * len(adjustable):
        raise ValueError("the shape's households do not fit its grids")
    rng.shuffle(adjustable)
    while diff:
        for grid in adjustable:
            if diff > 0 and grid.households < 28:
                grid.households += 1
                diff -= 1
            elif diff < 0 and grid.households > 16:
                grid.households -= 1
                diff += 1
            if not diff:
                break

    # Micro-grids: buildings of about 40 households in town, one or two neighbourhoods
    # in a rural grid (larger grids more likely two), to the exact total.
    for grid in grids:
        grid.micro_grids = max(2, round(grid.households / 40)) if grid.urban else 1
    extra = shape.micro_grids - sum(g.micro_grids for g in grids)
    if demo_grid is not None:
        demo_grid.micro_grids = 2
        extra -= 1
    ranked = sorted(adjustable, key=lambda g: g.households + rng.uniform(0, 8), reverse=True)
    if not 0 <= extra <= 2 * len(ranked):
        raise ValueError("the shape's micro-grids do not fit its grids")
    for i in range(extra):
        ranked[i % len(ranked)].micro_grids += 1

    # Village groups (村民小组): consecutive grids of a rural village, one to three each.
    for village in rural:
        g = 0
        while g < len(village.grids):
            size = 1 if (village is demo_village and g == 0) else rng.choices((1, 2, 3), (3, 5, 2))[0]
            number = len(village.groups)
            village.groups.append((f"{village.code}{number + 1:02d}",
                                   f"{village.name}{names.numeral(number + 1)}组"))
            for grid in village.grids[g: g + size]:
                grid.group = number
            g += size

    # Party groups on grids: the first grid of every village, then others at random.
    firsts = [v.grids[0] for v in villages]
    others = [g for v in villages for g in v.grids[1:]]
    chosen = firsts[: shape.party_groups] + rng.sample(others, max(0, shape.party_groups - len(firsts)))
    for grid in chosen:
        grid.party_group = True

    for village in villages:
        for grid in village.grids:
            grid.lat = _jitter(rng, village.lat, 0.004 if grid.urban else 0.008)
            grid.lon = _jitter(rng, village.lon, 0.005 if grid.urban else 0.010)
    return CountyPlan(index, code, name, city if index else FIRST_CITY, townships)


# --------------------------------------------------------------------------- people


@dataclass
class Person:
    relation: str
    male: bool
    age: int
    surname: str = ""
    tags: list[str] = field(default_factory=list)


RURAL_TEMPLATES = (("nuclear", 30), ("three_generations", 10), ("elderly_couple", 20), ("elderly_alone", 9),
                   ("left_behind", 11), ("adult_children", 12), ("single", 8))
URBAN_TEMPLATES = (("nuclear", 50), ("three_generations", 10), ("elderly_couple", 15), ("elderly_alone", 5),
                   ("left_behind", 2), ("adult_children", 11), ("single", 7))
R = Resident.Relation


def _children(rng: random.Random, parent_age: int, count: int, son: str = R.SON, daughter: str = R.DAUGHTER,
              gap: tuple[int, int] = (22, 30), oldest: int = 26) -> list[Person]:
    kids = []
    age = parent_age - rng.randint(*gap)
    for _ in range(count):
        if age < 0:
            break
        if age <= oldest:
            male = rng.random() < 0.52
            kids.append(Person(son if male else daughter, male, age))
        age -= rng.randint(2, 5)
    return kids


def family(rng: random.Random, urban: bool) -> tuple[str, list[Person]]:
    """A household's template and members (head first): relations, genders, ages."""
    kinds, weights = zip(*(URBAN_TEMPLATES if urban else RURAL_TEMPLATES), strict=True)
    kind = rng.choices(kinds, weights)[0]

    def spouse_of(head: Person) -> Person:
        gap = rng.randint(-6, 2) if head.male else rng.randint(-2, 6)
        return Person(R.SPOUSE, not head.male, max(20, head.age + gap))

    if kind == "nuclear":
        head = Person(R.HEAD, rng.random() < 0.92, rng.randint(26, 52))
        people = [head] + ([spouse_of(head)] if rng.random() < 0.94 else [])
        count = rng.choices((1, 2, 3), (6, 4, 0.5) if urban else (4, 4.5, 1.5))[0]
        people += _children(rng, head.age, count)
    elif kind == "three_generations":
        head = Person(R.HEAD, rng.random() < 0.95, rng.randint(30, 50))
        people = [head, spouse_of(head), *_children(rng, head.age, rng.choice((1, 2)))]
        if rng.random() < 0.6:
            people.append(Person(R.FATHER, True, min(95, head.age + rng.randint(24, 32))))
        if rng.random() < 0.85:
            people.append(Person(R.MOTHER, False, min(95, head.age + rng.randint(21, 30))))
    elif kind == "elderly_couple":
        head = Person(R.HEAD, True, rng.randint(60, 84))
        people = [head, Person(R.SPOUSE, False, max(55, head.age - rng.randint(0, 5)))]
    elif kind == "elderly_alone":
        people = [Person(R.HEAD, rng.random() < 0.4, rng.randint(66, 92), tags=[Tag.ELDERLY_ALONE])]
    elif kind == "left_behind":
        head = Person(R.HEAD, rng.random() < 0.9, rng.randint(54, 70))
        people = [head] + ([spouse_of(head)] if rng.random() < 0.85 else [])
        for _ in range(rng.choice((1, 1, 2))):
            male = rng.random() < 0.52
            people.append(Person(R.GRANDSON if male else R.GRANDDAUGHTER, male, rng.randint(3, 15),
                                 tags=[Tag.LEFT_BEHIND_CHILD]))
    elif kind == "adult_children":
        head = Person(R.HEAD, rng.random() < 0.93, rng.randint(46, 62))
        people = [head] + ([spouse_of(head)] if rng.random() < 0.9 else [])
        kids = _children(rng, head.age, rng.choice((1, 2)), gap=(22, 28), oldest=34)
        kids = [k for k in kids if k.age >= 18] or [Person(R.SON, True, max(18, head.age - 24))]
        people += kids
        son = next((k for k in kids if k.male and k.age >= 24), None)
        if son is not None and rng.random() < 0.4:
            people.append(Person(R.DAUGHTER_IN_LAW, False, max(20, son.age - rng.randint(0, 3))))
            if rng.random() < 0.5:
                male = rng.random() < 0.52
                people.append(Person(R.GRANDSON if male else R.GRANDDAUGHTER, male, rng.randint(0, 4)))
    else:  # single
        head = Person(R.HEAD, rng.random() < 0.85, rng.randint(30, 60))
        people = [head]
        if rng.random() < 0.35:
            people.append(Person(R.MOTHER, False, min(95, head.age + rng.randint(22, 30))))
    return kind, people


def _party_chance(person: Person) -> float:
    if person.age < 25:
        chance = 0.015  # a few students and young soldiers
    elif person.male:
        chance = 0.05 if person.age < 30 else 0.085 if person.age < 45 else 0.135 if person.age < 60 else 0.155
    else:
        chance = 0.04 if person.age < 60 else 0.028
    return 0.5 if Tag.VETERAN in person.tags else chance


def tag_people(rng: random.Random, kind: str, people: list[Person], urban: bool) -> None:
    """Tags at plausible rates: about 6% disabled, a few percent low-income households,
    a handful of key persons, party members about 7–8% of adults."""
    for p in people:
        disabled = 0.005 if p.age < 18 else 0.03 if p.age < 60 else 0.09
        if rng.random() < disabled:
            p.tags.append(Tag.DISABLED)
        if p.age >= 50 and rng.random() < 0.02:
            p.tags.append(Tag.SERIOUSLY_ILL)
        if p.male and 35 <= p.age <= 80 and rng.random() < 0.03:
            p.tags.append(Tag.VETERAN)
        if 18 <= p.age <= 65 and rng.random() < (0.006 if p.male else 0.0015):
            p.tags.append(Tag.KEY_PERSON)
        if (not urban and 18 <= p.age <= 45 and p.relation in (R.SON, R.DAUGHTER, R.HEAD)
                and rng.random() < (0.45 if p.relation != R.HEAD else 0.2)):
            p.tags.append(Tag.MIGRANT_WORKER)
        if p.age >= 18 and rng.random() < _party_chance(p):
            p.tags.append(Tag.PARTY_MEMBER)
    vulnerable = kind == "elderly_alone" or any(Tag.DISABLED in p.tags for p in people)
    if rng.random() < (0.03 if urban else 0.07) + (0.2 if vulnerable else 0):
        for p in people:
            p.tags.append(Tag.LOW_INCOME)


def _given_name(rng: random.Random, male: bool, birth_year: int) -> str:
    pool = (names.MALE_NAMES if male else names.FEMALE_NAMES)[names.era(birth_year)]
    return rng.choice(pool)


def _has_phone(rng: random.Random, age: int) -> bool:
    chance = 0.0 if age < 14 else 0.35 if age < 18 else 0.93 if age <= 70 else 0.5 if age <= 80 else 0.15
    return rng.random() < chance


# --------------------------------------------------------------------------- writing


@dataclass
class Counts:
    counties: int = 0
    townships: int = 0
    villages: int = 0
    communities: int = 0
    groups: int = 0
    grids: int = 0
    micro_grids: int = 0
    households: int = 0
    residents: int = 0
    tags: int = 0
    party_organisations: int = 0
    party_groups: int = 0
    party_members: int = 0
    departments: int = 0
    accounts: int = 0
    positions: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class _Pending:
    households: list[Household] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)  # index into households, per resident
    tags: list[list[str]] = field(default_factory=list)  # per resident
    party: list[int | None] = field(default_factory=list)  # organisation pk, per resident


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


class CountyBuilder:
    """Writes one planned county (call inside a transaction)."""

    def __init__(self, plan: CountyPlan, rng: random.Random, password_hash: str, *, parent: Region | None,
                 batch_size: int = 2000):
        self.plan = plan
        self.rng = rng
        self.password_hash = password_hash
        self.parent = parent
        self.batch_size = batch_size
        self.first = plan.index == 0
        self.counts = Counts(counties=1)
        self.regions: dict[str, Region] = {}
        self.branches: dict[str, int] = {}  # village code -> branch pk
        self.party_groups: dict[str, int] = {}  # grid code -> party group pk
        self.departments: dict[str, Department] = {}
        self.ids: dict[tuple[int, bool], int] = {}
        self.phone_index = plan.index * PHONES_PER_COUNTY
        self.demo_resident: Resident | None = None
        self.pending = _Pending()

    # -- regions

    def _region(self, parent: Region | None, code: str, name: str, kind: str, *, lat: float | None = None,
                lon: float | None = None, households: int = 0) -> Region:
        region = build_region(parent=parent, code=code, name=name, kind=kind,
                              latitude=_decimal(lat) if lat is not None else None,
                              longitude=_decimal(lon) if lon is not None else None)
        region.household_count = households
        self.regions[code] = region
        return region

    def build_places(self) -> None:
        plan = self.plan
        total = sum(g.households for g in plan.grids())
        county = self._region(self.parent, plan.code, plan.name, Region.Kind.COUNTY, lat=plan.townships[0].lat,
                              lon=plan.townships[0].lon, households=total)
        county.save()
        county.county = county
        county.save(update_fields=["county"])
        GridStandard.objects.create(county=county)
        levels: list[list[Region]] = [[], [], [], [], []]  # township, village, group, grid, micro-grid
        for township in plan.townships:
            t = self._region(county, township.code, township.name, township.kind, lat=township.lat,
                             lon=township.lon, households=sum(g.households for v in township.villages
                                                              for g in v.grids))
            levels[0].append(t)
            for village in township.villages:
                kind = Region.Kind.COMMUNITY if village.urban else Region.Kind.VILLAGE
                v = self._region(t, village.code, village.name, kind, lat=village.lat, lon=village.lon,
                                 households=sum(g.households for g in village.grids))
                levels[1].append(v)
                groups = []
                for number, (code, name) in enumerate(village.groups):
                    members = [g for g in village.grids if g.group == number]
                    groups.append(self._region(v, code, name, Region.Kind.GROUP, lat=members[0].lat,
                                               lon=members[0].lon, households=sum(g.households for g in members)))
                levels[2] += groups
                building = 0
                for grid in village.grids:
                    g = self._region(groups[grid.group] if grid.group is not None else v, grid.code, grid.name,
                                     Region.Kind.GRID, lat=grid.lat, lon=grid.lon, households=grid.households)
                    levels[3].append(g)
                    sizes = split(grid.households, [1.0] * grid.micro_grids)
                    for m, size in enumerate(sizes):
                        if grid.urban:
                            building += 1
                            mname = f"{village.name}{building}号楼"
                        else:
                            mname = f"{grid.name}第{m + 1}微网格"
                        levels[4].append(self._region(
                            g, f"{grid.code}{m + 1:02d}", mname, Region.Kind.MICRO_GRID, households=size,
                            lat=_jitter(self.rng, grid.lat, 0.001), lon=_jitter(self.rng, grid.lon, 0.001)))
        for level in levels:
            Region.objects.bulk_create(level)
        c = self.counts
        c.townships = len(levels[0])
        c.communities = sum(1 for v in levels[1] if v.kind == Region.Kind.COMMUNITY)
        c.villages = len(levels[1])
        c.groups, c.grids, c.micro_grids = len(levels[2]), len(levels[3]), len(levels[4])

    # -- Party organisation and departments

    def build_organisations(self) -> None:
        plan = self.plan
        committees, branches, groups = [], [], []
        for township in plan.townships:
            t = self.regions[township.code]
            committees.append(PartyOrganisation(name=f"中共{township.name}委员会",
                                                kind=PartyOrganisation.Kind.COMMITTEE, region=t, region_path=t.path))
        PartyOrganisation.objects.bulk_create(committees)
        committee_of = {c.region_id: c for c in committees}
        for township, village in plan.villages():
            v = self.regions[village.code]
            branches.append(PartyOrganisation(name=f"中共{village.name}支部委员会", kind=PartyOrganisation.Kind.BRANCH,
                                              parent=committee_of[self.regions[township.code].pk], region=v,
                                              region_path=v.path))
        PartyOrganisation.objects.bulk_create(branches)
        self.branches = {b.region.code: b.pk for b in branches}
        for _, village in plan.villages():
            for grid in village.grids:
                if grid.party_group:
                    g = self.regions[grid.code]
                    groups.append(PartyOrganisation(name=f"{grid.name}党小组", kind=PartyOrganisation.Kind.GROUP,
                                                    parent_id=self.branches[village.code], region=g,
                                                    region_path=g.path))
        PartyOrganisation.objects.bulk_create(groups)
        self.party_groups = {g.region.code: g.pk for g in groups}
        self.counts.party_organisations = len(committees) + len(branches) + len(groups)
        self.counts.party_groups = len(groups)

        county = self.regions[plan.code]
        short = plan.name[:-1] if plan.name.endswith("县") else plan.name
        departments = []
        for i, (suffix, kind) in enumerate(DEPARTMENTS):
            name = (f"{plan.name}{suffix}" if kind not in (Department.Kind.ENVIRONMENT, Department.Kind.POWER)
                    else f"{short}{'生态环境分局' if kind == Department.Kind.ENVIRONMENT else '供电公司'}")
            departments.append(Department(name=name, kind=kind, region=county, region_path=county.path,
                                          phone=f"0934-51{i:02d}{self.plan.index % 1000:03d}"))
        for township in plan.townships:
            t = self.regions[township.code]
            short = township.name[:-1]
            departments.append(Department(name=f"{short}派出所", kind=Department.Kind.POLICE, region=t,
                                          region_path=t.path))
            departments.append(Department(name=f"{short}司法所", kind=Department.Kind.JUSTICE, region=t,
                                          region_path=t.path))
        Department.objects.bulk_create(departments)
        self.departments = {f"{d.region.code}:{d.kind}": d for d in departments}
        self.counts.departments = len(departments)

    # -- staff

    def _full_name(self) -> str:
        male = self.rng.random() < 0.7
        return _surname(self.rng) + _given_name(self.rng, male, self.rng.randint(1966, 1995))

    def build_staff(self) -> None:
        """Positions at plausible density: a grid leader and a grid worker per grid, a
        micro-grid worker (also the neighbour leader) per micro-grid, a group leader per
        village group, per village a secretary (also chief grid leader), two committee
        members and a mediator; a lawyer for about six villages; per township its staff
        (each instructs some villages' grids), two mediators at the one-stop centre,
        police officers (each the police officer of some villages) and a justice office;
        two staff per county department and the command centre."""
        plan = self.plan
        staff: list[tuple[str, str, list[tuple[str, Region | Department]]]] = []
        demo_places = self.first

        def add(username: str, *grants: tuple[str, Region | Department]) -> None:
            staff.append((username, self._full_name(), list(grants)))

        regions, departments, c6 = self.regions, self.departments, plan.code6
        for _, village in plan.villages():
            v = regions[village.code]
            is_demo_village = demo_places and village.code == demo.VILLAGE_CODE
            for code, _ in village.groups:
                if not (is_demo_village and code == demo.GROUP_CODE):
                    add(f"gz{code}", (Role.GROUP_LEADER, regions[code]))
            for grid in village.grids:
                g = regions[grid.code]
                if not (demo_places and grid.code == demo.GRID_CODE):
                    add(f"gl{grid.code}", (Role.GRID_LEADER, g))
                    add(f"gw{grid.code}", (Role.GRID_WORKER, g))
                for m in range(grid.micro_grids):
                    code = f"{grid.code}{m + 1:02d}"
                    if not (demo_places and code == demo.MICRO_GRID_CODE):
                        micro = regions[code]
                        add(f"mg{code}", (Role.MICRO_GRID_WORKER, micro), (Role.NEIGHBOUR_LEADER, micro))
            if is_demo_village:
                add(f"vc{village.code}-2", (Role.VILLAGE_COMMITTEE, v))
                continue
            add(f"vs{village.code}", (Role.VILLAGE_SECRETARY, v), (Role.CHIEF_GRID_LEADER, v))
            add(f"vc{village.code}-1", (Role.VILLAGE_COMMITTEE, v))
            add(f"vc{village.code}-2", (Role.VILLAGE_COMMITTEE, v))
            add(f"md{village.code}", (Role.MEDIATOR, v))

        villages = [(t, v) for t, v in plan.villages() if not (demo_places and v.code == demo.VILLAGE_CODE)]
        lawyers = max(1, round(sum(len(t.villages) for t in plan.townships) / 6.5))
        for n in range(lawyers):
            mine = villages[n::lawyers]
            add(f"la{c6}-{n + 1:02d}", *[(Role.LEGAL_ADVISER, regions[v.code]) for _, v in mine])

        for township in plan.townships:
            t = regions[township.code]
            own = [v for tp, v in villages if tp is township]
            officers = max(1, math.ceil(len(township.villages) / 3))
            station = departments[f"{township.code}:{Department.Kind.POLICE}"]
            for n in range(officers):
                add(f"pc{township.code[:9]}-{n + 1}", (Role.DEPARTMENT_STAFF, station),
                    *[(Role.VILLAGE_POLICE, regions[v.code]) for v in own[n::officers]])
            add(f"sf{township.code[:9]}", (Role.DEPARTMENT_STAFF, departments[f"{township.code}:"
                                                                              f"{Department.Kind.JUSTICE}"]))
            cadres = max(3, math.ceil(len(township.villages) / 2))
            for n in range(cadres):
                add(f"ts{township.code[:9]}-{n + 1}", (Role.TOWNSHIP_STAFF, t),
                    *[(Role.GRID_INSTRUCTOR, regions[v.code]) for v in own[n::cadres]])
            for n in range(2):
                add(f"tm{township.code[:9]}-{n + 1}", (Role.MEDIATOR, t))

        county = regions[plan.code]
        for department in departments.values():
            if department.region_id != county.pk:
                continue
            first_staff = 2 if demo_places and department.name == demo.WATER_DEPARTMENT else 1
            for n in range(first_staff, 3):
                add(f"d{c6}-{department.kind}-{n}", (Role.DEPARTMENT_STAFF, department))
        for n in range(6):
            add(f"cc{c6}-{n + 1}", (Role.COUNTY_STAFF, county))
        if demo_places:
            self._demo_staff(add)

        users = [User(username=username, full_name=full_name, password=self.password_hash)
                 for username, full_name, _ in staff]
        for user in users:
            if user.username == "admin":
                user.is_staff = user.is_superuser = True
        User.objects.bulk_create(users)
        positions = []
        for user, (_, _, grants) in zip(users, staff, strict=True):
            for role, place in grants:
                if isinstance(place, Department):
                    positions.append(build_position(user=user, role=role, department=place,
                                                    start_date=POSITION_START))
                else:
                    positions.append(build_position(user=user, role=role, region=place, start_date=POSITION_START))
        Position.objects.bulk_create(positions)
        self.counts.accounts += len(users)
        self.counts.positions += len(positions)

    def _demo_staff(self, add: Callable[..., None]) -> None:
        place = {a.username: a for a in demo.DEMO_ACCOUNTS}
        water = self.departments[f"{demo.COUNTY_CODE}:{Department.Kind.WATER}"]
        for username, account in place.items():
            if account.role == demo.RESIDENT_ROLE:
                continue  # created once the resident exists
            target: Region | Department = water if account.role == Role.DEPARTMENT_STAFF else \
                self.regions[account.place_code]
            add(username, (account.role, target))

    # -- households and residents

    def _phone(self) -> str:
        """A mobile number no one else in the build has: the county's next index, mapped
        by a bijection of [0, prefixes x 10^8) so that neighbours get unrelated numbers."""
        while True:
            i = self.phone_index
            self.phone_index += 1
            x = (_PHONE_STEP * i + 48_271_993) % _PHONE_SPACE
            phone = f"{PHONE_PREFIXES[x // 10**8]}{x % 10**8:08d}"
            if phone != demo.RESIDENT_PHONE:
                return phone

    def _id_number(self, birth: dt.date, male: bool) -> tuple[str, dt.date]:
        while True:
            key = (birth.toordinal(), male)
            count = self.ids.get(key, 0)
            if count < 500:
                self.ids[key] = count + 1
                # Spread over the 500 sequence numbers of the day, as real ones are.
                seq = (count + key[0] * 37 + (0 if male else 250)) % 500
                return idnumbers.make_id(self.plan.code6, birth, seq, male), birth
            birth += dt.timedelta(days=1)

    def _birth(self, age: int) -> dt.date:
        latest = REFERENCE_DATE.toordinal() - round(age * 365.2425)
        return dt.date.fromordinal(latest - self.rng.randrange(365))

    def village_households(self, township: TownshipPlan, village: VillagePlan
                           ) -> Iterator[tuple[Household, list[tuple[Resident, list[str], int | None]]]]:
        """The village's households, one by one, each with its members, their tags and
        the Party organisation a member belongs to."""
        v = self.regions[village.code]
        county_id = self.regions[self.plan.code].pk
        prefix = f"{self.plan.name}{township.name}{village.name}"
        number = 0
        house_in_group: dict[int, int] = {}
        building = 0
        for grid in village.grids:
            g = self.regions[grid.code]
            sizes = split(grid.households, [1.0] * grid.micro_grids)
            for m, size in enumerate(sizes):
                micro = self.regions[f"{grid.code}{m + 1:02d}"]
                building += 1
                for i in range(size):
                    number += 1
                    if grid.urban:
                        address = f"{prefix}{building}号楼{i // 12 + 1}单元{(i % 12) // 2 + 1}0{i % 2 + 1}室"
                    else:
                        group = grid.group or 0
                        house_in_group[group] = house_in_group.get(group, 0) + 1
                        address = f"{prefix}{names.numeral(group + 1)}组{house_in_group[group]}号"
                    household = Household(number=f"{village.code}{number:04d}", address=address, village_id=v.pk,
                                          grid_id=g.pk, micro_grid_id=micro.pk, region_path=micro.path,
                                          county_id=county_id)
                    is_demo = self.first and grid.code == demo.GRID_CODE and number == 1
                    yield household, self._members(village, grid, micro, is_demo)

    def _members(self, village: VillagePlan, grid: GridPlan, micro: Region, is_demo: bool
                 ) -> list[tuple[Resident, list[str], int | None]]:
        rng = self.rng
        kind, people = family(rng, grid.urban)
        if is_demo:
            while kind not in ("nuclear", "three_generations") or not people[0].male:
                kind, people = family(rng, grid.urban)
        tag_people(rng, kind, people, grid.urban)
        # The family name follows the male line (the village's dominant names are
        # frequent); wives and mothers keep their own.
        surnames = village.surnames
        draw = rng.random()
        family_name = (surnames[0] if surnames and draw < 0.45 else
                       surnames[1] if len(surnames) > 1 and draw < 0.6 else _surname(rng))
        out = []
        given: set[str] = set()
        for p in people:
            married_in = p.relation in (R.SPOUSE, R.MOTHER, R.DAUGHTER_IN_LAW) and not p.male
            surname = _surname(rng) if (married_in or (p.relation == R.HEAD and not p.male)) else family_name
            birth = self._birth(p.age)
            name = _given_name(rng, p.male, birth.year)
            if name in given:
                name = _given_name(rng, p.male, birth.year)
            given.add(name)
            id_number, birth = self._id_number(birth, p.male)
            phone = self._phone() if _has_phone(rng, p.age) else ""
            if is_demo and p.relation == R.HEAD:
                phone = demo.RESIDENT_PHONE
            resident = Resident(name=surname + name, gender="M" if p.male else "F", birth_date=birth,
                                id_number=id_number, phone=phone, relation=p.relation, region_path=micro.path,
                                county_id=micro.county_id)
            if is_demo and p.relation == R.HEAD:
                self.demo_resident = resident
            party = None
            if Tag.PARTY_MEMBER in p.tags:
                party = self.party_groups.get(grid.code) or self.branches[village.code]
            out.append((resident, p.tags, party))
        return out

    def build_households(self) -> None:
        for township, village in self.plan.villages():
            for household, members in self.village_households(township, village):
                pending = self.pending
                pending.households.append(household)
                for resident, tags, party in members:
                    pending.residents.append(resident)
                    pending.owners.append(len(pending.households) - 1)
                    pending.tags.append(tags)
                    pending.party.append(party)
                if len(pending.households) >= self.batch_size:
                    self.flush()
        self.flush()

    def flush(self) -> None:
        pending = self.pending
        if not pending.households:
            return
        Household.objects.bulk_create(pending.households)
        for resident, owner in zip(pending.residents, pending.owners, strict=True):
            resident.household_id = pending.households[owner].pk
        Resident.objects.bulk_create(pending.residents)
        tags, members = [], []
        for resident, resident_tags, party in zip(pending.residents, pending.tags, pending.party, strict=True):
            tags += [ResidentTag(resident_id=resident.pk, tag=t) for t in resident_tags]
            if party is not None and resident.birth_date is not None:
                age = (REFERENCE_DATE - resident.birth_date).days // 365
                joined = resident.birth_date + dt.timedelta(days=round(365.25 * self.rng.randint(
                    18, max(18, min(age, 40)))) + self.rng.randrange(365))
                members.append(PartyMember(name=resident.name, organisation_id=party, resident_id=resident.pk,
                                           joined_on=min(joined, REFERENCE_DATE), region_path=resident.region_path))
        ResidentTag.objects.bulk_create(tags)
        PartyMember.objects.bulk_create(members)
        c = self.counts
        c.households += len(pending.households)
        c.residents += len(pending.residents)
        c.tags += len(tags)
        c.party_members += len(members)
        self.pending = _Pending()

    def build_resident_account(self) -> None:
        resident = self.demo_resident
        if resident is None:  # pragma: no cover (the plan always holds the demo household)
            raise RuntimeError("the demo household was not generated")
        user = User(username="resident", phone=resident.phone, full_name=resident.name, resident_id=resident.pk,
                    password=self.password_hash)
        user.save()
        self.counts.accounts += 1

    def build(self) -> Counts:
        self.build_places()
        self.build_organisations()
        self.build_staff()
        self.build_households()
        if self.first:
            self.build_resident_account()
        return self.counts


# --------------------------------------------------------------------------- the whole build


@dataclass
class Progress:
    county: int
    name: str
    built: bool  # False when the county was there already (a resumed build)
    counts: Counts
    seconds: float


def county_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"shanzhi-demo:{seed}:{index}")


def _parent_for(index: int, scale: int) -> Region | None:
    """A single county stands alone, as a county's deployment does; several sit under a
    province and their cities."""
    if scale == 1:
        return None
    province = _ensure(None, *PROVINCE, Region.Kind.PROVINCE)
    _, _, (city_code, city_name) = county_identity(index)
    return _ensure(province, city_code, city_name, Region.Kind.CITY)


def _ensure(parent: Region | None, code: str, name: str, kind: str) -> Region:
    found = Region.objects.filter(code=code).first()
    if found is not None:
        return found
    region = build_region(parent=parent, code=code, name=name, kind=kind)
    region.save()
    return region


def build(*, scale: int = 1, seed: int = demo.DEMO_SEED, shape: CountyShape = HUACHI, password_hash: str,
          batch_size: int = 2000, progress: Callable[[Progress], Any] | None = None) -> Counts:
    """Build ``scale`` counties; counties already present are kept (so an interrupted
    build resumes). Returns the counts of what this call wrote."""
    if not 1 <= scale <= MAX_COUNTIES:
        raise ValueError(f"the scale is between 1 and {MAX_COUNTIES}")
    total = Counts()
    for index in range(scale):
        started = time.monotonic()
        code, name, _ = county_identity(index)
        counts = Counts()
        built = False
        try:
            with transaction.atomic():
                if not Region.objects.filter(code=code).exists():
                    plan = plan_county(index, shape, rng := county_rng(seed, index))
                    builder = CountyBuilder(plan, rng, password_hash, parent=_parent_for(index, scale),
                                            batch_size=batch_size)
                    counts = builder.build()
                    built = True
        except IntegrityError:
            # Another process built this county at the same moment: keep theirs.
            if not Region.objects.filter(code=code).exists():
                raise
        total.add(counts)
        if progress is not None:
            progress(Progress(index, name, built, counts, time.monotonic() - started))
    return total
