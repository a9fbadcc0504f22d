"""The evaluators' de-identified extract (issue 7): one CSV row per student × school for a school
year of a network, for analysis outside the system. Who may download it: `access.can_evaluate`.

What a row holds (docs/outcomes.md, "Reports and the evaluator extract"):
- `pseudonym`: HMAC-SHA256 of the student's internal id under a salt drawn at random for this
  extract and never stored or shown, as 16 hex digits. The same student has the same pseudonym
  on every row of one extract (two schools in a year), and a different one in every other
  extract, so extracts cannot be joined with each other or traced back without the database;
- the quasi-identifiers: school code, grade and the reporting groups of `subgroups.SPLITS`
  (race/ethnicity, gender, English learner, disability, economically disadvantaged);
- enrolled and absent days at the school for the year and for each month (July to June);
- the highest tier held at the school during the year (empty: none);
- hours of sessions attended at the school, by service category (the top term, or pillar, of the
  service's categories; sessions with no categorized service under `hours_other`);
- referrals sent for the student from the school in the year, and how many were completed.
No name, id, sourcedId, birth date, address, contact or free text ever leaves.

Small cells of quasi-identifiers (`suppress_quasi_identifiers`): every combination of the seven
quasi-identifiers in the extract is shared by at least `MIN_CELL` rows. Rows of a rarer
combination have attributes replaced by "suppressed", one at a time: first the demographics,
the rarest first (the value held by the fewest rows of the same school; ties: race/ethnicity,
gender, English learner, disability, economically disadvantaged), then grade, the school code
last, until their combination
is shared by ten rows; rows whose combination stays under ten with every attribute suppressed
are left out. A group of identical rows moves together, so a combination shared by ten rows
never loses one."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from wraparound.core.models import Network, School
from wraparound.directory.models import Attribute, TaxonomyTerm
from wraparound.directory.taxonomy import PILLARS
from wraparound.referrals.models import Referral, ReferralStatus, SessionAttendance
from wraparound.students.models import Student, TierAssignment

from ..models import AttendanceMonth
from ..selectors import school_year_dates
from ..subgroups import SPLITS
from ..suppression import MIN_CELL

SUPPRESSED = "suppressed"
PSEUDONYM_HEX = 16
# The quasi-identifiers, in the order they are given up when a combination is too rare: the
# school code last (it is what an evaluator needs most).
DEMOGRAPHICS = (
    "race_ethnicity",
    "gender",
    "english_learner",
    "disability",
    "economically_disadvantaged",
)
QUASI_IDENTIFIERS = ("school_code", "grade", *DEMOGRAPHICS)
COARSEN_ORDER = (*DEMOGRAPHICS, "grade", "school_code")
OTHER_CATEGORY = "other"
# Student fields the extract reads, and nothing else: no name, birth date or contact.
STUDENT_FIELDS = ("pk", "grade", *(SPLITS[k].field for k in DEMOGRAPHICS))


@dataclass
class Extract:
    header: list[str]
    rows: list[dict[str, Any]]
    dropped: int  # rows left out: too rare even with every quasi-identifier suppressed

    def csv_lines(self) -> Iterator[str]:
        """The CSV, a line at a time (for a streamed response)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.header, lineterminator="\n")

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writeheader()
        yield flush()
        for row in self.rows:
            writer.writerow(row)
            yield flush()

    def csv_text(self) -> str:
        return "".join(self.csv_lines())


def pseudonymizer(salt: bytes | None = None) -> Any:
    """A function student id → pseudonym under `salt` (a fresh random one by default)."""
    key = salt if salt is not None else secrets.token_bytes(32)

    def pseudonym(student_id: int) -> str:
        digest = hmac.new(key, str(student_id).encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]

    return pseudonym


