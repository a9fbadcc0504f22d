"""The dashboards' figures on a hand-made network: needs covered, tiers, the referral funnel,
dosage, the trend, the indicators, the network's ranked table and scatter, a partner's
referrals, response time and delivery; small cells hidden in all of them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wraparound.core.tests.personas import Tenant

from .. import dashboard_data as dd
from .. import indicators as ind
from ..models import Indicator
from ..subgroups import get_split
from .dashboard_world import assert_no_small_cell, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(t1: Tenant):
    return build_world(t1)


def _by_key(cells):
    return {c.key: c for c in cells}


def test_school_tiers_hide_the_three_tier_3_students(world):
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    tiers = {row.domain: _by_key(row.tiers) for row in data.tiers}
    attendance = tiers["attendance"]
    assert attendance["2"].value == 11 and attendance["2"].n == 11
    assert attendance["3"].suppressed  # 3 students
    assert attendance["1"].suppressed  # none
    assert tiers["health"]["1"].value == 10
    assert set(tiers) == {"attendance", "health"}


def test_school_funnel_counts_referrals_by_status_and_hides_small_statuses(world):
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    statuses = _by_key(data.funnel.statuses)
    assert statuses["completed"].value == 12
    assert statuses["sent"].value == 11
    assert statuses["declined"].suppressed
    assert data.funnel.total.value == 27 and data.funnel.total.n == 27


def test_school_dosage_sums_minutes_of_attended_sessions(world):
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    # 12 students × 45 minutes + 4 × 30 minutes = 660 minutes = 11 hours over 12 students.
    assert data.dosage.students.value == 12
    assert data.dosage.hours.value == Decimal("11.0")
    assert data.dosage.mean_hours.value == Decimal("0.9")
    assert data.dosage.sessions == 2


def test_school_indicators_split_hides_groups_under_ten(world):
    split = get_split("race_ethnicity")
    data = dd.school_dashboard(world.school, world.year, split=split, today=world.today)
    chronic = next(r for r in data.indicators if r.indicator == Indicator.CHRONIC_ABSENCE_RATE)
    groups = _by_key(chronic.groups)
    # 12 Hispanic students, 4 of them (i = 0, 3, 6, 9) absent 3 of 20 days each month.
    assert groups["hispanic"].value == Decimal("0.3333") and groups["hispanic"].n == 12
    assert groups["white"].n == 10
    assert groups["black"].suppressed and groups["asian"].suppressed
    assert chronic.overall.n == 34
    assert_no_small_cell(data.as_dict())


def test_school_trend_is_monthly(world):
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    assert [c.key for c in data.trend] == sorted(c.key for c in data.trend)
    assert all(c.n == 34 for c in data.trend)


def test_school_needs_coverage_without_an_assessment_is_empty(world):
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    assert data.needs.rows == [] and data.needs.covered_share is None


def test_school_needs_coverage_counts_active_partnerships(world):
    from wraparound.agreements.models.partnership import PartnershipStatus
    from wraparound.assessments.tests.factories import (
        NeedFactory,
        NeedsAssessmentFactory,
        PartnershipFactory,
    )
    from wraparound.core.models import SchoolYear

    school_year = SchoolYear.objects.get(network=world.network, end_year=world.year)
    assessment = NeedsAssessmentFactory(school=world.school, school_year=school_year)
    need = NeedFactory(assessment=assessment, students=40)
    PartnershipFactory(
        school=world.school,
        need=need,
        units=30,
        status=PartnershipStatus.ACTIVE,
        school_year=school_year,
    )
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    assert [(r.students, r.covered, r.open) for r in data.needs.rows] == [(40, 30, 10)]
    assert data.needs.covered_share == 0.75


def test_network_table_is_ranked_and_set_against_the_need_index(world):
    data = dd.network_dashboard(world.network, world.year, today=world.today)
    codes = [r.code for r in data.schools]
    assert codes[:2] == [world.other_school.code, world.school.code]  # 50 % then 33 %
    first = data.schools[0]
    assert first.figures[Indicator.CHRONIC_ABSENCE_RATE].value == Decimal("0.5000")
    assert first.need_index is not None
    assert {p["label"].split()[0] for p in data.scatter} == {
        world.school.code,
        world.other_school.code,
    }
    # Schools with no students show nothing.
    assert all(r.figures[Indicator.ATTENDANCE_RATE].suppressed for r in data.schools[2:])
    assert data.as_of is not None
    assert_no_small_cell(data.as_dict())


def test_network_ranking_by_attendance_puts_the_lowest_first(world):
    data = dd.network_dashboard(
        world.network, world.year, today=world.today, order="attendance_rate"
    )
    assert data.schools[0].code == world.other_school.code


def test_network_split_gives_each_school_its_groups(world):
    split = get_split("race_ethnicity")
    data = dd.network_dashboard(world.network, world.year, split=split, today=world.today)
    row = next(r for r in data.schools if r.school_id == world.school.pk)
    assert {c.key for c in row.chronic_groups if not c.suppressed} == {"hispanic", "white"}
    assert_no_small_cell(data.as_dict())


def test_partner_dashboard_counts_received_referrals_and_response_time(world):
    data = dd.partner_dashboard(world.organization, world.year, today=world.today)
    statuses = _by_key(data.received.statuses)
    assert statuses["completed"].value == 12
    assert statuses["declined"].suppressed
    assert data.response_days.value == Decimal("2.0") and data.response_days.n == 12
    assert data.dosage.students.value == 12
    outcomes = {r.indicator: r for r in data.indicators}
    assert outcomes[Indicator.ATTENDANCE_RATE].overall.n == 12
    assert_no_small_cell(data.as_dict())


def test_partner_delivery_follows_the_mou_and_hides_small_people_counts(world):
    from wraparound.agreements.models.mou import DeliverableUnit
    from wraparound.agreements.models.partnership import PartnershipStatus
    from wraparound.agreements.tests.factories import (
        AgreementFactory,
        AgreementVersionFactory,
        DeliverableFactory,
    )
    from wraparound.assessments.tests.factories import PartnershipFactory
    from wraparound.core.models import SchoolYear

    school_year = SchoolYear.objects.get(network=world.network, end_year=world.year)
    partnership = PartnershipFactory(
        school=world.school,
        organization=world.organization,
        service=None,
        status=PartnershipStatus.ACTIVE,
        school_year=school_year,
    )
    version = AgreementVersionFactory(agreement=AgreementFactory(partnership=partnership))
    DeliverableFactory(version=version, service=None, unit=DeliverableUnit.SESSIONS, quantity=10)
    DeliverableFactory(version=version, service=None, unit=DeliverableUnit.STUDENTS, quantity=20)
    data = dd.partner_dashboard(world.organization, world.year, today=world.today)
    by_unit = {d.unit: d for d in data.delivery}
    assert set(by_unit) >= {"sessions", "students"}
    assert by_unit["sessions"].delivered.value == 2
    assert by_unit["students"].delivered.value == 12


def test_the_school_goals_are_listed_with_their_progress(world):
    from ..models import Goal, GoalScope, GoalTerm

    Goal.objects.create(
        network=world.network,
        scope=GoalScope.SCHOOL,
        school=world.school,
        indicator=Indicator.ATTENDANCE_RATE,
        title="Every day counts",
        term=GoalTerm.SHORT,
        baseline=Decimal("0.9"),
        baseline_on=dt.date(world.year - 1, 9, 1),
        target=Decimal("0.95"),
        target_on=dt.date(world.year, 6, 30),
    )
    data = dd.school_dashboard(world.school, world.year, today=world.today)
    assert [g.goal.title for g in data.goals] == ["Every day counts"]
    assert data.as_dict()["goals"][0]["current"]["n"] == 34


def test_default_year_is_the_current_school_year(world):
    assert dd.default_year(world.network) == world.year
    world.network.school_years.all().delete()
    assert dd.default_year(world.network, dt.date(2026, 9, 1)) == 2027


def test_network_goals_take_their_value_from_the_rollup_when_offered(world, monkeypatch):
    """When the goals module accepts a `current` provider, the network page hands it the
    rollup's figures of the year (a network-wide figure computed live takes seconds)."""
    from .. import goal_selectors
    from ..models import Goal, GoalScope, GoalTerm

    goal = Goal.objects.create(
        network=world.network,
        scope=GoalScope.NETWORK,
        indicator=Indicator.CHRONIC_ABSENCE_RATE,
        term=GoalTerm.SHORT,
        baseline=Decimal("0.4"),
        baseline_on=dt.date(world.year - 1, 9, 1),
        target=Decimal("0.3"),
        target_on=dt.date(world.year, 6, 30),
    )
    seen = []

    def goals_with_progress(scope, *, today, current=None):
        period = ind.Period.school_year(world.year, until=today)
        seen.append(current(goal, period) if current else None)
        seen.append(current(goal, ind.Period.school_year(world.year - 1)) if current else None)
        return []

    monkeypatch.setattr(goal_selectors, "goals_with_progress", goals_with_progress)
    dd.network_dashboard(world.network, world.year, today=world.today)
    period = ind.Period.school_year(world.year, until=world.today)
    live = ind.compute(Indicator.CHRONIC_ABSENCE_RATE, ind.Scope(network=world.network), period)
    assert seen == [live.overall, None]  # another year's value is left to the live computation
