"""Reads of attendance: per-student summaries of a school's year.

No viewer scoping yet: the only callers are management commands run by operators. Views and
the API (later slices) must start from `core.access` before calling these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from wraparound.core.models import School

from .models import AttendanceMonth

# Students enrolled fewer days than this are not classified as chronically absent or not.
MIN_ENROLLED_DAYS = 10
# Chronic absenteeism: absent on at least this share of enrolled days.
CHRONIC_SHARE = Decimal("0.10")
RATE_PLACES = Decimal("0.0001")


def school_year_dates(year: int) -> tuple[dt.date, dt.date]:
    """A school year is named by the calendar year in which it ends: 2027 = 2026-07-01 to
    2027-06-30."""
    return dt.date(year - 1, 7, 1), dt.date(year, 6, 30)


@dataclass(frozen=True)
class AttendanceSummaryRow:
    student_id: int
    sourced_id: str
    enrolled_days: int
    absent_days: int
    tardies: int
    attendance_rate: Decimal
    chronically_absent: bool | None


def is_chronically_absent(
    enrolled_days: int, absent_days: int, *, min_days: int = MIN_ENROLLED_DAYS
) -> bool | None:
    """True when absent on ≥ 10% of enrolled days; None (not classified) under `min_days`."""
    if enrolled_days < max(min_days, 1):
        return None
    return Decimal(absent_days) >= CHRONIC_SHARE * enrolled_days


def attendance_summary_rows(
    school: School, year: int, *, min_days: int = MIN_ENROLLED_DAYS
) -> list[AttendanceSummaryRow]:
    """One row per student enrolled at `school` on at least one instructional day of the
    school year ending in `year`, ordered by sourcedId. One query."""
    first, last = school_year_dates(year)
    totals = (
        AttendanceMonth.objects.filter(school=school, month__gte=first, month__lte=last)
        .values("student_id", "student__sourced_id")
        .annotate(enrolled=Sum("enrolled_days"), absent=Sum("absent_days"), tardy=Sum("tardies"))
        .order_by("student__sourced_id", "student_id")
    )
    rows = []
    for t in totals:
        enrolled, absent = int(t["enrolled"] or 0), int(t["absent"] or 0)
        if enrolled <= 0:
            continue
        rate = (Decimal(enrolled - absent) / Decimal(enrolled)).quantize(
            RATE_PLACES, rounding=ROUND_HALF_UP
        )
        rows.append(
            AttendanceSummaryRow(
                student_id=t["student_id"],
                sourced_id=t["student__sourced_id"],
                enrolled_days=enrolled,
                absent_days=absent,
                tardies=int(t["tardy"] or 0),
                attendance_rate=rate,
                chronically_absent=is_chronically_absent(enrolled, absent, min_days=min_days),
            )
        )
    return rows
