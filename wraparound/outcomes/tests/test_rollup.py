"""The rollup equals the live computation, per school and network-wide, for every split; a
student counted at two schools counts once network-wide; a refresh replaces the old figures."""

from __future__ import annotations

import pytest

from wraparound.core.tests.personas import Tenant

from .. import dashboard_data as dd
from .. import indicators as ind
from .. import rollup
from ..models import Indicator, RollupFigure, RollupRefresh
from ..subgroups import SPLITS, get_split
from .dashboard_world import build_world, enrich_world

pytestmark = pytest.mark.django_db

SPLIT_IDS = ["all", *SPLITS]


@pytest.fixture
def world(t1: Tenant):
    made = build_world(t1)
    enrich_world(made)
    return made


@pytest.mark.parametrize("split_key", ["", *SPLITS], ids=SPLIT_IDS)
def test_network_figures_equal_the_live_ones(world, split_key):
    split = get_split(split_key)
    rollup.refresh(world.network, world.year, today=world.today)
    stored = rollup.read(world.network, world.year, split=split)
    period = ind.Period.school_year(world.year, until=world.today)
    live = {
        r.indicator: r for r in ind.compute_all(ind.Scope(network=world.network), period, split)
    }
    for result in stored.network_indicators(split):
        assert result.overall == live[result.indicator].overall, result.indicator
        assert result.groups == live[result.indicator].groups, result.indicator


@pytest.mark.parametrize("split_key", ["", *SPLITS], ids=SPLIT_IDS)
def test_school_figures_equal_the_live_ones(world, split_key):
    split = get_split(split_key)
    rollup.refresh(world.network, world.year, today=world.today)
    period = ind.Period.school_year(world.year, until=world.today)
    for school in (world.school, world.other_school, *world.network.schools.all()):
        stored = rollup.read_school(school, world.year, split=split)
        assert stored is not None
        scope = ind.Scope(network=world.network, school=school)
        live = ind.compute_all(scope, period, split)
        assert stored.indicators_of(school.pk, split) == live, school
        assert stored.dosage_of(school.pk) == dd.dosage_tallies(scope, period)
    network = rollup.read(world.network, world.year, split=split)
    for school in (world.school, world.other_school):
        scope = ind.Scope(network=world.network, school=school)
        chronic = ind.compute(Indicator.CHRONIC_ABSENCE_RATE, scope, period, split)
        assert network.school_groups(school.pk, Indicator.CHRONIC_ABSENCE_RATE, split) == (
            chronic.groups
        )
        for indicator in (
            Indicator.ATTENDANCE_RATE,
            Indicator.CHRONIC_ABSENCE_RATE,
            Indicator.REFERRAL_COMPLETION_RATE,
        ):
            overall = ind.compute(indicator, scope, period).overall
            got = network.school_cell(school.pk, indicator)
            assert (got.n, got.value, got.suppressed) == (
                overall.n,
                overall.value,
                overall.suppressed,
            )


def test_the_school_dashboard_reads_the_rollup_once_built(world):
    live = dd.school_dashboard(world.school, world.year, today=world.today)
    assert live.as_of is None
    rollup.refresh(world.network, world.year, today=world.today)
    stored = dd.school_dashboard(world.school, world.year, today=world.today)
    assert stored.as_of is not None
    assert stored.indicators == live.indicators
    assert stored.dosage == live.dosage


def test_the_trend_tiers_funnel_and_dosage_equal_the_live_ones(world):
    rollup.refresh(world.network, world.year, today=world.today)
    stored = rollup.read(world.network, world.year)
    scope = ind.Scope(network=world.network)
    period = ind.Period.school_year(world.year, until=world.today)
    assert stored.trend() == ind.attendance_trend(scope, period)
    assert stored.tiers() == dd.tier_tallies(scope, world.today)
    assert stored.funnel() == dd.funnel_tallies(scope, period)
    assert stored.funnel_students() == dd.funnel_students(scope, period)
    assert stored.dosage() == dd.dosage_tallies(scope, period)


