"""The demo directory (DESIGN.md §7): each demo partner's services as HSDS 3.0 records.

`small` gets 150 services for its 60 organizations, `city` 12,000 for 3,000. What a service
offers follows its organization's focus (a tutoring collective runs tutoring and homework help,
a health center a school-based clinic and insurance enrollment), with some agencies running a
program outside their focus; every category of the default taxonomy and every community gets
services. Each service carries what the search page and the family page show: description,
e-mail, website, a phone, a location near the schools of the organization's community with its
street address, schedules in HSDS's recurrence form (after school is Monday to Friday
15:00–18:00), the organization's languages (its description names them), grade band, timing,
costs (mostly free for families), capacity for most, the communities served and eligibility.

Vetting: most organizations are vetted, confirmed at dates spread over the past 18 months
(weighted towards recent ones, so that about a third are stale under the default six months);
a few are not vetted yet. The demo partner logins' organization (the first) is vetted, fresh and
runs several services. Dates count back from the day the data is generated, so that freshness
looks the same whenever the demo is loaded; everything else is fixed by the seed.

Rows are inserted with `bulk_create`, parents first; `search_text` is filled as the services are
built, so search works as soon as the seed commits.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from wraparound.core.models import Organization, VettingStatus
from wraparound.core.roles import Role
from wraparound.demo.geography import in_a_sentence
from wraparound.directory import models as m
from wraparound.directory.search import build_search_text, normalize
from wraparound.directory.taxonomy import DEFAULT_TERMS, TERMS_BY_CODE, taxonomy_ensure_default

if TYPE_CHECKING:
    from .generate import DemoData

# --- what partners offer ---------------------------------------------------------------------

# Grade bands, as (lowest, highest) OneRoster grades; ("", "") is a service for adults or for
# every age (English classes for parents, a food pantry).
ES, MS, HS = ("KG", "05"), ("06", "08"), ("09", "12")
PK5, K8, K12, MS_HS = ("PK", "05"), ("KG", "08"), ("KG", "12"), ("06", "12")
EARLY, ANY = ("IT", "PK"), ("", "")


@dataclass(frozen=True)
class Offer:
    name: str
    categories: tuple[str, ...]  # taxonomy codes
    description: str
    timings: tuple[str, ...] = ("after_school",)
    grades: tuple[tuple[str, str], ...] = (K8,)
    unit: str = "students"  # capacity unit


def _o(
    name: str,
    categories: str,
    description: str,
    timings: str = "after_school",
    grades: tuple[tuple[str, str], ...] = (K8,),
    unit: str = "students",
) -> Offer:
    return Offer(name, tuple(categories.split()), description, tuple(timings.split()), grades, unit)


SCHOOL_DAY, AFTER, WEEKEND, SUMMER, VIRTUAL = (
    "during_school_day", "after_school", "weekend", "summer", "virtual",
)  # fmt: skip

# By the organization focus's label (generate.FOCUSES).
OFFERS: dict[str, tuple[Offer, ...]] = {
    "Youth Tutoring": (
        _o("After-School Tutoring", "tutoring after-school",
           "Homework help and tutoring in reading and math in small groups, with a snack.",
           AFTER, (ES, MS, K8)),
        _o("Reading and Math Small Groups", "tutoring literacy",
           "Trained tutors pull small groups of students for reading and math during the day.",
           SCHOOL_DAY, (ES, PK5)),
        _o("Homework Help Online", "tutoring",
           "Live online tutors for homework in every subject, on weekday evenings.",
           VIRTUAL, (MS, HS, MS_HS)),
        _o("Regents Exam Prep", "tutoring college-career",
           "Saturday review sessions before the Regents exams in math, science and history.",
           WEEKEND, (HS,)),
    ),
    "Family Health": (
        _o("School-Based Health Center", "health-medical",
           "Check-ups, sick visits, asthma care, vaccinations and sports physicals at school, "
           "with or without insurance.", SCHOOL_DAY, (K12, ES, MS_HS), "students"),
        _o("Vaccination Clinic", "health-medical",
           "Free vaccinations required for school, for children and teenagers.",
           f"{SCHOOL_DAY} {WEEKEND}", (K12,), "children"),
        _o("Health Insurance Enrollment", "benefits health-medical",
           "Help enrolling children and parents in Medicaid, Child Health Plus or the "
           "Essential Plan.", SCHOOL_DAY, (ANY,), "families"),
    ),
    "Youth Mental Health": (
        _o("School-Based Counseling", "counseling",
           "Individual and group counseling at school with licensed social workers.",
           SCHOOL_DAY, (ES, MS, HS, K12), "students"),
        _o("Family Therapy", "counseling family-support",
           "Therapy for children and their families, in person or by video, evenings included.",
           f"{AFTER} {VIRTUAL}", (K12,), "families"),
        _o("Crisis Support Line", "counseling",
           "A mobile crisis team and a phone line for students in distress and their families.",
           f"{SCHOOL_DAY} {AFTER} {WEEKEND}", (K12,), "people"),
        _o("Teen Support Groups", "counseling social-emotional",
           "Weekly peer support groups on stress, grief and anxiety, led by a clinician.",
           AFTER, (MS, HS, MS_HS)),
        _o("Trauma-Informed Schools Training", "professional-learning counseling",
           "Workshops and coaching for teachers and staff on trauma-informed classrooms.",
           SCHOOL_DAY, (ANY,), "staff"),
    ),
    "Dental": (
        _o("Mobile Dental Clinic", "health-dental",
           "A dental van visits the school for exams, cleanings, fluoride and sealants.",
           SCHOOL_DAY, (K12, ES), "children"),
        _o("Dental Screenings and Sealants", "health-dental",
           "Screenings at school with referrals for treatment at our clinic.",
           SCHOOL_DAY, (ES, PK5), "children"),
    ),
    "Vision": (
        _o("Eye Exams and Free Glasses", "health-vision",
           "Eye exams at school and a free pair of glasses for every student who needs them.",
           SCHOOL_DAY, (K12, ES, MS_HS), "students"),
        _o("Vision Screening Day", "health-vision",
           "Vision screenings for every grade, with a report sent home to families.",
           SCHOOL_DAY, (ES, PK5), "students"),
    ),
    "Food Access": (
        _o("Weekend Food Packs", "food",
           "A backpack of healthy food every Friday for students who go hungry at weekends.",
           SCHOOL_DAY, (ES, K8), "students"),
        _o("School Food Pantry", "food housing",
           "A pantry at school open to families after pickup: fresh produce and groceries.",
           AFTER, (ANY,), "families"),
        _o("SNAP Application Help", "benefits food",
           "Help applying for SNAP and WIC, in person or by phone.",
           f"{SCHOOL_DAY} {VIRTUAL}", (ANY,), "families"),
        _o("Cooking and Nutrition Classes", "food family-support",
           "Cooking classes for parents and children on budget-friendly healthy meals.",
           f"{AFTER} {WEEKEND}", (ANY,), "families"),
    ),
    "Family Legal": (
        _o("Immigration Legal Clinic", "legal-aid newcomers",
           "Free consultations and representation on immigration cases for families.",
           f"{AFTER} {WEEKEND}", (ANY,), "families"),
        _o("Housing Court Help", "legal-aid housing",
           "Advice and lawyers for families facing eviction or repairs disputes.",
           SCHOOL_DAY, (ANY,), "families"),
        _o("Benefits Advocacy", "legal-aid benefits",
           "Help appealing denied benefits: SNAP, cash assistance, SSI.",
           SCHOOL_DAY, (ANY,), "families"),
    ),
    "Youth Mentoring": (
        _o("One-to-One Mentoring", "mentoring",
           "Students meet a trained adult volunteer mentor every week for a school year.",
           AFTER, (ES, MS, HS, K8)),
        _o("Group Mentoring Circles", "mentoring social-emotional",
           "Weekly mentoring circles for small groups of students with two mentors.",
           SCHOOL_DAY, (MS, HS, MS_HS)),
        _o("Career Mentors", "mentoring college-career",
           "Professionals mentor high school students about careers and first jobs.",
           f"{AFTER} {VIRTUAL}", (HS,)),
    ),
    "STEM": (
        _o("Robotics Club", "stem after-school",
           "Students design, build and program robots and compete in city tournaments.",
           AFTER, (MS, HS, MS_HS)),
        _o("Coding Club", "stem after-school",
           "Game design, web pages and programming for beginners.",
           f"{AFTER} {VIRTUAL}", (ES, MS, K8)),
        _o("Summer Science Camp", "stem summer",
           "Five weeks of experiments, field trips and projects in the summer.",
           SUMMER, (ES, K8)),
    ),
    "Arts": (
        _o("Theater Residency", "arts",
           "Teaching artists work with classes for ten weeks toward a performance.",
           SCHOOL_DAY, (ES, MS, K8)),
        _o("After-School Music", "arts after-school",
           "Instrument lessons, choir and band after school; instruments are lent for free.",
           AFTER, (ES, MS, K8)),
        _o("Dance Program", "arts sports",
           "Hip hop, ballet and folkloric dance classes with a spring show.",
           f"{AFTER} {WEEKEND}", (K8, K12)),
        _o("Visual Arts Studio", "arts after-school",
           "Drawing, painting, murals and digital art in a real studio.",
           AFTER, (MS, HS, MS_HS)),
    ),
    "Youth Sports": (
        _o("Soccer League", "sports after-school",
           "Coached soccer teams with practices after school and games on Saturdays.",
           f"{AFTER} {WEEKEND}", (ES, MS, K8)),
        _o("Learn to Swim", "sports",
           "Swimming lessons for beginners at a neighborhood pool.",
           f"{WEEKEND} {SUMMER}", (ES, K8)),
        _o("Basketball Clinic", "sports",
           "Basketball skills, teamwork and fitness with trained coaches.",
           WEEKEND, (MS, HS, MS_HS)),
    ),
    "Family Literacy": (
        _o("Reading Buddies", "literacy tutoring",
           "Volunteers read with early readers one to one twice a week.",
           SCHOOL_DAY, (ES, PK5)),
        _o("Family Literacy Nights", "literacy family-support",
           "Evenings of stories, games and reading tips for parents and children.",
           AFTER, (PK5, ES), "families"),
        _o("Free Books Program", "literacy",
           "Every child chooses new books to take home, several times a year.",
           SCHOOL_DAY, (PK5, ES, K8), "children"),
    ),
    "Adult Education": (
        _o("English Classes for Parents", "adult-education",
           "English as a second language classes for parents, with childcare on site.",
           f"{SCHOOL_DAY} {AFTER}", (ANY,), "adults"),
        _o("High School Equivalency Preparation", "adult-education",
           "Classes that prepare adults for the high school equivalency exam.",
           f"{AFTER} {VIRTUAL}", (ANY,), "adults"),
        _o("Job Training for Parents", "adult-education family-support",
           "Job readiness, computer skills and certification courses for parents.",
           SCHOOL_DAY, (ANY,), "adults"),
    ),
    "Housing Stability": (
        _o("Family Case Management", "housing family-support",
           "A case manager helps families stabilize housing, benefits and school attendance.",
           SCHOOL_DAY, (ANY,), "families"),
        _o("Rent Arrears Help", "housing benefits",
           "Help applying for emergency rent assistance and one-shot deals.",
           SCHOOL_DAY, (ANY,), "families"),
        _o("Shelter Navigation", "housing attendance",
           "Support for families in shelter: transportation to school, enrollment, supplies.",
           SCHOOL_DAY, (K12,), "families"),
        _o("Clothing and Winter Coats", "housing",
           "Free uniforms, shoes and winter coats for students who need them.",
           SCHOOL_DAY, (K12,), "students"),
    ),
    "College Access": (
        _o("College Advising", "college-career",
           "Advisers help students choose colleges, write essays and apply.",
           f"{SCHOOL_DAY} {AFTER}", (HS,)),
        _o("FAFSA Help", "college-career benefits",
           "Help for students and parents completing the FAFSA and TAP forms.",
           f"{AFTER} {VIRTUAL}", (HS,), "families"),
        _o("Campus Visits", "college-career",
           "Trips to college campuses for students and their families.",
           f"{WEEKEND} {SUMMER}", (HS, MS_HS)),
    ),
    "Attendance Mentoring": (
        _o("Success Mentors", "attendance mentoring",
           "A mentor greets chronically absent students every morning and calls home when they "
           "miss school.", SCHOOL_DAY, (ES, MS, HS, K12)),
        _o("Morning Check-In", "attendance social-emotional",
           "A warm welcome and breakfast check-in for students who struggle to get to school.",
           SCHOOL_DAY, (ES, K8)),
        _o("Attendance Data Review", "data-evaluation attendance",
           "Monthly attendance team meetings with the school to spot and follow up absences.",
           SCHOOL_DAY, (ANY,), "schools"),
    ),
    "Early Childhood": (
        _o("Play Groups", "early-childhood",
           "Play groups for toddlers and their caregivers, with songs and stories.",
           f"{SCHOOL_DAY} {WEEKEND}", (EARLY,), "families"),
        _o("Home Visiting", "early-childhood family-support",
           "A home visitor supports parents of babies and toddlers every two weeks.",
           SCHOOL_DAY, (EARLY,), "families"),
        _o("Parenting Workshops", "family-support early-childhood",
           "Workshops on routines, discipline, sleep and early learning.",
           f"{AFTER} {VIRTUAL}", (EARLY, PK5), "families"),
    ),
    "Youth Employment": (
        _o("Paid Summer Internships", "college-career summer",
           "Six-week paid internships with employers across the city.",
           SUMMER, (HS,)),
        _o("Job Readiness Training", "college-career",
           "Resumes, interviews and workplace skills for young people aged 14 to 24.",
           f"{AFTER} {VIRTUAL}", (HS,)),
    ),
    "Immigrant Family": (
        _o("Newcomer Family Welcome", "newcomers family-support",
           "Orientation to school and the city for newly arrived families.",
           f"{SCHOOL_DAY} {AFTER}", (ANY,), "families"),
        _o("Interpretation for School Meetings", "newcomers",
           "Trained interpreters for parent-teacher conferences and IEP meetings.",
           f"{SCHOOL_DAY} {VIRTUAL}", (ANY,), "families"),
        _o("School Enrollment Help", "newcomers",
           "Help enrolling children in school, with documents and vaccinations.",
           SCHOOL_DAY, (K12,), "families"),
    ),
    "Restorative Justice": (
        _o("Restorative Circles", "social-emotional",
           "Circles that build community in classrooms and repair harm after conflicts.",
           SCHOOL_DAY, (MS, HS, MS_HS)),
        _o("Peer Mediation Training", "social-emotional",
           "Students train as peer mediators and help classmates resolve conflicts.",
           SCHOOL_DAY, (MS, HS)),
        _o("Restorative Practices Training for Staff", "professional-learning social-emotional",
           "Professional learning for school staff on restorative practices.",
           SCHOOL_DAY, (ANY,), "staff"),
    ),
    "Youth Development": (
        _o("After-School Program", "after-school",
           "Homework help, sports, arts and a hot meal every weekday after school.",
           AFTER, (ES, MS, K8)),
        _o("Summer Day Camp", "summer sports",
           "Six weeks of day camp with swimming, trips and a reading hour.",
           SUMMER, (ES, K8)),
        _o("Youth Leadership Council", "social-emotional after-school",
           "Teenagers plan and lead service projects in their neighborhood.",
           AFTER, (MS, HS, MS_HS)),
    ),
    "Parent Leadership": (
        _o("Parent Leadership Training", "parent-leadership",
           "Training for parents to lead parent associations and school committees.",
           f"{AFTER} {WEEKEND}", (ANY,), "parents"),
        _o("School Leadership Team Coaching", "school-planning parent-leadership",
           "Coaching for school leadership teams of parents, staff and partners.",
           SCHOOL_DAY, (ANY,), "schools"),
        _o("Community School Planning Support", "school-planning data-evaluation",
           "Facilitated needs assessments and planning for new community schools.",
           SCHOOL_DAY, (ANY,), "schools"),
    ),
    "Environmental Education": (
        _o("School Garden Program", "stem after-school",
           "Students grow vegetables in the school garden and cook what they harvest.",
           f"{SCHOOL_DAY} {AFTER}", (ES, K8)),
        _o("Nature Field Trips", "stem",
           "Guided trips to parks, beaches and nature centers across the city.",
           f"{SCHOOL_DAY} {SUMMER}", (ES, MS, K8)),
        _o("Composting Club", "stem after-school",
           "Students run the school's compost and learn about waste and climate.",
           AFTER, (MS, MS_HS)),
    ),
}  # fmt: skip

LANGUAGE_CODES: dict[str, str] = {
    "English": "en", "Spanish": "es", "Chinese": "zh", "French": "fr", "Bengali": "bn",
    "Arabic": "ar", "Fulani": "ff", "Soninke": "snk", "Garifuna": "cab", "Russian": "ru",
    "Haitian Creole": "ht", "Urdu": "ur", "Yiddish": "yi", "Uzbek": "uz", "Korean": "ko",
    "Nepali": "ne", "Punjabi": "pa", "Tagalog": "tl", "Albanian": "sq",
}  # fmt: skip

CAPACITY_RANGES: dict[str, tuple[int, int]] = {
    "students": (12, 120), "children": (20, 300), "families": (10, 80), "people": (20, 200),
    "adults": (12, 40), "parents": (10, 30), "staff": (15, 60), "schools": (2, 12),
}  # fmt: skip

APPLY = (
    "Ask your school's community school coordinator for a referral, or call us.",
    "Call or e-mail us; we will call you back within two school days.",
    "Fill in the short form on our website or sign up at the school's parent office.",
    "Walk in during opening hours; no appointment needed.",
    "The school refers students; families may also call us directly.",
)
DAY_NAMES = {"MO": "Mondays", "TU": "Tuesdays", "WE": "Wednesdays", "TH": "Thursdays",
             "FR": "Fridays", "SA": "Saturdays", "SU": "Sundays"}  # fmt: skip
GRADE_AGE = {"IT": 0, "PR": 3, "PK": 4, "TK": 4, "KG": 5}


def _age(grade: str, offset: int) -> Decimal | None:
    if not grade:
        return None
    return Decimal(GRADE_AGE.get(grade, int(grade) + 5 if grade.isdigit() else 0) + offset)


def _uuid(rng: random.Random) -> str:
    """A version 4 UUID drawn from the stream (uuid4() would not repeat for a seed)."""
    bits = (
        rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) | (0x4000 << 64) | (0x8000 << 48)
    )
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _languages_of(organization: Organization) -> list[str]:
    """The languages the organization's description says it works in ("Services in English,
    Spanish and Bengali.")."""
    match = re.search(r"Services in (.+)\.$", organization.description)
    if not match:
        return ["English"]
    return [name for name in re.split(r", | and ", match[1]) if name in LANGUAGE_CODES]


