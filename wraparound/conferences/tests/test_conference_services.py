"""Recording and changing a conference: the consent rule, the team's rows, who may facilitate,
optimistic locking and the audit record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.conferences import conference_services as services
from wraparound.conferences.models import FamilyTeamConference
from wraparound.conferences.tests.world import conference_in, conference_world
from wraparound.core.models import AuditEvent
from wraparound.students.tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db


def test_create_records_everything(t1: Any) -> None:
    cw = conference_world(t1)
    c = cw.conference
    assert c.status == "held" and c.facilitator == cw.users["staff"]
    assert c.facilitator_organization is None
    assert c.participants.count() == 4
    tutor = c.participants.get(user=cw.users["partner_staff_a"])
    assert tutor.organization == t1.org_a and tutor.organization_name == t1.org_a.name
    assert c.needs.get().domain == "academics"
    assert c.actions.get().owner == cw.users["staff"]
    assert list(c.referrals.all()) == [cw.w.to_a]
    event = AuditEvent.objects.get(action="conferences.conference.create")
    assert event.data["participants"] == 4
    # Counts only: nothing the family said goes to the audit log.
    assert "drawing" not in str(event.data)


def test_held_needs_consent(t1: Any) -> None:
    w = conference_world(t1).w
    data = conference_in(w, consent_given_by="", consent_method="", consent_given_at=None)
    with pytest.raises(ValidationError) as e:
        services.conference_create(
            user=w.users["staff"], school=t1.schools[0], student=w.own, data=data
        )
    assert "consent" in e.value.message_dict
    assert "only with the family's consent" in e.value.message_dict["consent"][0]
    # Planned without consent is fine (consent is taken at the meeting).
    data.status = "planned"
    data.held_on = t1.network.today() + dt.timedelta(days=3)
    c = services.conference_create(
        user=w.users["staff"], school=t1.schools[0], student=w.own, data=data
    )
    assert c.status == "planned" and not c.has_consent


def test_verbal_consent_needs_a_witness(t1: Any) -> None:
    w = conference_world(t1).w
    with pytest.raises(ValidationError) as e:
        services.conference_create(
            user=w.users["staff"],
            school=t1.schools[0],
            student=w.own,
            data=conference_in(w, consent_witness=""),
        )
    assert "consent_witness" in e.value.message_dict


def test_consent_on_file_must_cover_partners_present(t1: Any) -> None:
    w = conference_world(t1).w
    to_b_only = ConsentFactory(student=w.own, recipient_organization=t1.org_b)
    data = conference_in(w, consent=to_b_only, consent_given_by="", consent_method="")
    with pytest.raises(ValidationError) as e:
        services.conference_create(
            user=w.users["staff"], school=t1.schools[0], student=w.own, data=data
        )
    assert t1.org_a.name in e.value.message_dict["consent"][0]
    class_consent: Any = ConsentFactory(
        student=w.own, recipient_organization=None, recipient_description="the team"
    )
    data.consent = class_consent
    c = services.conference_create(
        user=w.users["staff"], school=t1.schools[0], student=w.own, data=data
    )
    assert c.consent == class_consent and c.consent_method == ""


def test_consent_of_another_student_refused(t1: Any) -> None:
    w = conference_world(t1).w
    data = conference_in(w, consent=w.consent_b, consent_given_by="", consent_method="")
    with pytest.raises(ValidationError) as e:
        services.conference_create(
            user=w.users["staff"], school=t1.schools[0], student=w.own, data=data
        )
    assert "another student" in e.value.message_dict["consent"][0]


def test_rows_are_checked(t1: Any, t2: Any) -> None:
    w = conference_world(t1).w
    data = conference_in(
        w,
        participants=[
            services.ParticipantIn(kind="staff", user=t2.users["staff"]),
            services.ParticipantIn(kind="family", name=""),
            services.ParticipantIn(kind="agency", name="Jo Case"),
        ],
        actions=[services.ActionIn(description="", owner=t2.users["staff"])],
        referrals=[w.to_b],
    )
    with pytest.raises(ValidationError) as e:
        services.conference_create(
            user=w.users["staff"], school=t1.schools[0], student=w.own, data=data
        )
    errors = e.value.message_dict
    assert len(errors["participants"]) == 3
    assert "does not work in this network" in errors["participants"][0]
    assert len(errors["actions"]) == 2
    assert "not this family's" in errors["referrals"][0]
    assert FamilyTeamConference.objects.count() == 1


def test_who_may_facilitate(t1: Any) -> None:
    w = conference_world(t1).w
    school = t1.schools[0]
    for name in ("network_admin", "principal", "evaluator", "partner_staff_b", "outsider"):
        with pytest.raises(PermissionDenied):
            services.conference_create(
                user=w.users[name], school=school, student=w.own, data=conference_in(w)
            )
    # Partner staff of an organization serving the student may facilitate.
    c = services.conference_create(
        user=w.users["partner_staff_a"],
        school=school,
        student=w.own,
        data=conference_in(w, participants=[], actions=[]),
    )
    assert c.facilitator_organization == t1.org_a


def test_family_conference(t1: Any) -> None:
    w = conference_world(t1).w
    guardian = w.consented.guardian_links.get().guardian
    c = services.conference_create(
        user=w.users["coordinator"],
        school=t1.schools[0],
        student=None,
        guardian=guardian,
        data=conference_in(w, participants=[], referrals=[w.to_b], actions=[]),
    )
    assert c.guardian == guardian and c.student is None


def test_update_is_optimistic(t1: Any) -> None:
    cw = conference_world(t1)
    c = cw.conference
    partner_copy = FamilyTeamConference.objects.get(pk=c.pk)
    data = conference_in(cw.w, decisions="Add a mentor.")
    services.conference_update(user=cw.users["staff"], conference=c, expected_version=1, data=data)
    c.refresh_from_db()
    assert c.version == 2 and c.decisions == "Add a mentor."
    with pytest.raises(services.ConferenceConflict):
        services.conference_update(
            user=cw.users["partner_staff_a"],
            conference=partner_copy,
            expected_version=1,
            data=conference_in(cw.w, decisions="Something else"),
        )
    c.refresh_from_db()
    assert c.decisions == "Add a mentor."


def test_update_by_absent_or_supervisor_refused(t1: Any) -> None:
    cw = conference_world(t1)
    for name in ("coordinator", "supervisor", "network_admin"):
        with pytest.raises(PermissionDenied):
            services.conference_update(
                user=cw.users[name],
                conference=cw.conference,
                expected_version=1,
                data=conference_in(cw.w),
            )