def test_the_rich_world_has_figures_to_compare(world):
    period = ind.Period.school_year(world.year, until=world.today)
    scope = ind.Scope(network=world.network, school=world.school)
    for indicator in (
        Indicator.DAYS_TO_FIRST_SESSION,
        Indicator.TIER3_SERVED_SHARE,
        Indicator.COURSE_PASS_RATE,
    ):
        assert not ind.compute(indicator, scope, period).overall.suppressed, indicator


def test_a_student_at_two_schools_counts_once_network_wide(world):
    rollup.refresh(world.network, world.year, today=world.today)
    stored = rollup.read(world.network, world.year)
    at_school = stored.school_tally(world.school.pk, Indicator.ATTENDANCE_RATE)
    at_other = stored.school_tally(world.other_school.pk, Indicator.ATTENDANCE_RATE)
    network = stored._get(None, Indicator.ATTENDANCE_RATE)[0]
    assert (at_school, at_other) == (34, 13)
    assert network == 46


def test_a_refresh_replaces_the_figures_and_stamps_the_time(world):
    first = rollup.refresh(world.network, world.year, today=world.today)
    count = RollupFigure.objects.filter(network=world.network).count()
    second = rollup.refresh(world.network, world.year, today=world.today)
    assert RollupFigure.objects.filter(network=world.network).count() == count
    assert RollupRefresh.objects.filter(network=world.network).count() == 1
    assert second.refreshed_at >= first.refreshed_at


def test_reading_a_missing_rollup_builds_it_on_demand(world):
    assert not RollupRefresh.objects.exists()
    stored = rollup.read(world.network, world.year, refresh_missing=True)
    assert stored.refreshed_at is not None
    assert stored.school_tally(world.school.pk, Indicator.ATTENDANCE_RATE) == 34


def test_refresh_all_rebuilds_every_network(world, t2):
    assert rollup.refresh_all(today=world.today) == 2
    assert RollupRefresh.objects.count() == 2


def test_a_large_network_builds_its_missing_rollup_in_the_background(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(rollup, "INLINE_REFRESH_MAX_STUDENTS", 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored = rollup.read(world.network, world.year, refresh_missing=True)
    assert stored.refreshed_at is None and not stored.rows
    assert len(callbacks) == 1
    callbacks[0]()  # the task (inline without a broker)
    assert RollupRefresh.objects.filter(network=world.network, school_year=world.year).exists()


def test_the_refresh_tasks(world):
    from ..tasks import outcome_rollup_refresh_task, outcome_rollups_refresh_task

    assert outcome_rollup_refresh_task(world.network.pk, world.year) >= 0
    assert outcome_rollup_refresh_task(999999, world.year) == 0.0
    assert outcome_rollups_refresh_task() == 1


def test_a_change_rebuilds_the_rollups_already_built(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rollup.refresh_after_change(world.network.pk)
    assert not callbacks  # nothing built yet: nothing to rebuild (the page builds on demand)
    first = rollup.refresh(world.network, world.year, today=world.today)
    RollupFigure.objects.filter(network=world.network).delete()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rollup.refresh_after_change(world.network.pk)
    assert len(callbacks) == 1
    assert RollupFigure.objects.filter(network=world.network).exists()
    assert RollupRefresh.objects.get(network=world.network).refreshed_at >= first.refreshed_at


def test_without_a_worker_a_large_network_keeps_its_dated_figures(
    world, monkeypatch, settings, django_capture_on_commit_callbacks
):
    rollup.refresh(world.network, world.year, today=world.today)
    monkeypatch.setattr(rollup, "INLINE_REFRESH_MAX_STUDENTS", 10)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollup.refresh_after_change(world.network.pk)
    assert not callbacks
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a worker runs: queued for it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollup.refresh_after_change(world.network.pk)
    assert len(callbacks) == 1
