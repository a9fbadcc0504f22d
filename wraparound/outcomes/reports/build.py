"""The report of a scope for a school year, assembled from the dashboards' figures.

Nothing here counts students: the figures are the dashboards' (`outcomes.dashboard_data`) and
the goals' (`goal_selectors.goals_with_progress`), already `Cell`s, already suppressed. This
module only arranges them into sections of tables and charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.translation import gettext as _

from wraparound.core.models import Network, Organization, School

from .. import dashboard_data
from ..dashboard_data import (
    SCHOOL_TABLE_INDICATORS,
    TIERS,
    DeliveryLine,
    Dosage,
    Funnel,
    NeedsCoverage,
    SchoolRow,
    TierRow,
)
from ..goal_selectors import GoalProgress, goals_with_progress
from ..indicators import SHARE_INDICATORS, IndicatorResult, Scope
from ..models import Indicator
from ..subgroups import SPLITS, Split
from ..suppression import MIN_CELL, Cell
from .charts import Series
from .content import Chart, Entry, Report, Section, Table


def indicator_fmt(indicator: str) -> str:
    return "pct" if indicator in SHARE_INDICATORS else "1"


def scope_label(scope: Scope) -> str:
    return {
        "school": _("School"),
        "network": _("Network"),
        "organization": _("Partner organization"),
        "partnership": _("Partnership"),
    }[scope.kind]


def about_these_figures() -> list[tuple[str, str]]:
    return [
        (
            _("Small groups"),
            _(
                "A figure about fewer than %(n)s students reads “fewer than %(n)s”, in every "
                "table and chart; where one group of a split is hidden, the next smallest is "
                "hidden too, so that it cannot be worked out from the total."
            )
            % {"n": MIN_CELL},
        ),
        (
            _("Attendance rate"),
            _("Present days ÷ enrolled days, pooled over the students' months in the period."),
        ),
        (
            _("Chronic absence rate"),
            _(
                "Students absent on at least 10% of their enrolled days ÷ students with enough "
                "enrolled days to be classified."
            ),
        ),
        (
            _("Referral completion rate"),
            _("Completed referrals ÷ referrals sent in the period that have ended."),
        ),
        (
            _("Days from referral to first session"),
            _("The median number of days from sending a referral to the first session attended."),
        ),
        (
            _("Tier-3 students receiving a service"),
            _("Students at tier 3 who attended at least one session ÷ students at tier 3."),
        ),
        (
            _("Course pass rate"),
            _("Courses passed ÷ courses with a result in the school year."),
        ),
        (
            _("Students"),
            _("The number of students a figure is about."),
        ),
    ]


# --- sections -----------------------------------------------------------------------------------


def indicators_section(overall: list[IndicatorResult], *, intro: str = "") -> Section:
    rows = [
        (r.label, [Entry(r.overall, indicator_fmt(r.indicator)), Entry(r.overall, "n")])
        for r in overall
    ]
    shares = [r for r in overall if r.indicator in SHARE_INDICATORS]
    chart = Chart(
        kind="bar",
        title=_("Rates for all students"),
        fmt="pct",
        series=[Series("", [_labelled(r.overall, r.label) for r in shares])],
    )
    return Section(
        key="indicators",
        title=_("Indicators"),
        intro=intro or _("All students in scope, for the school year to date."),
        tables=[
            Table(
                title=_("Indicators (all students)"),
                row_header=_("Indicator"),
                columns=[_("Value"), _("Students")],
                rows=rows,
            )
        ],
        charts=[chart],
    )


def _labelled(c: Cell, label: str) -> Cell:
    return Cell(n=c.n, value=c.value, suppressed=c.suppressed, label=label, key=c.key)


def groups_section(by_split: dict[str, list[IndicatorResult]]) -> Section:
    """One table per split: a row per group, a column per indicator."""
    tables, charts = [], []
    for key, results in by_split.items():
        split = SPLITS[key]
        results = [r for r in results if r.groups]
        if not results:
            continue
        group_keys: list[str] = []
        for r in results:
            group_keys += [g.key for g in r.groups if g.key not in group_keys]
        rows = []
        for gk in group_keys:
            entries = []
            for r in results:
                found = next((g for g in r.groups if g.key == gk), None)
                entries.append(Entry(found, indicator_fmt(r.indicator)))
            rows.append((split.group_label(gk), entries))
        tables.append(
            Table(
                title=_("By %(split)s") % {"split": split.label},
                row_header=str(split.label).capitalize(),
                columns=[r.label for r in results],
                rows=rows,
            )
        )
        attendance = next((r for r in results if r.indicator == Indicator.ATTENDANCE_RATE), None)
        if attendance is not None:
            charts.append(
                Chart(
                    kind="bar",
                    title=_("Attendance rate by %(split)s") % {"split": split.label},
                    fmt="pct",
                    series=[Series(_("Attendance rate"), attendance.groups)],
                )
            )
    return Section(
        key="groups",
        title=_("By student group"),
        intro=_(
            "Each indicator split by race/ethnicity, gender, grade, English learners, students "
            "with disabilities and economically disadvantaged students."
        ),
        tables=tables,
        charts=charts,
        empty=_("No figures by student group for this period."),
    )


def trend_section(trend: list[Cell]) -> Section:
    return Section(
        key="attendance_trend",
        title=_("Attendance trend"),
        intro=_("The attendance rate month by month."),
        tables=[
            Table(
                title=_("Attendance rate by month"),
                row_header=_("Month"),
                columns=[_("Attendance rate"), _("Students")],
                rows=[(c.label, [Entry(c, "pct"), Entry(c, "n")]) for c in trend],
            )
        ]
        if trend
        else [],
        charts=[
            Chart(
                kind="line",
                title=_("Attendance rate by month"),
                fmt="pct",
                series=[Series(_("Attendance rate"), trend)],
            )
        ]
        if trend
        else [],
        empty=_("No attendance recorded for this period."),
    )


def goals_section(goals: list[GoalProgress]) -> Section:
    rows = []
    for p in goals:
        goal = p.goal
        fmt = indicator_fmt(goal.indicator)
        rows.append(
            (
                goal.title or str(Indicator(goal.indicator).label),
                [
                    Entry(str(Indicator(goal.indicator).label)),
                    Entry(goal.get_term_display()),
                    Entry(goal.baseline, fmt),
                    Entry(goal.target, fmt),
                    Entry(goal.target_on),
                    Entry(p.current, fmt),
                    Entry(p.expected, fmt),
                    Entry(p.status_label),
                ],
            )
        )
    return Section(
        key="goals",
        title=_("Goals and their progress"),
        intro=_(
            "On track: the figure now is at least where the straight line from the baseline to "
            "the target is today."
        ),
        tables=[
            Table(
                title=_("Goals"),
                row_header=_("Goal"),
                columns=[
                    _("Indicator"),
                    _("Term"),
                    _("Baseline"),
                    _("Target"),
                    _("Target date"),
                    _("Now"),
                    _("Expected now"),
                    _("Status"),
                ],
                rows=rows,
            )
        ]
        if rows
        else [],
        empty=_("No goals set for this scope."),
    )


def tiers_section(tiers: list[TierRow]) -> Section:
    headers = [str(t.label) for t in TIERS]
    rows = [(row.label, [Entry(c, "int") for c in row.tiers]) for row in tiers]
    return Section(
        key="tiers",
        title=_("Tiers of support"),
        intro=_("Students holding each tier (MTSS) at the end of the period, by domain."),
        tables=[Table(_("Students by tier"), _("Domain"), headers, rows)] if rows else [],
        charts=[
            Chart(
                kind="grouped",
                title=_("Students by tier"),
                fmt="int",
                groups=[row.label for row in tiers],
                series=[
                    Series(label, [row.tiers[i] for row in tiers])
                    for i, label in enumerate(headers)
                ],
            )
        ]
        if rows
        else [],
        empty=_("No tiers assigned."),
    )


def funnel_section(funnel: Funnel, *, title: str, extra: list[tuple[str, list[Entry]]]) -> Section:
    rows = [(_("All referrals sent"), [Entry(funnel.total, "int"), Entry(funnel.total, "n")])]
    rows += [(c.label, [Entry(c, "int"), Entry(c, "n")]) for c in funnel.statuses]
    return Section(
        key="referrals",
        title=title,
        intro=_("Referrals sent in the period, by where they are now."),
        tables=[Table(_("Referrals by status"), _("Status"), [_("Referrals"), _("Students")], rows)]
        + (
            [Table(_("Response"), _("Figure"), [_("Value"), _("Students")], extra)] if extra else []
        ),
        charts=[
            Chart(
                kind="bar",
                title=_("Referrals by status"),
                fmt="int",
                series=[Series(_("Referrals"), funnel.statuses)],
            )
        ],
    )


def dosage_section(dosage: Dosage, delivery: list[DeliveryLine] | None = None) -> Section:
    rows = [
        (dosage.students.label, [Entry(dosage.students, "int")]),
        (dosage.hours.label, [Entry(dosage.hours, "1")]),
        (dosage.mean_hours.label, [Entry(dosage.mean_hours, "1")]),
        (_("sessions held"), [Entry(dosage.sessions, "int")]),
    ]
    tables = [Table(_("Sessions attended"), _("Figure"), [_("Value")], rows)]
    if delivery:
        tables.append(
            Table(
                _("Delivered against promised"),
                _("Deliverable"),
                [
                    _("School"),
                    _("Unit"),
                    _("Promised to date"),
                    _("Promised for the term"),
                    _("Delivered"),
                    _("Delivered (% of promised to date)"),
                    _("Students"),
                    _("Sessions"),
                    _("Hours"),
                ],
                [
                    (
                        d.deliverable,
                        [
                            Entry(d.school),
                            Entry(d.unit),
                            Entry(d.expected_to_date, "1"),
                            Entry(d.expected_term, "1"),
                            Entry(d.delivered, "1"),
                            Entry(d.percentage, "int"),
                            Entry(d.students, "int"),
                            Entry(d.sessions, "int"),
                            Entry(d.hours, "1"),
                        ],
                    )
                    for d in delivery
                ],
            )
        )
    return Section(
        key="dosage",
        title=_("Dosage"),
        intro=_("Sessions attended in the period: students served and hours."),
        tables=tables,
    )


def needs_section(needs: NeedsCoverage) -> Section:
    rows = [
        (
            r.category,
            [
                Entry(r.severity, "int"),
                Entry(r.students, "int"),
                Entry(r.covered, "int"),
                Entry(r.open, "int"),
                Entry(r.covered_share, "pct"),
            ],
        )
        for r in needs.rows
    ]
    return Section(
        key="needs",
        title=_("Needs covered"),
        intro=_(
            "The needs of the school's assessment for the year (estimated numbers of students) "
            "and how much of each the school's assets and active partnerships cover."
        ),
        tables=[
            Table(
                _("Needs and coverage"),
                _("Need"),
                [
                    _("Severity"),
                    _("Students (estimate)"),
                    _("Covered"),
                    _("Open"),
                    _("Share covered"),
                ],
                rows,
            )
        ]
        if rows
        else [],
        empty=_("No needs assessment for this year."),
    )


def schools_section(rows: list[SchoolRow]) -> Section:
    columns = [_("School"), _("Need index"), _("Students")] + [
        str(Indicator(i).label) for i in SCHOOL_TABLE_INDICATORS
    ]
    table_rows = [
        (
            r.code,
            [Entry(r.name), Entry(r.need_index, "1"), Entry(r.students, "int")]
            + [Entry(r.figures.get(str(i)), indicator_fmt(i)) for i in SCHOOL_TABLE_INDICATORS],
        )
        for r in rows
    ]
    return Section(
        key="schools",
        title=_("Schools"),
        intro=_("Each school of the network, highest chronic absence rate first."),
        tables=[Table(_("Schools"), _("Code"), columns, table_rows)] if rows else [],
        charts=[
            Chart(
                kind="bar",
                title=_("Chronic absence rate by school"),
                fmt="pct",
                series=[
                    Series(
                        "",
                        [
                            _labelled(
                                r.figures.get(str(Indicator.CHRONIC_ABSENCE_RATE))
                                or Cell(None, None, suppressed=True),
                                r.code,
                            )
                            for r in rows
                        ],
                    )
                ],
            )
        ]
        if rows
        else [],
        empty=_("No schools."),
    )


# --- the report ---------------------------------------------------------------------------------


def _by_split(
    builder: Callable[[Split], list[IndicatorResult]],
) -> dict[str, list[IndicatorResult]]:
    return {key: builder(split) for key, split in SPLITS.items()}


def _report(scope: Scope, year: int, today: dt.date, sections: list[Section]) -> Report:
    return Report(
        scope=scope,
        title=_("Outcomes report"),
        scope_label=scope_label(scope),
        year=year,
        generated_on=today,
        sections=sections,
        about=about_these_figures(),
    )


def school_report(school: School, year: int, *, today: dt.date) -> Report:
    dash = dashboard_data.school_dashboard(school, year, today=today)
    by_split = _by_split(
        lambda s: dashboard_data.school_dashboard(school, year, split=s, today=today).indicators
    )
    return _report(
        Scope(network=school.network, school=school),
        year,
        today,
        [
            indicators_section(dash.indicators),
            groups_section(by_split),
            trend_section(dash.trend),
            funnel_section(dash.funnel, title=_("Referrals"), extra=[]),
            dosage_section(dash.dosage),
            goals_section(dash.goals),
            tiers_section(dash.tiers),
            needs_section(dash.needs),
        ],
    )


def network_report(network: Network, year: int, *, today: dt.date) -> Report:
    dash = dashboard_data.network_dashboard(network, year, today=today)
    by_split = _by_split(
        lambda s: dashboard_data.network_dashboard(network, year, split=s, today=today).indicators
    )
    return _report(
        Scope(network=network),
        year,
        today,
        [
            indicators_section(dash.indicators),
            groups_section(by_split),
            trend_section(dash.trend),
            schools_section(dash.schools),
            funnel_section(dash.funnel, title=_("Referrals"), extra=[]),
            dosage_section(dash.dosage),
            goals_section(dash.goals),
            tiers_section(dash.tiers),
        ],
    )


def organization_report(organization: Organization, year: int, *, today: dt.date) -> Report:
    dash = dashboard_data.partner_dashboard(organization, year, today=today)
    by_split = _by_split(
        lambda s: (
            dashboard_data.partner_dashboard(organization, year, split=s, today=today).indicators
        )
    )
    scope = Scope(network=organization.network, organization=organization)
    response = dash.response_days
    return _report(
        scope,
        year,
        today,
        [
            indicators_section(dash.indicators, intro=_("The students the partner served.")),
            groups_section(by_split),
            funnel_section(
                dash.received,
                title=_("Referrals received"),
                extra=[(response.label, [Entry(response, "1"), Entry(response, "n")])],
            ),
            dosage_section(dash.dosage, dash.delivery),
            goals_section(goals_with_progress(scope, today=today)),
        ],
    )


def build_report(scope: Scope, year: int, *, today: dt.date) -> Report:
    """The report of a school, a network or a partner organization."""
    if scope.organization is not None:
        return organization_report(scope.organization, year, today=today)
    if scope.school is not None:
        return school_report(scope.school, year, today=today)
    if scope.partnership is not None:
        raise ValueError("reports cover a school, a network or a partner organization")
    return network_report(scope.network, year, today=today)
