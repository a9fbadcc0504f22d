"""MOU selectors: who reads which agreement, the history and the diff between versions, what a
user may do now, and — what the students issue enforces — the data-sharing terms in force for an
organization at a school on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404

from wraparound.agreements import mou_selectors as sel
from wraparound.agreements import mou_services as svc
from wraparound.agreements.models import Agreement, AgreementStatus, AgreementVersion
from wraparound.agreements.tests.mou_world import World, edit_payload, make_world, reload
from wraparound.assessments.tests.factories import PartnershipFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory

S = AgreementStatus
READERS = {
    "network_admin",
    "coordinator",
    "staff",
    "supervisor",
    "principal",
    "partner_admin",
    "partner_staff_a",
}


@pytest.fixture
def world(t1: Any) -> World:
    return make_world(t1)


def test_who_reads_an_agreement(world: World, t2: Any) -> None:
    agreement = world.draft()
    for persona in PERSONAS:
        user = world.users[persona]
        visible = list(sel.visible_agreements(user))
        if persona in READERS:
            assert visible == [agreement], persona
            assert sel.get_agreement_for_user(user, agreement.pk) == agreement
        else:
            assert visible == [], persona
            with pytest.raises(Http404):
                sel.get_agreement_for_user(user, agreement.pk)
        with pytest.raises(Http404):
            sel.get_agreement_for_user(t2.users[persona], agreement.pk)
    with pytest.raises(Http404):
        sel.get_agreement_for_user(world.users["network_admin"], "nope")


def test_network_wide_agreements_are_read_by_the_networks_schools(world: World) -> None:
    partnership = PartnershipFactory.create(
        school=None,
        network=world.t1.network,
        service=ServiceFactory.create(organization=world.t1.org_b),
        school_year=world.year,
    )
    agreement = svc.agreement_draft(user=world.users["network_admin"], partnership=partnership)
    readers = {p for p in PERSONAS if agreement in sel.visible_agreements(world.users[p])}
    assert readers == {
        "network_admin",
        "coordinator",
        "staff",
        "supervisor",
        "principal",
        "partner_staff_b",
    }


def test_history_and_diff(world: World) -> None:
    agreement = world.sent()
    world.sign(agreement, "principal")
    svc.agreement_revise(user=world.users["coordinator"], agreement=agreement, change_note="More")
    agreement = reload(agreement)
    payload = edit_payload(agreement)
    payload["deliverables"][0]["quantity"] = 20
    svc.agreement_version_update(user=world.users["coordinator"], agreement=agreement, **payload)
    history = sel.agreement_history(agreement)
    assert [v.number for v in history] == [2, 1]
    assert [s.party for s in history[1].signatures.all()] == ["school"]
    v1 = AgreementVersion.objects.get(agreement=agreement, number=1)
    first = sel.version_diff(v1)
    assert first and all(line.op == "added" for line in first)
    changes = [(line.op, line.text) for line in sel.version_diff(history[0]) if line.op != "same"]
    assert changes == [
        ("removed", "Deliverable: Homework club — 12 students over the year"),
        ("added", "Deliverable: Homework club — 20 students over the year"),
    ]
    assert sel.previous_version(history[0]) == v1
    assert sel.get_version(agreement, 2).pk == history[0].pk
    with pytest.raises(Http404):
        sel.get_version(agreement, 3)


def test_actions_follow_role_and_status(world: World) -> None:
    def can(persona: str, agreement: Agreement) -> sel.AgreementActions:
        return sel.agreement_actions(world.users[persona], reload(agreement))

    agreement = world.draft()
    assert can("coordinator", agreement) == sel.AgreementActions(
        edit=True, send=True, terminate=True
    )
    assert can("principal", agreement) == sel.AgreementActions(terminate=True)
    assert not can("staff", agreement).any
    assert not can("partner_staff_a", agreement).any
    svc.agreement_send(user=world.users["coordinator"], agreement=agreement)
    assert can("principal", agreement).sign_as == "school"
    assert can("partner_admin", agreement).sign_as == "partner"
    assert can("coordinator", agreement).revise
    assert can("network_admin", agreement).sign_as is None  # the principal signs for a school
    world.sign(agreement, "principal")
    assert can("principal", agreement).sign_as is None  # signed already
    world.sign(agreement, "partner_admin")
    active = can("coordinator", agreement)
    assert active.revise and active.renew and active.terminate and not active.edit
    assert not can("partner_admin", agreement).certify  # retention has not ended


def test_list_rows_say_who_still_signs(world: World) -> None:
    agreement = world.sent()
    world.sign(agreement, "partner_admin")
    rows = sel.agreement_rows(list(sel.agreement_list(world.users["network_admin"])))
    assert [(r.agreement.pk, r.awaiting, r.destruction_due) for r in rows] == [
        (agreement.pk, ["school"], False)
    ]
    assert list(sel.agreement_list(world.users["network_admin"], status=S.DRAFT)) == []


def test_agreements_by_partnership_prefer_the_one_not_ended(world: World) -> None:
    old = world.draft()
    svc.agreement_terminate(user=world.users["coordinator"], agreement=old, reason="Redo.")
    assert sel.agreements_by_partnership(world.users["coordinator"], [world.partnership.pk]) == {
        world.partnership.pk: old
    }
    new = world.draft()
    found = sel.agreements_by_partnership(world.users["coordinator"], [world.partnership.pk])
    assert found == {world.partnership.pk: new}
    assert sel.agreements_by_partnership(world.users["evaluator"], [world.partnership.pk]) == {}


# --- the data-sharing terms in force ------------------------------------------------------------


def test_sharing_terms_in_force(world: World, t2: Any) -> None:
    t1 = world.t1
    school = t1.schools[0]
    start, end = world.year.start_date, world.year.end_date
    mid = start + dt.timedelta(days=30)

    def terms(day: dt.date = mid, *, school: Any = school, organization: Any = t1.org_a) -> list:
        return sel.sharing_terms_in_force(organization=organization, school=school, day=day)

    agreement = world.sent()
    assert terms() == []  # sent, not signed
    world.sign(agreement, "principal")
    world.sign(agreement, "partner_admin")
    agreement = reload(agreement)
    in_force = agreement.signed_version
    assert in_force is not None
    assert terms() == [in_force.data_sharing]
    assert terms(start) == terms(end) == [in_force.data_sharing]  # the term's both ends count
    assert terms(start - dt.timedelta(days=1)) == terms(end + dt.timedelta(days=1)) == []
    assert terms(school=t1.schools[1]) == []  # another school
    assert terms(organization=t1.org_b) == []  # another partner
    assert terms(school=t2.schools[0]) == []  # another network's school
    assert terms(school=None) == []  # no network-wide agreement
    assert sel.allowed_elements(
        organization=t1.org_a, school=school, day=mid, role="partner_staff"
    ) == {"name", "grade", "school"}
    assert not sel.allowed_elements(
        organization=t1.org_a, school=school, day=mid, role="partner_admin"
    )

    # An amendment shares nothing more until it is signed; then it replaces the old terms.
    coordinator = world.users["coordinator"]
    svc.agreement_revise(user=coordinator, agreement=agreement)
    agreement = reload(agreement)
    svc.agreement_version_update(
        user=coordinator,
        agreement=agreement,
        **edit_payload(agreement, data_sharing={"data_elements": ["name", "attendance"]}),
    )
    svc.agreement_send(user=coordinator, agreement=agreement)
    assert terms() == [in_force.data_sharing]
    world.sign(agreement, "principal")
    world.sign(agreement, "partner_admin")
    agreement = reload(agreement)
    assert agreement.signed_version is not None
    assert [t.data_elements for t in terms()] == [["name", "attendance"]]

    # A network-wide agreement of the same partner counts at every school of the network.
    partnership = PartnershipFactory.create(
        school=None,
        network=t1.network,
        service=ServiceFactory.create(organization=t1.org_a),
        school_year=world.year,
    )
    admin = world.users["network_admin"]
    wide = svc.agreement_draft(user=admin, partnership=partnership)
    svc.agreement_send(user=admin, agreement=wide)
    world.sign(wide, "network_admin")
    world.sign(wide, "partner_admin")
    assert len(terms()) == 2 and len(terms(school=t1.schools[3])) == 1
    assert len(terms(school=None)) == 1

    # Terminated or expired: nothing is shared any more.
    svc.agreement_terminate(user=coordinator, agreement=agreement, reason="Ended.")
    Agreement.objects.filter(pk=wide.pk).update(status=S.EXPIRED)
    assert terms() == []


def test_destruction_due(world: World) -> None:
    agreement = world.signed()
    sharing = agreement.signed_version.data_sharing  # type: ignore[union-attr]
    org = world.t1.org_a
    assert sel.destruction_due(organization=org, day=sharing.retention_ends_on.replace(day=1)) == []
    assert sel.destruction_due(organization=org, day=sharing.retention_ends_on) == [agreement]
    svc.agreement_terminate(user=world.users["principal"], agreement=agreement, reason="Ended.")
    assert sel.destruction_due(organization=org, day=world.today) == [agreement]
    svc.data_destruction_certify(
        user=world.users["partner_admin"],
        agreement=agreement,
        destroyed_on=world.today,
        method="shredding",
        details="",
        certifier_name="Pat",
    )
    assert sel.destruction_due(organization=org, day=world.today) == []
