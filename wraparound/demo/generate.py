"""The deterministic demo data generator behind `manage.py seed_demo` (DESIGN.md §7).

One function per entity (`generate_network`, `generate_communities`, `generate_schools`, …);
later issues add theirs (services, students, referrals, …) and call them from `seed_demo`.
Each entity draws from its own random stream, derived from the seed and the entity's name
(`_streams`), so adding draws to one entity later leaves the others' data unchanged for a seed.
Nothing uses the global `random` state or an unseeded Faker; people's names come from Faker's
locale tables, drawn with the entity's stream (`Names`).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils.text import slugify
from faker import Faker

from wraparound.agreements.models import Partnership
from wraparound.assessments.models import Asset, Need, NeedsAssessment, Participant
from wraparound.core.db import analyze
from wraparound.core.models import (
    AuditEvent,
    Coalition,
    Community,
    Disclosure,
    Membership,
    Network,
    NetworkHoliday,
    Organization,
    School,
    SchoolYear,
)
from wraparound.core.roles import Role
from wraparound.directory.hsds.tables import TABLES as HSDS_TABLES
from wraparound.directory.models import ServiceCapacity
from wraparound.outcomes.models import Goal
from wraparound.referrals.holiday_selectors import public_holidays_of

from .agreements import ANALYZED as AGREEMENT_TABLES
from .agreements import generate_agreements, reset_agreements
from .assessments import generate_assessments, reset_assessments
from .attendance import ATTENDANCE_TABLES, PlantedEffect, generate_attendance
from .coalitions import generate_coalition_details
from .conferences import generate_conferences, reset_conferences
from .directory import generate_directory, reset_directory
from .geography import (
    COMMUNITY_DISTRICT_BY_CODE,
    MEAN_IMMIGRANT,
    MEAN_POVERTY,
    Borough,
    CommunityDistrict,
    clamp_to_borough,
    in_a_sentence,
)
from .goals import generate_goals
from .initiatives import generate_initiatives, reset_initiatives
from .logins import DEMO_LOGINS, DEMO_PASSWORD
from .meetings import generate_meetings
from .profiles import Profile
from .students import STUDENT_TABLES, generate_students, reset_students
from .training import generate_training, reset_training

if TYPE_CHECKING:
    from django.contrib.auth.models import User

T = TypeVar("T")

LOGIN_URL = "http://127.0.0.1:8000/login/"
DEMO_EMAIL_DOMAIN = "demo.wraparound.test"


# --- the generated data, handed from one entity's function to the next ----------------------


@dataclass(frozen=True)
class LoginRow:
    role: str
    username: str
    password: str
    sees: str


@dataclass
class DemoData:
    profile: Profile
    seed: int
    network: Network
    school_years: list[SchoolYear] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    # the geography each community was drawn from, by community code
    places: dict[str, CommunityDistrict] = field(default_factory=dict)
    # in generation order: per community, elementary schools first (the demo logins rely on it)
    schools: list[School] = field(default_factory=list)
    school_kinds: dict[str, SchoolKind] = field(default_factory=dict)  # by school code
    organizations: list[Organization] = field(default_factory=list)
    # the community each organization is based in, parallel to `organizations`
    organization_communities: list[Community] = field(default_factory=list)
    # what each organization does, parallel to `organizations` (its services follow it)
    organization_focuses: list[Focus] = field(default_factory=list)
    service_ids: list[int] = field(default_factory=list)  # the directory's services
    coalitions: list[Coalition] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    logins: list[LoginRow] = field(default_factory=list)
    # assessments, needs, assets, participants and partnerships by status (`assessments.py`)
    assessment_counts: dict[str, int] = field(default_factory=dict)
    agreement_counts: dict[str, int] = field(default_factory=dict)  # `agreements.py`
    student_counts: dict[str, int] = field(default_factory=dict)  # `students.py`
    attendance_counts: dict[str, int] = field(default_factory=dict)  # `attendance.py`
    planted_effect: PlantedEffect | None = None  # the effect `attendance.py` planted, if any
    goal_counts: dict[str, int] = field(default_factory=dict)  # `goals.py`
    # coalitions, meetings, trainings, initiatives, conferences (`coalitions.py` and the rest)
    partnership_work_counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "communities": len(self.communities),
            "schools": len(self.schools),
            "community schools": sum(s.is_community_school for s in self.schools),
            "organizations": len(self.organizations),
            "services": len(self.service_ids),
            "school years": len(self.school_years),
            "coalitions": len(self.coalitions),
            "demo users": len(self.users),
            "memberships": len(self.memberships),
            **self.assessment_counts,
            **self.agreement_counts,
            **self.student_counts,
            **self.attendance_counts,
            **self.goal_counts,
            **self.partnership_work_counts,
        }


def _streams(fake: Faker, seed: int, entity: str) -> tuple[random.Random, Faker]:
    key = f"{seed}:{entity}"
    fake.seed_instance(key)
    return random.Random(key), fake


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _share(rng: random.Random, logit_mean: float, concentration: float) -> Decimal:
    mean = 1 / (1 + math.exp(-logit_mean))
    value = rng.betavariate(mean * concentration, (1 - mean) * concentration)
    return Decimal(f"{min(max(value, 0.0), 1.0):.4f}")


def _largest_remainder(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Share `total` out in proportion to `weights`, each getting at least `minimum`."""
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} cannot give {len(weights)} parts at least {minimum} each.")
    whole = sum(weights)
    exact = [spare * w / whole for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: spare - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Names:
    """Faker's names for its locale, with their frequencies, drawn from an entity's stream.

    Faker rebuilds its weight table on every first_name() or last_name() call (about 0.2 ms);
    with thousands of schools and partners, and later students, that was the largest single
    cost of seeding, so the tables are built once here."""

    def __init__(self, fake: Faker, rng: random.Random) -> None:
        person = next(p for p in fake.get_providers() if hasattr(p, "last_names"))
        self._rng = rng
        self._first, self._first_weights = self._table(person.first_names)
        self._last, self._last_weights = self._table(person.last_names)

    @staticmethod
    def _table(names: Any) -> tuple[list[str], list[float]]:
        weights = list(names.values()) if hasattr(names, "values") else [1.0] * len(names)
        return list(names), list(itertools.accumulate(weights))

    def first(self) -> str:
        return self._rng.choices(self._first, cum_weights=self._first_weights)[0]

    def last(self) -> str:
        return self._rng.choices(self._last, cum_weights=self._last_weights)[0]

    def person(self) -> str:
        if self._rng.random() < 0.3:
            return f"{self.first()} {self._rng.choice('ABCDEFGHJKLMNPRSTW')}. {self.last()}"
        return f"{self.first()} {self.last()}"


STREET_SUFFIXES = ("Street", "Street", "Avenue", "Avenue", "Place", "Road", "Boulevard", "Court")


def _street_address(borough: Borough, rng: random.Random, names: Names) -> str:
    # Faker's names on NYC's kinds of street, with a share of each borough's numbered streets.
    if rng.random() < 0.35:
        if borough.letter == "M":
            side = rng.choice(("East", "West"))
            return f"{rng.randint(1, 599)} {side} {_ordinal(rng.randint(1, 220))} Street"
        if borough.letter == "X":
            return f"{rng.randint(1, 1199)} East {_ordinal(rng.randint(138, 240))} Street"
        if borough.letter == "Q":
            kind = rng.choice(("Street", "Avenue", "Road", "Drive"))
            block = f"{rng.randint(10, 250)}-{rng.randint(1, 99):02d}"
            return f"{block} {_ordinal(rng.randint(20, 270))} {kind}"
    name = names.last() if rng.random() < 0.7 else names.first()
    return f"{rng.randint(1, 2999)} {name} {rng.choice(STREET_SUFFIXES)}"


def _jittered_point(place: CommunityDistrict, rng: random.Random) -> tuple[Decimal, Decimal]:
    # About a kilometre around the district's centre, inside the borough's area; drawing again
    # rather than clamping keeps schools from piling up on the edge (often a shoreline).
    for _ in range(20):
        lat, lon = rng.gauss(place.latitude, 0.007), rng.gauss(place.longitude, 0.009)
        if clamp_to_borough(place.borough, lat, lon) == (lat, lon):
            break
    else:
        lat, lon = place.latitude, place.longitude
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


# --- reset ---------------------------------------------------------------------------------


def reset_network(slug: str) -> bool:
    """Delete the network with this slug and everything in it. True if there was one."""
    network = Network.objects.filter(slug=slug).first()
    if network is None:
        return False
    # The logs of a demo network describe demo data that is about to go; Disclosure protects
    # its network, so it has to go first.
    Disclosure.objects.filter(network=network).delete()
    AuditEvent.objects.filter(network=network).delete()
    Goal.objects.filter(network=network).delete()  # goals refer to partnerships
    # Coalition members protect their organizations and schools; meetings, posts and commitments
    # go with their coalition.
    Coalition.objects.filter(network=network).delete()
    reset_initiatives(network.pk)  # activities name directory organizations
    # Training attendance refers to campus staff and clearance records, which reset_agreements
    # deletes with plain SQL: trainings go first.
    reset_training(network.pk)
    reset_conferences(network.pk)  # conferences refer to students, guardians, consents, referrals
    reset_students(network.pk)  # referrals refer to services, partnerships and agreements
    reset_agreements(network.pk)  # MOUs refer to partnerships, staff to organizations
    reset_assessments(network.pk)  # they refer to the directory's categories and services
    reset_directory(network.pk)
    # A school protects its community; deleting the schools first lets the network cascade.
    School.objects.filter(network=network).delete()
    network.delete()
    return True


# --- network, school years, communities ----------------------------------------------------


def generate_network(profile: Profile, rng: random.Random, fake: Faker) -> Network:
    return Network.objects.create(
        name=profile.network_name,
        slug=profile.network_slug,
        description=profile.network_description,
        website=f"https://{profile.network_slug}.example.org/",
    )


def generate_school_years(data: DemoData) -> list[SchoolYear]:
    years = SchoolYear.objects.bulk_create(
        SchoolYear(
            network=data.network,
            end_year=spec.end_year,
            start_date=spec.start_date,
            end_date=spec.end_date,
            is_current=spec.is_current,
        )
        for spec in data.profile.school_years
    )
    data.school_years = list(years)
    return data.school_years


def generate_holidays(data: DemoData) -> int:
    """The US public holidays of the calendar years the school years span: referral deadlines
    skip them (the network's referral settings list them)."""
    years = sorted({y for sy in data.school_years for y in (sy.start_date.year, sy.end_date.year)})
    rows = [
        NetworkHoliday(network=data.network, date=day, name=name)
        for year in years
        for day, name in public_holidays_of("US", "", year)
    ]
    NetworkHoliday.objects.bulk_create(rows)
    return len(rows)


def generate_communities(data: DemoData, rng: random.Random, fake: Faker) -> list[Community]:
    places = [COMMUNITY_DISTRICT_BY_CODE[code] for code in data.profile.community_codes]
    communities = Community.objects.bulk_create(
        Community(network=data.network, code=p.code, name=p.name, borough=p.borough.name)
        for p in places
    )
    data.communities = list(communities)
    data.places.update((p.code, p) for p in places)
    return data.communities


# --- schools -------------------------------------------------------------------------------


class SchoolKind(StrEnum):
    ELEMENTARY = "elementary"
    MIDDLE = "middle"
    K8 = "k8"
    HIGH = "high"
    SECONDARY = "secondary"  # grades 6–12


@dataclass(frozen=True)
class KindSpec:
    spans: tuple[tuple[str, str, float], ...]  # (lowest, highest OneRoster grade, weight)
    enrollment_median: float
    enrollment_sigma: float
    high_numbers: bool  # high schools take the 400s–600s, as NYC's do
    # logit shifts of the need inputs against an elementary school of the same community
    english_learners: float = 0.0
    disabilities: float = 0.0
    absenteeism: float = 0.0


KIND_SPECS: dict[SchoolKind, KindSpec] = {
    SchoolKind.ELEMENTARY: KindSpec(
        (("PK", "05", 0.6), ("KG", "05", 0.4)), 440, 0.38, False, english_learners=0.15
    ),
    SchoolKind.MIDDLE: KindSpec(
        (("06", "08", 1.0),), 500, 0.45, False, disabilities=0.12, absenteeism=0.15
    ),
    SchoolKind.K8: KindSpec((("KG", "08", 0.8), ("PK", "08", 0.2)), 620, 0.40, False),
    SchoolKind.HIGH: KindSpec(
        (("09", "12", 1.0),),
        580,
        0.70,
        True,
        english_learners=-0.1,
        disabilities=-0.08,
        absenteeism=0.45,
    ),
    SchoolKind.SECONDARY: KindSpec((("06", "12", 1.0),), 600, 0.45, True, absenteeism=0.3),
}

# NYC 2023-24 (DESIGN.md §7): 73.5% economically disadvantaged, 16.3% English learners,
# 21.6% students with disabilities; chronic absenteeism about 35%. The offsets make up for the
# means shifting when the community and school effects go through the logistic curve (they
# were fitted on the city profile).
ECONOMIC_DISADVANTAGE = _logit(0.735) + 0.1
ENGLISH_LEARNERS = _logit(0.163) - 0.23
DISABILITIES = _logit(0.216) - 0.035
ABSENTEEISM = _logit(0.35) - 0.26
COMMUNITY_SCHOOL_SHARE = 0.235  # 421 of 1,596 in 2022-23

ELEMENTARY_THEMES = (
    "The Discovery School", "School of Science and Inquiry", "The Children's Workshop School",
    "School for Global Citizenship", "The Earth School", "School of the Arts",
    "Dual Language Academy", "The Neighborhood School", "School of Exploration",
    "Academy of Environmental Science", "The STEAM Academy", "Community Roots School",
)  # fmt: skip
HIGH_THEMES = (
    "Health Careers", "Law and Justice", "Arts and Technology", "Environmental Science",
    "Leadership and Community Service", "International Studies",
    "Mathematics, Science and Engineering", "Media and Communications",
    "Teaching and Public Service", "Architecture and Design", "Music and Performing Arts",
    "Computer Science", "Business and Finance", "Civic Leadership", "Sports Medicine",
    "Public Policy", "Urban Planning", "Hospitality and Tourism", "Aviation Careers",
    "Medical Science", "Journalism", "Social Justice", "New Americans",
    "Language and Innovation", "Writing and Literature", "Research and Discovery",
    "Community Health", "Construction Trades", "Global Learning", "Green Careers",
)  # fmt: skip


class _SchoolNumbers:
    """Hands out school numbers unique within a borough, as NYC's P.S./I.S. numbers are."""

    RANGES = {"low": range(1, 400), "high": range(400, 700), "spare": range(700, 1000)}

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._pools: dict[tuple[str, str], list[int]] = {}

    def take(self, borough: Borough, high: bool) -> int:
        order = ("high", "low", "spare") if high else ("low", "high", "spare")
        for name in order:
            pool = self._pools.get((borough.letter, name))
            if pool is None:
                pool = list(self.RANGES[name])
                self._rng.shuffle(pool)
                self._pools[borough.letter, name] = pool
            if pool:
                return pool.pop()
        raise ValueError(f"No school numbers left in {borough.name}.")


def _plan_community(profile: Profile, size: int, rng: random.Random) -> list[SchoolKind]:
    """The kinds of the schools of one community, elementary schools first."""
    if profile.one_pattern_per_community:
        if size != 4:
            raise ValueError("A one-pattern community has 2 elementary, 1 middle, 1 high school.")
        return [SchoolKind.ELEMENTARY] * 2 + [SchoolKind.MIDDLE, SchoolKind.HIGH]
    # Roughly NYC's mix: about half elementary, one in six middle, one in five high schools.
    high = max(1, round(size * rng.uniform(0.17, 0.26)))
    middle = max(1, round(size * rng.uniform(0.13, 0.20)))
    k8 = round(size * rng.uniform(0.04, 0.13))
    secondary = round(size * rng.uniform(0.02, 0.08))
    elementary = size - high - middle - k8 - secondary
    while elementary < middle:  # every middle school needs an elementary school feeding it
        if k8:
            k8 -= 1
        elif secondary:
            secondary -= 1
        else:
            raise ValueError(f"A community of {size} schools is too small for a feeder pattern.")
        elementary += 1
    return (
        [SchoolKind.ELEMENTARY] * elementary
        + [SchoolKind.MIDDLE] * middle
        + [SchoolKind.K8] * k8
        + [SchoolKind.HIGH] * high
        + [SchoolKind.SECONDARY] * secondary
    )


def _school_name(
    kind: SchoolKind, number: int, place: CommunityDistrict, rng: random.Random, names: Names
) -> str:
    neighbourhood = rng.choice(place.neighbourhoods)
    roll = rng.random()
    if kind is SchoolKind.ELEMENTARY:
        if roll < 0.55:
            return f"P.S. {number} {names.person()}"
        if roll < 0.7:
            return f"P.S. {number} The {neighbourhood} School"
        if roll < 0.85:
            return f"P.S. {number} {rng.choice(ELEMENTARY_THEMES)}"
        return f"P.S. {number}"
    if kind is SchoolKind.MIDDLE:
        prefix = rng.choice(("M.S.", "I.S.", "J.H.S."))
        if roll < 0.6:
            return f"{prefix} {number} {names.person()}"
        if roll < 0.85:
            return f"{prefix} {number} {neighbourhood} Middle School for {rng.choice(HIGH_THEMES)}"
        return f"{prefix} {number}"
    if kind is SchoolKind.K8:
        if roll < 0.7:
            return f"P.S./I.S. {number} {names.person()}"
        return f"P.S./I.S. {number} The {neighbourhood} School"
    theme = rng.choice(HIGH_THEMES)
    if kind is SchoolKind.SECONDARY:
        if roll < 0.5:
            return f"{neighbourhood} Secondary School for {theme}"
        return f"{place.borough.name} School for {theme}"
    if roll < 0.25:
        return f"{names.first()} {names.last()} High School"
    if roll < 0.5:
        return f"High School for {theme}"
    if roll < 0.75:
        return f"{neighbourhood} High School for {theme}"
    return f"{place.borough.name} Academy for {theme}"


_FEED_NOTHING = frozenset({SchoolKind.HIGH, SchoolKind.SECONDARY})
_FEED_HIGH = frozenset({SchoolKind.MIDDLE, SchoolKind.K8})
_FEED_MIDDLE = frozenset({SchoolKind.ELEMENTARY})


def _feeders(kinds: Sequence[SchoolKind]) -> list[int | None]:
    """For each school of a community, the index of the one it feeds into (or None).

    Elementary → middle and middle/K–8 → high, dealt round-robin so that the patterns are even;
    high schools and 6–12 schools feed nothing."""
    by_kind: dict[SchoolKind, list[int]] = {k: [] for k in SchoolKind}
    for i, kind in enumerate(kinds):
        by_kind[kind].append(i)
    middles, highs = by_kind[SchoolKind.MIDDLE], by_kind[SchoolKind.HIGH]
    feeds: list[int | None] = [None] * len(kinds)
    for n, i in enumerate(by_kind[SchoolKind.ELEMENTARY]):
        feeds[i] = middles[n % len(middles)] if middles else None
    for n, i in enumerate(by_kind[SchoolKind.MIDDLE] + by_kind[SchoolKind.K8]):
        feeds[i] = highs[n % len(highs)] if highs else None
    return feeds


def generate_schools(data: DemoData, rng: random.Random, fake: Faker) -> list[School]:
    profile = data.profile
    if profile.one_pattern_per_community:
        sizes = [4] * len(data.communities)
        if sum(sizes) != profile.schools:
            raise ValueError(
                f"Profile {profile.name}: {profile.schools} schools ≠ 4 per community."
            )
    else:
        weights = [data.places[c.code].weight for c in data.communities]
        sizes = _largest_remainder(profile.schools, weights, minimum=4)
    numbers = _SchoolNumbers(rng)
    names = Names(fake, rng)
    schools: list[School] = []
    feeds: list[int | None] = []
    for community, size in zip(data.communities, sizes, strict=True):
        place = data.places[community.code]
        borough = place.borough
        kinds = _plan_community(profile, size, rng)
        # Community-wide effects (on the logit scale) make poorer communities' schools needier.
        poverty, immigrant = place.poverty - MEAN_POVERTY, place.immigrant - MEAN_IMMIGRANT
        community_ed = ECONOMIC_DISADVANTAGE + 3.2 * poverty + rng.gauss(0, 0.2)
        community_el = ENGLISH_LEARNERS + 2.6 * immigrant + 0.4 * poverty + rng.gauss(0, 0.25)
        community_swd = DISABILITIES + 0.8 * poverty + rng.gauss(0, 0.1)
        community_ca = ABSENTEEISM + 2.4 * poverty + rng.gauss(0, 0.15)
        community_school_chance = min(max(COMMUNITY_SCHOOL_SHARE + 0.6 * poverty, 0.04), 0.6)
        offset = len(schools)
        for kind, feeds_into in zip(kinds, _feeders(kinds), strict=True):
            spec = KIND_SPECS[kind]
            number = numbers.take(borough, spec.high_numbers)
            low, high = rng.choices([s[:2] for s in spec.spans], [s[2] for s in spec.spans])[0]
            latitude, longitude = _jittered_point(place, rng)
            enrollment = rng.lognormvariate(math.log(spec.enrollment_median), spec.enrollment_sigma)
            # One school-level draw moves poverty and absence together, as they move in life.
            school_need = rng.gauss(0, 0.3)
            code = f"{rng.choice(place.districts)}{borough.letter}{number:03d}"
            school = School(
                network=data.network,
                community=community,
                code=code,
                name=_school_name(kind, number, place, rng, names),
                grade_low=low,
                grade_high=high,
                address_1=_street_address(borough, rng, names),
                city=borough.city,
                state_province="NY",
                postal_code=rng.choice(place.zip_codes),
                latitude=latitude,
                longitude=longitude,
                is_community_school=rng.random() < community_school_chance,
                enrollment=round(min(max(enrollment, 100), 4000)),
                share_economically_disadvantaged=_share(rng, community_ed + school_need, 18),
                share_english_learners=_share(rng, community_el + spec.english_learners, 12),
                share_students_with_disabilities=_share(rng, community_swd + spec.disabilities, 40),
                chronic_absenteeism_rate=_share(
                    rng, community_ca + spec.absenteeism + school_need, 20
                ),
            )
            schools.append(school)
            feeds.append(None if feeds_into is None else offset + feeds_into)
            data.school_kinds[code] = kind
    # A feeder needs the primary key of the school it feeds into, so the schools go in by tier:
    # those that receive nobody's students first, then middle and K–8, then elementary. That
    # sets every feeder_to at insert time; a bulk_update afterwards cost more than all inserts.
    for school, target in zip(schools, feeds, strict=True):
        if target is not None:
            school.feeder_to = schools[target]
    started = time.perf_counter()
    for tier in (_FEED_NOTHING, _FEED_HIGH, _FEED_MIDDLE):
        School.objects.bulk_create(
            [s for s in schools if data.school_kinds[s.code] in tier], batch_size=500
        )
    data.timings["schools: insert"] = time.perf_counter() - started
    data.schools = schools
    return schools


# --- organizations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Focus:
    label: str  # "Youth Tutoring", as in "Mott Haven Youth Tutoring Collective"
    short: str  # "Tutoring", as in "Bright Futures Tutoring"
    description: str
    kinds: tuple[str, ...]


FOCUSES: tuple[Focus, ...] = (
    Focus("Youth Tutoring", "Tutoring",
          "Free after-school tutoring in reading and math, one to one and in small groups.",
          ("Collective", "Project", "Center", "Program")),
    Focus("Family Health", "Health",
          "Primary care, vaccinations and help enrolling in health insurance for children and "
          "their families.", ("Center", "Clinic", "Partners")),
    Focus("Youth Mental Health", "Counseling",
          "School-based counseling and therapy for children and teenagers, with family sessions "
          "and crisis support.", ("Center", "Services", "Clinic", "Collaborative")),
    Focus("Dental", "Dental",
          "A mobile dental clinic offering screenings, cleanings and sealants at school.",
          ("Project", "Program", "Clinic")),
    Focus("Vision", "Eye Care",
          "Eye exams at school and free glasses for every student who needs them.",
          ("Project", "Program", "Partners")),
    Focus("Food Access", "Food",
          "Weekend food packs, a school food pantry and help applying for SNAP.",
          ("Network", "Collective", "Project", "Pantry")),
    Focus("Family Legal", "Legal Aid",
          "Free advice and representation for families on immigration, housing and benefits.",
          ("Services", "Project", "Clinic", "Center")),
    Focus("Youth Mentoring", "Mentoring",
          "One-to-one mentoring that pairs students with trained adult volunteers for a year.",
          ("Alliance", "Program", "Project", "Partners")),
    Focus("STEM", "STEM",
          "Hands-on science, coding and robotics clubs after school and in the summer.",
          ("Lab", "Collective", "Workshop", "Institute")),
    Focus("Arts", "Arts",
          "Music, dance, theater and visual arts residencies in school and after school.",
          ("Collective", "Center", "Workshop", "Alliance")),
    Focus("Youth Sports", "Sports",
          "Soccer, basketball and swimming programs that build teamwork and fitness.",
          ("League", "Club", "Alliance", "Association")),
    Focus("Family Literacy", "Reading",
          "Reading buddies, family literacy nights and free books to take home.",
          ("Project", "Collective", "Partners", "Initiative")),
    Focus("Adult Education", "Learning",
          "English classes for parents, high school equivalency preparation and job training.",
          ("Center", "Institute", "Program")),
    Focus("Housing Stability", "Housing",
          "Case management, rent arrears help and shelter navigation for families facing "
          "eviction or homelessness.", ("Services", "Network", "Project", "Coalition")),
    Focus("College Access", "College Access",
          "College and career advising, FAFSA help and campus visits for high school students.",
          ("Program", "Initiative", "Partners", "Center")),
    Focus("Attendance Mentoring", "Success Mentors",
          "Success mentors who check in every day with chronically absent students and call "
          "their families.", ("Program", "Initiative", "Corps")),
    Focus("Early Childhood", "Early Learning",
          "Play groups, home visits and parenting workshops for families with children under "
          "five.", ("Center", "Network", "Collaborative")),
    Focus("Youth Employment", "Workforce",
          "Paid internships and job readiness training for young people aged 14 to 24.",
          ("Works", "Program", "Initiative", "Partners")),
    Focus("Immigrant Family", "Welcome",
          "Help for newly arrived families: school enrollment, benefits, interpretation and "
          "connection to neighbors.", ("Center", "Services", "Network")),
    Focus("Restorative Justice", "Peacemaking",
          "Restorative circles, peer mediation training and conflict resolution in school.",
          ("Project", "Collaborative", "Institute")),
    Focus("Youth Development", "Youth",
          "After-school and summer programs with homework help, recreation and leadership "
          "projects.", ("Center", "Association", "House", "Alliance")),
    Focus("Parent Leadership", "Parent Power",
          "Trainings that help parents lead school committees and advocate for their children.",
          ("Institute", "Network", "Collective")),
    Focus("Environmental Education", "Green Schools",
          "School gardens, composting and nature field trips for students and families.",
          ("Project", "Collective", "Alliance")),
)  # fmt: skip

NAME_ADJECTIVES = (
    "Bright", "New", "Open", "Rising", "Strong", "Common", "Shared", "Brave", "Golden",
    "True North", "Next", "Steady", "Good", "Bold", "Kind", "Little", "Big", "Clear",
)  # fmt: skip
NAME_NOUNS = (
    "Futures", "Roots", "Horizons", "Paths", "Bridges", "Steps", "Doors", "Voices", "Harbor",
    "Ground", "Circle", "Sparks", "Wings", "Seeds", "Lanterns", "Rivers", "Neighbors", "Hands",
)  # fmt: skip
BOROUGH_LANGUAGES: dict[str, tuple[str, ...]] = {
    "M": ("Chinese", "French", "Bengali", "Arabic", "Fulani"),
    "X": ("French", "Bengali", "Arabic", "Soninke", "Garifuna"),
    "K": ("Russian", "Haitian Creole", "Chinese", "Arabic", "Urdu", "Yiddish", "Uzbek"),
    "Q": ("Chinese", "Bengali", "Korean", "Nepali", "Punjabi", "Tagalog", "Urdu"),
    "R": ("Arabic", "Russian", "Chinese", "Albanian"),
}


def _organization_name(
    place: CommunityDistrict, focus: Focus, rng: random.Random, names: Names
) -> tuple[str, str]:
    """A partner's name and the place its description says it serves."""
    where = rng.choice(
        (*place.neighbourhoods, place.short_name, place.short_name, place.borough.name)
    )
    kind = rng.choice(focus.kinds)
    roll = rng.random()
    if roll < 0.45:
        return f"{where} {focus.label} {kind}", where
    if roll < 0.6:
        return f"{focus.label} {kind} of {in_a_sentence(where)}", where
    if roll < 0.75:
        house = rng.choice(("Family Foundation", "House", "Center for Children", "Fund"))
        return f"{names.last()} {house}", where
    return f"{rng.choice(NAME_ADJECTIVES)} {rng.choice(NAME_NOUNS)} {focus.short}", where


def _organization_description(
    focus: Focus, where: str, place: CommunityDistrict, rng: random.Random
) -> str:
    about = rng.choice(
        (
            "Founded in {year} by neighborhood parents; we serve families across {where}.",
            "Working in {where} since {year}, in schools, libraries and community centers.",
            "A community-based nonprofit rooted in {where} since {year}.",
            "Serving children and families in {where} and the rest of {borough} since {year}.",
        )
    ).format(
        year=rng.randint(1968, 2022),
        where=in_a_sentence(where),
        borough=in_a_sentence(place.borough.name),
    )
    languages = ["English"]
    if rng.random() < 0.35 + 0.6 * place.immigrant:
        languages.append("Spanish")
    extra = rng.choices((0, 1, 2), (1 - place.immigrant, 0.7, place.immigrant))[0]
    languages += rng.sample(BOROUGH_LANGUAGES[place.borough.letter], extra)
    spoken = (
        languages[0] if len(languages) == 1 else ", ".join(languages[:-1]) + " and " + languages[-1]
    )
    return f"{focus.description} {about} Services in {spoken}."


def generate_organizations(data: DemoData, rng: random.Random, fake: Faker) -> list[Organization]:
    weights = [data.places[c.code].weight for c in data.communities]
    per_community = _largest_remainder(data.profile.organizations, weights)
    names = Names(fake, rng)
    taken: set[str] = set()
    organizations: list[Organization] = []
    homes: list[Community] = []
    focuses: list[Focus] = []
    for community, count in zip(data.communities, per_community, strict=True):
        place = data.places[community.code]
        for _ in range(count):
            focus = rng.choice(FOCUSES)
            for _attempt in range(20):
                name, where = _organization_name(place, focus, rng, names)
                if name not in taken:
                    break
            else:
                name = f"{name} {place.borough.name}"
            while name in taken:
                name += " II"
            taken.add(name)
            domain = f"{slugify(name)[:50].strip('-')}.example.org"
            if rng.random() < 0.6:
                email = f"info@{domain}"
            else:
                mailbox = slugify(f"{names.first()[0]}{names.last()}").replace("-", "")
                email = f"{mailbox}@{domain}"
            area_code = rng.choice(place.borough.area_codes)
            organizations.append(
                Organization(
                    network=data.network,
                    name=name,
                    description=_organization_description(focus, where, place, rng),
                    email=email,
                    website=f"https://www.{domain}/",
                    # 555-01xx numbers are reserved for fiction.
                    phone=f"({area_code}) 555-01{rng.randint(0, 99):02d}",
                )
            )
            homes.append(community)
            focuses.append(focus)
    started = time.perf_counter()
    Organization.objects.bulk_create(organizations, batch_size=500)
    data.timings["organizations: insert"] = time.perf_counter() - started
    data.organizations = organizations
    data.organization_communities = homes
    data.organization_focuses = focuses
    return organizations


# --- coalitions, people --------------------------------------------------------------------


def generate_coalitions(data: DemoData, rng: random.Random, fake: Faker) -> list[Coalition]:
    """One coalition per community: agencies, schools and families of the community district."""
    focuses = [
        "on attendance, health and housing stability, and referring families between each "
        "other's services.",
        "on early childhood and the move from pre-K to kindergarten, with the district's Head "
        "Start and child-care providers.",
        "on safe passage, after-school places and family economic stability.",
    ]
    names = [
        "{place} Coalition for Children and Families",
        "{place} Family Partnership Council",
        "{place} Community Schools Coalition",
    ]
    coalitions = Coalition.objects.bulk_create(
        Coalition(
            network=data.network,
            community=community,
            name=names[i % len(names)].format(place=data.places[community.code].short_name),
            focus=(
                f"Agencies, schools and families in "
                f"{in_a_sentence(data.places[community.code].name)} working together "
                + focuses[i % len(focuses)]
            ),
            principles=(
                "Families are partners, not cases. We share what we know only with consent. "
                "We answer each other's referrals within five school days. We measure what we "
                "promise and publish it to the coalition."
            ),
        )
        for i, community in enumerate(data.communities)
    )
    data.coalitions = list(coalitions)
    return data.coalitions


def generate_people(data: DemoData, password_hash: str) -> list[User]:
    """The demo logins of `logins.DEMO_LOGINS`, each with the membership its role needs.

    Existing demo users are updated and all their memberships replaced, so that the printed
    table says exactly what each login sees."""
    user_model = get_user_model()
    network = data.network
    first_community = data.communities[0]
    elementary = [
        s
        for s in data.schools
        if s.community_id == first_community.pk
        and data.school_kinds[s.code] is SchoolKind.ELEMENTARY
    ]
    if len(elementary) < 2:
        raise ValueError("The first community needs two elementary schools for the demo logins.")
    first_school, second_school = elementary[0], elementary[1]
    organization = data.organizations[0]
    coalition = data.coalitions[0]

    scopes: dict[str, list[dict[str, object]]] = {
        Role.NETWORK_ADMIN: [{}],
        Role.NETWORK_EVALUATOR: [{}],
        Role.SCHOOL_COORDINATOR: [{"school": first_school}, {"school": second_school}],
        Role.SCHOOL_STAFF: [{"school": first_school, "title": "Social worker"}],
        Role.CLINICAL_SUPERVISOR: [{"school": first_school, "title": "Clinical supervisor"}],
        Role.PRINCIPAL: [{"school": first_school, "title": "Principal"}],
        Role.PARTNER_ADMIN: [{"organization": organization, "title": "Executive director"}],
        Role.PARTNER_STAFF: [{"organization": organization, "title": "Youth worker"}],
        Role.COALITION_MEMBER: [{"coalition": coalition}],
    }
    counts = data.counts()
    sees: dict[str, str] = {
        Role.NETWORK_ADMIN: (
            f"all of {network.name}: {counts['communities']:,} communities, "
            f"{counts['schools']:,} schools, {counts['organizations']:,} partners"
        ),
        Role.NETWORK_EVALUATOR: f"the communities and schools of {network.name}",
        Role.SCHOOL_COORDINATOR: f"{first_school.name} and {second_school.name}",
        Role.SCHOOL_STAFF: first_school.name,
        Role.CLINICAL_SUPERVISOR: first_school.name,
        Role.PRINCIPAL: first_school.name,
        Role.PARTNER_ADMIN: organization.name,
        Role.PARTNER_STAFF: organization.name,
        Role.COALITION_MEMBER: coalition.name,
    }

    existing = {
        u.username: u
        for u in user_model.objects.filter(username__in=[d.username for d in DEMO_LOGINS])
    }
    users: list[User] = []
    for login in DEMO_LOGINS:
        user = existing.get(login.username) or user_model(username=login.username)
        user.email = f"{login.username}@{DEMO_EMAIL_DOMAIN}"
        user.first_name = login.first_name
        user.last_name = login.last_name
        user.is_active = True
        # One argon2 hash of the shared demo password serves every demo user: hashing is slow
        # on purpose (a quarter of a second here), and a salt per user protects nothing when
        # the password is printed for all to read.
        user.password = password_hash
        user.save()
        users.append(user)
    Membership.objects.filter(user__in=users).delete()

    memberships: list[Membership] = []
    logins: list[LoginRow] = []
    for login, user in zip(DEMO_LOGINS, users, strict=True):
        for scope in scopes[login.role]:
            membership = Membership(user=user, role=login.role, network=network, **scope)
            membership.full_clean()  # the model decides which scope each role may be held at
            membership.save()
            memberships.append(membership)
        logins.append(
            LoginRow(str(Role(login.role).label), login.username, DEMO_PASSWORD, sees[login.role])
        )
    data.users = users
    data.memberships = memberships
    data.logins = logins
    return users


# --- the whole network ---------------------------------------------------------------------


# The tables a seed fills in bulk: their planner statistics are refreshed afterwards.
_ANALYZED: tuple[type[models.Model], ...] = (
    Community,
    School,
    Organization,
    *(table.model for table in HSDS_TABLES),
    ServiceCapacity,
    NeedsAssessment,
    Need,
    Asset,
    Participant,
    Partnership,
    *AGREEMENT_TABLES,
    *STUDENT_TABLES,
    *ATTENDANCE_TABLES,
)


def seed_demo(
    profile: Profile, seed: int = 1, effect: tuple[int, float] | bool | None = True
) -> DemoData:
    """(Re)create the profile's network and the demo logins, in one transaction. `effect`: the
    attendance effect to plant (`attendance.generate_attendance`): True the default one, a
    (service id, percentage points) pair, or None for none."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        result = step()
        timings[name] = time.perf_counter() - t0
        return result

    password_hash = timed("hash password", lambda: make_password(DEMO_PASSWORD))
    fake = Faker("en_US")
    with transaction.atomic():
        timed("reset", lambda: reset_network(profile.network_slug))
        network = timed(
            "network", lambda: generate_network(profile, *_streams(fake, seed, "network"))
        )
        data = DemoData(profile=profile, seed=seed, network=network, timings=timings)
        timed("school years", lambda: generate_school_years(data))
        timed("holidays", lambda: generate_holidays(data))
        timed(
            "communities", lambda: generate_communities(data, *_streams(fake, seed, "communities"))
        )
        timed("schools", lambda: generate_schools(data, *_streams(fake, seed, "schools")))
        timed(
            "organizations",
            lambda: generate_organizations(data, *_streams(fake, seed, "organizations")),
        )
        timed("coalitions", lambda: generate_coalitions(data, *_streams(fake, seed, "coalitions")))
        timed("people", lambda: generate_people(data, password_hash))
        timed("directory", lambda: generate_directory(data, *_streams(fake, seed, "directory")))
        data.assessment_counts = timed(
            "assessments",
            lambda: generate_assessments(data, *_streams(fake, seed, "assessments")),
        )
        data.agreement_counts = timed(
            "agreements",
            lambda: generate_agreements(data, *_streams(fake, seed, "agreements"), network.today()),
        )
        data.student_counts = timed(
            "students",
            lambda: generate_students(data, *_streams(fake, seed, "students"), network.today()),
        )
        data.attendance_counts = timed(
            "attendance",
            lambda: generate_attendance(data, _streams(fake, seed, "attendance")[0], effect),
        )
        data.goal_counts = timed(
            "goals", lambda: generate_goals(data, _streams(fake, seed, "goals")[0])
        )
        data.partnership_work_counts.update(
            timed(
                "coalition details",
                lambda: generate_coalition_details(
                    data, *_streams(fake, seed, "coalition details")
                ),
            )
        )
        data.partnership_work_counts.update(
            timed("meetings", lambda: generate_meetings(data, _streams(fake, seed, "meetings")[0]))
        )
        data.partnership_work_counts.update(
            timed("training", lambda: generate_training(data, _streams(fake, seed, "training")[0]))
        )
        data.partnership_work_counts.update(
            timed(
                "initiatives",
                lambda: generate_initiatives(data, _streams(fake, seed, "initiatives")[0]),
            )
        )
        data.partnership_work_counts.update(
            timed(
                "conferences",
                lambda: generate_conferences(data, _streams(fake, seed, "conferences")[0]),
            )
        )
    timed("analyze", lambda: analyze(*_ANALYZED))
    data.seconds = time.perf_counter() - started
    return data
