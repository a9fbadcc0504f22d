from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wraparound.core.models import AuditEvent
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.referrals import session_services as services
from wraparound.referrals.models import ServiceSession, SessionAttendance
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory

from .session_world import SessionWorld, build, group_args

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(t1: Any, t2: Any) -> SessionWorld:
    return build(t1, t2)


def test_partner_logs_a_group_session_for_its_roster(sw: SessionWorld) -> None:
    user = sw.users["partner_staff_a"]
    session = services.session_log(user=user, **group_args(sw))
    assert session.organization == sw.t1.org_a
    assert session.partnership == sw.w.partnership_a
    assert session.logged_by == user
    rows = {r.student_id: r for r in session.attendance.all()}
    assert set(rows) == {sw.w.own.pk, sw.w.consented.pk, sw.sibling.pk}
    assert rows[sw.w.own.pk].referral == sw.w.to_a
    assert rows[sw.w.consented.pk].referral == sw.ben_to_a
    assert rows[sw.w.consented.pk].minutes == 30
    assert rows[sw.sibling.pk].present is False
    event = AuditEvent.objects.get(action="session.log")
    assert event.data["present"] == 2 and event.data["students"] == 3
    # The referral's state is the referral services' business.
    sw.w.to_a.refresh_from_db()
    sw.ben_to_a.refresh_from_db()
    assert sw.ben_to_a.status == "accepted"


def test_a_student_not_on_the_roster_is_refused_by_id_and_nothing_is_written(
    sw: SessionWorld,
) -> None:
    stranger = StudentFactory(school=sw.school)
    attendance = [(sw.w.own.pk, True, None), (stranger.pk, True, None)]
    with pytest.raises(ValidationError) as caught:
        services.session_log(
            user=sw.users["partner_staff_a"], **group_args(sw, attendance=attendance)
        )
    assert f"Student {stranger.pk} is not on this session's roster." in caught.value.messages
    assert not ServiceSession.objects.exists()
    assert not SessionAttendance.objects.exists()