def _span_words(low: str, high: str) -> str:
    short = {"IT": "infants", "PK": "pre-K", "KG": "K"}
    lo, hi = short.get(low, low.lstrip("0")), short.get(high, high.lstrip("0"))
    return f"grades {lo}–{hi}"


def _eligibility(offer: Offer, low: str, high: str, borough: str) -> str:
    if (low, high) == EARLY:
        return "Families with children under five living in or near the community."
    if not low:
        if offer.unit in ("staff", "schools"):
            return "Partner schools of the network."
        return f"Parents, caregivers and families of students at partner schools in {borough}."
    return f"Students in {_span_words(low, high)} at partner schools, and their families."


@dataclass(frozen=True)
class Slot:
    byday: str
    opens: dt.time
    closes: dt.time
    words: str


def _slot(byday: str, opens: str, closes: str, words: str) -> Slot:
    return Slot(byday, dt.time.fromisoformat(opens), dt.time.fromisoformat(closes), words)


WEEKDAYS = "MO,TU,WE,TH,FR"
SLOTS: dict[str, tuple[Slot, ...]] = {
    SCHOOL_DAY: (
        _slot(WEEKDAYS, "08:30", "14:30", "Monday to Friday during the school day"),
        _slot("TU,TH", "09:00", "14:00", "Tuesdays and Thursdays during the school day"),
    ),
    AFTER: (
        _slot(WEEKDAYS, "15:00", "18:00", "Monday to Friday after school, 3 to 6 pm"),
        _slot("MO,WE", "15:00", "17:00", "Mondays and Wednesdays after school, 3 to 5 pm"),
        _slot("TU,TH", "15:30", "17:30", "Tuesdays and Thursdays after school, 3:30 to 5:30 pm"),
    ),
    WEEKEND: (
        _slot("SA", "10:00", "14:00", "Saturdays, 10 am to 2 pm"),
        _slot("SA,SU", "11:00", "15:00", "Saturdays and Sundays, 11 am to 3 pm"),
    ),
    SUMMER: (
        _slot(WEEKDAYS, "09:00", "15:00", "Monday to Friday in July and August, 9 am to 3 pm"),
    ),
    VIRTUAL: (
        _slot("TU,TH", "16:00", "17:00", "Online on Tuesdays and Thursdays, 4 to 5 pm"),
        _slot("MO,WE", "18:00", "19:30", "Online on Mondays and Wednesdays, 6 to 7:30 pm"),
    ),
}


