"""Starting (with copy-forward) and submitting assessments, and recording a draft's needs, assets
and participants, for every role."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.assessments.models import (
    AssessmentStatus,
    Need,
    NeedsAssessment,
    Participant,
    ParticipantRole,
    Tier,
)
from wraparound.assessments.services import (
    AssessmentLocked,
    assessment_start,
    assessment_submit,
    asset_create,
    asset_delete,
    asset_update,
    need_create,
    need_delete,
    need_update,
    participant_create,
    participant_delete,
)
from wraparound.core.models import AuditEvent, SchoolYear
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default


def year(network, end_year):
    return SchoolYear.objects.create(
        network=network,
        end_year=end_year,
        start_date=dt.date(end_year - 1, 9, 10),
        end_date=dt.date(end_year, 6, 25),
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_start_the_schools_assessment(t1, persona):
    school = t1.schools[0]
    user = t1.users[persona]
    if persona in {"network_admin", "coordinator", "principal"}:
        assert assessment_start(actor=user, school=school, school_year=year(t1.network, 2027))
    else:
        with pytest.raises(PermissionDenied):
            assessment_start(actor=user, school=school, school_year=year(t1.network, 2027))


def test_another_networks_admin_may_not_start_it(t1, t2):
    with pytest.raises(PermissionDenied):
        assessment_start(
            actor=t2.users["network_admin"],
            school=t1.schools[0],
            school_year=year(t1.network, 2027),
        )


def test_copy_forward_brings_last_years_needs_and_participants(t1):
    taxonomy_ensure_default(network=t1.network)
    coordinator, school = t1.users["coordinator"], t1.schools[0]
    last = assessment_start(actor=coordinator, school=school, school_year=year(t1.network, 2026))
    tutoring = TaxonomyTerm.objects.get(network=t1.network, code="tutoring")
    Need.objects.create(
        assessment=last, severity=4, tier=Tier.SMALL_GROUP, students=30, category=tutoring
    )
    Participant.objects.create(
        assessment=last, role=ParticipantRole.FAMILY, name="Survey", count=80
    )
    this = assessment_start(
        actor=coordinator, school=school, school_year=year(t1.network, 2027), copy_forward=True
    )
    assert this.copied_from == last
    assert [(n.severity, n.students) for n in this.needs.all()] == [(4, 30)]
    assert [(p.name, p.count) for p in this.participants.all()] == [("Survey", 80)]
    assert last.needs.count() == 1  # the old year is untouched
    assert AuditEvent.objects.filter(action="assessment.start").count() == 2


def test_start_refuses_a_second_assessment_and_a_copy_with_nothing_to_copy(t1):
    coordinator, school = t1.users["coordinator"], t1.schools[0]
    y = year(t1.network, 2027)
    with pytest.raises(ValidationError, match="no earlier assessment"):
        assessment_start(actor=coordinator, school=school, school_year=y, copy_forward=True)
    assessment_start(actor=coordinator, school=school, school_year=y)
    with pytest.raises(ValidationError) as caught:
        assessment_start(actor=coordinator, school=school, school_year=y)
    assert "already has an assessment" in str(caught.value)
    assert NeedsAssessment.objects.count() == 1


def test_only_the_principal_submits_and_only_a_complete_assessment(t1):
    taxonomy_ensure_default(network=t1.network)
    school = t1.schools[0]
    a = assessment_start(
        actor=t1.users["coordinator"], school=school, school_year=year(t1.network, 2027)
    )
    with pytest.raises(PermissionDenied):
        assessment_submit(actor=t1.users["coordinator"], assessment=a)
    with pytest.raises(ValidationError) as caught:
        assessment_submit(actor=t1.users["principal"], assessment=a)
    assert caught.value.messages == ["Record at least one need.", "Record who took part."]
    tutoring = TaxonomyTerm.objects.get(network=t1.network, code="tutoring")
    Need.objects.create(
        assessment=a, severity=3, tier=Tier.SCHOOL_WIDE, students=400, category=tutoring
    )
    Participant.objects.create(assessment=a, role=ParticipantRole.PRINCIPAL, name="Principal")
    done = assessment_submit(actor=t1.users["principal"], assessment=a)
    assert done.status == AssessmentStatus.SUBMITTED and done.submitted_by == t1.users["principal"]
    with pytest.raises(ValidationError, match="already submitted"):
        assessment_submit(actor=t1.users["principal"], assessment=a)


# --- needs, assets, participants of a draft ------------------------------------------------------


@pytest.fixture
def draft(t1):
    taxonomy_ensure_default(network=t1.network)
    return assessment_start(
        actor=t1.users["coordinator"], school=t1.schools[0], school_year=year(t1.network, 2027)
    )


def tutoring_of(network):
    return TaxonomyTerm.objects.get(network=network, code="tutoring")


def a_need(network, **overrides):
    data = {"category": tutoring_of(network), "severity": 4, "tier": 2, "students": 25}
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_record_needs_assets_and_participants(t1, draft, persona):
    user = t1.users[persona]
    if persona in {"network_admin", "coordinator", "principal"}:
        need = need_create(actor=user, assessment=draft, data=a_need(t1.network))
        asset = asset_create(
            actor=user,
            assessment=draft,
            data={"kind": "staff", "category": tutoring_of(t1.network), "name": "Tutor"},
        )
        participant = participant_create(
            actor=user, assessment=draft, data={"role": "staff", "name": "Teachers", "count": 5}
        )
        need_update(actor=user, need=need, data={"students": 30})
        asset_update(actor=user, asset=asset, data={"students": 8})
        need_delete(actor=user, need=need)
        asset_delete(actor=user, asset=asset)
        participant_delete(actor=user, participant=participant)
        assert not (draft.needs.exists() or draft.assets.exists() or draft.participants.exists())
        actions = list(
            AuditEvent.objects.filter(actor=user).order_by("pk").values_list("action", flat=True)
        )
        assert actions[-8:] == [
            "assessment.need_create",
            "assessment.asset_create",
            "assessment.participant_create",
            "assessment.need_update",
            "assessment.asset_update",
            "assessment.need_delete",
            "assessment.asset_delete",
            "assessment.participant_delete",
        ]
    else:
        with pytest.raises(PermissionDenied):
            need_create(actor=user, assessment=draft, data=a_need(t1.network))
        with pytest.raises(PermissionDenied):
            participant_create(
                actor=user, assessment=draft, data={"role": "staff", "name": "X", "count": 1}
            )
        assert not draft.needs.exists() and not draft.participants.exists()


def test_another_networks_admin_records_nothing(t1, t2, draft):
    with pytest.raises(PermissionDenied):
        need_create(actor=t2.users["network_admin"], assessment=draft, data=a_need(t1.network))


def test_impossible_needs_are_refused_field_by_field(t1, t2, draft):
    taxonomy_ensure_default(network=t2.network)
    bad = a_need(
        t2.network,
        severity=9,
        tier=4,
        students=0,
        grade_low="08",
        grade_high="03",
        languages=["es", "xx"],
    )
    with pytest.raises(ValidationError) as caught:
        need_create(actor=t1.users["coordinator"], assessment=draft, data=bad)
    assert set(caught.value.message_dict) == {
        "category",
        "severity",
        "tier",
        "students",
        "grade_high",
        "languages",
    }
    assert caught.value.message_dict["languages"] == ["“xx” is not a language this form knows."]
    assert not Need.objects.exists()
    assert not AuditEvent.objects.filter(action="assessment.need_create").exists()


def test_a_bad_update_changes_nothing(t1, draft):
    need = need_create(actor=t1.users["coordinator"], assessment=draft, data=a_need(t1.network))
    with pytest.raises(ValidationError) as caught:
        need_update(actor=t1.users["coordinator"], need=need, data={"students": 0, "severity": 7})
    assert set(caught.value.message_dict) == {"students", "severity"}
    need.refresh_from_db()
    assert (need.students, need.severity) == (25, 4)


def test_languages_are_stored_once_each_in_lower_case(t1, draft):
    need = need_create(
        actor=t1.users["coordinator"],
        assessment=draft,
        data=a_need(t1.network, languages=" ES, zh,es ,"),
    )
    assert need.languages == "es,zh"
    need = need_update(actor=t1.users["coordinator"], need=need, data={"languages": []})
    assert need.languages == ""


def test_unknown_fields_are_a_programming_error(t1, draft):
    with pytest.raises(TypeError):
        need_create(actor=t1.users["coordinator"], assessment=draft, data={"assessment_id": 99})


def test_an_asset_of_another_networks_category_is_refused(t1, t2, draft):
    taxonomy_ensure_default(network=t2.network)
    with pytest.raises(ValidationError) as caught:
        asset_create(
            actor=t1.users["coordinator"],
            assessment=draft,
            data={"kind": "program", "category": tutoring_of(t2.network), "name": "X"},
        )
    assert caught.value.message_dict == {"category": ["Choose a category of this network."]}


def test_a_participant_needs_a_role_a_name_and_a_count(t1, draft):
    with pytest.raises(ValidationError) as caught:
        participant_create(
            actor=t1.users["coordinator"],
            assessment=draft,
            data={"role": "mayor", "name": " ", "count": 0},
        )
    assert set(caught.value.message_dict) == {"role", "name", "count"}


def test_a_submitted_assessment_is_read_only(t1, draft):
    coordinator, principal = t1.users["coordinator"], t1.users["principal"]
    need = need_create(actor=coordinator, assessment=draft, data=a_need(t1.network))
    participant = participant_create(
        actor=coordinator, assessment=draft, data={"role": "principal", "name": "P", "count": 1}
    )
    assessment_submit(actor=principal, assessment=draft)
    for write in (
        lambda u: need_create(actor=u, assessment=draft, data=a_need(t1.network)),
        lambda u: need_update(actor=u, need=need, data={"students": 5}),
        lambda u: need_delete(actor=u, need=need),
        lambda u: participant_delete(actor=u, participant=participant),
        lambda u: asset_create(
            actor=u,
            assessment=draft,
            data={"kind": "staff", "category": tutoring_of(t1.network), "name": "X"},
        ),
    ):
        for user in (coordinator, principal, t1.users["network_admin"]):
            with pytest.raises(AssessmentLocked, match="read only"):
                write(user)
        with pytest.raises(PermissionDenied):  # a reader is told no before anything else
            write(t1.users["staff"])
    assert draft.needs.count() == 1 and draft.participants.count() == 1
