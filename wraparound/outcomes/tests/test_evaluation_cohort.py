"""The what-helped cohort from the database, on hand-made cases: the start month and the split
around it, dosage as the session pages count it (present rows; a row's own minutes over the
session's length), the threshold, who is excluded and why, the treatment kinds, and a query
count that does not grow with the students."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import pytest

from wraparound.core.models import Network, School, SchoolYear
from wraparound.core.tests.factories import NetworkFactory, UserFactory
from wraparound.directory.tests.factories import (
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)
from wraparound.referrals.models import ServiceSession, SessionAttendance
from wraparound.referrals.session_selectors import _row_minutes
from wraparound.referrals.tests.factories import ServiceSessionFactory
from wraparound.students.models import Student, TierAssignment, TierDomain
from wraparound.students.tests.factories import StudentFactory

from ..evaluation import Treatment, TreatmentKind
from ..evaluation.cohort import build_cohort, grade_band
from ..evaluation.estimate import estimate
from ..models import AttendanceMonth
from .factories import make_school

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, m, 1) for m in (9, 10, 11, 12)] + [dt.date(2027, m, 1) for m in (1, 2)]


class World:
    def __init__(self) -> None:
        self.network = cast(Network, NetworkFactory())
        self.year = SchoolYear.objects.create(
            network=self.network,
            end_year=2027,
            start_date=dt.date(2026, 9, 10),
            end_date=dt.date(2027, 6, 25),
            is_current=True,
        )
        self.school: School = make_school(community__network=self.network)
        self.service = ServiceFactory(organization__network=self.network)
        self.other_service = ServiceFactory(organization=self.service.organization)
        self.user = UserFactory()

    def student(self, **kwargs: Any) -> Student:
        kwargs.setdefault("school", self.school)
        return cast(Student, StudentFactory(network=self.network, **kwargs))

    def attend(
        self, student: Student, days: dict[dt.date, tuple[int, int]], school: School | None = None
    ) -> None:
        """Month → (enrolled, absent) days."""
        AttendanceMonth.objects.bulk_create(
            AttendanceMonth(
                network=self.network,
                student=student,
                school=school or self.school,
                month=month,
                enrolled_days=e,
                absent_days=a,
            )
            for month, (e, a) in days.items()
        )

    def full_year(self, student: Student, absent: int = 1) -> None:
        self.attend(student, {m: (20, absent) for m in MONTHS})

    def session(
        self,
        student: Student,
        day: dt.date,
        minutes: int = 60,
        *,
        service: Any = None,
        present: bool = True,
        own_minutes: int | None = None,
    ) -> SessionAttendance:
        service = service or self.service
        session = cast(
            ServiceSession,
            ServiceSessionFactory(
                school=self.school,
                organization=service.organization,
                service=service,
                date=day,
                duration_minutes=minutes,
                logged_by=self.user,
            ),
        )
        return SessionAttendance.objects.create(
            session=session, student=student, present=present, minutes=own_minutes
        )


@pytest.fixture
def world() -> World:
    return World()


def _row(data: Any, student: Student) -> int:
    return int(np.flatnonzero(data.cohort.ids == student.pk)[0])


def test_start_month_and_dosage_as_the_session_pages_count_it(world: World) -> None:
    served, other = world.student(), world.student()
    world.full_year(served)
    world.full_year(other)
    first = world.session(served, dt.date(2026, 10, 20), 60)
    world.session(served, dt.date(2026, 11, 3), 60, own_minutes=30)  # left early
    world.session(served, dt.date(2026, 11, 10), 90, present=False)  # absent: not counted
    world.session(served, dt.date(2026, 9, 25), 45, service=world.other_service)
    world.session(served, dt.date(2025, 11, 10), 600)  # last school year
    data = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.SERVICE, world.service.pk)
    )
    assert data.months == MONTHS
    i, j = _row(data, served), _row(data, other)
    rows = SessionAttendance.objects.filter(
        student=served,
        present=True,
        session__service=world.service,
        session__date__gte="2026-09-01",
    ).select_related("session")
    assert data.cohort.dosage[i] == sum(_row_minutes(r) for r in rows) == 90
    assert first.session.date.month == 10 and data.cohort.start[i] == 1  # October
    assert not data.cohort.pool[i]
    assert data.cohort.dosage[j] == 0 and data.cohort.start[j] == -1 and data.cohort.pool[j]
    assert data.cohort.enrolled[i].tolist() == [20] * 6


def test_the_split_runs_to_the_end_of_the_start_month(world: World) -> None:
    """Baseline: September and October (the month of the first session); follow-up: from
    November. A comparison student is measured over the same split."""
    served = world.student()
    world.attend(served, {m: (20, 4 if m < MONTHS[2] else 0) for m in MONTHS})
    peers = [world.student() for _ in range(12)]
    for peer in peers:
        world.attend(peer, {m: (20, 4) for m in MONTHS})
    for day in (20, 21, 22, 23):
        world.session(served, dt.date(2026, 10, day), 60)
    data = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.SERVICE, world.service.pk)
    )
    raw = estimate(data.cohort, 3, reps=50)
    assert (raw.treated, raw.matched) == (1, 1)
    assert raw.treated_pre == pytest.approx(80.0) and raw.treated_post == pytest.approx(100.0)
    assert raw.comparison_pre == pytest.approx(80.0) and raw.comparison_post == pytest.approx(80.0)
    assert raw.difference == pytest.approx(20.0)
    assert raw.comparisons == 5  # the nearest five


def test_the_threshold_and_the_exclusions(world: World) -> None:
    under = world.student()  # 2.5 h: focal, under the threshold
    at = world.student()  # 3 h exactly
    late = world.student()  # joins in October, first session in October: 8 days before
    early_leaver = world.student()  # leaves in November: 9 days after October
    for s in (under, at):
        world.full_year(s)
    world.attend(late, {MONTHS[1]: (8, 0), **{m: (20, 1) for m in MONTHS[2:]}})
    world.attend(early_leaver, {MONTHS[0]: (15, 1), MONTHS[1]: (20, 1), MONTHS[2]: (9, 0)})
    world.session(under, dt.date(2026, 10, 1), 150)
    for s in (at, late, early_leaver):
        world.session(s, dt.date(2026, 10, 28), 180)
    nobody = world.student()  # sessions but no attendance: not in the cohort
    world.session(nobody, dt.date(2026, 10, 1), 240)
    for _ in range(12):
        world.full_year(world.student())
    data = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.SERVICE, world.service.pk)
    )
    assert nobody.pk not in data.cohort.ids
    raw = estimate(data.cohort, 3, min_days=10, reps=50)
    assert raw.treated == 3  # at, late, early_leaver (not `under`)
    assert raw.excluded == 2 and raw.matched == 1 and raw.unmatched == 0
    assert raw.bands[0].n == 1  # `under` appears in the band below the minimum


def test_a_transfer_is_placed_where_they_were_enrolled_most(world: World) -> None:
    other_school = make_school(community=world.school.community)
    moved = world.student(school=other_school)
    world.attend(moved, {MONTHS[0]: (20, 1), MONTHS[1]: (5, 0)})
    world.attend(moved, {MONTHS[1]: (15, 2), **{m: (20, 1) for m in MONTHS[2:]}}, other_school)
    stayed = world.student(grade="10")
    world.full_year(stayed)
    data = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.SERVICE, world.service.pk)
    )
    i, j = _row(data, moved), _row(data, stayed)
    assert data.cohort.enrolled[i].tolist() == [20, 20, 20, 20, 20, 20]
    assert data.cohort.absent[i].tolist() == [1, 2, 1, 1, 1, 1]
    assert data.cohort.stratum[i] == other_school.pk * 4 + grade_band("06")
    assert data.cohort.stratum[j] == world.school.pk * 4 + grade_band("10")
    assert [grade_band(g) for g in ("KG", "05", "06", "08", "09", "12", "UG", "")] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]


def test_organization_and_category_treatments(world: World) -> None:
    parent = TaxonomyTermFactory(taxonomy_ref__network=world.network)
    child = TaxonomyTermFactory(taxonomy_ref=parent.taxonomy_ref, parent=parent)
    ServiceCategoryFactory(service=world.other_service, taxonomy_term=child)
    ServiceCategoryFactory(service=world.other_service, taxonomy_term=parent)  # both: no double
    a, b = world.student(), world.student()
    world.full_year(a)
    world.full_year(b)
    world.session(a, dt.date(2026, 10, 1), 60)
    world.session(b, dt.date(2026, 11, 1), 60, service=world.other_service)
    by_org = build_cohort(
        world.network,
        world.year,
        Treatment(TreatmentKind.ORGANIZATION, world.service.organization_id),
    )
    assert sorted(by_org.cohort.dosage.tolist()) == [60, 60]
    by_parent = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.CATEGORY, parent.pk)
    )
    assert by_parent.cohort.dosage[_row(by_parent, b)] == 60
    assert by_parent.cohort.dosage[_row(by_parent, a)] == 0
    by_child = build_cohort(world.network, world.year, Treatment(TreatmentKind.CATEGORY, child.pk))
    assert by_child.cohort.dosage[_row(by_child, b)] == 60


def test_a_tier_compares_served_and_unserved_students_at_that_tier(world: World) -> None:
    served, waiting, untiered, ended = (world.student() for _ in range(4))
    for s in (served, waiting, untiered, ended):
        world.full_year(s)
    for s, ends in ((served, None), (waiting, None), (ended, dt.date(2026, 6, 1))):
        TierAssignment.objects.create(
            network=world.network,
            school=world.school,
            student=s,
            domain=TierDomain.BEHAVIOUR,
            tier=3,
            reason="r",
            starts_on=dt.date(2026, 1, 5),
            ends_on=ends,
            created_by=world.user,
        )
    world.session(served, dt.date(2026, 10, 1), 240, service=world.other_service)
    world.session(untiered, dt.date(2026, 10, 1), 240)
    data = build_cohort(world.network, world.year, Treatment(TreatmentKind.TIER, 3))
    c = data.cohort
    assert c.dosage[_row(data, served)] == 240 and not c.pool[_row(data, served)]
    assert c.pool[_row(data, waiting)]
    # Not at tier 3 this year: neither served nor a comparison.
    for s in (untiered, ended):
        assert c.dosage[_row(data, s)] == 0 and not c.pool[_row(data, s)]
    # The tiers are matching traits: the tier-3 students differ from the others there.
    assert c.traits[_row(data, served), 6] == c.traits[_row(data, waiting), 6]
    assert c.traits[_row(data, served), 6] != c.traits[_row(data, untiered), 6]


def test_queries_do_not_grow_with_the_students(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for k in range(30):
        s = world.student()
        world.full_year(s)
        if k % 3 == 0:
            world.session(s, dt.date(2026, 10, 1), 60)
    for kind, value in (
        (TreatmentKind.SERVICE, world.service.pk),
        (TreatmentKind.CATEGORY, 1),
        (TreatmentKind.TIER, 2),
    ):
        with django_assert_max_num_queries(6):
            build_cohort(world.network, world.year, Treatment(kind, value))


LAST_YEAR = [dt.date(2025, m, 1) for m in (9, 10, 11, 12)] + [
    dt.date(2026, m, 1) for m in (1, 2, 3, 4, 5, 6)
]


def _last_years(world: World) -> None:
    """The school year before `world.year`, and the one before that (which does not count)."""
    for end_year, start, end in (
        (2026, dt.date(2025, 9, 4), dt.date(2026, 6, 26)),
        (2025, dt.date(2024, 9, 5), dt.date(2025, 6, 26)),
    ):
        SchoolYear.objects.create(
            network=world.network, end_year=end_year, start_date=start, end_date=end
        )


def _last_year_and_autumn(world: World, student: Student, school: School) -> None:
    """Last year: 192 enrolled days, 20 absent (the autumn at `school`); this year: September
    20/4 and October 20/2."""
    world.attend(student, {m: (18, 2) for m in LAST_YEAR[:4]}, school)
    world.attend(student, {m: (20, 2) for m in LAST_YEAR[4:]})
    world.attend(student, {MONTHS[0]: (20, 4), MONTHS[1]: (20, 2)})


def test_the_baseline_is_last_school_year_and_this_year_to_the_start_month(world: World) -> None:
    """Before: last school year at any school of the network (192 enrolled, 20 absent), then
    September and October (40, 6): 206 present of 232 = 88.79%. After: November to February.
    The year before last and the summer do not count; comparisons get the same baseline."""
    _last_years(world)
    elsewhere = make_school(community=world.school.community)
    served = world.student()
    _last_year_and_autumn(world, served, elsewhere)
    world.attend(served, {m: (20, 0) for m in MONTHS[2:]})
    world.attend(served, {dt.date(2024, 10, 1): (20, 20), dt.date(2026, 8, 1): (10, 10)})
    for day in (20, 21, 22, 23):
        world.session(served, dt.date(2026, 10, day), 60)
    peers = [world.student() for _ in range(12)]
    for peer in peers:
        _last_year_and_autumn(world, peer, world.school)
        world.attend(peer, {m: (20, 1) for m in MONTHS[2:]})
    stranger = world.student()
    world.attend(stranger, {LAST_YEAR[0]: (20, 0)})  # left before this year: not in the cohort
    data = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.SERVICE, world.service.pk)
    )
    assert data.months == MONTHS and stranger.pk not in data.cohort.ids
    i = _row(data, served)
    assert data.cohort.prior_enrolled is not None and data.cohort.prior_absent is not None
    assert (data.cohort.prior_enrolled[i], data.cohort.prior_absent[i]) == (192, 20)
    assert data.cohort.enrolled[i].tolist() == [20] * 6  # this year's months, as before
    raw = estimate(data.cohort, 3, reps=50)
    assert (raw.treated, raw.matched, raw.excluded) == (1, 1, 0)
    assert raw.treated_pre == pytest.approx(100 * 206 / 232)
    assert raw.treated_post == pytest.approx(100.0)
    assert raw.comparison_pre == pytest.approx(100 * 206 / 232)
    assert raw.comparison_post == pytest.approx(95.0)
    assert raw.difference == pytest.approx(5.0)


def test_last_year_gives_an_early_starter_a_baseline(world: World) -> None:
    """Both join this year's classes late (8 days in September) and start the service in
    September: the one with last year's attendance has a baseline (200 days), the newcomer
    (8 days) is excluded and counted."""
    _last_years(world)
    returning, newcomer = world.student(), world.student()
    world.attend(returning, {m: (19, 2) for m in LAST_YEAR})
    for s in (returning, newcomer):
        world.attend(s, {MONTHS[0]: (8, 0), **{m: (20, 1) for m in MONTHS[1:]}})
        world.session(s, dt.date(2026, 9, 22), 180)
    for _ in range(12):
        peer = world.student()
        world.attend(peer, {m: (19, 2) for m in LAST_YEAR})
        world.full_year(peer)
    data = build_cohort(
        world.network, world.year, Treatment(TreatmentKind.SERVICE, world.service.pk)
    )
    raw = estimate(data.cohort, 3, reps=50)
    assert (raw.treated, raw.matched, raw.excluded, raw.unmatched) == (2, 1, 1, 0)
    assert raw.treated_pre == pytest.approx(100 * (198 - 20) / 198)