# --- the generator ------------------------------------------------------------------------------


def _offers_for(focus_label: str) -> tuple[Offer, ...]:
    return OFFERS[focus_label]


ALL_OFFERS: tuple[Offer, ...] = tuple(o for offers in OFFERS.values() for o in offers)


def _plan(data: DemoData, rng: random.Random, per_org: list[int]) -> list[tuple[int, Offer]]:
    """(organization index, offer) for every service; all leaf categories covered."""
    plan: list[tuple[int, Offer]] = []
    for index, count in enumerate(per_org):
        own = list(_offers_for(data.organization_focuses[index].label))
        rng.shuffle(own)
        for n in range(count):
            if n > 0 and rng.random() < 0.12:
                # A multi-service agency also runs something outside its focus.
                plan.append((index, rng.choice(ALL_OFFERS)))
            else:
                plan.append((index, own[n % len(own)]))
    # Every category of the taxonomy gets services: swap in an offer for any category left out,
    # in place of a service whose categories others cover too (never the demo partner's).
    leaves = [t.code for t in DEFAULT_TERMS if t.parent]
    covered: dict[str, int] = defaultdict(int)
    for _i, offer in plan:
        for code in offer.categories:
            covered[code] += 1
    for code in leaves:
        if covered[code] or code == "health":
            continue
        offer = rng.choice([o for o in ALL_OFFERS if code in o.categories])
        spare = [
            k
            for k, (i, o) in enumerate(plan)
            if i != 0 and all(covered[c] > 1 for c in o.categories)
        ]
        k = rng.choice(spare)
        for c in plan[k][1].categories:
            covered[c] -= 1
        plan[k] = (plan[k][0], offer)
        for c in offer.categories:
            covered[c] += 1
    return plan


