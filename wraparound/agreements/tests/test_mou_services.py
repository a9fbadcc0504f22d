"""MOU services: drafting, editing, sending, signing (a changed version needs new signatures; a
tampered version cannot be signed), amending, terminating, renewing, the daily status refresh
across the expiring boundary (on the network's clock) and the data-destruction certificate.
Every allowed and refused status transition is exercised, both on `_move` and through the
services that make them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.agreements import mou_services as svc
from wraparound.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    DataDestruction,
    Deliverable,
    Partnership,
    PartnershipStatus,
    Signature,
    VersionStatus,
)
from wraparound.agreements.mou_content import content_hash
from wraparound.agreements.tests.factories import AgreementFactory, AgreementVersionFactory
from wraparound.agreements.tests.mou_world import World, edit_payload, make_world, reload
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory

S = AgreementStatus
V = VersionStatus
DRAFTERS = {"network_admin", "coordinator"}
SIGNERS = {"principal": "school", "partner_admin": "partner"}
TERMINATORS = DRAFTERS | set(SIGNERS)


@pytest.fixture
def world(t1: Any) -> World:
    return make_world(t1)


def actions(agreement: Agreement) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(agreement.pk))
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )


# --- the state machine --------------------------------------------------------------------------


ALLOWED = {(a, b) for a, targets in svc.STATUS_TRANSITIONS.items() for b in targets}


def test_the_transitions_are_the_documented_ones() -> None:
    assert {
        S.DRAFT: {S.AWAITING_SIGNATURES, S.TERMINATED},
        S.AWAITING_SIGNATURES: {S.DRAFT, S.ACTIVE, S.TERMINATED},
        S.ACTIVE: {S.EXPIRING, S.EXPIRED, S.TERMINATED},
        S.EXPIRING: {S.EXPIRED, S.TERMINATED, S.ACTIVE},
        S.EXPIRED: set(),
        S.TERMINATED: set(),
    } == svc.STATUS_TRANSITIONS


@pytest.mark.parametrize("source", S.values)
def test_move_allows_exactly_the_transitions(db: None, source: str) -> None:
    agreement = AgreementFactory.create(status=source)
    for target in S.values:
        agreement.status = source
        if (source, target) in ALLOWED:
            svc._move(agreement, target, None)
            assert Agreement.objects.get(pk=agreement.pk).status == target
            assert agreement.status_changed_at is not None
        else:
            with pytest.raises(ValidationError, match="cannot become"):
                svc._move(agreement, target, None)
            assert Agreement.objects.get(pk=agreement.pk).status != target or source == target


@pytest.mark.parametrize("status", S.values)
def test_terminate_from_each_status(world: World, status: str) -> None:
    agreement = world.at(status)
    user = world.users["coordinator"]
    if (status, S.TERMINATED) in ALLOWED:
        svc.agreement_terminate(user=user, agreement=agreement, reason="The grant ended.")
        agreement = reload(agreement)
        assert agreement.status == S.TERMINATED
        assert agreement.terminated_reason == "The grant ended."
        assert agreement.status_changed_by == user
        assert actions(agreement)[-1] == "agreement.terminate"
    else:
        with pytest.raises(ValidationError, match="can no longer be terminated"):
            svc.agreement_terminate(user=user, agreement=agreement, reason="Again.")
        assert reload(agreement).status == status


@pytest.mark.parametrize("status", S.values)
def test_send_sign_and_revise_by_status(world: World, status: str) -> None:
    """Send works only on a draft; signing only while a version awaits signatures; revising
    on anything not final that has no draft."""
    agreement = world.at(status)
    coordinator = world.users["coordinator"]
    if status == S.DRAFT:
        svc.agreement_send(user=coordinator, agreement=agreement)
        assert reload(agreement).status == S.AWAITING_SIGNATURES
    else:
        with pytest.raises(ValidationError):
            svc.agreement_send(user=coordinator, agreement=agreement)
    agreement = reload(agreement)
    if agreement.status == S.AWAITING_SIGNATURES:
        world.sign(agreement, "principal")
    else:
        with pytest.raises(ValidationError):
            world.sign(agreement, "principal")
    agreement = reload(agreement)
    if status in (S.ACTIVE, S.EXPIRING, S.EXPIRED):
        expect_revise = status != S.EXPIRED
    else:
        expect_revise = status in (S.DRAFT, S.AWAITING_SIGNATURES)  # sent by now
    if expect_revise:
        version = svc.agreement_revise(user=coordinator, agreement=agreement)
        assert version.status == V.DRAFT
    else:
        with pytest.raises(ValidationError):
            svc.agreement_revise(user=coordinator, agreement=agreement)


@pytest.mark.parametrize("status", S.values)
def test_renew_from_each_status(world: World, status: str) -> None:
    SchoolYearFactory.create(network=world.t1.network, end_year=world.year.end_year + 1)
    agreement = world.at(status)
    if status in (S.ACTIVE, S.EXPIRING, S.EXPIRED):
        renewal = svc.agreement_renew(user=world.users["coordinator"], agreement=agreement)
        assert renewal.status == S.DRAFT
        assert renewal.renewed_from_id == agreement.pk
    else:
        with pytest.raises(ValidationError, match="Only an agreement that is or was in force"):
            svc.agreement_renew(user=world.users["coordinator"], agreement=agreement)


# --- draft --------------------------------------------------------------------------------------


def test_draft_is_prefilled_from_the_partnership(world: World) -> None:
    agreement = world.draft()
    t1 = world.t1
    assert agreement.status == S.DRAFT
    assert (agreement.network, agreement.school, agreement.organization) == (
        t1.network,
        t1.schools[0],
        t1.org_a,
    )
    assert agreement.title == f"Memorandum of understanding: {t1.org_a.name} and North School 0"
    version = agreement.current_version
    assert version is not None and version.number == 1 and version.status == V.DRAFT
    assert (version.term_start, version.term_end) == (world.year.start_date, world.year.end_date)
    coordinator = world.users["coordinator"]
    assert version.school_contact_name == coordinator.get_full_name()
    assert version.school_contact_email == coordinator.email
    assert version.partner_contact_name == world.users["partner_admin"].get_full_name()
    parties = list(version.responsibilities.values_list("party", flat=True))
    assert parties.count("school") >= 2 and parties.count("partner") >= 2
    deliverable = version.deliverables.get()
    assert (deliverable.service, deliverable.quantity, deliverable.unit, deliverable.frequency) == (
        world.service,
        12,
        "students",
        "yearly",
    )
    sharing = version.data_sharing
    assert sharing.legal_basis == "school_official"
    assert sharing.data_elements == ["name", "grade", "school"]
    assert sharing.partner_roles == ["partner_staff"]
    assert sharing.retention_ends_on == world.year.end_date + relativedelta(years=1)
    assert sharing.destruction_method == "secure_deletion"
    assert actions(agreement) == ["agreement.draft"]
    assert svc.missing_terms(agreement, version) == []


def test_who_may_draft(world: World) -> None:
    for persona in sorted(set(PERSONAS) - DRAFTERS):
        with pytest.raises(PermissionDenied):
            svc.agreement_draft(user=world.users[persona], partnership=world.partnership)
    assert not Agreement.objects.exists()
    for persona in sorted(DRAFTERS):
        user = world.users[persona]
        agreement = svc.agreement_draft(user=user, partnership=world.partnership)
        assert agreement.created_by == user
        svc.agreement_terminate(user=user, agreement=agreement, reason="Start again.")


def test_draft_is_refused_twice_and_for_an_ended_partnership(world: World, t2: Any) -> None:
    first = world.draft()
    with pytest.raises(ValidationError, match="already has an MOU"):
        world.draft()
    svc.agreement_terminate(user=world.users["coordinator"], agreement=first, reason="Redo.")
    assert world.draft().pk != first.pk  # a terminated one does not block a new draft
    Partnership.objects.filter(pk=world.partnership.pk).update(status=PartnershipStatus.ENDED)
    with pytest.raises(ValidationError, match="has ended"):
        svc.agreement_draft(user=world.users["network_admin"], partnership=world.partnership)
    with pytest.raises(PermissionDenied):  # another tenant's admin
        svc.agreement_draft(user=t2.users["network_admin"], partnership=world.partnership)


def test_a_network_wide_partnership_is_drafted_and_signed_by_the_network(world: World) -> None:
    partnership = PartnershipFactory.create(
        school=None,
        network=world.t1.network,
        service=ServiceFactory.create(organization=world.t1.org_a),
        school_year=world.year,
    )
    with pytest.raises(PermissionDenied):
        svc.agreement_draft(user=world.users["coordinator"], partnership=partnership)
    admin = world.users["network_admin"]
    agreement = svc.agreement_draft(user=admin, partnership=partnership)
    assert agreement.school is None and agreement.school_party == "network"
    assert agreement.title.endswith(f"and {world.t1.network.name}")
    version = agreement.current_version
    assert version is not None and version.school_contact_name == admin.get_full_name()
    assert set(version.responsibilities.values_list("party", flat=True)) == {"network", "partner"}
    svc.agreement_send(user=admin, agreement=agreement)
    with pytest.raises(PermissionDenied):  # the principal signs for a school, not the network
        world.sign(agreement, "principal")
    assert world.sign(agreement, "network_admin").party == "network"
    world.sign(agreement, "partner_admin")
    assert reload(agreement).status == S.ACTIVE


# --- edit a draft -------------------------------------------------------------------------------


def test_version_update_replaces_the_terms(world: World) -> None:
    agreement = world.draft()
    other_service = ServiceFactory.create(organization=world.t1.org_a, name="Chess")
    start = world.year.start_date
    payload = edit_payload(
        agreement,
        fields={
            "title": "Homework club MOU",
            "term_start": start,
            "term_end": start + dt.timedelta(days=200),
            "purpose": "  Homework help.  ",
            "meeting_cadence": "quarterly",
        },
        responsibilities=[
            {"party": "school", "description": "A room"},
            {"party": "partner", "description": "Tutors"},
        ],
        deliverables=[
            {
                "service": other_service.pk,
                "description": "Chess club",
                "tier": "2",
                "quantity": "30",
                "unit": "sessions",
                "frequency": "monthly",
                "target_students": "grades 3-5",
            }
        ],
        data_sharing={
            "data_elements": ["attendance", "name", "attendance"],
            "partner_roles": ["partner_admin", "partner_staff"],
            "retention_ends_on": "2099-01-01",
        },
    )
    version = svc.agreement_version_update(
        user=world.users["network_admin"], agreement=agreement, **payload
    )
    agreement = reload(agreement)
    assert agreement.title == "Homework club MOU"
    assert version.purpose == "Homework help." and version.meeting_cadence == "quarterly"
    assert [r.description for r in version.responsibilities.all()] == ["A room", "Tutors"]
    deliverable = version.deliverables.get()
    assert (deliverable.service, deliverable.tier, deliverable.quantity) == (other_service, 2, 30)
    sharing = AgreementVersion.objects.get(pk=version.pk).data_sharing
    assert sharing.data_elements == ["name", "attendance"]  # canonical order, no repeats
    assert sharing.partner_roles == ["partner_admin", "partner_staff"]
    assert sharing.retention_ends_on == dt.date(2099, 1, 1)
    assert actions(agreement)[-1] == "agreement.version_update"


def _one_deliverable(**kw: Any) -> dict[str, Any]:
    row = {"description": "x", "quantity": 1, "unit": "students", "frequency": "once", **kw}
    return {"deliverables": [row]}


def _sharing(**kw: Any) -> dict[str, Any]:
    return {"data_sharing": kw}


BAD_EDITS: list[tuple[dict[str, Any], str]] = [
    ({"fields": {"term_end": dt.date(2000, 1, 1)}}, "term_end"),
    ({"fields": {"term_start": "not a date"}}, "term_start"),
    ({"fields": {"school_contact_email": "nope"}}, "school_contact_email"),
    ({"fields": {"meeting_cadence": "hourly"}}, "meeting_cadence"),
    ({"fields": {"title": ""}}, "title"),
    ({"responsibilities": [{"party": "network", "description": "x"}]}, "responsibilities-0-party"),
    (
        {"responsibilities": [{"party": "school", "description": " "}]},
        "responsibilities-0-description",
    ),
    (_one_deliverable(quantity=0), "deliverables-0-quantity"),
    (_one_deliverable(quantity=None), "deliverables-0-quantity"),
    (_one_deliverable(unit="parsecs"), "deliverables-0-unit"),
    (_one_deliverable(tier=4), "deliverables-0-tier"),
    (_one_deliverable(description=""), "deliverables-0-description"),
    (_sharing(data_elements=[]), "data_sharing-data_elements"),
    (_sharing(data_elements=["name", "ssn"]), "data_sharing-data_elements"),
    (_sharing(partner_roles=["principal"]), "data_sharing-partner_roles"),
    (_sharing(partner_roles=[]), "data_sharing-partner_roles"),
    (_sharing(retention_ends_on=dt.date(2001, 1, 1)), "data_sharing-retention_ends_on"),
    (_sharing(legal_basis="because"), "data_sharing-legal_basis"),
    (
        _sharing(destruction_method="other", destruction_details=""),
        "data_sharing-destruction_details",
    ),
    (_sharing(purpose=""), "data_sharing-purpose"),
]


def test_version_update_names_the_bad_field_and_writes_nothing(world: World) -> None:
    agreement = world.draft()
    version = agreement.current_version
    assert version is not None
    before = content_hash(version)
    for changes, key in BAD_EDITS:
        with pytest.raises(ValidationError) as caught:
            svc.agreement_version_update(
                user=world.users["coordinator"],
                agreement=agreement,
                **edit_payload(agreement, **changes),
            )
        assert key in caught.value.message_dict, (changes, caught.value.message_dict)
        assert content_hash(AgreementVersion.objects.get(pk=version.pk)) == before, changes
    assert reload(agreement).title == agreement.title


def test_version_update_checks_the_service_belongs_to_the_partner(world: World) -> None:
    agreement = world.draft()
    payload = edit_payload(agreement)
    payload["deliverables"][0]["service"] = ServiceFactory.create(organization=world.t1.org_b)
    with pytest.raises(ValidationError) as caught:
        svc.agreement_version_update(
            user=world.users["coordinator"], agreement=agreement, **payload
        )
    assert "deliverables-0-service" in caught.value.message_dict


def test_version_update_only_on_a_draft_by_a_drafter(world: World) -> None:
    agreement = world.draft()
    for persona in ("principal", "partner_admin", "staff"):
        with pytest.raises(PermissionDenied):
            svc.agreement_version_update(
                user=world.users[persona], agreement=agreement, **edit_payload(agreement)
            )
    svc.agreement_send(user=world.users["coordinator"], agreement=agreement)
    agreement = reload(agreement)
    with pytest.raises(ValidationError, match="can no longer be edited"):
        svc.agreement_version_update(
            user=world.users["coordinator"], agreement=agreement, **edit_payload(agreement)
        )
    # The title is part of every sent version's hash: fixed from then on.
    svc.agreement_revise(user=world.users["coordinator"], agreement=agreement)
    agreement = reload(agreement)
    with pytest.raises(ValidationError) as caught:
        svc.agreement_version_update(
            user=world.users["coordinator"],
            agreement=agreement,
            **edit_payload(agreement, fields={"title": "Another title"}),
        )
    assert "title" in caught.value.message_dict


# --- send and sign ------------------------------------------------------------------------------


def test_send_refuses_incomplete_terms_with_what_is_missing(world: World) -> None:
    agreement = world.draft()
    version = agreement.current_version
    assert version is not None
    version.responsibilities.filter(party="partner").delete()
    version.deliverables.all().delete()
    AgreementVersion.objects.filter(pk=version.pk).update(school_contact_name="")
    with pytest.raises(ValidationError) as caught:
        svc.agreement_send(user=world.users["coordinator"], agreement=agreement)
    assert caught.value.messages == [
        "Add at least one responsibility of the partner organization.",
        "Add at least one deliverable.",
        "Name the school’s contact.",
    ]
    assert reload(agreement).status == S.DRAFT


def test_send_freezes_the_version_with_its_hash(world: World) -> None:
    agreement = world.draft()
    with pytest.raises(PermissionDenied):
        svc.agreement_send(user=world.users["principal"], agreement=agreement)
    version = svc.agreement_send(user=world.users["coordinator"], agreement=agreement)
    assert version.status == V.SENT and version.sent_at is not None
    assert version.content_hash == content_hash(version) and len(version.content_hash) == 64
    assert reload(agreement).status == S.AWAITING_SIGNATURES
    assert actions(agreement)[-1] == "agreement.send"


def test_who_may_sign(world: World) -> None:
    agreement = world.sent()
    for persona in sorted(set(PERSONAS) - set(SIGNERS)):
        with pytest.raises(PermissionDenied):
            world.sign(agreement, persona)
    assert not Signature.objects.exists()
    for persona, party in SIGNERS.items():
        assert reload(agreement).status == S.AWAITING_SIGNATURES  # one party is not enough
        signature = world.sign(agreement, persona)
        assert (signature.party, signature.user) == (party, world.users[persona])
        assert signature.ip_address == "203.0.113.7"
        assert (
            signature.content_hash
            == AgreementVersion.objects.get(pk=signature.version_id).content_hash
        )
    assert reload(agreement).status == S.ACTIVE


def test_both_signatures_put_the_version_in_force(world: World) -> None:
    agreement = world.sent()
    with pytest.raises(ValidationError) as caught:
        svc.agreement_sign(user=world.users["principal"], agreement=agreement, signer_name="  ")
    assert "signer_name" in caught.value.message_dict
    world.sign(agreement, "principal")
    with pytest.raises(ValidationError, match="already signed"):
        world.sign(agreement, "principal")
    world.sign(agreement, "partner_admin")
    agreement = reload(agreement)
    version = agreement.current_version
    assert version is not None
    assert agreement.status == S.ACTIVE
    assert agreement.signed_version_id == version.pk
    assert version.status == V.SIGNED and version.signed_at is not None
    assert actions(agreement)[-3:] == ["agreement.sign", "agreement.sign", "agreement.in_force"]
    with pytest.raises(ValidationError, match="only a version sent for signature"):
        world.sign(agreement, "partner_admin")


def test_a_tampered_version_cannot_be_signed(world: World) -> None:
    agreement = world.sent()
    version = agreement.current_version
    assert version is not None
    Deliverable.objects.filter(version=version).update(quantity=999)  # behind the services' back
    with pytest.raises(ValidationError, match="hash differs"):
        world.sign(agreement, "principal")
    assert not Signature.objects.exists()


def test_a_renamed_party_does_not_block_signing(world: World) -> None:
    """The snapshot taken when sent is what is signed: a new name is not a new term."""
    agreement = world.sent()
    version = agreement.current_version
    assert version is not None and version.content is not None
    agreement.organization.name = "Renamed After Sending"
    agreement.organization.save(update_fields=["name"])
    world.sign(agreement, "principal")
    world.sign(agreement, "partner_admin")
    version.refresh_from_db()
    assert version.status == V.SIGNED
    assert version.content["organization"]["name"] != "Renamed After Sending"


def test_a_changed_version_needs_new_signatures(world: World) -> None:
    agreement = world.sent()
    world.sign(agreement, "principal")  # v1: the school signed, the partner not yet
    coordinator = world.users["coordinator"]
    v2 = svc.agreement_revise(user=coordinator, agreement=agreement, change_note="More students")
    agreement = reload(agreement)
    v1 = AgreementVersion.objects.get(agreement=agreement, number=1)
    assert v1.status == V.WITHDRAWN and v1.signatures.count() == 1  # kept as history
    assert agreement.status == S.DRAFT and agreement.current_version_id == v2.pk
    assert v2.number == 2 and v2.change_note == "More students"
    payload = edit_payload(agreement)
    payload["deliverables"][0]["quantity"] = 20
    svc.agreement_version_update(user=coordinator, agreement=agreement, **payload)
    svc.agreement_send(user=coordinator, agreement=agreement)
    agreement = reload(agreement)
    assert agreement.current_version is not None
    assert agreement.current_version.content_hash != v1.content_hash
    # The partner signs v2: the school's signature on v1 does not count for v2.
    world.sign(agreement, "partner_admin")
    agreement = reload(agreement)
    assert agreement.status == S.AWAITING_SIGNATURES and agreement.signed_version is None
    world.sign(agreement, "principal")
    agreement = reload(agreement)
    assert agreement.status == S.ACTIVE and agreement.signed_version_id == v2.pk
    assert set(Signature.objects.filter(version=v2).values_list("party", flat=True)) == {
        "school",
        "partner",
    }


def test_an_amendment_leaves_the_signed_version_in_force_until_signed(world: World) -> None:
    agreement = world.signed()
    v1 = agreement.signed_version
    assert v1 is not None
    coordinator = world.users["coordinator"]
    with pytest.raises(PermissionDenied):
        svc.agreement_revise(user=world.users["principal"], agreement=agreement)
    v2 = svc.agreement_revise(user=coordinator, agreement=agreement, change_note="Tier 3 too")
    with pytest.raises(ValidationError, match="still a draft"):
        svc.agreement_revise(user=coordinator, agreement=reload(agreement))
    agreement = reload(agreement)
    assert agreement.status == S.ACTIVE and agreement.signed_version_id == v1.pk
    assert [r.description for r in v2.responsibilities.all()] == [
        r.description for r in v1.responsibilities.all()
    ]
    assert v2.data_sharing.data_elements == v1.data_sharing.data_elements
    svc.agreement_send(user=coordinator, agreement=agreement)
    agreement = reload(agreement)
    assert agreement.status == S.ACTIVE  # in force while the amendment awaits signatures
    world.sign(agreement, "partner_admin")
    world.sign(agreement, "principal")
    agreement = reload(agreement)
    assert agreement.signed_version_id == v2.pk
    assert AgreementVersion.objects.get(pk=v1.pk).status == V.SUPERSEDED


def test_an_amendment_extending_the_term_makes_an_expiring_agreement_active(world: World) -> None:
    coordinator = world.users["coordinator"]
    agreement = world.draft()
    soon = world.today + dt.timedelta(days=10)
    svc.agreement_version_update(
        user=coordinator,
        agreement=agreement,
        **edit_payload(agreement, fields={"term_start": world.today, "term_end": soon}),
    )
    svc.agreement_send(user=coordinator, agreement=agreement)
    world.sign(agreement, "principal")
    world.sign(agreement, "partner_admin")
    agreement = reload(agreement)
    assert agreement.status == S.EXPIRING  # the date rule applies when it comes into force
    svc.agreement_revise(user=coordinator, agreement=agreement)
    agreement = reload(agreement)
    later = world.today + dt.timedelta(days=300)
    svc.agreement_version_update(
        user=coordinator,
        agreement=agreement,
        **edit_payload(agreement, fields={"term_end": later}),
    )
    svc.agreement_send(user=coordinator, agreement=agreement)
    assert reload(agreement).status == S.EXPIRING
    world.sign(agreement, "principal")
    world.sign(agreement, "partner_admin")
    agreement = reload(agreement)
    assert agreement.status == S.ACTIVE
    assert agreement.signed_version is not None and agreement.signed_version.term_end == later


# --- terminate ----------------------------------------------------------------------------------


def test_who_may_terminate(world: World) -> None:
    agreement = world.sent()
    for persona in sorted(set(PERSONAS) - TERMINATORS):
        with pytest.raises(PermissionDenied):
            svc.agreement_terminate(user=world.users[persona], agreement=agreement, reason="x")
    for persona in sorted(TERMINATORS):
        svc.agreement_terminate(user=world.users[persona], agreement=agreement, reason="Closed.")
        agreement = reload(agreement)
        assert agreement.status == S.TERMINATED and agreement.status_changed_by is not None
        assert agreement.current_version is not None
        assert agreement.current_version.status == V.WITHDRAWN  # no longer signable
        agreement = world.sent()


def test_terminate_needs_a_reason(world: World) -> None:
    agreement = world.signed()
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError) as caught:
            svc.agreement_terminate(
                user=world.users["partner_admin"], agreement=agreement, reason=reason
            )
        assert "reason" in caught.value.message_dict
    assert reload(agreement).status == S.ACTIVE


# --- renew --------------------------------------------------------------------------------------


def test_renew_needs_next_school_year(world: World) -> None:
    agreement = world.signed()
    end = world.year.end_year + 1
    with pytest.raises(ValidationError, match=f"Add the {end - 1}-{end % 100:02d} school year"):
        svc.agreement_renew(user=world.users["coordinator"], agreement=agreement)


def test_renew_drafts_next_years_mou_for_next_years_partnership(world: World) -> None:
    next_year = SchoolYearFactory.create(network=world.t1.network, end_year=world.year.end_year + 1)
    agreement = world.signed()
    signed = agreement.signed_version
    assert signed is not None
    with pytest.raises(PermissionDenied):
        svc.agreement_renew(user=world.users["partner_admin"], agreement=agreement)
    renewal = svc.agreement_renew(user=world.users["coordinator"], agreement=agreement)
    partnership = renewal.partnership
    assert partnership.pk != world.partnership.pk
    assert (partnership.school_year, partnership.status, partnership.source) == (
        next_year,
        PartnershipStatus.PROPOSED,
        "direct",
    )
    assert (partnership.school, partnership.service, partnership.units) == (
        world.t1.schools[0],
        world.service,
        12,
    )
    version = renewal.current_version
    assert version is not None and version.number == 1 and version.status == V.DRAFT
    assert version.term_start == signed.term_start + relativedelta(years=1)
    assert version.term_end == signed.term_end + relativedelta(years=1)
    assert version.data_sharing.retention_ends_on == (
        signed.data_sharing.retention_ends_on + relativedelta(years=1)
    )
    assert version.responsibilities.count() == signed.responsibilities.count()
    assert version.deliverables.get().quantity == 12
    assert renewal.title == agreement.title and renewal.renewed_from_id == agreement.pk
    assert reload(agreement).status == S.ACTIVE  # the current one runs to its end
    with pytest.raises(ValidationError, match="already has an MOU"):
        svc.agreement_renew(user=world.users["coordinator"], agreement=agreement)


def test_renew_reuses_next_years_open_partnership(world: World) -> None:
    next_year = SchoolYearFactory.create(network=world.t1.network, end_year=world.year.end_year + 1)
    existing = PartnershipFactory.create(
        school=world.t1.schools[0], service=world.service, school_year=next_year, units=30
    )
    renewal = svc.agreement_renew(user=world.users["network_admin"], agreement=world.signed())
    assert renewal.partnership_id == existing.pk
    assert Partnership.objects.filter(school_year=next_year).count() == 1


def test_renewal_moves_a_leap_day_to_the_28th(db: None) -> None:
    version = AgreementVersionFactory.create(
        term_start=dt.date(2027, 9, 1), term_end=dt.date(2028, 2, 29)
    )
    copy = svc._copy_version(
        version, agreement=version.agreement, number=2, user=None, change_note="", years=1
    )
    assert (copy.term_start, copy.term_end) == (dt.date(2028, 9, 1), dt.date(2029, 2, 28))


# --- the daily refresh --------------------------------------------------------------------------


def _utc(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def test_refresh_crosses_the_expiring_boundary_on_the_networks_clock(world: World) -> None:
    network = world.t1.network
    network.time_zone = "America/New_York"
    network.agreement_expiring_days = 30
    network.save()
    agreement = world.signed()
    assert agreement.signed_version is not None
    end = agreement.signed_version.term_end
    boundary = end - dt.timedelta(days=30)
    # 02:00 UTC on the boundary day is still the day before in New York: not yet expiring.
    assert svc.agreement_statuses_refresh(now=_utc(boundary, 2)) == 0
    assert reload(agreement).status == S.ACTIVE
    assert svc.agreement_statuses_refresh(now=_utc(boundary, 12)) == 1
    assert reload(agreement).status == S.EXPIRING
    assert svc.agreement_statuses_refresh(now=_utc(boundary, 13)) == 0  # idempotent
    # The last day of the term is still in force; the day after, it has expired.
    assert svc.agreement_statuses_refresh(now=_utc(end, 23)) == 0
    assert svc.agreement_statuses_refresh(now=_utc(end + dt.timedelta(days=1), 12)) == 1
    agreement = reload(agreement)
    assert agreement.status == S.EXPIRED and agreement.status_changed_by is None
    event = AuditEvent.objects.filter(action="agreement.status_refresh").latest("pk")
    assert event.actor is None and event.data["to"] == "expired"
    assert svc.agreement_statuses_refresh(now=_utc(end + dt.timedelta(days=400), 12)) == 0


def test_refresh_returns_an_expiring_agreement_whose_term_was_extended(world: World) -> None:
    agreement = world.signed()
    Agreement.objects.filter(pk=agreement.pk).update(status=S.EXPIRING)
    # An amendment moved the end (its signing applies the rule itself; this is the nightly run).
    assert svc.agreement_statuses_refresh() == 1
    assert reload(agreement).status == S.ACTIVE


def test_refresh_leaves_agreements_not_in_force_alone(world: World) -> None:
    world.sent()
    long_after = _utc(world.year.end_date + dt.timedelta(days=900), 12)
    assert svc.agreement_statuses_refresh(now=long_after) == 0


# --- data destruction ---------------------------------------------------------------------------


def _past(world: World, *, status: str = S.EXPIRED) -> Agreement:
    """A signed agreement whose term and retention ended before today."""
    agreement = world.signed()
    version = agreement.signed_version
    assert version is not None
    AgreementVersion.objects.filter(pk=version.pk).update(
        term_start=world.today - dt.timedelta(days=800),
        term_end=world.today - dt.timedelta(days=500),
    )
    version.data_sharing.__class__.objects.filter(pk=version.data_sharing.pk).update(
        retention_ends_on=world.today - dt.timedelta(days=1)
    )
    Agreement.objects.filter(pk=agreement.pk).update(status=status)
    return reload(agreement)


def _certify(world: World, agreement: Agreement, persona: str = "partner_admin", **kw: Any) -> Any:
    args: dict[str, Any] = {
        "destroyed_on": world.today,
        "method": "secure_deletion",
        "details": "",
        "certifier_name": "Pat Partner",
        "ip_address": "198.51.100.4",
    }
    args.update(kw)
    return svc.data_destruction_certify(user=world.users[persona], agreement=agreement, **args)


def test_who_may_certify_destruction(world: World) -> None:
    agreement = _past(world)
    for persona in sorted(set(PERSONAS) - {"partner_admin"}):
        with pytest.raises(PermissionDenied):
            _certify(world, agreement, persona)
    record = _certify(world, agreement, "partner_admin")
    assert (record.certifier_name, record.ip_address) == ("Pat Partner", "198.51.100.4")
    assert actions(agreement)[-1] == "agreement.destruction_certify"


def test_destruction_rules(world: World) -> None:
    in_force = world.signed()
    with pytest.raises(ValidationError, match="may be kept until"):
        _certify(world, in_force)
    svc.agreement_terminate(user=world.users["coordinator"], agreement=in_force, reason="Redo.")
    agreement = _past(world)
    for kwargs, key in (
        ({"destroyed_on": world.today + dt.timedelta(days=1)}, "destroyed_on"),
        ({"method": "burning"}, "method"),
        ({"method": "other", "details": ""}, "details"),
        ({"certifier_name": " "}, "certifier_name"),
    ):
        with pytest.raises(ValidationError) as caught:
            _certify(world, agreement, **kwargs)
        assert key in caught.value.message_dict
    assert not DataDestruction.objects.exists()
    _certify(world, agreement, method="other", details="Returned on a drive")
    with pytest.raises(ValidationError, match="already certified"):
        _certify(world, agreement)


def test_destruction_after_termination_and_not_without_a_signature(world: World) -> None:
    agreement = world.signed()
    svc.agreement_terminate(user=world.users["principal"], agreement=agreement, reason="Ended.")
    _certify(world, reload(agreement))  # retention has not ended, but the agreement has
    draft_only = world.at(S.TERMINATED)
    with pytest.raises(ValidationError, match="never signed"):
        _certify(world, draft_only)
