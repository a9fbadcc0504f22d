"""Coalition services: who may do what, what bad input says, the role that follows a contact,
the board's notifications, closing rules and optimistic locking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.coalitions import services
from wraparound.coalitions.models import (
    CommitmentKind,
    MemberContact,
    MemberKind,
    PostStatus,
    ResourcePost,
)
from wraparound.core import access
from wraparound.core.models import AuditEvent, Membership, Notification
from wraparound.core.roles import Role
from wraparound.core.tests.factories import UserFactory
from wraparound.core.tests.personas import Tenant

from .world import World


def _fresh(user: Any) -> Any:
    access.forget(user)
    return user


# --- coalitions and members -----------------------------------------------------------------


def test_admin_creates_and_edits_a_coalition(t1: Tenant) -> None:
    admin = t1.users["network_admin"]
    c = services.coalition_create(
        user=admin,
        network=t1.network,
        community=t1.communities[1],
        name="  CD 2 Coalition ",
        focus="Early literacy",
        principles="Families first\nShare data lawfully",
    )
    assert (c.name, c.community, c.network) == ("CD 2 Coalition", t1.communities[1], t1.network)
    assert AuditEvent.objects.filter(action="coalition.create", target_id=str(c.pk)).exists()
    services.coalition_update(
        user=admin, coalition=c, community=None, name="Renamed", focus="", principles=""
    )
    c.refresh_from_db()
    assert (c.name, c.community) == ("Renamed", None)


def test_coalition_rules(t1: Tenant, t2: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        services.coalition_create(
            user=t1.users["coordinator"], network=t1.network, community=None, name="X"
        )
    with pytest.raises(PermissionDenied):
        services.coalition_create(
            user=t2.users["network_admin"], network=t1.network, community=None, name="X"
        )
    with pytest.raises(ValidationError) as e:
        services.coalition_create(
            user=t1.users["network_admin"],
            network=t1.network,
            community=t2.communities[0],
            name=" ",
        )
    assert set(e.value.message_dict) == {"community", "name"}


def test_member_kinds_and_refusals(t1: Tenant, t2: Tenant) -> None:
    admin, c = t1.users["network_admin"], t1.coalition
    org = services.member_add(
        user=admin, coalition=c, kind=MemberKind.HEAD_START, organization=t1.org_a
    )
    assert org.kind == MemberKind.HEAD_START and org.display_name == t1.org_a.name
    school = services.member_add(
        user=admin, coalition=c, kind=MemberKind.OTHER, school=t1.schools[0]
    )
    assert school.kind == MemberKind.SCHOOL  # a school is a school
    named = services.member_add(
        user=admin, coalition=c, kind=MemberKind.GOVERNMENT_AGENCY, name="DYCD"
    )
    assert named.display_name == "DYCD"

    def refused(**kwargs: Any) -> set[str]:
        with pytest.raises(ValidationError) as e:
            services.member_add(user=admin, coalition=c, **kwargs)
        return set(e.value.message_dict)

    assert refused(kind=MemberKind.OTHER, organization=t1.org_a) == {"organization"}
    assert refused(kind=MemberKind.OTHER, school=t1.schools[0]) == {"school"}
    assert refused(kind=MemberKind.OTHER, organization=t2.org_a) == {"organization"}
    assert refused(kind=MemberKind.OTHER, school=t2.schools[0]) == {"school"}
    assert refused(kind=MemberKind.OTHER) == {"__all__"}
    assert refused(kind=MemberKind.OTHER, name="A", organization=t1.org_b) == {"__all__"}
    assert refused(kind=MemberKind.SCHOOL, name="A school by name") == {"kind"}
    assert refused(kind="bogus", name="A") == {"kind"}
    with pytest.raises(PermissionDenied):
        services.member_add(
            user=t1.users["coalition_member"], coalition=c, kind=MemberKind.OTHER, name="Y"
        )


# --- contacts and the coalition member role -----------------------------------------------------


def test_a_linked_contact_takes_part_and_loses_it_when_removed(t1: Tenant) -> None:
    admin, c = t1.users["network_admin"], t1.coalition
    member = services.member_add(user=admin, coalition=c, kind=MemberKind.OTHER, name="ACS")
    person = t1.users["partner_staff_b"]  # in the network, not yet in the coalition
    assert c not in access.visible_coalitions(_fresh(person))
    contact = services.contact_add(
        user=admin, member=member, name="Sam", email="sam@example.org", contact_user=person
    )
    assert c in access.visible_coalitions(_fresh(person))
    assert AuditEvent.objects.filter(action="membership.grant", actor=admin).exists()
    # A second contact for another member: removing one keeps the role.
    other = services.member_add(user=admin, coalition=c, kind=MemberKind.OTHER, name="DOE")
    second = services.contact_add(user=admin, member=other, name="Sam", contact_user=person)
    services.contact_remove(user=admin, contact=contact)
    assert c in access.visible_coalitions(_fresh(person))
    # Deactivating the last member agency they are a contact of takes the role away...
    services.member_set_active(user=admin, member=other, active=False)
    assert c not in access.visible_coalitions(_fresh(person))
    # ...and reactivating it gives it back (the same membership, active again).
    services.member_set_active(user=admin, member=other, active=True)
    assert c in access.visible_coalitions(_fresh(person))
    assert (
        Membership.objects.filter(user=person, role=Role.COALITION_MEMBER, coalition=c).count() == 1
    )
    # Unlinking the account on the last contact revokes it.
    services.contact_update(user=admin, contact=second, name="Sam", contact_user=None)
    assert c not in access.visible_coalitions(_fresh(person))


def test_contact_refusals(t1: Tenant, t2: Tenant, w1: World) -> None:
    admin = t1.users["network_admin"]
    with pytest.raises(ValidationError) as e:
        services.contact_add(
            user=admin,
            member=w1.member_agency,
            name="",
            email="not-an-address",
            contact_user=t2.users["staff"],
        )
    assert set(e.value.message_dict) == {"name", "email", "user"}
    with pytest.raises(ValidationError) as e:
        services.find_network_user(t1.network, t2.users["staff"].username)
    assert "user" in e.value.message_dict
    assert (
        services.find_network_user(t1.network, t1.users["staff"].username.upper())
        == (t1.users["staff"])
    )
    with pytest.raises(PermissionDenied):
        services.contact_add(user=w1.poster, member=w1.member_a, name="Me too")


def test_one_primary_contact_per_member(t1: Tenant, w1: World) -> None:
    admin = t1.users["network_admin"]
    services.contact_add(user=admin, member=w1.member_a, name="New lead", is_primary=True)
    primaries = MemberContact.objects.filter(member=w1.member_a, is_primary=True)
    assert list(primaries.values_list("name", flat=True)) == ["New lead"]


# --- commitments and measures -----------------------------------------------------------------


def _commitment(**over: Any) -> dict[str, Any]:
    return {
        "kind": CommitmentKind.REFERRALS_ACCEPTED,
        "description": "",
        "quantity": "12",
        "unit": "referrals",
        "starts_on": dt.date(2026, 9, 1),
        "ends_on": dt.date(2027, 6, 30),
        **over,
    }


def test_commitments_by_contacts_for_their_own_members_only(t1: Tenant, w1: World) -> None:
    c = t1.coalition
    made = services.commitment_create(
        user=w1.poster, coalition=c, member=w1.member_a, **_commitment()
    )
    assert made.quantity == Decimal("12.00") and made.created_by == w1.poster
    with pytest.raises(PermissionDenied):
        services.commitment_create(user=w1.poster, coalition=c, member=w1.member_b, **_commitment())
    with pytest.raises(PermissionDenied):
        services.commitment_update(user=w1.other, commitment=made, **_commitment(quantity="1"))
    services.commitment_update(user=w1.poster, commitment=made, **_commitment(quantity="15"))
    made.refresh_from_db()
    assert made.quantity == Decimal(15)
    # Network admins act for any member.
    services.commitment_delete(user=t1.users["network_admin"], commitment=made)
    with pytest.raises(PermissionDenied):
        services.commitment_create(
            user=t1.users["coordinator"], coalition=c, member=w1.member_a, **_commitment()
        )


def test_commitment_refusals(t1: Tenant, t2: Tenant, w1: World, w2: World) -> None:
    admin, c = t1.users["network_admin"], t1.coalition

    def refused(member: Any = None, **over: Any) -> set[str]:
        with pytest.raises(ValidationError) as e:
            services.commitment_create(
                user=admin, coalition=c, member=member or w1.member_a, **_commitment(**over)
            )
        return set(e.value.message_dict)

    assert refused(quantity="") == {"quantity"}
    assert refused(quantity="-3") == {"quantity"}
    assert refused(quantity="lots") == {"quantity"}
    assert refused(kind="bogus") == {"kind"}
    assert refused(kind=CommitmentKind.OTHER, quantity="") == {"description"}
    assert refused(ends_on=dt.date(2026, 8, 1)) == {"ends_on"}
    assert refused(member=w2.member_a) == {"member"}


def test_measure_entries(t1: Tenant, w1: World) -> None:
    c = t1.coalition
    common: dict[str, Any] = {
        "name": "Families served",
        "value": "31",
        "starts_on": dt.date(2026, 10, 1),
        "ends_on": dt.date(2026, 10, 31),
    }
    entry = services.measure_entry_create(user=w1.poster, coalition=c, member=w1.member_a, **common)
    assert entry.value == Decimal(31)
    with pytest.raises(PermissionDenied):  # the coalition as a whole: admins only
        services.measure_entry_create(user=w1.poster, coalition=c, member=None, **common)
    with pytest.raises(PermissionDenied):
        services.measure_entry_create(user=w1.other, coalition=c, member=w1.member_a, **common)
    whole = services.measure_entry_create(
        user=t1.users["network_admin"], coalition=c, member=None, **common
    )
    with pytest.raises(ValidationError) as e:
        services.measure_entry_create(
            user=w1.poster,
            coalition=c,
            member=w1.member_a,
            **{**common, "value": "x", "name": "", "ends_on": dt.date(2026, 1, 1)},
        )
    assert set(e.value.message_dict) == {"value", "name", "ends_on"}
    with pytest.raises(PermissionDenied):
        services.measure_entry_delete(user=w1.poster, entry=whole)
    services.measure_entry_delete(user=w1.poster, entry=entry)


# --- the board ----------------------------------------------------------------------------------


def test_post_respond_notify_and_fulfil(t1: Tenant, w1: World) -> None:
    c = t1.coalition
    post = services.resource_post_create(
        user=w1.poster, coalition=c, member=w1.member_a, kind="offer", title="30 winter coats"
    )
    assert post.status == PostStatus.OPEN and post.version == 1
    response = services.resource_post_respond(user=w1.other, post=post, message="We need 12.")
    assert response.member == w1.member_b  # their only member agency
    note = Notification.objects.get(user=w1.poster)
    assert t1.org_b.name in note.message and "30 winter coats" in note.message
    assert note.url == f"/coalitions/{c.pk}/board/{post.pk}/"
    # Answering one's own post notifies nobody.
    services.resource_post_respond(user=w1.poster, post=post, message="Pick-up Friday.")
    assert Notification.objects.filter(user=w1.poster).count() == 1
    with pytest.raises(PermissionDenied):
        services.resource_post_close(
            user=w1.other, post=post, status=PostStatus.FULFILLED, expected_version=1
        )
    closed = services.resource_post_close(
        user=w1.poster, post=post, status=PostStatus.FULFILLED, expected_version=1
    )
    assert (closed.status, closed.version, closed.closed_by) == ("fulfilled", 2, w1.poster)
    assert closed.responses.count() == 2  # responses stay
    with pytest.raises(ValidationError) as e:
        services.resource_post_respond(user=w1.other, post=closed, message="Still?")
    assert "closed" in e.value.messages[0]
    with pytest.raises(services.ResourcePostConflict):
        services.resource_post_close(
            user=w1.poster, post=closed, status=PostStatus.WITHDRAWN, expected_version=2
        )


def test_closing_with_a_stale_version_is_a_conflict(t1: Tenant, w1: World) -> None:
    post = services.resource_post_create(
        user=w1.poster, coalition=t1.coalition, member=w1.member_a, kind="request", title="Room"
    )
    ResourcePost.objects.filter(pk=post.pk).update(version=2)  # someone else changed it
    with pytest.raises(services.ResourcePostConflict) as e:
        services.resource_post_close(
            user=w1.poster, post=post, status=PostStatus.WITHDRAWN, expected_version=1
        )
    assert "changed" in e.value.message
    # A network admin may close anyone's post.
    services.resource_post_close(
        user=t1.users["network_admin"], post=post, status=PostStatus.WITHDRAWN, expected_version=2
    )


def test_posting_rules(t1: Tenant, t2: Tenant, w1: World, w2: World) -> None:
    c = t1.coalition
    with pytest.raises(PermissionDenied):  # not their member agency
        services.resource_post_create(
            user=w1.poster, coalition=c, member=w1.member_b, kind="offer", title="X"
        )
    with pytest.raises(ValidationError) as e:  # a contact says whom they post for
        services.resource_post_create(
            user=w1.poster, coalition=c, member=None, kind="offer", title="X"
        )
    assert "member" in e.value.message_dict
    # A coalition member who is nobody's contact cannot post.
    lonely = UserFactory()
    Membership.objects.create(
        user=lonely, role=Role.COALITION_MEMBER, network=t1.network, coalition=c
    )
    with pytest.raises(PermissionDenied):
        services.resource_post_create(
            user=lonely, coalition=c, member=None, kind="offer", title="X"
        )
    # ...but may respond.
    admin_post = services.resource_post_create(
        user=t1.users["network_admin"], coalition=c, member=None, kind="request", title="Vans"
    )
    services.resource_post_respond(user=lonely, post=admin_post, message="We have one.")
    with pytest.raises(PermissionDenied):
        services.resource_post_respond(user=t1.users["coordinator"], post=admin_post, message="Me?")
    with pytest.raises(ValidationError) as e:
        services.resource_post_create(
            user=t1.users["network_admin"],
            coalition=c,
            member=w2.member_a,
            kind="swap",
            title="",
        )
    assert set(e.value.message_dict) == {"kind", "title", "member"}
    # An inactive member agency posts nothing.
    w1.member_a.is_active = False
    w1.member_a.save()
    with pytest.raises(ValidationError):
        services.resource_post_create(
            user=t1.users["network_admin"], coalition=c, member=w1.member_a, kind="offer", title="X"
        )