def _vet_organizations(
    data: DemoData, rng: random.Random, today: dt.date
) -> dict[int, tuple[str, dt.date]]:
    """Vetting status and last confirmation of each organization, written with one UPDATE per
    week of confirmation (a few dozen statements for the 3,000 organizations of `city`)."""
    admin = next(
        (
            u
            for u, login in zip(data.users, data.logins, strict=False)
            if login.role == str(Role.NETWORK_ADMIN.label)
        ),
        None,
    )
    states: dict[int, tuple[str, dt.date]] = {}
    weeks: dict[tuple[str, int], list[int]] = defaultdict(list)
    status: str
    for index, organization in enumerate(data.organizations):
        if index == 0:
            status, week = VettingStatus.VETTED, 1
        else:
            status = VettingStatus.VETTED if rng.random() < 0.92 else VettingStatus.UNVETTED
            # Up to 78 weeks (18 months) back, most of them recent: about 70 % within 26 weeks.
            week = int(78 * rng.random() ** 3)
        weeks[status, week].append(organization.pk)
        states[organization.pk] = (status, today - dt.timedelta(weeks=week))
    for (status, week), ids in sorted(weeks.items()):
        day = today - dt.timedelta(weeks=week)
        confirmed = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
        if status == VettingStatus.VETTED:
            Organization.objects.filter(pk__in=ids).update(
                vetting_status=status, verified_on=day, verified_by=admin, confirmed_at=confirmed
            )
        else:  # entered by the partner, not vetted yet
            Organization.objects.filter(pk__in=ids).update(
                vetting_status=status, confirmed_at=confirmed
            )
    for organization in data.organizations:
        status, day = states[organization.pk]
        organization.vetting_status = status
        if status == VettingStatus.VETTED:
            organization.verified_on = day
    return states