def year_months(year: int) -> list[dt.date]:
    first, _last = school_year_dates(year)
    return [
        dt.date(first.year + (first.month + i - 1) // 12, (first.month + i - 1) % 12 + 1, 1)
        for i in range(12)
    ]


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- service categories -------------------------------------------------------------------------


def category_columns(network: Network) -> tuple[list[str], dict[int, str]]:
    """The category codes (pillars first, then other top terms, then "other") and each
    categorized service's code: the first of its top terms in that order."""
    terms = {
        pk: (parent, code or name)
        for pk, parent, code, name in TaxonomyTerm.objects.filter(
            network_id=network.pk
        ).values_list("pk", "parent_id", "code", "name")
    }

    def root(pk: int) -> str:
        seen: set[int] = set()
        while terms[pk][0] in terms and pk not in seen:
            seen.add(pk)
            pk = terms[pk][0]
        return _column_code(terms[pk][1])

    roots = {root(pk) for pk in terms}
    codes = [_column_code(p) for p in PILLARS if _column_code(p) in roots]
    codes += [*sorted(roots - set(codes) - {OTHER_CATEGORY}), OTHER_CATEGORY]
    order = {c: i for i, c in enumerate(codes)}
    by_service: dict[int, str] = {}
    links = Attribute.objects.filter(
        network_id=network.pk, service__isnull=False, taxonomy_term_id__in=list(terms)
    ).values_list("service_id", "taxonomy_term_id")
    for service_id, term_id in links:
        code = root(term_id)
        if service_id not in by_service or order[code] < order[by_service[service_id]]:
            by_service[service_id] = code
    return codes, by_service


def _column_code(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.strip().lower()).strip("_") or "other"


# --- the rows -----------------------------------------------------------------------------------


def _student_school_pairs(network: Network, first: dt.date, last: dt.date) -> Any:
    """Attendance months, attended sessions and sent referrals of the year, per student × school."""
    months: dict[tuple[int, int], dict[dt.date, tuple[int, int]]] = defaultdict(dict)
    for student, school, month, enrolled, absent in AttendanceMonth.objects.filter(
        network_id=network.pk, month__gte=first, month__lte=last
    ).values_list("student_id", "school_id", "month", "enrolled_days", "absent_days"):
        months[(student, school)][month] = (int(enrolled), int(absent))

    minutes: dict[tuple[int, int], dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for student, school, service, spent in (
        SessionAttendance.objects.filter(
            present=True,
            session__network_id=network.pk,
            session__date__gte=first,
            session__date__lte=last,
        )
        .values("student_id", "session__school_id", "session__service_id")
        .annotate(m=Sum(Coalesce("minutes", F("session__duration_minutes"))))
        .values_list("student_id", "session__school_id", "session__service_id", "m")
        .order_by()
    ):
        minutes[(student, school)][service] += int(spent or 0)

    # The network's days, as in the indicators.
    start = dt.datetime.combine(first, dt.time.min, tzinfo=network.tzinfo)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=network.tzinfo)
    referrals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for student, school, status in Referral.objects.filter(
        network_id=network.pk, student__isnull=False, sent_at__gte=start, sent_at__lt=end
    ).values_list("student_id", "school_id", "status"):
        referrals[(student, school)][0] += 1
        referrals[(student, school)][1] += int(status == ReferralStatus.COMPLETED)

    tiers: dict[tuple[int, int], int] = {}
    for student, school, tier in (
        TierAssignment.objects.filter(network_id=network.pk, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .values_list("student_id", "school_id", "tier")
    ):
        tiers[(student, school)] = max(tiers.get((student, school), 0), int(tier))
    return months, minutes, referrals, tiers


def build_extract(network: Network, year: int, *, salt: bytes | None = None) -> Extract:
    """The network's extract for the school year `year` (named by the year it ends)."""
    first, last = school_year_dates(year)
    months_of_year = year_months(year)
    months, minutes, referrals, tiers = _student_school_pairs(network, first, last)
    pairs = set(months) | set(minutes) | set(referrals)
    student_ids = {s for s, _school in pairs}
    students = {
        row[0]: row
        for row in Student.objects.filter(network_id=network.pk, pk__in=student_ids)
        .values_list(*STUDENT_FIELDS)
        .order_by()
    }
    codes = dict(School.objects.filter(network_id=network.pk).values_list("pk", "code"))
    categories, service_category = category_columns(network)
    pseudonym = pseudonymizer(salt)
    month_columns = [f"{m:%Y_%m}" for m in months_of_year]
    header = [
        "pseudonym",
        *QUASI_IDENTIFIERS,
        "enrolled_days",
        "absent_days",
        *(f"enrolled_days_{m}" for m in month_columns),
        *(f"absent_days_{m}" for m in month_columns),
        "tier_max",
        *(f"hours_{c}" for c in categories),
        "referrals_sent",
        "referrals_completed",
    ]
    rows = []
    for student_id, school_id in sorted(pairs):
        student = students.get(student_id)
        if student is None or school_id not in codes:
            continue
        row: dict[str, Any] = {
            "pseudonym": pseudonym(student_id),
            "school_code": codes[school_id],
            "grade": SPLITS["grade"].group_key(student[1]),
        }
        for key, value in zip(DEMOGRAPHICS, student[2:], strict=True):
            row[key] = SPLITS[key].group_key(value)
        by_month = months.get((student_id, school_id), {})
        row["enrolled_days"] = sum(e for e, _a in by_month.values())
        row["absent_days"] = sum(a for _e, a in by_month.values())
        for m, col in zip(months_of_year, month_columns, strict=True):
            enrolled, absent = by_month.get(m, (0, 0))
            row[f"enrolled_days_{col}"] = enrolled
            row[f"absent_days_{col}"] = absent
        row["tier_max"] = tiers.get((student_id, school_id), "")
        spent: dict[str, int] = defaultdict(int)
        for service, m in minutes.get((student_id, school_id), {}).items():
            spent[service_category.get(service or 0, OTHER_CATEGORY)] += m
        for c in categories:
            row[f"hours_{c}"] = _hours(spent.get(c, 0))
        sent, completed = referrals.get((student_id, school_id), (0, 0))
        row["referrals_sent"] = sent
        row["referrals_completed"] = completed
        rows.append(row)
    kept, dropped = suppress_quasi_identifiers(rows)
    # Sorted by pseudonym: the order of the rows says nothing about the students' ids.
    kept.sort(key=lambda r: (r["pseudonym"], r["school_code"]))
    return Extract(header=header, rows=kept, dropped=dropped)


# --- small cells --------------------------------------------------------------------------------


def suppress_quasi_identifiers(
    rows: Iterable[dict[str, Any]], *, minimum: int = MIN_CELL
) -> tuple[list[dict[str, Any]], int]:
    """Rows whose quasi-identifier combination is shared by at least `minimum` rows, after
    coarsening (module docstring); and how many rows were left out."""
    rows = list(rows)
    keys = [[str(r[a]) for a in QUASI_IDENTIFIERS] for r in rows]
    school = QUASI_IDENTIFIERS.index("school_code")
    order = [QUASI_IDENTIFIERS.index(a) for a in COARSEN_ORDER]
    demographics = [QUASI_IDENTIFIERS.index(a) for a in DEMOGRAPHICS]
    grade = QUASI_IDENTIFIERS.index("grade")
    while True:
        combos = Counter(tuple(k) for k in keys)
        small = [
            i
            for i, k in enumerate(keys)
            if combos[tuple(k)] < minimum and any(v != SUPPRESSED for v in k)
        ]
        if not small:
            break
        # How many rows of the same school hold each value of each attribute.
        held = Counter((k[school], j, k[j]) for k in keys for j in range(len(k)))
        for i in small:
            k = keys[i]
            # Demographics go first (the rarest value among them), grade only once they are
            # all gone: evaluators match on grade, and need it more than any one demographic.
            candidates = [j for j in demographics if k[j] != SUPPRESSED]
            if not candidates:
                candidates = [grade] if k[grade] != SUPPRESSED else [school]
            j = min(candidates, key=lambda j: (held[(k[school], j, k[j])], order.index(j)))
            k[j] = SUPPRESSED
    combos = Counter(tuple(k) for k in keys)
    kept = []
    for row, k in zip(rows, keys, strict=True):
        if combos[tuple(k)] < minimum:
            continue
        row.update(zip(QUASI_IDENTIFIERS, k, strict=True))
        kept.append(row)
    return kept, len(rows) - len(kept)
