"""The outcome rollup: a network's figures of a school year tallied per school (and for the
whole network) so that the network dashboard reads a few thousand rows, not millions of
attendance months.

Rebuilt whole, set-based, for one network and year (`refresh`): after an attendance import, by
the nightly beat task (`tasks.outcome_rollups_refresh_task`), and on demand (the network page
builds it when there is none). The per-student attendance totals are summed once into a
temporary table; every split's tallies are then one GROUP BY over it. Network-wide figures are
tallied over the whole network's students, not added up from the schools: a student who moved
between two schools counts once.

Tallies are stored unsuppressed (numerator, denominator, n); suppression is applied when they
are read, exactly as for the live figures, so the rollup and the live computation agree."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from wraparound.core.models import Network, School, SchoolYear
from wraparound.referrals.models import ReferralStatus, SessionAttendance
from wraparound.students.models import Student, TierAssignment

from . import dashboard_data as dd
from . import indicators
from .indicators import ENDED_STATUSES, IndicatorResult, Period, Scope, _ratio
from .models import AttendanceMonth, CourseResult, Indicator, RollupFigure, RollupRefresh
from .selectors import MIN_ENROLLED_DAYS
from .subgroups import SPLITS, Split
from .suppression import Cell, cell, suppress_split

ATTENDANCE = Indicator.ATTENDANCE_RATE
CHRONIC = Indicator.CHRONIC_ABSENCE_RATE
COMPLETION = Indicator.REFERRAL_COMPLETION_RATE
TREND, TIERS, FUNNEL, FUNNEL_STUDENTS, DOSAGE, NEEDS = (
    "trend",
    "tiers",
    "funnel",
    "funnel_students",
    "dosage",
    "needs",
)
# CHRONIC_SHARE is 10 %: absent ≥ 0.10 × enrolled ⇔ 10 × absent ≥ enrolled (integers).
CHRONIC_FACTOR = 10


# A network with at most this many students gets its missing rollup built while the page waits
# (a few seconds at most); a larger one in the background.
INLINE_REFRESH_MAX_STUDENTS = 50_000


def _splits() -> list[Split | None]:
    return [None, *SPLITS.values()]


# --- refresh -----------------------------------------------------------------------------------


def refresh(network: Network, year: int, *, today: dt.date | None = None) -> RollupRefresh:
    """Rebuild the network's rollup of the school year (all of it, in one transaction)."""
    started = time.monotonic()
    today = today or network.today()
    period = Period.school_year(year, until=today)
    figures: list[RollupFigure] = []

    def add(
        school_id: int | None, figure: str, split: str = "", group: str = "", **kw: Any
    ) -> None:
        figures.append(
            RollupFigure(
                network_id=network.pk,
                school_id=school_id,
                school_year=year,
                figure=figure,
                split=split,
                group=group,
                **kw,
            )
        )

    with transaction.atomic():
        _attendance(network, period, add)
        _completion(network, period, add)
        _trend(network, period, add)
        scope = Scope(network=network)
        _days_to_first_session(scope, period, add)
        _tier3_served(scope, period, add)
        _course_pass(scope, period, add)
        for (domain, tier), n in dd.tier_tallies(scope, dd._as_of(year, today)).items():
            add(None, TIERS, group=f"{domain}:{tier}", n=n)
        for status, (n, referrals) in dd.funnel_tallies(scope, period).items():
            add(None, FUNNEL, group=str(status), n=n, numerator=referrals)
        add(None, FUNNEL_STUDENTS, n=dd.funnel_students(scope, period))
        _dosage(network, period, add)
        _needs(network, year, add)
        RollupFigure.objects.filter(network=network, school_year=year).delete()
        RollupFigure.objects.bulk_create(figures, batch_size=2000)
        done, _created = RollupRefresh.objects.update_or_create(
            network=network,
            school_year=year,
            defaults={"refreshed_at": timezone.now(), "seconds": time.monotonic() - started},
        )
    return done


def _boolean_fields() -> set[str]:
    return {
        s.field
        for s in SPLITS.values()
        if isinstance(Student._meta.get_field(s.field), BooleanField)
    }


def _group_key(split: Split | None, value: Any) -> str:
    if split is None:
        return ""
    if value is not None and split.field in _boolean_fields():
        value = bool(value)
    return split.group_key(value)