class _Table:
    """Rows of one directory table as lists of values, inserted with multi-row INSERTs.

    The city profile writes about 150,000 directory rows; building model instances and letting
    `bulk_create` prepare each value cost about 8 µs a value here (some 15 s for the city), the
    rows as plain lists a small fraction of that (bench/README.md). Every concrete column is
    written: the ones not given take the field's default, as the ORM would."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
        now = timezone.now()
        self.defaults: list[Any] = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults.append(now)
            elif f.has_default():
                self.defaults.append(None if callable(f.default) else f.default)
            else:
                self.defaults.append(None if f.null else "")
        # Values the database driver cannot take as they are (aware datetimes, decimals, dates),
        # converted once per distinct value: dates and amounts repeat across thousands of rows.
        self.prepared = [
            (i, f, cast(dict[Any, Any], {}))
            for i, f in enumerate(self.fields)
            if f.get_internal_type() in ("DateTimeField", "DateField", "TimeField", "DecimalField")
        ]
        self.rows: list[list[Any]] = []

    def add(self, **values: Any) -> int:
        row = list(self.defaults)
        for name, value in values.items():
            row[self.position[name]] = value
        self.rows.append(row)
        return len(self.rows) - 1

    def insert(self, network_id: int) -> list[int]:
        """Insert the rows; their primary keys, in the order they were added."""
        ops = connection.ops
        for i, f, seen in self.prepared:
            for row in self.rows:
                value = row[i]
                if value is not None:
                    if value not in seen:
                        seen[value] = f.get_db_prep_save(value, connection)
                    row[i] = seen[value]
        table = ops.quote_name(str(self.model._meta.db_table))
        columns = ", ".join(ops.quote_name(str(f.column)) for f in self.fields)
        width = len(self.fields)
        per_statement = max(1, min(1000, _max_query_params() // width))
        one = "(" + ", ".join(["%s"] * width) + ")"
        with connection.cursor() as wrapper:
            # Below Django's debug wrapper: with DEBUG on it would log (and, on SQLite, quote
            # with an extra query) every one of the hundreds of thousands of values.
            cursor = wrapper.cursor
            for start in range(0, len(self.rows), per_statement):
                chunk = self.rows[start : start + per_statement]
                values = ", ".join([one] * len(chunk))
                # Table and column names come from the model's metadata, never from input.
                sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608
                cursor.execute(sql, [v for row in chunk for v in row])
            # The network is new: its rows in this table are the ones just inserted, and both
            # SQLite and PostgreSQL hand out increasing keys within one session.
            pk = ops.quote_name(str(self.model._meta.pk.column))
            cursor.execute(
                f"SELECT {pk} FROM {table} WHERE network_id = %s ORDER BY {pk}",  # noqa: S608
                [network_id],
            )
            ids = [r[0] for r in cursor.fetchall()]
        if len(ids) != len(self.rows):
            raise RuntimeError(f"{self.model.__name__}: the network already had rows.")
        return ids


def _max_query_params() -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):
            return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return 999
    return 32767  # PostgreSQL's limit is 65,535 bind parameters a statement


def generate_directory(data: DemoData, rng: random.Random, fake: Faker) -> list[int]:
    """The network's taxonomy and every organization's services, locations and details.
    Returns the services' primary keys."""
    from .generate import Names, _largest_remainder, _street_address

    network = data.network
    started = time.perf_counter()
    taxonomy_ensure_default(network=network)
    terms = dict(m.TaxonomyTerm.objects.filter(network=network).values_list("code", "id"))
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    states = _vet_organizations(data, rng, today)
    data.timings["directory: taxonomy and vetting"] = time.perf_counter() - started

    names = Names(fake, rng)
    current_year = next((y for y in data.school_years if y.is_current), None)
    summer_year = current_year.end_year if current_year else today.year
    schools_by_community: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for school in data.schools:
        if school.latitude is not None and school.longitude is not None:
            schools_by_community[school.community_id].append((school.latitude, school.longitude))
    by_borough: dict[str, list[int]] = defaultdict(list)
    community_index: dict[int, int] = {}
    for index, community in enumerate(data.communities):
        by_borough[community.borough].append(index)
        community_index[community.pk] = index

    # Search text of each category: its name and its parents' below the pillars, both languages.
    category_words: dict[str, list[str]] = {}
    for term in DEFAULT_TERMS:
        words, code = [], term.code
        while code and TERMS_BY_CODE[code].parent:
            spec = TERMS_BY_CODE[code]
            words += [spec.name, spec.name_es]
            code = spec.parent
        category_words[term.code] = words

    offer_words = {  # normalized once: the Spanish names' accents make it the slow path
        offer: normalize(
            " ".join(
                [*(w for code in offer.categories for w in category_words[code]), offer.description]
            )
        )
        for offer in ALL_OFFERS
    }

    # --- locations: a main site near the schools of the home community, a second for some ---
    locations, addresses = _Table(m.Location), _Table(m.Address)
    org_sites: list[list[int]] = []  # row numbers in `locations`
    for organization, community in zip(
        data.organizations, data.organization_communities, strict=True
    ):
        place = data.places[community.code]
        anchors = schools_by_community.get(community.pk) or [
            (Decimal(str(place.latitude)), Decimal(str(place.longitude)))
        ]
        sites = []
        for n in range(1 if rng.random() < 0.75 else 2):
            lat, lon = rng.choice(anchors)
            name = organization.name
            if n:
                name = f"{name} — {rng.choice(place.neighbourhoods)} site"
            sites.append(
                locations.add(
                    network_id=network.pk,
                    hsds_id=_uuid(rng),
                    organization_id=organization.pk,
                    name=name,
                    location_type=m.LocationType.PHYSICAL,
                    # within about half a kilometre of a school of the community
                    latitude=Decimal(f"{float(lat) + rng.gauss(0, 0.004):.6f}"),
                    longitude=Decimal(f"{float(lon) + rng.gauss(0, 0.005):.6f}"),
                    transportation=rng.choice(
                        ("", "Near the bus stop.", "Two blocks from the subway.")
                    ),
                )
            )
            addresses.add(
                network_id=network.pk,
                hsds_id=_uuid(rng),
                location_id=sites[-1],  # a row number until the locations have keys
                address_1=_street_address(place.borough, rng, names),
                city=place.borough.city,
                state_province="NY",
                postal_code=rng.choice(place.zip_codes),
                country="US",
                address_type="physical",
            )
        org_sites.append(sites)

    # --- services ---
    weights = [3.0 if i == 0 else rng.uniform(0.4, 1.6) for i in range(len(data.organizations))]
    per_org = _largest_remainder(data.profile.services, weights, minimum=1)
    plan = _plan(data, rng, per_org)
    services = _Table(m.Service)
    details: list[tuple[Offer, int, list[str], list[int], str, dt.datetime, Decimal | None]] = []
    taken: set[tuple[int, str]] = set()
    for index, offer in plan:
        organization = data.organizations[index]
        community = data.organization_communities[index]
        place = data.places[community.code]
        name = offer.name
        if (index, name) in taken:
            name = f"{name} — {rng.choice(place.neighbourhoods)}"
        while (index, name) in taken:
            name += " II"
        taken.add((index, name))
        low, high = rng.choice(offer.grades)
        status, org_day = states[organization.pk]
        day = org_day - dt.timedelta(days=rng.randint(0, 20))
        confirmed = dt.datetime.combine(day, dt.time(10, 0), tzinfo=tz)
        family_cost, fees = _family_cost(rng)
        spoken = _languages_of(organization)
        offered = ["English"] + [n for n in spoken if n != "English" and rng.random() < 0.85]
        home = community_index[community.pk]
        areas = [home]
        if rng.random() < 0.3:
            neighbours = [i for i in by_borough[community.borough] if i != home]
            if neighbours:
                areas.append(rng.choice(neighbours))
        hsds_id = _uuid(rng)
        vetted = status == VettingStatus.VETTED
        services.add(
            network_id=network.pk,
            hsds_id=hsds_id,
            organization_id=organization.pk,
            name=name,
            description=(
                f"{offer.description} Offered by {organization.name} in "
                f"{in_a_sentence(place.short_name)} and nearby."
            ),
            url=f"{organization.website}programs/{slugify(offer.name)}/",
            email=organization.email,
            status=(
                m.ServiceStatus.ACTIVE
                if rng.random() < 0.95
                else rng.choice((m.ServiceStatus.INACTIVE, m.ServiceStatus.TEMPORARILY_CLOSED))
            ),
            interpretation_services=(
                "Interpreters by phone in other languages on request." if rng.random() < 0.3 else ""
            ),
            application_process=rng.choice(APPLY),
            fees_description=fees,
            eligibility_description=_eligibility(offer, low, high, place.borough.name),
            minimum_age=_age(low, 0) if low else (Decimal(18) if offer.unit == "adults" else None),
            maximum_age=_age(high, 1) if high else None,
            assured_date=day if vetted else None,
            last_modified=confirmed,
            grade_low=low,
            grade_high=high,
            during_school_day=SCHOOL_DAY in offer.timings,
            after_school=AFTER in offer.timings,
            weekend=WEEKEND in offer.timings,
            summer=SUMMER in offer.timings,
            virtual=VIRTUAL in offer.timings,
            cost_to_school=_school_cost(rng),
            cost_to_families=family_cost,
            verified_on=day if vetted else None,
            confirmed_at=confirmed,
            search_text=build_search_text(
                name,
                organization.name,
                offer_words[offer],
                place.short_name,
            ),
        )
        details.append((offer, index, offered, areas, hsds_id, confirmed, family_cost))

    t0 = time.perf_counter()
    location_ids = locations.insert(network.pk)
    for row in addresses.rows:
        row[addresses.position["location_id"]] = location_ids[
            row[addresses.position["location_id"]]
        ]
    addresses.insert(network.pk)
    service_ids = services.insert(network.pk)
    insert = time.perf_counter() - t0

    # --- what hangs on each service ---
    at_locations, schedules = _Table(m.ServiceAtLocation), _Table(m.Schedule)
    phones, languages, service_areas = _Table(m.Phone), _Table(m.Language), _Table(m.ServiceArea)
    capacities, costs, attributes = (
        _Table(m.ServiceCapacity), _Table(m.CostOption), _Table(m.Attribute)
    )  # fmt: skip
    sal_schedules: list[list[dict[str, Any]]] = []
    for service_id, (offer, index, offered, areas, hsds_id, confirmed, family_cost) in zip(
        service_ids, details, strict=True
    ):
        place = data.places[data.organization_communities[index].code]
        site = location_ids[rng.choice(org_sites[index])]
        at_locations.add(
            network_id=network.pk, hsds_id=_uuid(rng), service_id=service_id, location_id=site
        )
        slots = []
        for timing in offer.timings[:2]:
            slot = rng.choice(SLOTS[timing])
            summer = timing == SUMMER
            slots.append(
                {
                    "network_id": network.pk,
                    "hsds_id": _uuid(rng),
                    "freq": "WEEKLY",
                    "wkst": "MO",
                    "byday": slot.byday,
                    "opens_at": slot.opens,
                    "closes_at": slot.closes,
                    "valid_from": dt.date(summer_year, 7, 6) if summer else None,
                    "valid_to": dt.date(summer_year, 8, 14) if summer else None,
                    "attending_type": "online" if timing == VIRTUAL else "in person",
                    "description": slot.words + ".",
                }
            )
        sal_schedules.append(slots)
        phones.add(
            network_id=network.pk,
            hsds_id=_uuid(rng),
            service_id=service_id,
            # 555-01xx numbers are reserved for fiction.
            number=f"({rng.choice(place.borough.area_codes)}) 555-01{rng.randint(0, 99):02d}",
            type="voice",
        )
        for language in offered:
            languages.add(
                network_id=network.pk,
                hsds_id=_uuid(rng),
                service_id=service_id,
                name=language,
                code=LANGUAGE_CODES[language],
            )
        for area in areas:
            community = data.communities[area]
            service_areas.add(
                network_id=network.pk,
                hsds_id=_uuid(rng),
                service_id=service_id,
                community_id=community.pk,
                name=community.name,
                description=data.places[community.code].official_name,
                extent_type="community district",
            )
        if rng.random() < 0.8:
            fewest, most = CAPACITY_RANGES[offer.unit]
            maximum = rng.randint(fewest, most)
            available = 0 if rng.random() < 0.2 else rng.randint(1, max(1, maximum // 2))
            capacities.add(
                network_id=network.pk,
                hsds_id=_uuid(rng),
                service_id=service_id,
                unit=offer.unit,
                maximum=maximum,
                available=available,
                updated=confirmed,
            )
        if family_cost:
            costs.add(
                network_id=network.pk,
                hsds_id=_uuid(rng),
                service_id=service_id,
                option="Monthly fee",
                currency="USD",
                amount=family_cost,
                amount_description="Sliding scale; scholarships available.",
            )
        for code in offer.categories:
            attributes.add(
                network_id=network.pk,
                hsds_id=_uuid(rng),
                taxonomy_term_id=terms[code],
                link_entity="service",
                link_id=hsds_id,
                link_type="service_category",
                service_id=service_id,
            )
    t0 = time.perf_counter()
    sal_ids = at_locations.insert(network.pk)
    for sal_id, slots in zip(sal_ids, sal_schedules, strict=True):
        for slot_values in slots:
            schedules.add(service_at_location_id=sal_id, **slot_values)
    for table in (schedules, phones, languages, service_areas, capacities, costs, attributes):
        table.insert(network.pk)
    data.timings["directory: insert"] = insert + time.perf_counter() - t0
    data.service_ids = service_ids
    return service_ids


def _family_cost(rng: random.Random) -> tuple[Decimal | None, str]:
    roll = rng.random()
    if roll < 0.85:
        return Decimal("0"), "Free for families."
    if roll < 0.97:
        fee = Decimal(rng.choice((10, 25, 40, 75, 150)))
        return fee, (
            f"${fee} a month on a sliding scale; nobody is turned away for inability to pay."
        )
    return None, ""  # not stated


def _school_cost(rng: random.Random) -> Decimal | None:
    roll = rng.random()
    if roll < 0.45:
        return Decimal("0")
    if roll < 0.95:
        return Decimal(rng.randrange(2500, 80000, 500))
    return None  # not stated


# Children before parents. Deleting through the ORM's collector fetched every row of the city's
# directory to cascade from it (over 10 s); one DELETE a table, leaves first, is a fraction of a
# second. A model of another app that comes to reference services or locations must be added
# here (the database's foreign keys fail the reset loudly until it is).
_RESET_ORDER: tuple[type[Model], ...] = (
    m.Attribute, m.Language, m.Phone, m.Schedule, m.ServiceArea, m.ServiceCapacity,
    m.CostOption, m.Funding, m.RequiredDocument, m.Contact, m.Accessibility, m.Address,
    m.ServiceAtLocation, m.ChangeRequest, m.Service, m.Program, m.Location,
)  # fmt: skip


def reset_directory(network_id: int) -> None:
    """Delete a network's directory records (before the network itself goes)."""
    ops = connection.ops
    with connection.cursor() as cursor:
        for model in _RESET_ORDER:
            table = ops.quote_name(model._meta.db_table)
            # Table names come from the models' metadata, never from input.
            cursor.execute(f"DELETE FROM {table} WHERE network_id = %s", [network_id])  # noqa: S608
    # The taxonomy's terms protect their parents: unlink them, then delete them all at once.
    m.TaxonomyTerm.objects.filter(network_id=network_id).update(parent=None)
    m.TaxonomyTerm.objects.filter(network_id=network_id).delete()
    m.Taxonomy.objects.filter(network_id=network_id).delete()
