"""MOU pages for every role: the list, drafting from a partnership, the agreement, the draft
editor (errors next to the field, typed values kept, nothing saved), sending, signing (the IP
and the hash recorded), revising, terminating, renewing, certifying destruction and one version
with its diff. Readers who may not act get a 403; anyone else, and every user of another
tenant, a 404. The list costs the same number of queries however long it is."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.agreements import mou_services as svc
from wraparound.agreements.forms_mou import VERSION_FORM_FIELDS
from wraparound.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    DataSharingAgreement,
    Signature,
)
from wraparound.agreements.tests.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    signed_agreement,
)
from wraparound.agreements.tests.mou_world import World, make_world, reload
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
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
DRAFTERS = {"network_admin", "coordinator"}
SIGNERS = {"principal", "partner_admin"}


@pytest.fixture
def world(t1: Any) -> World:
    return make_world(t1)


def codes(
    world: World,
    as_user: Callable[[Any], Client],
    url: str,
    *,
    post: dict[str, Any] | None = None,
    personas: set[str] | list[str] = frozenset(PERSONAS),  # type: ignore[assignment]
) -> dict[str, int]:
    out = {}
    for persona in sorted(personas):
        client = as_user(world.users[persona])
        response = client.get(url) if post is None else client.post(url, post)
        out[persona] = response.status_code
    return out


def expected(**groups: tuple[set[str], int]) -> dict[str, int]:
    out = {}
    for members, code in groups.values():
        out.update(dict.fromkeys(members, code))
    return out


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


def edit_data(agreement: Agreement, **overrides: Any) -> dict[str, Any]:
    """What the edit page posts when nothing is changed, with `overrides`."""
    version = AgreementVersion.objects.get(pk=agreement.current_version_id)
    data: dict[str, Any] = {"title": agreement.title}
    for name in VERSION_FORM_FIELDS:
        value = getattr(version, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    rows = list(version.responsibilities.all())
    data["responsibilities-TOTAL_FORMS"] = data["responsibilities-INITIAL_FORMS"] = len(rows)
    for n, r in enumerate(rows):
        data[f"responsibilities-{n}-party"] = r.party
        data[f"responsibilities-{n}-description"] = r.description
    items = list(version.deliverables.all())
    data["deliverables-TOTAL_FORMS"] = data["deliverables-INITIAL_FORMS"] = len(items)
    for n, d in enumerate(items):
        for name in svc.DELIVERABLE_FIELDS:
            value = d.service_id if name == "service" else getattr(d, name)
            data[f"deliverables-{n}-{name}"] = "" if value is None else value
    sharing = DataSharingAgreement.objects.get(version=version)
    for name in svc.SHARING_FIELDS:
        value = getattr(sharing, name)
        data[f"data_sharing-{name}"] = value.isoformat() if isinstance(value, dt.date) else value
    data.update(overrides)
    return data


# --- the list -----------------------------------------------------------------------------------


def test_the_list_for_every_role(world: World, as_user: Any, t2: Any) -> None:
    agreement = world.sent()
    url = reverse("agreement_list")
    no_role = {"evaluator", "network_supervisor", "coalition_member", "outsider"}
    assert codes(world, as_user, url) == expected(
        ok=(set(PERSONAS) - no_role, 200), no=(no_role, 403)
    )
    for persona in ("network_admin", "coordinator", "partner_staff_a"):
        text = page(as_user(world.users[persona]).get(url))
        assert agreement.title in text, persona
        assert "school, partner organization" in text  # both still have to sign
    assert agreement.title not in page(as_user(world.users["partner_staff_b"]).get(url))
    assert agreement.title not in page(as_user(t2.users["network_admin"]).get(url))
    client = as_user(world.users["coordinator"])
    assert agreement.title in page(client.get(url, {"status": "awaiting_signatures"}))
    assert agreement.title not in page(client.get(url, {"status": "active"}))
    assert client.get(url, {"status": "nonsense"}).status_code == 400


def test_the_list_costs_a_fixed_number_of_queries(world: World, as_user: Any) -> None:
    t1 = world.t1

    def add(n: int) -> None:
        for i in range(n):
            partnership = PartnershipFactory.create(
                school=t1.schools[i % 3],
                service=ServiceFactory.create(organization=t1.org_a),
                school_year=world.year,
            )
            if i % 2:
                signed_agreement(partnership=partnership)
            else:
                version = AgreementVersionFactory.create(
                    agreement=AgreementFactory.create(
                        partnership=partnership, status=S.AWAITING_SIGNATURES
                    ),
                    status="sent",
                )
                Signature.objects.create(
                    version=version,
                    party="partner",
                    user=world.users["partner_admin"],
                    signer_name="P",
                    content_hash="x" * 64,
                )

    client = as_user(world.users["network_admin"])
    url = reverse("agreement_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(2)
    few = count()
    add(8)
    assert count() == few <= 12


# --- draft from a partnership -------------------------------------------------------------------


def test_drafting_from_a_partnership_for_every_role(world: World, as_user: Any, t2: Any) -> None:
    url = reverse("agreement_create", args=[world.partnership.pk])
    sees_partnership = READERS | {"evaluator", "network_supervisor"}
    assert codes(world, as_user, url, post={}, personas=set(PERSONAS) - DRAFTERS) == expected(
        no=(sees_partnership - DRAFTERS, 403), hidden=(set(PERSONAS) - sees_partnership, 404)
    )
    assert codes(world, as_user, url, post={}, personas=DRAFTERS) == dict.fromkeys(DRAFTERS, 302)
    agreement = Agreement.objects.get()
    response = as_user(world.users["coordinator"]).post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "school_partnerships", args=[world.t1.schools[0].pk]
    )
    assert "already has an MOU" in page(response)
    assert Agreement.objects.get() == agreement
    for persona in ("network_admin", "coordinator"):
        assert as_user(t2.users[persona]).post(url).status_code == 404


def test_create_redirects_to_the_editor(world: World, as_user: Any) -> None:
    url = reverse("agreement_create", args=[world.partnership.pk])
    response = as_user(world.users["coordinator"]).post(url)
    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("agreement_edit", args=[agreement.pk])


# --- the agreement page -------------------------------------------------------------------------


def test_the_agreement_page_for_every_role(world: World, as_user: Any, t2: Any) -> None:
    agreement = world.signed()
    url = reverse("agreement_detail", args=[agreement.pk])
    assert codes(world, as_user, url) == expected(
        ok=(READERS, 200), hidden=(set(PERSONAS) - READERS, 404)
    )
    for persona in ("network_admin", "coordinator", "principal", "partner_admin"):
        assert as_user(t2.users[persona]).get(url).status_code == 404
    text = page(as_user(world.users["partner_staff_a"]).get(url))
    assert reverse("agreement_pdf", args=[agreement.pk, 1]) in text
    assert "Principal Signer" in text and "Partner_Admin Signer" in text
    assert "203.0.113.7" in text
    version = agreement.signed_version
    assert version is not None and version.content_hash[:12] in text
    assert "Data elements the partner may see" in text and "grade level" in text
    assert "there is nothing for you to do" in text
    coordinator = page(as_user(world.users["coordinator"]).get(url))
    assert "Amend the agreement" in coordinator and "Renew for next school year" in coordinator
    assert "Terminate the agreement" in coordinator


def test_a_draft_page_shows_what_is_missing_before_sending(world: World, as_user: Any) -> None:
    agreement = world.draft()
    version = agreement.current_version
    assert version is not None
    version.deliverables.all().delete()
    text = page(
        as_user(world.users["coordinator"]).get(reverse("agreement_detail", args=[agreement.pk]))
    )
    assert "Add at least one deliverable." in text
    assert reverse("agreement_edit", args=[agreement.pk]) in text


# --- the editor ---------------------------------------------------------------------------------


def test_the_editor_for_every_role(world: World, as_user: Any, t2: Any) -> None:
    agreement = world.draft()
    url = reverse("agreement_edit", args=[agreement.pk])
    assert codes(world, as_user, url) == expected(
        ok=(DRAFTERS, 200), no=(READERS - DRAFTERS, 403), hidden=(set(PERSONAS) - READERS, 404)
    )
    data = edit_data(agreement, purpose="Changed by someone else")
    assert codes(world, as_user, url, post=data, personas=READERS - DRAFTERS) == dict.fromkeys(
        READERS - DRAFTERS, 403
    )
    assert as_user(t2.users["coordinator"]).post(url, data).status_code == 404
    assert AgreementVersion.objects.get(agreement=agreement).purpose == ""


def test_the_editor_saves_every_part(world: World, as_user: Any) -> None:
    agreement = world.draft()
    client = as_user(world.users["coordinator"])
    url = reverse("agreement_edit", args=[agreement.pk])
    form = page(client.get(url))
    assert 'name="data_sharing-data_elements"' in form and 'name="deliverables-0-quantity"' in form
    chess = ServiceFactory.create(organization=world.t1.org_a, name="Chess club")
    data = edit_data(
        agreement,
        purpose="Homework help after school.",
        **{
            "responsibilities-0-DELETE": "on",
            "responsibilities-TOTAL_FORMS": 8,  # two blank rows, one of them filled in
            "responsibilities-6-party": "partner",
            "responsibilities-6-description": "Bring snacks",
            "deliverables-TOTAL_FORMS": 2,
            "deliverables-1-service": chess.pk,
            "deliverables-1-description": "Chess",
            "deliverables-1-tier": "3",
            "deliverables-1-quantity": "5",
            "deliverables-1-unit": "sessions",
            "deliverables-1-frequency": "weekly",
            "data_sharing-data_elements": ["name", "attendance"],
            "then": "edit",
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    version = AgreementVersion.objects.get(agreement=agreement)
    assert version.purpose == "Homework help after school."
    descriptions = list(version.responsibilities.values_list("description", flat=True))
    assert len(descriptions) == 6 and descriptions[-1] == "Bring snacks"
    assert [(d.service, d.tier, d.quantity) for d in version.deliverables.all()][1] == (chess, 3, 5)
    assert version.data_sharing.data_elements == ["name", "attendance"]
    response = client.post(url, edit_data(agreement))
    assert response["Location"] == reverse("agreement_detail", args=[agreement.pk])


def test_the_editor_shows_errors_by_the_field_and_keeps_what_was_typed(
    world: World, as_user: Any
) -> None:
    agreement = world.draft()
    client = as_user(world.users["coordinator"])
    url = reverse("agreement_edit", args=[agreement.pk])
    before = svc.mou_content.content_hash(AgreementVersion.objects.get(agreement=agreement))
    # The service's error (retention before the term ends) lands on its field.
    response = client.post(
        url,
        edit_data(
            agreement,
            purpose="Typed purpose",
            **{"data_sharing-retention_ends_on": "2001-01-01", "deliverables-0-quantity": "77"},
        ),
    )
    assert response.status_code == 400
    text = page(response)
    assert "The data must be kept at least until the term ends" in text
    assert 'id="id_data_sharing-retention_ends_on_error"' in text
    assert 'value="2001-01-01"' in text and "Typed purpose" in text and 'value="77"' in text
    assert "nothing was saved" in text
    # A deliverable row's error from the service, on that row.
    other_org = ServiceFactory.create(organization=world.t1.org_b)
    response = client.post(url, edit_data(agreement, **{"deliverables-0-service": other_org.pk}))
    assert response.status_code == 400
    assert 'id="id_deliverables-0-service_error"' in page(response)
    # The form's own checks: a date that is not one, a responsibility of no party.
    response = client.post(
        url,
        edit_data(agreement, term_end="31/31/2030", **{"responsibilities-1-party": ""}),
    )
    assert response.status_code == 400
    text = page(response)
    assert 'id="id_term_end_error"' in text and 'id="id_responsibilities-1-party_error"' in text
    assert 'value="31/31/2030"' in text
    assert svc.mou_content.content_hash(AgreementVersion.objects.get(agreement=agreement)) == before


def test_the_editor_sends_a_sent_version_back_to_the_agreement(world: World, as_user: Any) -> None:
    agreement = world.sent()
    response = as_user(world.users["coordinator"]).get(
        reverse("agreement_edit", args=[agreement.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("agreement_detail", args=[agreement.pk])


# --- send and sign ------------------------------------------------------------------------------


def test_sending_for_every_role(world: World, as_user: Any) -> None:
    agreement = world.draft()
    url = reverse("agreement_send", args=[agreement.pk])
    others = set(PERSONAS) - DRAFTERS
    assert codes(world, as_user, url, post={}, personas=others) == expected(
        no=(READERS - DRAFTERS, 403), hidden=(others - READERS, 404)
    )
    version = agreement.current_version
    assert version is not None
    deliverables = list(version.deliverables.all())
    version.deliverables.all().delete()
    response = as_user(world.users["coordinator"]).post(url)
    assert response.status_code == 400 and "Add at least one deliverable." in page(response)
    for d in deliverables:
        d.save()
    response = as_user(world.users["coordinator"]).post(url)
    assert response.status_code == 302
    assert reload(agreement).status == S.AWAITING_SIGNATURES


def test_signing_for_every_role(world: World, as_user: Any, t2: Any) -> None:
    agreement = world.sent()
    version = agreement.current_version
    assert version is not None
    url = reverse("agreement_sign", args=[agreement.pk])
    assert codes(world, as_user, url) == expected(
        ok=(SIGNERS, 200), no=(READERS - SIGNERS, 403), hidden=(set(PERSONAS) - READERS, 404)
    )
    assert as_user(t2.users["principal"]).get(url).status_code == 404
    client = as_user(world.users["principal"])
    text = page(client.get(url))
    assert version.content_hash in text and 'value="Pat' not in text  # the name is typed
    assert "Homework club" in text and "You sign for the school" in text
    good = {
        "signer_name": "Pat Principal",
        "signer_title": "Principal",
        "confirm": "on",
        "content_hash": version.content_hash,
    }
    for bad, words in (
        ({"signer_name": ""}, "This field is required"),
        ({"confirm": ""}, "Confirm that you have read the terms"),
        ({"content_hash": "0" * 64}, "The terms changed after you opened this page"),
    ):
        response = client.post(url, {**good, **bad})
        assert response.status_code == 400 and words in page(response), bad
    assert not Signature.objects.exists()
    response = client.post(url, good, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.signer_name, signature.ip_address, signature.party) == (
        "Pat Principal",
        "192.0.2.10",
        "school",
    )
    assert client.get(url).status_code == 302  # nothing left for the school to sign
    response = as_user(world.users["partner_admin"]).post(url, {**good, "signer_name": "Ari"})
    assert response.status_code == 302
    assert reload(agreement).status == S.ACTIVE


def test_signing_a_tampered_version_is_refused_on_the_page(world: World, as_user: Any) -> None:
    agreement = world.sent()
    version = agreement.current_version
    assert version is not None
    DataSharingAgreement.objects.filter(version=version).update(data_elements=["health"])
    response = as_user(world.users["partner_admin"]).post(
        reverse("agreement_sign", args=[agreement.pk]),
        {"signer_name": "Ari", "confirm": "on", "content_hash": version.content_hash},
    )
    assert response.status_code == 400 and "hash differs" in page(response)
    assert not Signature.objects.exists()


# --- revise, terminate, renew, destruction ------------------------------------------------------


def test_revising_for_every_role(world: World, as_user: Any) -> None:
    agreement = world.signed()
    url = reverse("agreement_revise", args=[agreement.pk])
    others = set(PERSONAS) - DRAFTERS
    assert codes(world, as_user, url, post={"change_note": "x"}, personas=others) == expected(
        no=(READERS - DRAFTERS, 403), hidden=(others - READERS, 404)
    )
    client = as_user(world.users["coordinator"])
    response = client.post(url, {"change_note": "Tier 3 too"})
    assert response.status_code == 302
    assert response["Location"] == reverse("agreement_edit", args=[agreement.pk])
    agreement = reload(agreement)
    assert agreement.current_version is not None and agreement.current_version.number == 2
    assert agreement.status == S.ACTIVE
    response = client.post(url, {"change_note": "again"})
    assert response.status_code == 400 and "still a draft" in page(response)
    response = client.post(url, {"change_note": "x" * 501})
    assert response.status_code == 400


def test_terminating_for_every_role(world: World, as_user: Any) -> None:
    agreement = world.signed()
    url = reverse("agreement_terminate", args=[agreement.pk])
    terminators = DRAFTERS | SIGNERS
    others = set(PERSONAS) - terminators
    assert codes(world, as_user, url, post={"reason": "x"}, personas=others) == expected(
        no=(READERS - terminators, 403), hidden=(others - READERS, 404)
    )
    client = as_user(world.users["partner_admin"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "This field is required" in page(response)
    assert client.post(url, {"reason": "We are closing."}).status_code == 302
    agreement = reload(agreement)
    assert agreement.status == S.TERMINATED
    text = page(client.get(reverse("agreement_detail", args=[agreement.pk])))
    assert "Terminated: We are closing." in text
    response = client.post(url, {"reason": "Again"})
    assert response.status_code == 400 and "can no longer be terminated" in page(response)


def test_renewing_for_every_role(world: World, as_user: Any) -> None:
    agreement = world.signed()
    url = reverse("agreement_renew", args=[agreement.pk])
    others = set(PERSONAS) - DRAFTERS
    assert codes(world, as_user, url, post={}, personas=others) == expected(
        no=(READERS - DRAFTERS, 403), hidden=(others - READERS, 404)
    )
    client = as_user(world.users["coordinator"])
    response = client.post(url)
    assert response.status_code == 400 and "school year first" in page(response)
    SchoolYearFactory.create(network=world.t1.network, end_year=world.year.end_year + 1)
    response = client.post(url)
    renewal = Agreement.objects.get(renewed_from=agreement)
    assert response.status_code == 302
    assert response["Location"] == reverse("agreement_edit", args=[renewal.pk])


def test_certifying_destruction_for_every_role(world: World, as_user: Any) -> None:
    agreement = world.signed()
    svc.agreement_terminate(user=world.users["principal"], agreement=agreement, reason="Ended.")
    url = reverse("agreement_destruction", args=[agreement.pk])
    data = {
        "destroyed_on": world.today.isoformat(),
        "method": "shredding",
        "details": "",
        "certifier_name": "Ari Partner",
    }
    others = set(PERSONAS) - {"partner_admin"}
    assert codes(world, as_user, url, post=data, personas=others) == expected(
        no=(READERS - {"partner_admin"}, 403), hidden=(others - READERS, 404)
    )
    client = as_user(world.users["partner_admin"])
    detail = page(client.get(reverse("agreement_detail", args=[agreement.pk])))
    assert "Certify that the shared data was destroyed" in detail
    future = (world.today + dt.timedelta(days=3)).isoformat()
    response = client.post(url, {**data, "destroyed_on": future})
    assert response.status_code == 400 and "cannot be in the future" in page(response)
    assert client.post(url, data, REMOTE_ADDR="192.0.2.44").status_code == 302
    destruction = reload(agreement).destruction
    assert (destruction.method, destruction.ip_address) == ("shredding", "192.0.2.44")
    response = client.post(url, data)
    assert response.status_code == 400 and "already certified" in page(response)


# --- one version and its diff -------------------------------------------------------------------


def test_a_version_page_shows_the_diff(world: World, as_user: Any) -> None:
    agreement = world.signed()
    coordinator = world.users["coordinator"]
    svc.agreement_revise(user=coordinator, agreement=agreement)
    client = as_user(coordinator)
    edit = reverse("agreement_edit", args=[agreement.pk])
    client.post(edit, edit_data(reload(agreement), **{"deliverables-0-quantity": "40"}))
    url = reverse("agreement_version", args=[agreement.pk, 2])
    assert codes(world, as_user, url) == expected(
        ok=(READERS, 200), hidden=(set(PERSONAS) - READERS, 404)
    )
    text = page(client.get(url))
    assert "Changes from version 1" in text
    assert '<del><span class="marker">− removed</span> Deliverable: Homework club — 12' in text
    assert '<ins><span class="marker">+ added</span> Deliverable: Homework club — 40' in text
    assert reverse("agreement_pdf", args=[agreement.pk, 2]) in text
    first = page(client.get(reverse("agreement_version", args=[agreement.pk, 1])))
    assert "The first version: every line is new" in first
    assert client.get(reverse("agreement_version", args=[agreement.pk, 9])).status_code == 404


def test_other_tenants_get_404_everywhere(world: World, as_user: Any, t2: Any) -> None:
    agreement = world.sent()
    pk = agreement.pk
    gets = [
        reverse("agreement_detail", args=[pk]),
        reverse("agreement_edit", args=[pk]),
        reverse("agreement_sign", args=[pk]),
        reverse("agreement_version", args=[pk, 1]),
    ]
    posts = [
        reverse(name, args=[pk])
        for name in (
            "agreement_send",
            "agreement_sign",
            "agreement_revise",
            "agreement_terminate",
            "agreement_renew",
            "agreement_destruction",
        )
    ] + [reverse("agreement_create", args=[world.partnership.pk])]
    for persona in ("network_admin", "coordinator", "principal", "partner_admin"):
        client = as_user(t2.users[persona])
        for url in gets:
            assert client.get(url).status_code == 404, (persona, url)
        for url in posts:
            assert client.post(url, {"reason": "x"}).status_code == 404, (persona, url)


# --- the partnership pages link to the MOUs -----------------------------------------------------


def test_partnership_pages_offer_the_mou(world: World, as_user: Any) -> None:
    t1 = world.t1
    school_url = reverse("school_partnerships", args=[t1.schools[0].pk])
    org_url = reverse("organization_partnerships", args=[t1.org_a.pk])
    create = reverse("agreement_create", args=[world.partnership.pk])
    coordinator = as_user(world.users["coordinator"])
    assert create in page(coordinator.get(school_url))
    assert create not in page(as_user(world.users["principal"]).get(school_url))
    assert create in page(as_user(world.users["network_admin"]).get(org_url))
    assert create not in page(as_user(world.users["partner_admin"]).get(org_url))
    agreement = world.draft()
    detail = reverse("agreement_detail", args=[agreement.pk])
    text = page(as_user(world.users["coordinator"]).get(school_url))
    assert detail in text and create not in text
    assert detail in page(as_user(world.users["partner_admin"]).get(org_url))
    assert detail not in page(as_user(world.users["evaluator"]).get(school_url))


def test_the_whole_flow_through_the_pages(world: World, as_user: Any) -> None:
    coordinator = as_user(world.users["coordinator"])
    coordinator.post(reverse("agreement_create", args=[world.partnership.pk]))
    agreement = Agreement.objects.get()
    coordinator.post(reverse("agreement_send", args=[agreement.pk]))
    sign = reverse("agreement_sign", args=[agreement.pk])
    content_hash = reload(agreement).current_version.content_hash  # type: ignore[union-attr]
    for persona in ("principal", "partner_admin"):
        response = as_user(world.users[persona]).post(
            sign, {"signer_name": persona, "confirm": "on", "content_hash": content_hash}
        )
        assert response.status_code == 302
    agreement = reload(agreement)
    assert agreement.status == S.ACTIVE and agreement.signed_version_id is not None