def _attendance(network: Network, period: Period, add: Any) -> None:
    """Attendance and chronic absence rates per school and network-wide, for every split.
    The students' totals over the period are summed once into a temporary table (with the
    split fields beside them); each split is then a GROUP BY over that table."""
    am = AttendanceMonth._meta.db_table
    st = Student._meta.db_table
    fields = [s.field for s in SPLITS.values()]
    per_school = f"rollup_s_{uuid.uuid4().hex[:12]}"
    per_student = f"rollup_n_{uuid.uuid4().hex[:12]}"
    qn = connection.ops.quote_name
    # Booleans as 0/1 so that MIN() takes them on every database.
    cols = ", ".join(
        f"CASE WHEN st.{qn(f)} IS NULL THEN NULL WHEN st.{qn(f)} THEN 1 ELSE 0 END AS {qn(f)}"
        if f in _boolean_fields()
        else f"st.{qn(f)} AS {qn(f)}"
        for f in fields
    )
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE {per_school} AS "  # noqa: S608 — names are ours
            f"SELECT p.school_id AS school_id, p.student_id AS student_id, p.e AS e, p.a AS a, "
            f"{cols} FROM (SELECT am.school_id AS school_id, am.student_id AS student_id, "
            f"SUM(am.enrolled_days) AS e, SUM(am.absent_days) AS a FROM {am} am "
            f"WHERE am.network_id = %s AND am.month >= %s AND am.month <= %s "
            f"GROUP BY am.school_id, am.student_id) p JOIN {st} st ON st.id = p.student_id "
            f"WHERE p.e > 0",
            [network.pk, period.first.replace(day=1), period.last],
        )
        cur.execute(
            f"CREATE TEMPORARY TABLE {per_student} AS "  # noqa: S608
            f"SELECT student_id, SUM(e) AS e, SUM(a) AS a, "
            + ", ".join(f"MIN({qn(f)}) AS {qn(f)}" for f in fields)
            + f" FROM {per_school} GROUP BY student_id",
        )
        try:
            for split in _splits():
                col = qn(split.field) if split else None
                for table, by_school in ((per_school, True), (per_student, False)):
                    keys = (["school_id"] if by_school else []) + ([col] if col else [])
                    select = ", ".join(keys) + (", " if keys else "")
                    group = f" GROUP BY {', '.join(keys)}" if keys else ""
                    cur.execute(
                        f"SELECT {select}COUNT(*), SUM(e), SUM(a), "  # noqa: S608
                        f"SUM(CASE WHEN e >= %s THEN 1 ELSE 0 END), "
                        f"SUM(CASE WHEN e >= %s AND {CHRONIC_FACTOR} * a >= e THEN 1 ELSE 0 END)"
                        f" FROM {table}{group}",
                        [MIN_ENROLLED_DAYS, MIN_ENROLLED_DAYS],
                    )
                    tallies: dict[tuple[int | None, str], list[int]] = defaultdict(
                        lambda: [0, 0, 0, 0, 0]
                    )
                    for row in cur.fetchall():
                        school_id = row[0] if by_school else None
                        rest = row[1:] if by_school else row
                        if split is not None:
                            key, rest = _group_key(split, rest[0]), rest[1:]
                        else:
                            key = ""
                        if rest[0] == 0:  # an empty network: one row of NULL sums
                            continue
                        t = tallies[(school_id, key)]
                        for i, v in enumerate(rest):
                            t[i] += int(v or 0)
                    for (school_id, key), (n, e, a, classified, chronic) in tallies.items():
                        skey = split.key if split else ""
                        add(
                            school_id,
                            ATTENDANCE,
                            skey,
                            key,
                            n=n,
                            numerator=e - a,
                            denominator=e,
                            value=_ratio(e - a, e),
                        )
                        if classified == 0:  # nobody classified: no group (as live)
                            continue
                        add(
                            school_id,
                            CHRONIC,
                            skey,
                            key,
                            n=classified,
                            numerator=chronic,
                            denominator=classified,
                            value=_ratio(chronic, classified),
                        )
        finally:
            cur.execute(f"DROP TABLE {per_school}")
            cur.execute(f"DROP TABLE {per_student}")


