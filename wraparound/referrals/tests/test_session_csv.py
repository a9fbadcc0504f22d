from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent
from wraparound.referrals.models import ServiceSession, SessionAttendance
from wraparound.referrals.session_csv import COLUMNS, sessions_import_csv
from wraparound.students.tests.factories import StudentFactory

from .session_world import SessionWorld, build

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


@pytest.fixture
def sw(t1: Any, t2: Any) -> SessionWorld:
    return build(t1, t2)


def _file(sw: SessionWorld, *rows: str) -> bytes:
    return ("\ufeff" + HEADER + "\n" + "\n".join(rows) + "\n").encode()


def _good(sw: SessionWorld) -> bytes:
    day = sw.today.isoformat()
    svc = sw.w.service_a.pk
    return _file(
        sw,
        f"{day},15:30,60,in_person,Library,{svc},{sw.w.own.sourced_id},yes,,Fractions,G1",
        f"{day},15:30,60,in_person,Library,{svc},{sw.w.consented.identifier},yes,30,Fractions,G1",
        f"{day},15:30,60,in_person,Library,{svc},{sw.sibling.sourced_id},no,,Fractions,G1",
        f"{day},10:00,30,virtual,,{svc},{sw.w.own.sourced_id},,,Check-in,",
    )


def _import(sw: SessionWorld, data: bytes, dry_run: bool, persona: str = "partner_staff_a") -> Any:
    return sessions_import_csv(
        user=sw.users[persona],
        school=sw.school,
        organization=sw.t1.org_a,
        file=data,
        dry_run=dry_run,
    )


def test_a_dry_run_checks_and_writes_nothing(sw: SessionWorld) -> None:
    result = _import(sw, _good(sw), dry_run=True)
    assert result.ok and (result.rows, result.sessions, result.attendance) == (4, 2, 4)
    assert not ServiceSession.objects.exists()


def test_a_valid_file_writes_a_group_and_an_individual_session(sw: SessionWorld) -> None:
    result = _import(sw, _good(sw), dry_run=False)
    assert result.ok and len(result.session_ids) == 2
    group = ServiceSession.objects.get(kind="group")
    assert (group.duration_minutes, group.place, group.partnership) == (
        60,
        "Library",
        sw.w.partnership_a,
    )
    assert {(a.student_id, a.present, a.minutes) for a in group.attendance.all()} == {
        (sw.w.own.pk, True, None),
        (sw.w.consented.pk, True, 30),
        (sw.sibling.pk, False, None),
    }
    single = ServiceSession.objects.get(kind="individual")
    assert single.modality == "virtual"
    assert single.attendance.get().referral == sw.w.to_a
    assert AuditEvent.objects.get(action="session.import").data["sessions"] == 2


def test_row_level_errors_name_row_and_column_and_nothing_is_written(sw: SessionWorld) -> None:
    day = sw.today.isoformat()
    svc = sw.w.service_a.pk
    stranger = StudentFactory(school=sw.school)
    data = _file(
        sw,
        f"{day},15:30,60,in_person,Library,{svc},{sw.w.own.sourced_id},yes,,x,",  # valid
        f"2026-13-01,15:30,60,in_person,,{svc},{sw.w.own.sourced_id},yes,,x,",
        f"{day},15:30,0,in_person,,{svc},{sw.w.own.sourced_id},yes,,x,",
        f"{day},15:30,60,in_person,,{svc},{stranger.sourced_id},yes,,x,",
        f"{day},15:30,60,in_person,,{svc},{sw.w.own.sourced_id},maybe,,x,",
        f"{day},15:30,60,in_person,,{sw.w.service_b.pk},{sw.w.own.sourced_id},yes,,x,",
        f"{day},15:30,60,in_person,,{svc},{sw.w.own.sourced_id},yes,,x,G",
        f"{day},16:30,60,in_person,,{svc},{sw.sibling.sourced_id},yes,,x,G",
    )
    result = _import(sw, data, dry_run=False)
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "date"),
        (4, "duration_minutes"),
        (5, "student_id"),
        (6, "present"),
        (7, "service_id"),
        (9, "start_time"),
    }
    by_row = {e.row: e.message for e in result.errors}
    assert stranger.sourced_id in by_row[5]
    assert "disagree on start_time" in by_row[9]
    assert not ServiceSession.objects.exists()
    assert not SessionAttendance.objects.exists()


def test_service_level_refusals_come_back_on_the_row(sw: SessionWorld) -> None:
    day = sw.today.isoformat()
    svc = sw.w.service_a.pk
    data = _file(
        sw,
        f"{day},15:30,60,in_person,,{svc},{sw.w.own.sourced_id},yes,90,x,",
        f"2030-01-01,15:30,60,in_person,,{svc},{sw.w.own.sourced_id},yes,,x,",
    )
    result = _import(sw, data, dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "student_id"), (3, "date")]
    assert "future" in result.errors[1].message


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("date,student_id", "missing columns"),
        (HEADER + ",colour", "unknown columns: colour"),
    ],
)
def test_a_wrong_header_is_refused(sw: SessionWorld, header: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _import(sw, (header + "\n").encode(), dry_run=True)


def test_an_empty_or_undecodable_file_is_refused(sw: SessionWorld) -> None:
    with pytest.raises(ValidationError, match="no rows"):
        _import(sw, (HEADER + "\n").encode(), dry_run=True)
    with pytest.raises(ValidationError, match="UTF-8"):
        _import(sw, b"\xff\xfe\x00d", dry_run=True)


@pytest.mark.parametrize("persona", ["partner_staff_b", "coordinator", "outsider"])
def test_only_the_organizations_users_upload(sw: SessionWorld, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        _import(sw, _good(sw), dry_run=False, persona=persona)
    assert not ServiceSession.objects.exists()


def test_a_school_file_may_log_without_a_service(sw: SessionWorld) -> None:
    student = StudentFactory(school=sw.school)
    data = _file(sw, f"{sw.today.isoformat()},,40,in_person,Office,,{student.sourced_id},,,,")
    result = sessions_import_csv(
        user=sw.users["staff"], school=sw.school, organization=None, file=data, dry_run=False
    )
    assert result.ok
    session = ServiceSession.objects.get()
    assert session.organization is None and session.service is None
    assert session.attendance.get().student == student
