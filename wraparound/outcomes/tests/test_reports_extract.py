"""The evaluators' extract: no identifiers, pseudonyms salted per extract (stable within one),
the figures per student × school, and every quasi-identifier combination shared by ten rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter

import pytest

from wraparound.directory.models import Attribute, TaxonomyTerm
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import (
    ReferralFactory,
    ServiceSessionFactory,
    SessionAttendanceFactory,
)
from wraparound.students.models import RaceEthnicity, Sex
from wraparound.students.tests.factories import StudentFactory, TierAssignmentFactory

from ..models import AttendanceMonth
from ..reports.extract import (
    QUASI_IDENTIFIERS,
    SUPPRESSED,
    build_extract,
    pseudonymizer,
    suppress_quasi_identifiers,
)
from .factories import make_school

pytestmark = pytest.mark.django_db

YEAR = 2027
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
IDENTIFYING = (
    "name",
    "given",
    "family",
    "birth",
    "sourced",
    "identifier",
    "email",
    "phone",
    "address",
    "student_id",
    "id",
)


def _month(student, school, month, enrolled=20, absent=1):
    AttendanceMonth.objects.create(
        network_id=student.network_id,
        student=student,
        school=school,
        month=month,
        enrolled_days=enrolled,
        absent_days=absent,
    )


def _rows(extract):
    return list(csv.DictReader(io.StringIO(extract.csv_text())))


def _qi_row(
    school="01M001", grade="06", race="hispanic", gender="female", el="no", swd="no", ed="yes"
):
    return dict(zip(QUASI_IDENTIFIERS, (school, grade, race, gender, el, swd, ed), strict=True))


# --- the quasi-identifier rule on hand-made rows --------------------------------------------------


def test_a_combination_of_ten_is_kept_as_it_is():
    rows = [_qi_row() for _ in range(10)]
    kept, dropped = suppress_quasi_identifiers(rows)
    assert dropped == 0 and all(r == _qi_row() for r in kept)


def test_the_rarest_attribute_of_a_small_combination_is_suppressed_first():
    # 12 Hispanic girls, 3 Asian girls, 7 White girls: the two small groups give up their race
    # (their rarest value) and together make a combination of ten.
    rows = [_qi_row() for _ in range(12)]
    rows += [_qi_row(race="asian") for _ in range(3)] + [_qi_row(race="white") for _ in range(7)]
    kept, dropped = suppress_quasi_identifiers(rows)
    assert dropped == 0
    assert Counter(r["race_ethnicity"] for r in kept) == {"hispanic": 12, SUPPRESSED: 10}
    # Nothing else was given up.
    assert {r["gender"] for r in kept} == {"female"} and {r["school_code"] for r in kept} == {
        "01M001"
    }


def test_a_small_group_that_cannot_hide_is_left_out_not_shown():
    # Three Asian girls beside twelve Hispanic girls: with their race suppressed they are still
    # three, and so on down to the school code; they are left out.
    rows = [_qi_row() for _ in range(12)] + [_qi_row(race="asian") for _ in range(3)]
    kept, dropped = suppress_quasi_identifiers(rows)
    assert dropped == 3 and len(kept) == 12
    assert all(r == _qi_row() for r in kept)


def test_coarsening_goes_on_until_ten_rows_share_the_combination_and_the_school_goes_last():
    # Two schools of 11 and 4 students with various groups.
    rows = [_qi_row(school="A", gender=("male" if i % 2 else "female")) for i in range(11)]
    rows += [_qi_row(school="B", grade="07", race="white") for _ in range(4)]
    kept, dropped = suppress_quasi_identifiers(rows)
    combos = Counter(tuple(r[a] for a in QUASI_IDENTIFIERS) for r in kept)
    assert min(combos.values()) >= 10
    # School B (4 students) cannot be shown at all: its rows lose their school code.
    assert "B" not in {r["school_code"] for r in kept}
    # School A's rows kept their school code: the school is given up last.
    assert Counter(r["school_code"] for r in kept)["A"] >= 10 or dropped


def test_rows_too_rare_even_with_everything_suppressed_are_left_out():
    rows = [_qi_row(school="A") for _ in range(10)] + [_qi_row(school="B") for _ in range(4)]
    kept, dropped = suppress_quasi_identifiers(rows)
    assert dropped == 4 and len(kept) == 10
    assert {r["school_code"] for r in kept} == {"A"}


def test_pseudonyms_are_keyed_by_the_salt():
    one, two = pseudonymizer(b"a" * 32), pseudonymizer(b"b" * 32)
    assert one(42) == one(42) and one(42) != two(42) and len(one(42)) == 16
    assert pseudonymizer()(42) != pseudonymizer()(42)  # a fresh random salt each time


# --- the extract from the database ----------------------------------------------------------------


@pytest.fixture
def school_of_twelve():
    school = make_school(code="01M100")
    students = [StudentFactory(school=school) for _ in range(12)]
    for s in students:
        _month(s, school, OCT, 20, 2)
        _month(s, school, NOV, 18, 0)
    return school, students


def test_no_identifier_leaves_and_the_figures_are_per_student_and_school(school_of_twelve):
    school, students = school_of_twelve
    pillar = TaxonomyTerm.objects.create(
        network=school.network, code="expanded-learning", name="Expanded learning"
    )
    tutoring = TaxonomyTerm.objects.create(
        network=school.network, code="tutoring", name="Tutoring", parent=pillar
    )
    service = ServiceFactory(organization__network=school.network)
    Attribute.objects.create(
        network=school.network,
        taxonomy_term=tutoring,
        link_entity="service",
        link_id=str(service.pk),
        service=service,
    )
    session = ServiceSessionFactory(
        school=school, service=service, date=dt.date(2026, 10, 5), duration_minutes=90
    )
    SessionAttendanceFactory(session=session, student=students[0])
    ReferralFactory(
        student=students[0],
        school=school,
        status=ReferralStatus.COMPLETED,
        sent_at=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC),
    )
    TierAssignmentFactory(
        student=students[0], school=school, tier=3, starts_on=dt.date(2026, 9, 1), ends_on=None
    )
    extract = build_extract(school.network, YEAR)
    rows = _rows(extract)
    assert len(rows) == 12
    header = list(rows[0])
    for column in header:
        assert not any(
            column == word or column.startswith(f"{word}_") or column.endswith(f"_{word}")
            for word in IDENTIFYING
        ), column
    text = extract.csv_text()
    for s in students:
        for value in (
            s.given_name,
            s.family_name,
            s.sourced_id,
            s.identifier,
            s.birth_date.isoformat(),
            s.email,
        ):
            assert f",{value}," not in f",{text.replace(chr(10), ',')},", value
    assert all(re.fullmatch(r"[0-9a-f]{16}", r["pseudonym"]) for r in rows)
    assert all(r["school_code"] == "01M100" for r in rows)
    assert all(r["enrolled_days"] == "38" and r["absent_days"] == "2" for r in rows)
    assert all(r["enrolled_days_2026_10"] == "20" and r["absent_days_2026_11"] == "0" for r in rows)
    served = [r for r in rows if r["referrals_sent"] == "1"]
    assert len(served) == 1
    assert served[0]["referrals_completed"] == "1"
    assert served[0]["hours_expanded_learning"] == "1.50"
    assert served[0]["tier_max"] == "3"
    assert sum(r["hours_other"] != "0.00" for r in rows) == 0


def test_pseudonyms_differ_between_extracts_and_hold_within_one(school_of_twelve):
    school, students = school_of_twelve
    mover = students[0]
    other = make_school(network=school.network, community=school.community, code="01M101")
    _month(mover, other, dt.date(2027, 2, 1), 20, 0)
    first = _rows(build_extract(school.network, YEAR))
    second = _rows(build_extract(school.network, YEAR))
    ids_first = {r["pseudonym"] for r in first}
    ids_second = {r["pseudonym"] for r in second}
    assert len(ids_first) == 12 and not ids_first & ids_second
    # The mover's two rows (one per school; the second school's single row is too rare and
    # loses its school code, but the row stays in a combination of ten only if it can) share
    # one pseudonym within the extract.
    per_pseudonym = Counter(r["pseudonym"] for r in first)
    assert all(count <= 2 for count in per_pseudonym.values())


def test_a_group_of_three_never_appears_in_the_extract():
    school = make_school(code="01M200")
    for _ in range(20):
        _month(StudentFactory(school=school), school, OCT)
    for _ in range(3):
        s = StudentFactory(school=school, race_ethnicity=RaceEthnicity.ASIAN, sex=Sex.MALE)
        _month(s, school, OCT, 20, 13)
    rows = _rows(build_extract(school.network, YEAR))
    assert "asian" not in {r["race_ethnicity"] for r in rows}
    assert "male" not in {r["gender"] for r in rows}
    combos = Counter(tuple(r[a] for a in QUASI_IDENTIFIERS) for r in rows)
    assert min(combos.values()) >= 10