def _completion(network: Network, period: Period, add: Any) -> None:
    """Referral completion per school (a referral counts at the school that sent it) and
    network-wide, every split (the definitions of `indicators.referral_completion_rate`)."""
    ended = indicators._referrals(Scope(network=network), period).filter(status__in=ENDED_STATUSES)
    rows = list(
        ended.values_list("school_id", "student_id", "status", *_student_fields()).order_by()
    )
    for split, key_of in _keyers():
        students: dict[Where, set[int]] = defaultdict(set)
        counts: dict[Where, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            key = key_of(r, 3)
            for where in ((None, key), (r[0], key)):
                students[where].add(r[1])
                counts[where][0] += 1
                counts[where][1] += int(r[2] == ReferralStatus.COMPLETED)
        tallies = {w: (len(students[w]), _ratio(c[1], c[0])) for w, c in counts.items()}
        all_students, all_counts = _gather(students), _gather(counts)
        for school_id, groups in _by_school(tallies).items():
            ids = _union(all_students[school_id])
            ended_n = sum(c[0] for c in all_counts[school_id])
            completed = sum(c[1] for c in all_counts[school_id])
            _store_result(
                indicators._result(
                    COMPLETION, split, groups, (len(ids), _ratio(completed, ended_n))
                ),
                add,
                school_id,
            )


# --- the other indicators, per school and network-wide, every split from one read --------------
# The same definitions as `indicators` (tests/test_rollup.py checks they agree, per school and
# network-wide, for every split), read once with the school and all the split fields instead of
# once per school and split: on the city profile each read takes seconds.

Where = tuple[int | None, str]  # (school id, or None for the network; the group)


def _by_school(tallies: dict[Where, Any]) -> dict[int | None, dict[str, Any]]:
    out: dict[int | None, dict[str, Any]] = defaultdict(dict)
    for (school_id, key), value in tallies.items():
        out[school_id][key] = value
    return out


def _gather(tallies: dict[Where, Any]) -> dict[int | None, list[Any]]:
    """School (or None) → the values of its groups, in one pass."""
    out: dict[int | None, list[Any]] = defaultdict(list)
    for (school_id, _key), value in tallies.items():
        out[school_id].append(value)
    return out


def _union(sets: list[set[int]]) -> set[int]:
    return set().union(*sets) if sets else set()


def _student_fields(prefix: str = "student__") -> list[str]:
    return [f"{prefix}{s.field}" for s in SPLITS.values()]


def _keyers() -> list[tuple[Split | None, Any]]:
    """(split, key of a row whose split fields start at column `at`)."""
    out: list[tuple[Split | None, Any]] = [(None, lambda r, at: "")]
    for i, split in enumerate(SPLITS.values()):
        out.append((split, lambda r, at, i=i, split=split: split.group_key(r[at + i])))
    return out


def _days_to_first_session(scope: Scope, period: Period, add: Any) -> None:
    rows = list(
        indicators._referrals(scope, period)
        .annotate(
            first_session=Min("attendance__session__date", filter=Q(attendance__present=True))
        )
        .filter(first_session__isnull=False)
        .values_list("school_id", "student_id", "sent_at", "first_session", *_student_fields())
        .order_by()
    )
    for split, key_of in _keyers():
        days: dict[Where, list[int]] = defaultdict(list)
        students: dict[Where, set[int]] = defaultdict(set)
        for r in rows:
            key = key_of(r, 4)
            d = max((r[3] - r[2].date()).days, 0)
            for where in ((None, key), (r[0], key)):
                days[where].append(d)
                students[where].add(r[1])
        tallies = {w: (len(students[w]), indicators._median(ds)) for w, ds in days.items()}
        all_students, all_days = _gather(students), _gather(days)
        for school_id, groups in _by_school(tallies).items():
            pooled = [d for ds in all_days[school_id] for d in ds]
            _store_result(
                indicators._result(
                    Indicator.DAYS_TO_FIRST_SESSION,
                    split,
                    groups,
                    (len(_union(all_students[school_id])), indicators._median(pooled)),
                ),
                add,
                school_id,
            )


def _tier3_served(scope: Scope, period: Period, add: Any) -> None:
    """A student counts at their current school (as `indicators.tier3_served_share`)."""
    tiers = TierAssignment.objects.filter(tier=3, starts_on__lte=period.last).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=period.first)
    )
    students = Student.objects.filter(
        network_id=scope.network.pk, pk__in=tiers.values("student_id")
    )
    attended = SessionAttendance.objects.filter(
        present=True, session__date__gte=period.first, session__date__lte=period.last
    ).values("student_id")
    served = set(students.filter(pk__in=attended).values_list("pk", flat=True))
    rows = list(students.values_list("school_id", "pk", *_student_fields("")).order_by())
    for split, key_of in _keyers():
        totals: dict[Where, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            key = key_of(r, 2)
            for where in ((None, key), (r[0], key)):
                totals[where][0] += 1
                totals[where][1] += int(r[1] in served)
        tallies = {w: (t[0], _ratio(t[1], t[0])) for w, t in totals.items()}
        all_totals = _gather(totals)
        for school_id, groups in _by_school(tallies).items():
            n = sum(t[0] for t in all_totals[school_id])
            hit = sum(t[1] for t in all_totals[school_id])
            _store_result(
                indicators._result(
                    Indicator.TIER3_SERVED_SHARE, split, groups, (n, _ratio(hit, n))
                ),
                add,
                school_id,
            )


def _course_pass(scope: Scope, period: Period, add: Any) -> None:
    years = {period.last.year + (1 if period.last.month >= 7 else 0)}
    rows = list(
        CourseResult.objects.filter(
            network_id=scope.network.pk, school_year__in=years, passed__isnull=False
        )
        .values_list("school_id", "student_id", "passed", *_student_fields())
        .order_by()
    )
    for split, key_of in _keyers():
        students: dict[Where, set[int]] = defaultdict(set)
        counts: dict[Where, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            key = key_of(r, 3)
            for where in ((None, key), (r[0], key)):
                students[where].add(r[1])
                counts[where][0] += 1
                counts[where][1] += int(bool(r[2]))
        tallies = {w: (len(students[w]), _ratio(c[1], c[0])) for w, c in counts.items()}
        all_students, all_counts = _gather(students), _gather(counts)
        for school_id, groups in _by_school(tallies).items():
            total = sum(c[0] for c in all_counts[school_id])
            passed = sum(c[1] for c in all_counts[school_id])
            _store_result(
                indicators._result(
                    Indicator.COURSE_PASS_RATE,
                    split,
                    groups,
                    (len(_union(all_students[school_id])), _ratio(passed, total)),
                ),
                add,
                school_id,
            )


def _dosage(network: Network, period: Period, add: Any) -> None:
    """Sessions attended per school (where the session was held) and network-wide."""
    rows = SessionAttendance.objects.filter(
        present=True,
        session__network_id=network.pk,
        session__date__gte=period.first,
        session__date__lte=period.last,
    )
    for r in (
        rows.values("session__school_id")
        .annotate(
            students=Count("student_id", distinct=True),
            sessions=Count("session_id", distinct=True),
            minutes=Sum(Coalesce("minutes", F("session__duration_minutes"))),
        )
        .order_by()
    ):
        add(
            r["session__school_id"],
            DOSAGE,
            n=r["students"],
            numerator=int(r["minutes"] or 0),
            denominator=r["sessions"],
        )
    students, minutes, sessions = dd.dosage_tallies(Scope(network=network), period)
    add(None, DOSAGE, n=students, numerator=minutes, denominator=sessions)


def _trend(network: Network, period: Period, add: Any) -> None:
    for c in indicators.attendance_trend(Scope(network=network), period):
        # Trend cells come suppressed already when small; kept so, with n 0.
        add(None, TREND, group=c.key, n=c.n or 0, value=_dec(c.value))


def _store_result(result: IndicatorResult, add: Any, school_id: int | None = None) -> None:
    """An indicator's cells as computed (suppressed ones kept with n 0: read, they are
    suppressed again, complement included)."""
    add(
        school_id,
        result.indicator,
        result.split,
        "",
        n=result.overall.n or 0,
        value=_dec(result.overall.value),
    )
    for g in result.groups:
        add(school_id, result.indicator, result.split, g.key, n=g.n or 0, value=_dec(g.value))


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _needs(network: Network, year: int, add: Any) -> None:
    from wraparound.assessments.gaps import gaps_for

    school_year = SchoolYear.objects.filter(network=network, end_year=year).first()
    if school_year is None:
        return
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for gap in gaps_for(network=network, school_year=school_year).values():
        totals[gap.school_id][0] += gap.students - gap.open
        totals[gap.school_id][1] += gap.students
    for school_id, (covered, students) in totals.items():
        add(school_id, NEEDS, numerator=covered, denominator=students)


def refresh_all(*, today: dt.date | None = None) -> int:
    """Rebuild every network's rollup of its current school year (the nightly job)."""
    count = 0
    for network in Network.objects.all():
        refresh(network, dd.default_year(network, today), today=today)
        count += 1
    return count


# --- read --------------------------------------------------------------------------------------


@dataclass
class Stored:
    """A network's rollup of one year, as read for the dashboard (and one split)."""

    refreshed_at: dt.datetime | None
    split: Split | None
    # (school id or None, figure, split, group) → (n, numerator, denominator, value)
    rows: dict[tuple[int | None, str, str, str], tuple[int, int | None, int | None, Any]] = field(
        default_factory=dict
    )
    _by_series: dict[tuple[int | None, str, str], dict[str, Any]] | None = None

    def _series(self) -> dict[tuple[int | None, str, str], dict[str, Any]]:
        """(school, figure, split) → {group: row}, the groups of each split (built once)."""
        if self._by_series is None:
            index: dict[tuple[int | None, str, str], dict[str, Any]] = defaultdict(dict)
            for (school_id, figure, split, group), row in self.rows.items():
                if group:
                    index[(school_id, figure, split)][group] = row
            self._by_series = dict(index)
        return self._by_series

    def _get(self, school_id: int | None, figure: str, split: str = "", group: str = "") -> Any:
        return self.rows.get((school_id, figure, split, group))

    def school_cell(self, school_id: int, indicator: str) -> Cell:
        row = self._get(school_id, indicator)
        return (
            cell(row[0], row[3], key=str(indicator))
            if row
            else cell(None, None, key=str(indicator))
        )

    def school_tally(self, school_id: int, indicator: str) -> int:
        row = self._get(school_id, indicator)
        return int(row[0]) if row else 0

    def school_groups(
        self, school_id: int | None, indicator: str, split: Split | None
    ) -> list[Cell]:
        if split is None:
            return []
        return self._groups(school_id, indicator, split)

    def _groups(self, school_id: int | None, indicator: str, split: Split) -> list[Cell]:
        found = self._series().get((school_id, indicator, split.key), {})
        known = [key for key, _label in split.groups]
        cells, counts = [], []
        for key in known + sorted(k for k in found if k not in known):
            if key not in found:
                continue
            n, _num, _den, value = found[key]
            cells.append(cell(n, value, key=key, label=split.group_label(key)))
            counts.append(n)
        return suppress_split(cells, counts=counts)

    def needs_covered(self, school_id: int) -> float | None:
        row = self._get(school_id, NEEDS)
        if not row or not row[2]:
            return None
        return round(row[1] / row[2], 4)

    def network_indicators(self, split: Split | None) -> list[IndicatorResult]:
        return self.indicators_of(None, split)

    def indicators_of(self, school_id: int | None, split: Split | None) -> list[IndicatorResult]:
        """The indicators of a school (or the network, None), as `indicators.compute_all`."""
        out = []
        for indicator in Indicator:
            if indicator in indicators.ENTERED_INDICATORS:
                continue
            row = self._get(school_id, indicator)
            overall = cell(row[0], row[3]) if row else cell(None, None)
            result = IndicatorResult(
                indicator=indicator, overall=overall, split=split.key if split else ""
            )
            if split is not None:
                result.groups = self._groups(school_id, indicator, split)
            out.append(result)
        return out

    def dosage_of(self, school_id: int | None) -> tuple[int, int, int]:
        row = self._get(school_id, DOSAGE)
        return (int(row[0]), int(row[1] or 0), int(row[2] or 0)) if row else (0, 0, 0)

    def trend(self) -> list[Cell]:
        months = sorted(k[3] for k in self.rows if k[0] is None and k[1] == TREND)
        out = []
        for key in months:
            n, _num, _den, value = self.rows[(None, TREND, "", key)]
            label = dt.date.fromisoformat(f"{key}-01").strftime("%b %Y")
            out.append(cell(n, value, key=key, label=label))
        return out

    def tiers(self) -> dict[tuple[str, int], int]:
        out = {}
        for k, v in self.rows.items():
            if k[0] is None and k[1] == TIERS:
                domain, tier = k[3].split(":")
                out[(domain, int(tier))] = v[0]
        return out

    def funnel(self) -> dict[str, tuple[int, int]]:
        return {
            k[3]: (v[0], int(v[1] or 0))
            for k, v in self.rows.items()
            if k[0] is None and k[1] == FUNNEL
        }

    def funnel_students(self) -> int:
        row = self._get(None, FUNNEL_STUDENTS)
        return int(row[0]) if row else 0

    def dosage(self) -> tuple[int, int, int]:
        return self.dosage_of(None)


def read(
    network: Network, year: int, *, split: Split | None = None, refresh_missing: bool = False
) -> Stored:
    """The stored rollup (the figures of every split for the whole network; per school, all
    students, and the split's groups of the chronic absence rate)."""
    stamp = (
        RollupRefresh.objects.filter(network=network, school_year=year)
        .values_list("refreshed_at", flat=True)
        .first()
    )
    if stamp is None and refresh_missing:
        if Student.objects.filter(network=network).count() <= INLINE_REFRESH_MAX_STUDENTS:
            stamp = refresh(network, year).refreshed_at
        else:
            # A large network's rollup takes minutes: built in the background, the page says
            # there are no figures yet.
            from .tasks import outcome_rollup_refresh_task

            transaction.on_commit(lambda: outcome_rollup_refresh_task.delay(network.pk, year))
    rows = RollupFigure.objects.filter(network=network, school_year=year).filter(
        Q(school__isnull=True) | Q(split="") | Q(split=split.key if split else "", figure=CHRONIC)
    )
    stored = Stored(refreshed_at=stamp, split=split)
    for school_id, figure, skey, group, n, num, den, value in rows.values_list(
        "school_id", "figure", "split", "group", "n", "numerator", "denominator", "value"
    ).order_by():
        stored.rows[(school_id, figure, skey, group)] = (n, num, den, value)
    return stored


def read_school(school: School, year: int, *, split: Split | None = None) -> Stored | None:
    """One school's stored figures of the year (all students and the split's groups), or None
    when the network's rollup of the year has not been built."""
    stamp = (
        RollupRefresh.objects.filter(network_id=school.network_id, school_year=year)
        .values_list("refreshed_at", flat=True)
        .first()
    )
    if stamp is None:
        return None
    stored = Stored(refreshed_at=stamp, split=split)
    rows = RollupFigure.objects.filter(
        school_id=school.pk, school_year=year, split__in=["", split.key if split else ""]
    )
    for figure, skey, group, n, num, den, value in rows.values_list(
        "figure", "split", "group", "n", "numerator", "denominator", "value"
    ).order_by():
        stored.rows[(school.pk, figure, skey, group)] = (n, num, den, value)
    return stored


def school_ids(network: Network) -> list[int]:
    return list(School.objects.filter(network=network).values_list("pk", flat=True))


def refresh_after_change(network_id: int) -> None:
    """Data that feed the rollup changed (an attendance import): once the transaction commits,
    rebuild the network's rollups already built, in the background where a worker runs. Without
    a worker tasks run inline, so only a small network is rebuilt at once; a large one keeps its
    figures, dated, until the nightly rebuild or the network page's button (a city-sized
    rebuild would hold the import's caller for minutes)."""
    from django.conf import settings

    from .tasks import outcome_rollup_refresh_task

    years = list(
        RollupRefresh.objects.filter(network_id=network_id).values_list("school_year", flat=True)
    )
    if not years:
        return
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and (
        Student.objects.filter(network_id=network_id).count() > INLINE_REFRESH_MAX_STUDENTS
    ):
        return
    for year in years:
        transaction.on_commit(
            lambda year=year: outcome_rollup_refresh_task.delay(network_id, year)  # type: ignore[misc]
        )
