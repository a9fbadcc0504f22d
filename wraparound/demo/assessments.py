"""Demo needs-and-assets assessments and existing partnerships (issue 4).

For the current school year every school of `small` and about 85 % of `city`'s have an
assessment; most are submitted (by the school's demo principal where there is one), a few are
still drafts. `small` also has last year's, submitted, for every school, so that copy-forward
has something to copy; the demo coordinator's first school has last year's in every profile and
this year's as a draft copied forward from it, to work on in `make demo`.

Each assessment lists 8–18 needs (about 14 on average, some 19,000 in `city`) in the default
taxonomy's categories, the common ones (tutoring, counseling, attendance, mentoring, food,
health, family support) more often, each school's data moving them: high chronic absenteeism
brings attendance needs, many English learners newcomer and adult-education needs, and so on.
Severity follows the school's need index (its rank in the network) and the share that drives
the category; tiers are about 30 % school-wide, 50 % small group and 20 % individual, with
students to serve to match; grade bands sit within the school's span; languages are those the
services of the school's community offer; timings and evidence are what a school would write.
Assets (2–6: staff, programs, partners) cover a modest part of the needs, and who took part is
recorded (the principal, staff, a family survey, students, community members).

Partnerships that already exist make gaps differ between schools: about 35 % of the assessed
schools have 1–3 active partnerships for their needs, with services of the need's category
that serve the school's community and pass the matching rules (active, vetted, grades,
language, timing); a few schools have a proposed one; about a quarter have last year's that
ended (some renewed this year), so that "already partners with this school" shows. Units stay
within half of each service's stated available capacity for the year, so that the allocation
has most of the directory's capacity to work with.

Rows go in with `bulk_create`; everything is drawn from the entity's own random stream.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from faker import Faker

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.assessments.models import (
    AssessmentStatus,
    Asset,
    AssetKind,
    Need,
    NeedsAssessment,
    Participant,
    ParticipantRole,
    Tier,
)
from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import School, SchoolYear, VettingStatus
from wraparound.core.roles import Role
from wraparound.directory import models as dm
from wraparound.directory.taxonomy import TERMS_BY_CODE

from .bulk import insert_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .generate import DemoData, Names

# --- what schools need ---------------------------------------------------------------------

DAY, AFTER, WEEKEND, SUMMER, VIRTUAL = (
    "during_school_day", "after_school", "weekend", "summer", "virtual",
)  # fmt: skip
TIMINGS = (DAY, AFTER, WEEKEND, SUMMER, VIRTUAL)  # Need's and Service's timing fields
STAFF, PROGRAM, PARTNER = AssetKind.STAFF, AssetKind.PROGRAM, AssetKind.PARTNER

Timings = tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True)
class CategoryPlan:
    code: str
    weight: float  # how often schools name it, before the school's data moves it
    # the school share that makes the category more frequent and more severe:
    # ed (economically disadvantaged), el (English learners), swd, ca (chronic absenteeism)
    drivers: tuple[str, ...]
    timings: Timings  # (flags, weight)
    evidence: tuple[tuple[str, str], ...]  # (data source, figure); figures are templates
    assets: tuple[tuple[AssetKind, str], ...]
    grades: str = "span"  # span: within the school's; pk: pre-K only; high: 9–12; none: open


def _t(*pairs: tuple[str, float]) -> Timings:
    return tuple((tuple(flags.split()), w) for flags, w in pairs)


PLANS: tuple[CategoryPlan, ...] = (
    CategoryPlan("tutoring", 10, ("ed", "el"),
                 _t((AFTER, 7), (DAY, 2), (f"{DAY} {AFTER}", 2), (f"{AFTER} {VIRTUAL}", 1)),
                 (("State test results", "{p20_45} of students proficient in math"),
                  ("Interim assessments", "{p30_55} of students below grade level in math")),
                 ((STAFF, "Math intervention teacher"), (PROGRAM, "Saturday academy"))),
    CategoryPlan("counseling", 10, ("swd", "ca"),
                 _t((DAY, 3), (f"{DAY} {AFTER}", 2), (AFTER, 3)),
                 (("School climate survey", "{p25_45} of students often feel sad or worried"),
                  ("Counseling referral log", "{n15_70} students waiting for counseling"),
                  ("Students with IEPs", "{swd} of students have an IEP")),
                 ((STAFF, "School counselor"), (STAFF, "School social worker"),
                  (STAFF, "School psychologist"))),
    CategoryPlan("attendance", 9, ("ca",),
                 _t((DAY, 5), (f"{DAY} {AFTER}", 2)),
                 (("Chronic absenteeism report", "{ca} of students chronically absent"),
                  ("Monthly attendance data",
                   "{n20_90} students absent 10% or more of school days so far")),
                 ((STAFF, "Attendance teacher"),
                  (PROGRAM, "Attendance team with daily calls home"))),
    CategoryPlan("mentoring", 8, ("ca", "ed"),
                 _t((AFTER, 5), (DAY, 2), (f"{DAY} {AFTER}", 1)),
                 (("Teacher referrals", "{n15_60} students referred for a mentor"),
                  ("School climate survey",
                   "{p20_40} of students say no adult at school knows them well")),
                 ((PROGRAM, "Peer mentoring by older students"),
                  (PARTNER, "Volunteer mentors from a local congregation"))),
    CategoryPlan("food", 7, ("ed",),
                 _t((AFTER, 5), (DAY, 2), (f"{DAY} {AFTER}", 2)),
                 (("Family survey", "{p15_40} of families ran out of food in the past month"),
                  ("Economic need data", "{ed} of students economically disadvantaged")),
                 ((PROGRAM, "Breakfast in the classroom"),
                  (PARTNER, "Food drive by the parent association"))),
    CategoryPlan("literacy", 7, ("ed", "el"),
                 _t((AFTER, 4), (DAY, 2), (f"{DAY} {AFTER}", 1)),
                 (("Fall reading benchmark", "{p30_60} of students below grade level in reading"),
                  ("State ELA results", "{p25_50} of students proficient in ELA")),
                 ((STAFF, "Reading specialist"), (PROGRAM, "Classroom library program"))),
    CategoryPlan("social-emotional", 7, ("swd", "ca"),
                 _t((DAY, 3), (AFTER, 3), (f"{DAY} {AFTER}", 1)),
                 (("Incident reports", "{n20_140} behavior incidents last year"),
                  ("School climate survey", "{p25_50} of students report bullying")),
                 ((PROGRAM, "Social-emotional learning curriculum"),
                  (STAFF, "Restorative justice coordinator"))),
    CategoryPlan("family-support", 6, ("ed",),
                 _t((AFTER, 4), (DAY, 2), (f"{AFTER} {VIRTUAL}", 1)),
                 (("Family survey", "{p20_45} of families ask for parenting workshops"),
                  ("Parent coordinator's log", "{n20_90} families asked for support")),
                 ((STAFF, "Parent coordinator"), (PROGRAM, "Monthly family workshops"))),
    CategoryPlan("after-school", 6, ("ed",),
                 _t((AFTER, 1),),
                 (("Family survey", "{p35_65} of families want an after-school program"),
                  ("After-school waitlist", "{n25_150} students on the waitlist")),
                 ((PROGRAM, "Teacher-run after-school clubs"),)),
    CategoryPlan("health-medical", 5, ("ed",),
                 _t((DAY, 3), (f"{DAY} {AFTER}", 1), (f"{DAY} {WEEKEND}", 1)),
                 (("School nurse's visit log", "{n40_250} nurse visits a month"),
                  ("Asthma action plans on file", "{n15_80} students with asthma")),
                 ((STAFF, "School nurse"),)),
    CategoryPlan("housing", 5, ("ed",),
                 _t((DAY, 3), (AFTER, 1), (f"{DAY} {AFTER}", 1)),
                 (("Students in temporary housing", "{n10_120} students in temporary housing"),
                  ("Family survey", "{p8_25} of families worried about losing their home")),
                 ((STAFF, "Students in temporary housing liaison"),
                  (PROGRAM, "Clothing closet"))),
    CategoryPlan("health-vision", 4, ("ed",),
                 _t((DAY, 1),),
                 (("Vision screening", "{p12_30} of screened students failed the screening"),),
                 ((PROGRAM, "Vision screening by the school nurse"),)),
    CategoryPlan("health-dental", 4, ("ed",),
                 _t((DAY, 1),),
                 (("Dental screening", "{p20_45} of screened students have untreated decay"),),
                 ((PARTNER, "Screenings by a dental school's students"),)),
    CategoryPlan("adult-education", 3, ("el",),
                 _t((f"{DAY} {AFTER}", 3), (AFTER, 3), (DAY, 2)),
                 (("Family survey", "{p15_40} of parents want English classes"),
                  ("Home language survey", "{el} of students are English learners")),
                 ((PROGRAM, "Parent English conversation group"),)),
    CategoryPlan("college-career", 5, ("ed",),
                 _t((f"{DAY} {AFTER}", 3), (AFTER, 3), (f"{AFTER} {VIRTUAL}", 1)),
                 (("College application tracker", "{p30_60} of seniors have applied to college"),
                  ("FAFSA completion", "{p25_55} of seniors completed the FAFSA")),
                 ((STAFF, "College counselor"), (PROGRAM, "Career day")),
                 grades="high"),
    CategoryPlan("newcomers", 3, ("el",),
                 _t((AFTER, 3), (DAY, 2), (f"{DAY} {AFTER}", 1)),
                 (("New admits", "{n10_90} newly arrived students since September"),
                  ("English learner data", "{el} of students are English learners")),
                 ((STAFF, "Bilingual family worker"), (PROGRAM, "Newcomer welcome buddies"))),
    CategoryPlan("benefits", 3, ("ed",),
                 _t((DAY, 2), (AFTER, 2), (f"{DAY} {VIRTUAL}", 1)),
                 (("Family survey", "{p15_35} of families eligible for SNAP but not enrolled"),
                  ("Economic need data", "{ed} of students economically disadvantaged")),
                 ((STAFF, "Parent coordinator's help with applications"),)),
    CategoryPlan("arts", 3, (),
                 _t((AFTER, 5), (DAY, 2)),
                 (("Arts education survey", "No certified arts teacher for some grades"),
                  ("Student interest survey", "{p40_70} of students want music or art")),
                 ((STAFF, "Music teacher"), (STAFF, "Visual arts teacher"))),
    CategoryPlan("sports", 3, (),
                 _t((AFTER, 4), (f"{AFTER} {WEEKEND}", 2), (WEEKEND, 1)),
                 (("Student interest survey", "{p45_75} of students want a sports team"),
                  ("Fitness assessment", "{p30_55} of students in the healthy fitness zone")),
                 ((PROGRAM, "School sports teams"),
                  (STAFF, "Physical education teacher who coaches"))),
    CategoryPlan("stem", 3, (),
                 _t((AFTER, 5), (DAY, 2), (SUMMER, 1)),
                 (("Student interest survey", "{p35_60} of students want a science or coding club"),
                  ("State science results", "{p25_50} of students proficient in science")),
                 ((PROGRAM, "Science fair"), (PROGRAM, "Robotics team"))),
    CategoryPlan("summer", 3, ("ed",),
                 _t((SUMMER, 1),),
                 (("Family survey", "{p30_60} of families have no summer plan for their children"),
                  ("Spring and fall reading benchmarks",
                   "{p20_40} of students lost ground over the summer")),
                 ((PROGRAM, "Summer learning program"),)),
    CategoryPlan("early-childhood", 3, ("ed",),
                 _t((DAY, 3), (WEEKEND, 1)),
                 (("Kindergarten readiness screening", "{p25_50} of children not yet ready"),
                  ("Pre-K family survey", "{n10_40} families ask for play groups")),
                 ((PROGRAM, "Pre-K family engagement days"),),
                 grades="pk"),
    CategoryPlan("legal-aid", 2, ("el",),
                 _t((AFTER, 3), (DAY, 2), (f"{AFTER} {WEEKEND}", 1)),
                 (("Parent coordinator's log",
                   "{n8_40} families asked for help with immigration or housing"),),
                 ((PARTNER, "Know-your-rights workshops by a volunteer lawyer"),)),
    CategoryPlan("parent-leadership", 2, (),
                 _t((AFTER, 3), (WEEKEND, 1)),
                 (("Parent association attendance", "{n6_20} parents at an average meeting"),
                  ("School leadership team roster", "Parent seats vacant: {n1_3}")),
                 ((PROGRAM, "Parent association"),)),
    CategoryPlan("professional-learning", 2, ("swd",),
                 _t((DAY, 1),),
                 (("Staff survey",
                   "{p40_70} of staff ask for training in trauma-informed practice"),),
                 ((PROGRAM, "Monthly staff professional development"),),
                 grades="none"),
    CategoryPlan("school-planning", 1, (),
                 _t((DAY, 1),),
                 (("School leadership team", "{n4_12} partner programs without coordination"),),
                 ((STAFF, "Community school director"),),
                 grades="none"),
    CategoryPlan("data-evaluation", 1, (),
                 _t((DAY, 1),),
                 (("Staff survey", "No shared review of attendance and referral data"),),
                 ((STAFF, "Data specialist"),),
                 grades="none"),
)  # fmt: skip

PLAN_BY_CODE = {p.code: p for p in PLANS}
SHARE_FIELDS = {
    "ed": "share_economically_disadvantaged",
    "el": "share_english_learners",
    "swd": "share_students_with_disabilities",
    "ca": "chronic_absenteeism_rate",
}
INDEX_WEIGHTS = {"ed": 0.4, "el": 0.2, "swd": 0.2, "ca": 0.2}  # the network default
# Needs of families rather than of students in class: interpreters matter most there.
FAMILY_CATEGORIES = frozenset(
    {"family-support", "adult-education", "newcomers", "benefits", "legal-aid", "food",
     "housing", "health-medical", "health-vision", "health-dental", "counseling",
     "parent-leadership", "early-childhood", "attendance"}
)  # fmt: skip
NOTES = (
    "Raised by the parent association.",
    "A priority of the school leadership team this year.",
    "Families asked for bilingual staff.",
    "Last year's partner could not continue.",
    "Teachers flagged this at the September staff meeting.",
    "Grew since last year.",
    "Students raised it in the student council.",
    "Needs a partner who can start before winter break.",
)
ENDED_REASONS = (
    "The school year ended.",
    "The program's funding ended.",
    "The school chose another partner.",
    "The partner's staff changed and the program paused.",
)
STAFF_TITLES = (
    "assistant principal", "school counselor", "social worker", "parent coordinator",
    "teacher", "teacher", "special education teacher", "school nurse", "attendance teacher",
    "ENL teacher",
)  # fmt: skip

# Active partnerships take at most this share of a service's stated available places a year.
CAPACITY_SHARE = 0.5


# --- facts read once --------------------------------------------------------------------------


@dataclass
class _Service:
    id: int
    organization_id: int
    ok: bool  # active and vetted
    low: float
    high: float
    timings: frozenset[str]
    languages: frozenset[str]
    budget: int  # places partnerships may take each year


@dataclass
class _School:
    school: School
    index: float  # need-index percentile in the network, 0–1
    shares: dict[str, float]
    ranks: dict[str, float]  # percentile of each share in the network
    grades: list[str]  # the school's grades in order
    languages: list[str]  # non-English codes the community's services offer
    # Categories some service serving the community offers: a school's leadership team knows
    # what partners are around, so most of its needs are of these (the rest stay unmatched).
    served: frozenset[int] = frozenset()


def _percentiles(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    ranks = [0.0] * len(values)
    last = max(1, len(values) - 1)
    for rank, i in enumerate(order):
        ranks[i] = rank / last
    return ranks


def _school_facts(data: DemoData, offered: dict[int, set[str]]) -> list[_School]:
    schools = data.schools
    shares = [{k: float(getattr(s, f) or 0) for k, f in SHARE_FIELDS.items()} for s in schools]
    index = _percentiles([sum(INDEX_WEIGHTS[k] * v for k, v in sh.items()) for sh in shares])
    ranks = {k: _percentiles([sh[k] for sh in shares]) for k in SHARE_FIELDS}
    order = sorted(GRADE_ORDER, key=GRADE_ORDER.__getitem__)
    facts = []
    for i, school in enumerate(schools):
        low, high = GRADE_ORDER[school.grade_low], GRADE_ORDER[school.grade_high]
        facts.append(
            _School(
                school=school,
                index=index[i],
                shares=shares[i],
                ranks={k: ranks[k][i] for k in SHARE_FIELDS},
                grades=order[low : high + 1],
                languages=sorted(offered.get(school.community_id, set())),
            )
        )
    return facts


def _services(data: DemoData) -> tuple[dict[tuple[int, int], list[_Service]], dict[int, set[str]]]:
    """The directory's services by (community served, category), and the languages other than
    English offered in each community."""
    network = data.network
    vetted = {o.pk for o in data.organizations if o.vetting_status == VettingStatus.VETTED}
    languages: dict[int, set[str]] = defaultdict(set)
    for service_id, code in dm.Language.objects.filter(
        network=network, service__isnull=False
    ).values_list("service_id", "code"):
        if code:
            languages[service_id].add(code.lower().split("-")[0])
    available: dict[int, int] = defaultdict(int)
    for service_id, places in dm.ServiceCapacity.objects.filter(network=network).values_list(
        "service_id", "available"
    ):
        available[service_id] += places
    services: dict[int, _Service] = {}
    for row in (
        dm.Service.objects.filter(network=network)
        .order_by("pk")
        .values_list("pk", "organization_id", "status", "grade_low", "grade_high", *TIMINGS)
    ):
        pk, organization_id, status, low, high, *flags = row
        services[pk] = _Service(
            id=pk,
            organization_id=organization_id,
            ok=status == dm.ServiceStatus.ACTIVE and organization_id in vetted,
            low=GRADE_ORDER.get(low, -math.inf) if low else -math.inf,
            high=GRADE_ORDER.get(high, math.inf) if high else math.inf,
            timings=frozenset(t for t, on in zip(TIMINGS, flags, strict=True) if on),
            languages=frozenset(languages.get(pk, ())),
            budget=int(available.get(pk, 0) * CAPACITY_SHARE),
        )
    categories: dict[int, list[int]] = defaultdict(list)
    for service_id, term_id in (
        dm.Attribute.objects.filter(network=network, service__isnull=False)
        .order_by("pk")
        .values_list("service_id", "taxonomy_term_id")
    ):
        categories[service_id].append(term_id)
    by_place: dict[tuple[int, int], list[_Service]] = defaultdict(list)
    offered: dict[int, set[str]] = defaultdict(set)
    for service_id, community_id in (
        dm.ServiceArea.objects.filter(network=network, community__isnull=False)
        .order_by("pk")
        .values_list("service_id", "community_id")
    ):
        service = services.get(service_id)
        if service is None:
            continue
        for term_id in categories.get(service_id, ()):
            by_place[community_id, term_id].append(service)
        offered[community_id].update(service.languages - {"en"})
    return by_place, offered


# --- drawing one assessment --------------------------------------------------------------------


class _Figures(dict[str, str]):
    """Fills evidence templates: {ca} and the like are the school's shares, {p20_45} a
    percentage and {n10_90} a number drawn between the bounds."""

    def __init__(self, facts: _School, rng: random.Random) -> None:
        super().__init__({k: f"{v:.0%}" for k, v in facts.shares.items()})
        self._rng = rng

    def __missing__(self, key: str) -> str:
        low, high = (int(x) for x in key[1:].split("_"))
        value = self._rng.randint(low, high)
        return f"{value}%" if key[0] == "p" else str(value)


def _weighted_sample(
    rng: random.Random, items: list[str], weights: list[float], k: int
) -> list[str]:
    """k items without replacement, each drawn in proportion to its weight."""
    keys = sorted(
        ((rng.random() ** (1 / w), item) for item, w in zip(items, weights, strict=True) if w > 0),
        reverse=True,
    )
    return [item for _key, item in keys[:k]]


SERVED_BOOST = 4.0  # how much likelier a category some nearby service offers is


def _categories_for(
    facts: _School, terms: dict[str, int] | None = None
) -> tuple[list[str], list[float]]:
    grades = facts.grades
    codes, weights = [], []
    for plan in PLANS:
        if plan.grades == "pk" and "PK" not in grades:
            continue
        if plan.grades == "high" and "12" not in grades:
            continue
        weight = plan.weight
        for driver in plan.drivers:
            # from half as often for the network's least needy school to 1.5× for its neediest
            weight *= 0.5 + facts.ranks[driver]
        if terms is not None and terms.get(plan.code) in facts.served:
            weight *= SERVED_BOOST
        codes.append(plan.code)
        weights.append(weight)
    return codes, weights


def _grade_band(plan: CategoryPlan, facts: _School, rng: random.Random) -> tuple[str, str, float]:
    """(lowest, highest, share of the school's grades) for a need of this category."""
    grades = facts.grades
    if plan.grades == "none":
        return "", "", 1.0
    if plan.grades == "pk":
        return "PK", "PK", 1 / len(grades)
    if plan.grades == "high":
        upper = [g for g in grades if g >= "09" and g[0].isdigit()]
        start = rng.choice((0, 0, len(upper) - 2)) if len(upper) > 2 else 0
        band = upper[start:]
        return band[0], band[-1], len(band) / len(grades)
    if len(grades) <= 2 or rng.random() < 0.6:
        return grades[0], grades[-1], 1.0
    size = rng.randint(2, max(2, len(grades) - 1))
    start = rng.randint(0, len(grades) - size)
    band = grades[start : start + size]
    return band[0], band[-1], size / len(grades)


def _severity(plan: CategoryPlan, facts: _School, rng: random.Random) -> int:
    driver = sum(facts.ranks[d] for d in plan.drivers) / len(plan.drivers) if plan.drivers else 0.5
    mean = 1.5 + 2.2 * facts.index + 1.0 * (driver - 0.5)
    return min(5, max(1, round(rng.gauss(mean, 0.8))))


def _students(tier: int, enrollment: int, share: float, rng: random.Random) -> int:
    reach = max(1, round(enrollment * share))
    if tier == Tier.SCHOOL_WIDE:
        wanted = min(300, round(reach * rng.uniform(0.2, 0.6)))
    elif tier == Tier.SMALL_GROUP:
        wanted = rng.randint(10, 60)
    else:
        wanted = rng.randint(3, 20)
    return max(1, min(wanted, reach))


def _need(
    plan: CategoryPlan,
    facts: _School,
    rng: random.Random,
    terms: dict[str, int],
    *,
    tier: int | None = None,
) -> Need:
    school = facts.school
    if tier is None:
        tier = (
            Tier.SCHOOL_WIDE
            if plan.grades == "none"
            else rng.choices((Tier.SCHOOL_WIDE, Tier.SMALL_GROUP, Tier.INDIVIDUAL), (3, 5, 2))[0]
        )
    low, high, share = _grade_band(plan, facts, rng)
    flags: tuple[str, ...] = ()
    if rng.random() < 0.9:
        flags = rng.choices([f for f, _w in plan.timings], [w for _f, w in plan.timings])[0]
    languages: list[str] = []
    el = facts.shares["el"]
    chance = min(0.75, el * 2.5) if plan.code in FAMILY_CATEGORIES else min(0.3, el)
    if plan.grades == "none":
        chance = 0.0  # for the staff, not the families
    if facts.languages and rng.random() < chance:
        first = "es" if "es" in facts.languages and rng.random() < 0.75 else ""
        others = [c for c in facts.languages if c != "es"]
        if not first:
            first = rng.choice(others) if others else "es"
        languages.append(first)
        rest = [c for c in facts.languages if c != first]
        if rest and rng.random() < 0.3:
            languages.append(rng.choice(rest))
    source, figure = rng.choice(plan.evidence)
    return Need(
        category_id=terms[plan.code],
        severity=_severity(plan, facts, rng),
        tier=tier,
        students=_students(tier, school.enrollment or 400, share, rng),
        grade_low=low,
        grade_high=high,
        languages=",".join(languages),
        evidence_source=source,
        evidence_figure=figure.format_map(_Figures(facts, rng)),
        notes=rng.choice(NOTES) if rng.random() < 0.15 else "",
        **{t: t in flags for t in TIMINGS},
    )


def _needs(
    facts: _School,
    rng: random.Random,
    terms: dict[str, int],
    previous: list[Need] | None = None,
) -> list[Need]:
    """A school's needs; revised from last year's when given (most kept, severity and numbers
    moved a little, one or two new)."""
    codes, weights = _categories_for(facts, terms)
    if previous:
        needs = []
        for old in previous:
            if rng.random() < 0.15:
                continue  # met or no longer a priority
            need = Need(
                **{
                    f.attname: getattr(old, f.attname)
                    for f in Need._meta.concrete_fields
                    if not f.primary_key and f.attname != "assessment_id"
                }
            )
            need.severity = min(5, max(1, need.severity + rng.choice((-1, 0, 0, 0, 1))))
            need.students = max(1, round(need.students * rng.uniform(0.8, 1.25)))
            needs.append(need)
        have = {n.category_id for n in needs}
        fresh = [c for c in codes if terms[c] not in have]
        extra = _weighted_sample(
            rng,
            fresh,
            [weights[codes.index(c)] for c in fresh],
            max(rng.randint(1, 2), 8 - len(needs)),
        )
        return needs + [_need(PLAN_BY_CODE[c], facts, rng, terms) for c in extra]
    count = min(18, max(8, round(rng.gauss(11 + 6 * facts.index, 2))))
    chosen = _weighted_sample(rng, codes, weights, count)
    needs = [_need(PLAN_BY_CODE[c], facts, rng, terms) for c in chosen]
    if needs and rng.random() < 0.2:
        # A second need in a category already named, for a smaller group with more need.
        code = chosen[0]
        needs[-1] = _need(PLAN_BY_CODE[code], facts, rng, terms, tier=Tier.INDIVIDUAL)
    return needs


def _assets(
    facts: _School, needs: list[Need], rng: random.Random, terms: dict[str, int]
) -> list[Asset]:
    code_of = {v: k for k, v in terms.items()}
    students_by_term: dict[int, int] = defaultdict(int)
    for need in needs:
        students_by_term[need.category_id] += need.students
    named = list(students_by_term)
    assets: list[Asset] = []
    taken: set[str] = set()
    wanted = rng.randint(2, 6)
    for _attempt in range(20):
        if len(assets) == wanted:
            break
        if named and rng.random() < 0.7:
            term_id = rng.choice(named)
            students = max(5, round(students_by_term[term_id] * rng.uniform(0.08, 0.35)))
        else:
            term_id = terms[rng.choice(_categories_for(facts)[0])]
            students = rng.randint(10, 60)
        kind, name = rng.choice(PLAN_BY_CODE[code_of[term_id]].assets)
        if name in taken:
            continue
        taken.add(name)
        assets.append(
            Asset(
                kind=kind,
                category_id=term_id,
                name=name,
                students=min(students, facts.school.enrollment or students),
                notes=rng.choice(
                    (
                        "",
                        "",
                        "Part-time.",
                        "Funded through June.",
                        "Shared with another school in the building.",
                    )
                ),
            )
        )
    return assets


def _participants(
    facts: _School, rng: random.Random, names: Names, people: dict[str, str]
) -> list[Participant]:
    school = facts.school
    rows = [
        Participant(
            role=ParticipantRole.PRINCIPAL,
            name=people.get("principal") or f"{names.person()} (principal)",
        )
    ]
    if people.get("coordinator"):
        rows.append(Participant(role=ParticipantRole.STAFF, name=people["coordinator"]))
    for title in rng.sample(STAFF_TITLES, rng.randint(3, 6)):
        rows.append(Participant(role=ParticipantRole.STAFF, name=f"{names.person()} ({title})"))
    enrollment = school.enrollment or 400
    rows.append(
        Participant(
            role=ParticipantRole.FAMILY,
            name="Family survey respondents",
            count=max(12, round(enrollment * rng.uniform(0.05, 0.3))),
        )
    )
    if rng.random() < 0.6:
        rows.append(
            Participant(
                role=ParticipantRole.FAMILY,
                name="Parent association members",
                count=rng.randint(4, 14),
            )
        )
    older = GRADE_ORDER[facts.grades[-1]] >= GRADE_ORDER["06"]
    if older:
        rows.append(
            Participant(
                role=ParticipantRole.STUDENT,
                name="Student survey respondents",
                count=max(20, round(enrollment * rng.uniform(0.1, 0.5))),
            )
        )
    rows.append(
        Participant(
            role=ParticipantRole.STUDENT,
            name="Student council" if older else "Student focus group",
            count=rng.randint(4, 12),
        )
    )
    if rng.random() < 0.7:
        rows.append(
            Participant(
                role=ParticipantRole.COMMUNITY,
                name=rng.choice(
                    (
                        "Community board youth committee",
                        "Tenant association representatives",
                        "Neighborhood library branch manager",
                        "Local congregation's outreach team",
                    )
                ),
                count=rng.randint(1, 3),
            )
        )
    return rows


# --- the whole network --------------------------------------------------------------------------


def _insert(model: type[Model], objs: Sequence[Model]) -> None:
    """Insert unsaved instances with multi-row INSERTs of their values, as the directory does
    (`directory._Table`): `bulk_create` spent about 4 s of the city's seed preparing the
    needs', assets' and participants' half a million values one by one."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    special = [
        f.get_internal_type() in ("DateTimeField", "DateField", "TimeField", "DecimalField")
        for f in fields
    ]
    rows = []
    for obj in objs:
        row = [getattr(obj, f.attname) for f in fields]
        for i, f in enumerate(fields):
            if special[i] and row[i] is not None:
                row[i] = f.get_db_prep_save(row[i], connection)
        rows.append(row)
    insert_rows(model, fields, rows)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=timezone.get_current_timezone())


def _summary(needs: list[Need], terms: dict[str, int]) -> str:
    names = {v: TERMS_BY_CODE[k].name.lower() for k, v in terms.items()}
    top: list[str] = []
    for need in sorted(needs, key=lambda n: (-n.severity, -n.students)):
        name = names[need.category_id]
        if name not in top:
            top.append(name)
        if len(top) == 3:
            break
    if not top:
        return ""
    listed = top[0] if len(top) == 1 else ", ".join(top[:-1]) + " and " + top[-1]
    return f"Our priorities this year: {listed}."


def generate_assessments(data: DemoData, rng: random.Random, fake: Faker) -> dict[str, int]:
    """Assessments of the current (and, in `small`, the previous) school year, and the
    partnerships that already exist. Returns the counts for the summary."""
    from .generate import Names

    started = time.perf_counter()
    current = next(y for y in data.school_years if y.is_current)
    previous = max(
        (y for y in data.school_years if y.end_year < current.end_year),
        key=lambda y: y.end_year,
        default=None,
    )
    terms = dict(dm.TaxonomyTerm.objects.filter(network=data.network).values_list("code", "id"))
    by_place, offered = _services(data)
    facts = _school_facts(data, offered)
    served: dict[int, set[int]] = defaultdict(set)
    for community_id, term_id in by_place:
        served[community_id].add(term_id)
    for f in facts:
        f.served = frozenset(served.get(f.school.community_id, ()))
    names = Names(fake, rng)

    # The demo logins: the coordinator's first school drafts this year's assessment; the
    # principal's school's earlier one was submitted by the principal.
    users: dict[str, User] = {u.username: u for u in data.users}
    coordinator_schools = [
        m.school_id for m in data.memberships if m.role == Role.SCHOOL_COORDINATOR and m.school_id
    ]
    principal_of = {
        m.school_id: m.user for m in data.memberships if m.role == Role.PRINCIPAL and m.school_id
    }
    coordinator = users.get("coordinator")
    draft_school = coordinator_schools[0] if coordinator_schools else None
    every_school = data.profile.one_pattern_per_community  # `small`: every school, both years
    data.timings["assessments: read directory"] = time.perf_counter() - started

    # --- assessments, needs, assets, participants ---
    assessments: list[NeedsAssessment] = []
    needs_of: list[list[Need]] = []
    assets_of: list[list[Asset]] = []
    participants_of: list[list[Participant]] = []
    school_of: list[_School] = []
    earlier: dict[int, tuple[NeedsAssessment, list[Need]]] = {}  # by school id

    def people_for(school: School) -> dict[str, str]:
        people = {}
        principal = principal_of.get(school.pk)
        if principal is not None:
            people["principal"] = f"{principal.get_full_name()} (principal)"
        if coordinator is not None and school.pk in coordinator_schools:
            people["coordinator"] = f"{coordinator.get_full_name()} (community school coordinator)"
        return people

    def add(
        f: _School,
        year: SchoolYear,
        status: str,
        needs: list[Need],
        copied: NeedsAssessment | None = None,
    ) -> NeedsAssessment:
        school = f.school
        submitted = status == AssessmentStatus.SUBMITTED
        principal = principal_of.get(school.pk)
        assessment = NeedsAssessment(
            school=school,
            school_year=year,
            status=status,
            copied_from=copied,
            summary=_summary(needs, terms) if submitted else "",
            created_by=coordinator if school.pk in coordinator_schools else None,
            submitted_by=principal if submitted else None,
            submitted_at=(
                _at(year.start_date + dt.timedelta(days=rng.randint(7, 60)), rng.randint(9, 17))
                if submitted
                else None
            ),
        )
        assessments.append(assessment)
        needs_of.append(needs)
        assets_of.append(_assets(f, needs, rng, terms))
        participants = _participants(f, rng, names, people_for(school))
        if not submitted and copied is None and rng.random() < 0.5:
            participants = participants[:1]  # a draft barely started
        participants_of.append(participants)
        school_of.append(f)
        return assessment

    for f in facts:
        school = f.school
        coordinators = school.pk == draft_school
        if previous is not None and (every_school or coordinators):
            needs = _needs(f, rng, terms)
            earlier[school.pk] = (add(f, previous, AssessmentStatus.SUBMITTED, needs), needs)
        if not (every_school or coordinators or rng.random() < 0.85):
            continue
        if coordinators:
            status = AssessmentStatus.DRAFT
        elif school.pk in coordinator_schools:
            status = AssessmentStatus.SUBMITTED  # the coordinator's other school shows gaps
        else:
            status = AssessmentStatus.DRAFT if rng.random() < 0.07 else AssessmentStatus.SUBMITTED
        last = earlier.get(school.pk)
        if last is not None and (coordinators or rng.random() < 0.5):
            add(f, current, status, _needs(f, rng, terms, last[1]), copied=last[0])
        else:
            add(f, current, status, _needs(f, rng, terms))

    t0 = time.perf_counter()
    # Last year's first: this year's copies refer to them.
    for copies in (False, True):
        NeedsAssessment.objects.bulk_create(
            [a for a in assessments if (a.copied_from is not None) == copies], batch_size=500
        )
    need_rows: list[Need] = []
    asset_rows: list[Asset] = []
    participant_rows: list[Participant] = []
    for assessment, needs, assets, participants in zip(
        assessments, needs_of, assets_of, participants_of, strict=True
    ):
        for need in needs:
            need.assessment = assessment
        for asset in assets:
            asset.assessment = assessment
        for participant in participants:
            participant.assessment = assessment
        need_rows += needs
        asset_rows += assets
        participant_rows += participants
    _insert(Need, need_rows)
    _insert(Asset, asset_rows)
    _insert(Participant, participant_rows)
    # The network is new: its needs are the ones just inserted, in order (partnerships need
    # their keys).
    need_ids = Need.objects.filter(assessment__school__network=data.network).order_by("pk")
    for need, pk in zip(need_rows, need_ids.values_list("pk", flat=True), strict=True):
        need.pk = pk
        need._state.adding = False
    data.timings["assessments: insert"] = time.perf_counter() - t0

    # --- partnerships ---
    t0 = time.perf_counter()
    partnerships = _partnerships(
        data, rng, assessments, needs_of, school_of, by_place, current, previous, users
    )
    Partnership.objects.bulk_create(partnerships, batch_size=1000)
    data.timings["assessments: partnerships"] = time.perf_counter() - t0

    counts = {
        "assessments": len(assessments),
        "needs": len(need_rows),
        "assets": len(asset_rows),
        "participants": len(participant_rows),
    }
    for state in PartnershipStatus:
        counts[f"{state.value} partnerships"] = sum(p.status == state for p in partnerships)
    return counts


def _partnerships(
    data: DemoData,
    rng: random.Random,
    assessments: list[NeedsAssessment],
    needs_of: list[list[Need]],
    school_of: list[_School],
    by_place: dict[tuple[int, int], list[_Service]],
    current: SchoolYear,
    previous: SchoolYear | None,
    users: dict[str, User],
) -> list[Partnership]:
    """Active partnerships for about 35 % of this year's assessed schools, last year's that
    ended (some renewed this year) for about a quarter more, and a few proposals. The demo
    coordinator proposed those of their schools, the network admin the others."""
    coordinator, admin = users.get("coordinator"), users.get("admin")
    used: dict[tuple[int, int], int] = defaultdict(int)  # (service, year) → units taken
    open_pairs: set[tuple[int, int, int]] = set()  # (school, service, year) proposed or active
    answered: set[int] = set()  # id() of the needs that have a partnership this year
    rows: list[Partnership] = []
    coordinator_schools = {
        m.school_id for m in data.memberships if m.role == Role.SCHOOL_COORDINATOR and m.school_id
    }

    def candidates(f: _School, need: Need, year: SchoolYear) -> list[_Service]:
        """The services that would pass matching's rules for this need, with places left."""
        wanted = set(need.languages.split(",")) if need.languages else set()
        flags = {t for t in TIMINGS if getattr(need, t)}
        low = GRADE_ORDER[need.grade_low] if need.grade_low else -math.inf
        high = GRADE_ORDER[need.grade_high] if need.grade_high else math.inf
        return [
            s
            for s in by_place.get((f.school.community_id, need.category_id), ())
            if s.ok
            and s.low <= high
            and low <= s.high
            and (not wanted or s.languages & wanted)
            and (not flags or s.timings & flags)
            and used[s.id, year.pk] < s.budget
            and (f.school.pk, s.id, year.pk) not in open_pairs
        ]

    def commit(
        f: _School,
        need: Need | None,
        service: _Service,
        year: SchoolYear,
        status: PartnershipStatus,
        wanted: int,
    ) -> Partnership:
        units = max(1, min(wanted, service.budget - used[service.id, year.pk]))
        used[service.id, year.pk] += units
        activated = changed = None
        reason = ""
        if status == PartnershipStatus.ACTIVE:
            open_pairs.add((f.school.pk, service.id, year.pk))
            activated = changed = _at(year.start_date + dt.timedelta(days=rng.randint(0, 45)), 11)
        elif status == PartnershipStatus.PROPOSED:
            open_pairs.add((f.school.pk, service.id, year.pk))
        else:
            activated = _at(year.start_date + dt.timedelta(days=rng.randint(0, 60)), 11)
            changed = _at(year.end_date, 17)
            reason = rng.choice(ENDED_REASONS)
        row = Partnership(
            network=data.network,
            school=f.school,
            organization_id=service.organization_id,
            service_id=service.id,
            school_year=year,
            need=need,
            units=units,
            status=status,
            source=(
                PartnershipSource.RECOMMENDATION
                if status == PartnershipStatus.PROPOSED
                else PartnershipSource.DIRECT
            ),
            proposed_by=coordinator if f.school.pk in coordinator_schools else admin,
            activated_at=activated,
            status_changed_at=changed,
            ended_reason=reason,
        )
        rows.append(row)
        return row

    this_year = [i for i, a in enumerate(assessments) if a.school_year_id == current.pk]
    last_year = {
        a.school_id: i
        for i, a in enumerate(assessments)
        if previous is not None and a.school_year_id == previous.pk
    }

    def previous_need(f: _School, category_id: int) -> Need | None:
        index = last_year.get(f.school.pk)
        if index is None:
            return None
        return next((n for n in needs_of[index] if n.category_id == category_id), None)

    def answer(i: int, count: int, status: PartnershipStatus) -> list[tuple[Need, _Service]]:
        """Up to `count` of the school's needs, most severe first, each given a service."""
        f = school_of[i]
        made: list[tuple[Need, _Service]] = []
        for need in sorted(needs_of[i], key=lambda n: (-n.severity, rng.random())):
            if len(made) == count:
                break
            options = [] if id(need) in answered else candidates(f, need, current)
            if options:
                service = rng.choice(options)
                share = rng.uniform(0.3, 0.8) if status == PartnershipStatus.ACTIVE else 0.4
                commit(f, need, service, current, status, round(need.students * share))
                answered.add(id(need))
                made.append((need, service))
        return made

    for i in sorted(rng.sample(this_year, round(len(this_year) * 0.35))):
        f = school_of[i]
        for need, service in answer(i, rng.choice((1, 1, 2, 2, 3)), PartnershipStatus.ACTIVE):
            # Some renew last year's: the same service worked with the school then.
            if (
                previous is not None
                and rng.random() < 0.4
                and used[service.id, previous.pk] < service.budget
            ):
                ended = commit(
                    f,
                    previous_need(f, need.category_id),
                    service,
                    previous,
                    PartnershipStatus.ENDED,
                    round(need.students * rng.uniform(0.2, 0.6)),
                )
                ended.ended_reason = "The school year ended; renewed for this year."

    # Last year's partnerships that ended without renewal, at about a quarter of the schools.
    if previous is not None:
        for i in sorted(rng.sample(this_year, round(len(this_year) * 0.25))):
            f = school_of[i]
            for need in rng.sample(needs_of[i], min(len(needs_of[i]), rng.randint(1, 2))):
                options = candidates(f, need, previous)
                if options:
                    commit(
                        f,
                        previous_need(f, need.category_id),
                        rng.choice(options),
                        previous,
                        PartnershipStatus.ENDED,
                        round(need.students * rng.uniform(0.2, 0.6)),
                    )

    # A few proposals waiting for the organization's answer (one at the coordinator's
    # submitted school, so that the demo shows one).
    proposing = set(rng.sample(this_year, max(1, round(len(this_year) * 0.06))))
    proposing |= {
        i
        for i in this_year
        if assessments[i].school_id in coordinator_schools
        and assessments[i].status == AssessmentStatus.SUBMITTED
    }
    for i in sorted(proposing):
        answer(i, 1, PartnershipStatus.PROPOSED)
    return rows


def reset_assessments(network_id: int) -> None:
    """Delete a network's assessments, partnerships and allocation runs (before its directory,
    whose categories and services they refer to, and its school years go): one DELETE a table,
    leaves first, as `directory.reset_directory` does. A model of another app that comes to
    reference these rows (issue 5's agreements on partnerships) must be deleted here first;
    the database's foreign keys fail the reset loudly until it is."""
    from wraparound.matching.models import AllocationItem, AllocationRun, AllocationUnmet

    ops = connection.ops
    q = ops.quote_name
    school = q(School._meta.db_table)
    assessment = q(NeedsAssessment._meta.db_table)
    run = q(AllocationRun._meta.db_table)
    statements = [
        *(
            f"DELETE FROM {q(model._meta.db_table)} WHERE run_id IN "  # noqa: S608
            f"(SELECT id FROM {run} WHERE network_id = %s)"
            for model in (AllocationItem, AllocationUnmet)
        ),
        f"DELETE FROM {run} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(Partnership._meta.db_table)} WHERE network_id = %s",  # noqa: S608
        *(
            f"DELETE FROM {q(model._meta.db_table)} WHERE assessment_id IN "  # noqa: S608
            f"(SELECT a.id FROM {assessment} a JOIN {school} s ON s.id = a.school_id "
            "WHERE s.network_id = %s)"
            for model in (Need, Asset, Participant)
        ),
        f"DELETE FROM {assessment} WHERE school_id IN "  # noqa: S608
        f"(SELECT id FROM {school} WHERE network_id = %s)",
    ]
    with connection.cursor() as cursor:
        # Table names come from the models' metadata, never from input.
        for sql in statements:
            cursor.execute(sql, [network_id])