def test_a_referral_only_sent_is_not_on_the_roster(sw: SessionWorld) -> None:
    waiting = StudentFactory(school=sw.school)
    ReferralFactory(
        student=waiting, service=sw.w.service_a, referred_by=sw.users["coordinator"]
    )  # sent, not yet accepted
    with pytest.raises(ValidationError, match=f"Student {waiting.pk} is not on"):
        services.session_log(
            user=sw.users["partner_staff_a"],
            **group_args(sw, attendance=[(waiting.pk, True, None)]),
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_minutes", 0, "from 1 to 600"),
        ("duration_minutes", 601, "from 1 to 600"),
        ("modality", "by_pigeon", "in person or virtual"),
        ("kind", "crowd", "individual or group"),
    ],
)
def test_bad_details_are_refused(sw: SessionWorld, field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.session_log(user=sw.users["partner_staff_a"], **group_args(sw, **{field: value}))
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not ServiceSession.objects.exists()


def test_a_future_date_and_a_date_before_the_school_year_are_refused(sw: SessionWorld) -> None:
    user = sw.users["partner_staff_a"]
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.session_log(user=user, **group_args(sw, date=sw.today + dt.timedelta(days=1)))
    year_start = sw.w.partnership_a.school_year.start_date
    with pytest.raises(ValidationError, match="before this school year"):
        services.session_log(user=user, **group_args(sw, date=year_start - dt.timedelta(days=1)))
    session = services.session_log(user=user, **group_args(sw, date=year_start))
    assert session.date == year_start


def test_minutes_beyond_the_session_are_refused(sw: SessionWorld) -> None:
    with pytest.raises(ValidationError, match="between 0 and the session's 60"):
        services.session_log(
            user=sw.users["partner_staff_a"],
            **group_args(sw, attendance=[(sw.w.own.pk, True, 61)]),
        )


def test_a_student_listed_twice_is_refused(sw: SessionWorld) -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        services.session_log(
            user=sw.users["partner_staff_a"],
            **group_args(sw, attendance=[(sw.w.own.pk, True, None), (sw.w.own.pk, False, None)]),
        )


@pytest.mark.parametrize(
    "persona",
    ["partner_staff_b", "network_admin", "coordinator", "staff", "evaluator", "outsider"],
)
def test_only_the_organizations_users_log_its_sessions(sw: SessionWorld, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.session_log(user=sw.users[persona], **group_args(sw))
    assert not ServiceSession.objects.exists()


def test_the_partner_admin_may_log_too(sw: SessionWorld) -> None:
    session = services.session_log(user=sw.users["partner_admin"], **group_args(sw))
    assert session.attendance.count() == 3


def test_a_partner_needs_a_partnership_or_referrals_at_the_school(sw: SessionWorld) -> None:
    with pytest.raises(ValidationError) as caught:
        services.session_log(
            user=sw.users["partner_staff_a"],
            **group_args(sw, school=sw.t1.schools[2], attendance=[(sw.w.own.pk, True, None)]),
        )
    assert "school" in caught.value.message_dict


def test_a_partner_may_only_name_its_own_services(sw: SessionWorld) -> None:
    with pytest.raises(ValidationError) as caught:
        services.session_log(
            user=sw.users["partner_staff_a"], **group_args(sw, service=sw.w.service_b)
        )
    assert "service" in caught.value.message_dict


def test_another_tenants_school_is_refused(sw: SessionWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.session_log(
            user=sw.users["partner_staff_a"], **group_args(sw, school=sw.t2.schools[0])
        )


def test_an_individual_session_records_exactly_one_student(sw: SessionWorld) -> None:
    user = sw.users["partner_staff_a"]
    with pytest.raises(ValidationError, match="exactly one student"):
        services.session_log(user=user, **group_args(sw, kind="individual"))
    session = services.session_log(
        user=user, **group_args(sw, kind="individual", attendance=[(sw.w.own.pk, True, None)])
    )
    assert session.kind == "individual"
    assert session.attendance.get().referral == sw.w.to_a


def test_school_staff_log_an_individual_session_with_any_student_of_the_school(
    sw: SessionWorld,
) -> None:
    student = StudentFactory(school=sw.school)
    session = services.session_log(
        user=sw.users["staff"],
        **group_args(
            sw,
            organization=None,
            service=None,
            kind="individual",
            attendance=[(student.pk, True, None)],
        ),
    )
    assert session.organization is None and session.partnership is None
    assert session.attendance.get().referral is None
    elsewhere = StudentFactory(school=sw.t1.schools[1])
    with pytest.raises(ValidationError, match="not on this session's roster"):
        services.session_log(
            user=sw.users["staff"],
            **group_args(
                sw,
                organization=None,
                service=None,
                kind="individual",
                attendance=[(elsewhere.pk, True, None)],
            ),
        )


def test_a_school_group_session_needs_a_service(sw: SessionWorld) -> None:
    with pytest.raises(ValidationError, match="group session takes attendance"):
        services.session_log(
            user=sw.users["staff"], **group_args(sw, organization=None, service=None)
        )
    session = services.session_log(user=sw.users["staff"], **group_args(sw, organization=None))
    assert session.organization is None
    assert session.attendance.count() == 3


@pytest.mark.parametrize("persona", ["principal", "partner_staff_a", "evaluator", "outsider"])
def test_who_may_not_log_school_sessions(sw: SessionWorld, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.session_log(user=sw.users[persona], **group_args(sw, organization=None))


def _update_args(sw: SessionWorld, **overrides: Any) -> dict[str, Any]:
    args = group_args(sw, **overrides)
    for name in ("school", "organization", "service", "kind"):
        args.pop(name)
    return args


def test_update_replaces_details_and_attendance(sw: SessionWorld) -> None:
    user = sw.users["partner_staff_a"]
    session = services.session_log(user=user, **group_args(sw))
    services.session_update(
        user=user,
        session=session,
        **_update_args(
            sw,
            duration_minutes=90,
            attendance=[(sw.w.own.pk, False, None), (sw.sibling.pk, True, 45)],
        ),
    )
    session.refresh_from_db()
    assert session.duration_minutes == 90
    assert {(r.student_id, r.present, r.minutes) for r in session.attendance.all()} == {
        (sw.w.own.pk, False, None),
        (sw.sibling.pk, True, 45),
    }
    assert AuditEvent.objects.filter(action="session.update").count() == 1


def test_a_student_who_left_the_roster_stays_correctable(sw: SessionWorld) -> None:
    user = sw.users["partner_staff_a"]
    session = services.session_log(user=user, **group_args(sw))
    sw.w.to_a.status = "completed"
    sw.w.to_a.save(update_fields=["status"])
    services.session_update(
        user=user, session=session, **_update_args(sw, attendance=[(sw.w.own.pk, True, 20)])
    )
    assert session.attendance.get().minutes == 20


def test_who_may_change_or_delete_a_session(sw: SessionWorld) -> None:
    session = services.session_log(user=sw.users["partner_staff_a"], **group_args(sw))
    colleague = UserFactory()
    MembershipFactory(
        user=colleague, role=Role.PARTNER_STAFF, network=sw.t1.network, organization=sw.t1.org_a
    )
    for user in (colleague, sw.users["partner_staff_b"], sw.users["coordinator"]):
        with pytest.raises(PermissionDenied):
            services.session_update(user=user, session=session, **_update_args(sw))
        with pytest.raises(PermissionDenied):
            services.session_delete(user=user, session=session)
    services.session_update(user=sw.users["partner_admin"], session=session, **_update_args(sw))
    services.session_delete(user=sw.users["partner_admin"], session=session)
    assert not ServiceSession.objects.exists()
    assert AuditEvent.objects.filter(action="session.delete").count() == 1


def test_school_coordinators_change_school_sessions(sw: SessionWorld) -> None:
    session = services.session_log(user=sw.users["staff"], **group_args(sw, organization=None))
    with pytest.raises(PermissionDenied):
        services.session_delete(user=sw.users["partner_admin"], session=session)
    services.session_delete(user=sw.users["coordinator"], session=session)
    assert not ServiceSession.objects.exists()


def test_changes_close_after_thirty_days(sw: SessionWorld) -> None:
    user = sw.users["partner_staff_a"]
    session = services.session_log(user=user, **group_args(sw))
    ServiceSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    session.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.session_update(user=user, session=session, **_update_args(sw))
    with pytest.raises(PermissionDenied):
        services.session_delete(user=sw.users["partner_admin"], session=session)
    assert ServiceSession.objects.filter(pk=session.pk).exists()
