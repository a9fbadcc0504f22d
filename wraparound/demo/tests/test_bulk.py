"""The demo's bulk writer (`demo.bulk`): rows come back as they were given, whichever way they
went out (COPY on PostgreSQL, multi-row INSERT on SQLite), and foreign keys checked at the end
of a block catch what the row-by-row checks would."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from wraparound.core.tests.factories import OrganizationFactory, SchoolFactory, UserFactory
from wraparound.demo.bulk import KeyedRows, foreign_keys_checked_at_end
from wraparound.students.models import (
    Consent,
    ConsentMethod,
    ConsentStatus,
    Guardian,
    Student,
    StudentGuardian,
)
from wraparound.students.tests.factories import GuardianFactory, StudentFactory

pytestmark = pytest.mark.django_db

# Text that COPY's format and SQL quoting each have to escape.
AWKWARD = ["tab\there", "two\nlines", "back\\slash", "\\N", "NULL", "it's", "Nguyễn Çelik", ""]


def test_keyed_rows_come_back_as_given_with_the_keys_handed_out() -> None:
    school = SchoolFactory.create()
    network = school.network
    before = StudentFactory.create(school=school, network=network)
    students = KeyedRows(Student, chunk=3)  # several flushes, and a part-filled last one
    given = {}
    for n, name in enumerate(AWKWARD):
        pk = students.add(
            network_id=network.pk,
            school_id=school.pk,
            sourced_id=f"s-{n}",
            given_name=name,
            family_name=name[::-1],
            birth_date=dt.date(2014, 1, 1) + dt.timedelta(days=n) if n % 2 else None,
            english_learner=[True, False, None][n % 3],
            is_active=True,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        given[pk] = (name, name[::-1], n)
    assert students.finish() == len(AWKWARD)

    assert min(given) == before.pk + 1
    rows = Student.objects.filter(pk__in=given).order_by("pk")
    assert [r.pk for r in rows] == sorted(given)
    for r in rows:
        name, reversed_name, n = given[r.pk]
        assert (r.given_name, r.family_name) == (name, reversed_name)
        assert r.birth_date == (dt.date(2014, 1, 1) + dt.timedelta(days=n) if n % 2 else None)
        assert r.english_learner is [True, False, None][n % 3]
        assert r.grade == "" and r.middle_name == ""  # fields not given take their default
    # The table's key sequence has moved past the keys handed out.
    after = StudentFactory.create(school=school, network=network)
    assert after.pk > max(given)


def test_json_dates_and_times_survive_the_trip() -> None:
    student = StudentFactory.create()
    guardian = GuardianFactory.create(network=student.network)
    org = OrganizationFactory.create(network=student.network)
    user = UserFactory.create()
    signed = dt.datetime(2026, 10, 3, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    consents = KeyedRows(Consent)
    pk = consents.add(
        network_id=student.network_id,
        school_id=student.school_id,
        student_id=student.pk,
        guardian_id=guardian.pk,
        data_elements=["name", "grade", 'a "quoted"\tvalue'],
        purpose="To arrange services.\nSecond line.",
        recipient_organization_id=org.pk,
        status=ConsentStatus.SIGNED,
        method=ConsentMethod.PAPER,
        signed_at=signed,
        effective_on=dt.date(2026, 10, 1),
        created_by_id=user.pk,
        created_at=signed,
    )
    consents.finish()

    consent = Consent.objects.get(pk=pk)
    assert consent.data_elements == ["name", "grade", 'a "quoted"\tvalue']
    assert consent.purpose == "To arrange services.\nSecond line."
    assert consent.signed_at == signed
    assert consent.effective_on == dt.date(2026, 10, 1)
    assert consent.expires_on is None and consent.signature_ip is None
    assert consent.language == "en"  # the field's default


# PostgreSQL's path: `.ci/run`'s PostgreSQL pass runs these; on SQLite they are deselected
# (conftest.py), not skipped.
postgres_only = pytest.mark.postgresql


def _replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        return str(cursor.fetchone()[0])


def _may_skip_triggers() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            transaction.set_rollback(True)
    except DatabaseError:
        return False
    return True


def _link(student: Student, guardian_id: int) -> None:
    links = KeyedRows(StudentGuardian)
    links.add(student_id=student.pk, guardian_id=guardian_id, relationship="parent")
    links.finish()


def _missing_guardian() -> int:
    return (Guardian.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


@postgres_only
def test_a_row_that_refers_to_no_row_fails_the_block() -> None:
    assert _may_skip_triggers(), "the tests run as a role that may (a superuser, as in CI)"
    student = StudentFactory.create()
    guardian = GuardianFactory.create(network=student.network)
    with foreign_keys_checked_at_end([StudentGuardian]):
        assert _replication_role() == "replica"
        _link(student, guardian.pk)  # good rows pass
    assert _replication_role() == "origin"

    with (
        pytest.raises(IntegrityError, match="students_studentguardian refer by guardian_id"),
        foreign_keys_checked_at_end([StudentGuardian]),
    ):
        _link(student, _missing_guardian())
    assert _replication_role() == "origin"
    assert StudentGuardian.objects.filter(student=student).count() == 1


@postgres_only
def test_after_the_block_rows_are_checked_one_by_one_again() -> None:
    student = StudentFactory.create()
    with foreign_keys_checked_at_end([StudentGuardian]):
        pass
    with transaction.atomic():
        _link(student, _missing_guardian())
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)


def _as_a_role_without_the_privilege() -> None:
    """The rest of the test's transaction as a role that may write the tables but not turn
    row triggers off. Rolling the test's transaction back drops the role, its grants and the
    SET."""
    role = f"bulk_test_{uuid.uuid4().hex[:12]}"
    tables = ", ".join(m._meta.db_table for m in (Student, Guardian, StudentGuardian))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(f"GRANT ALL ON {tables} TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")


@postgres_only
def test_without_the_privilege_the_usual_checks_run() -> None:
    student = StudentFactory.create()
    _as_a_role_without_the_privilege()
    assert not _may_skip_triggers()
    with transaction.atomic():
        with foreign_keys_checked_at_end([StudentGuardian]):
            assert _replication_role() == "origin"
            _link(student, _missing_guardian())  # no error yet: checked at COMMIT as ever
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
