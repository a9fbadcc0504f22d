"""Writes on coalitions: the coalition itself, its member agencies and their contacts, the
commitments members make, the measures entered by hand, and the shared-resources board.

A refusal is a `ValidationError` keyed by the field it concerns; closing a post someone else
changed since it was read is a `ResourcePostConflict` (optimistic locking on `version`).
A contact linked to a user account gives that user the coalition member role on the coalition
(through `core.services.membership_grant`); when the user is no longer a contact of any active
member, the role is revoked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import (
    Coalition,
    Community,
    Membership,
    Network,
    Notification,
    Organization,
    School,
)
from wraparound.core.roles import Role
from wraparound.core.services import audit_record, membership_grant, membership_revoke

from .models import (
    CoalitionMember,
    Commitment,
    CommitmentKind,
    MeasureEntry,
    MemberContact,
    MemberKind,
    PostKind,
    PostStatus,
    ResourcePost,
    ResourceResponse,
)

MAX_QUANTITY = Decimal("9999999999")


class ResourcePostConflict(Exception):
    """The post changed since the caller read it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any, field: str, limit: int, errors: dict[str, Any], *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > limit:
        errors[field] = _("Keep this under %(limit)d characters.") % {"limit": limit}
    return text


def _decimal(
    raw: Any, field: str, errors: dict[str, Any], *, required: bool, minimum: Decimal | None
) -> Decimal | None:
    if raw is None or raw == "":
        if required:
            errors[field] = _("Enter a number.")
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("Enter a number.")
        return None
    if not value.is_finite() or abs(value) > MAX_QUANTITY:
        errors[field] = _("Enter a number.")
        return None
    if minimum is not None and value < minimum:
        errors[field] = _("Enter a number of at least %(min)s.") % {"min": minimum}
    return value.quantize(Decimal("0.01"))


def _period(starts_on: Any, ends_on: Any, errors: dict[str, Any]) -> None:
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = _("Give the first day of the period.")
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = _("Give the last day of the period.")
    elif isinstance(starts_on, dt.date) and ends_on < starts_on:
        errors["ends_on"] = _("The period must end on or after the day it starts.")


# --- coalitions ---------------------------------------------------------------------------------


def _clean_coalition(
    *, network: Network, community: Community | None, name: Any, focus: Any, principles: Any
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if community is not None and community.network_id != network.pk:
        errors["community"] = _("Choose a community of the network.")
    data = {
        "community": community,
        "name": _text(name, "name", 200, errors, required=True),
        "focus": _text(focus, "focus", 5000, errors, required=False),
        "principles": _text(principles, "principles", 10000, errors, required=False),
    }
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def coalition_create(
    *,
    user: Any,
    network: Network,
    community: Community | None,
    name: str,
    focus: str = "",
    principles: str = "",
) -> Coalition:
    if not access.is_network_admin(user, network.pk):
        raise PermissionDenied
    data = _clean_coalition(
        network=network, community=community, name=name, focus=focus, principles=principles
    )
    coalition = Coalition.objects.create(network=network, **data)
    audit_record(actor=user, action="coalition.create", target=coalition, network=network)
    return coalition


@transaction.atomic
def coalition_update(
    *,
    user: Any,
    coalition: Coalition,
    community: Community | None,
    name: str,
    focus: str = "",
    principles: str = "",
) -> Coalition:
    if not access.can_manage_coalition(user, coalition):
        raise PermissionDenied
    data = _clean_coalition(
        network=coalition.network,
        community=community,
        name=name,
        focus=focus,
        principles=principles,
    )
    for key, value in data.items():
        setattr(coalition, key, value)
    coalition.save(update_fields=list(data))
    audit_record(
        actor=user, action="coalition.update", target=coalition, network=coalition.network_id
    )
    return coalition


# --- member agencies ------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *,
    user: Any,
    coalition: Coalition,
    kind: str,
    organization: Organization | None = None,
    school: School | None = None,
    name: str = "",
    joined_on: dt.date | None = None,
) -> CoalitionMember:
    """Add a member agency: a directory organization of the network, a school of the network, or
    an agency outside the directory, named, with its kind."""
    if not access.can_manage_coalition(user, coalition):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    name = _text(name, "name", 250, errors, required=False)
    if kind not in MemberKind.values:
        errors["kind"] = _("Choose the kind of agency.")
    links = [x for x in (organization, school, name) if x]
    if len(links) != 1:
        errors["__all__"] = _(
            "Choose an organization of the directory, a school, or name an agency — one of them."
        )
    elif school is not None:
        if school.network_id != coalition.network_id:
            errors["school"] = _("Choose a school of the network.")
        elif CoalitionMember.objects.filter(coalition=coalition, school=school).exists():
            errors["school"] = _("This school is already a member.")
        kind = MemberKind.SCHOOL
    elif kind == MemberKind.SCHOOL:
        errors["kind"] = _("A school member is one of the network's schools: choose it.")
    elif organization is not None:
        if organization.network_id != coalition.network_id:
            errors["organization"] = _("Choose an organization of the network's directory.")
        elif CoalitionMember.objects.filter(
            coalition=coalition, organization=organization
        ).exists():
            errors["organization"] = _("This organization is already a member.")
    if errors:
        raise ValidationError(errors)
    member = CoalitionMember.objects.create(
        coalition=coalition,
        kind=kind,
        organization=organization,
        school=school,
        name=name if organization is None and school is None else "",
        joined_on=joined_on or coalition.network.today(),
    )
    audit_record(
        actor=user,
        action="coalition.member_add",
        target=member,
        network=coalition.network_id,
        data={"coalition": coalition.pk, "kind": kind},
    )
    return member


@transaction.atomic
def member_set_active(*, user: Any, member: CoalitionMember, active: bool) -> CoalitionMember:
    """Deactivate a member agency (its history stays in the measures) or bring it back. Its
    contacts' coalition roles follow."""
    coalition = member.coalition
    if not access.can_manage_coalition(user, coalition):
        raise PermissionDenied
    if member.is_active == active:
        return member
    member.is_active = active
    member.save(update_fields=["is_active"])
    for contact_user in _contact_users(member):
        _sync_role(actor=user, coalition=coalition, person=contact_user)
    audit_record(
        actor=user,
        action="coalition.member_activate" if active else "coalition.member_deactivate",
        target=member,
        network=coalition.network_id,
    )
    return member


def _contact_users(member: CoalitionMember) -> list[Any]:
    return [c.user for c in member.contacts.select_related("user") if c.user is not None]


# --- contacts -------------------------------------------------------------------------------------


def find_network_user(network: Network, account: str) -> Any:
    """The user with this username or e-mail who holds a role in the network; a ValidationError
    on `user` otherwise."""
    from django.contrib.auth import get_user_model

    account = (account or "").strip()
    if not account:
        return None
    users = list(
        get_user_model()
        .objects.filter(memberships__network=network, memberships__is_active=True, is_active=True)
        .filter(username__iexact=account)
        .distinct()[:2]
    ) or list(
        get_user_model()
        .objects.filter(memberships__network=network, memberships__is_active=True, is_active=True)
        .filter(email__iexact=account)
        .distinct()[:2]
    )
    if not users:
        raise ValidationError(
            {"user": _("No account with this username or e-mail has a role in the network.")}
        )
    if len(users) > 1:
        raise ValidationError(
            {"user": _("Several accounts share this e-mail; give the username instead.")}
        )
    return users[0]


def _clean_contact(
    *, name: Any, title: Any, email: Any, phone: Any, contact_user: Any, member: CoalitionMember
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    data = {
        "name": _text(name, "name", 200, errors, required=True),
        "title": _text(title, "title", 200, errors, required=False),
        "email": _text(email, "email", 254, errors, required=False),
        "phone": _text(phone, "phone", 40, errors, required=False),
        "user": contact_user,
    }
    if data["email"] and "email" not in errors:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
    if (
        contact_user is not None
        and not Membership.objects.filter(
            user=contact_user, network_id=member.coalition.network_id, is_active=True
        ).exists()
    ):
        errors["user"] = _("No account with this username or e-mail has a role in the network.")
    if errors:
        raise ValidationError(errors)
    return data


def _sync_role(*, actor: Any, coalition: Coalition, person: Any) -> None:
    """Give or take the coalition member role, so that it matches whether `person` is a contact
    of an active member agency of the coalition."""
    wanted = MemberContact.objects.filter(
        user=person, member__coalition=coalition, member__is_active=True
    ).exists()
    membership = Membership.objects.filter(
        user=person, role=Role.COALITION_MEMBER, coalition=coalition
    ).first()
    if wanted and membership is None:
        membership_grant(
            actor=actor,
            user=person,
            role=Role.COALITION_MEMBER,
            network=coalition.network,
            coalition=coalition,
        )
    elif wanted and membership is not None and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        access.forget(person)
        audit_record(
            actor=actor,
            action="membership.grant",
            target=membership,
            network=coalition.network_id,
            data={"user": person.pk, "role": Role.COALITION_MEMBER, "scope": membership.scope},
        )
    elif not wanted and membership is not None and membership.is_active:
        membership_revoke(actor=actor, membership=membership)


def _primary_only(contact: MemberContact) -> None:
    if contact.is_primary:
        MemberContact.objects.filter(member_id=contact.member_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)


@transaction.atomic
def contact_add(
    *,
    user: Any,
    member: CoalitionMember,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    contact_user: Any = None,
    is_primary: bool = False,
) -> MemberContact:
    coalition = member.coalition
    if not access.can_manage_coalition(user, coalition):
        raise PermissionDenied
    data = _clean_contact(
        name=name, title=title, email=email, phone=phone, contact_user=contact_user, member=member
    )
    contact = MemberContact.objects.create(member=member, is_primary=bool(is_primary), **data)
    _primary_only(contact)
    if contact.user is not None:
        _sync_role(actor=user, coalition=coalition, person=contact.user)
    audit_record(
        actor=user, action="coalition.contact_add", target=contact, network=coalition.network_id
    )
    return contact


@transaction.atomic
def contact_update(
    *,
    user: Any,
    contact: MemberContact,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    contact_user: Any = None,
    is_primary: bool = False,
) -> MemberContact:
    member = contact.member
    coalition = member.coalition
    if not access.can_manage_coalition(user, coalition):
        raise PermissionDenied
    data = _clean_contact(
        name=name, title=title, email=email, phone=phone, contact_user=contact_user, member=member
    )
    previous_user = contact.user
    for key, value in data.items():
        setattr(contact, key, value)
    contact.is_primary = bool(is_primary)
    contact.save()
    _primary_only(contact)
    for person in {u.pk: u for u in (previous_user, contact.user) if u is not None}.values():
        _sync_role(actor=user, coalition=coalition, person=person)
    audit_record(
        actor=user, action="coalition.contact_update", target=contact, network=coalition.network_id
    )
    return contact


@transaction.atomic
def contact_remove(*, user: Any, contact: MemberContact) -> None:
    coalition = contact.member.coalition
    if not access.can_manage_coalition(user, coalition):
        raise PermissionDenied
    person = contact.user
    audit_record(
        actor=user,
        action="coalition.contact_remove",
        target=contact,
        network=coalition.network_id,
        data={"name": contact.name, "member": contact.member_id},
    )
    contact.delete()
    if person is not None:
        _sync_role(actor=user, coalition=coalition, person=person)


# --- commitments ----------------------------------------------------------------------------------


def _clean_commitment(
    *,
    coalition: Coalition,
    member: CoalitionMember | None,
    kind: Any,
    description: Any,
    quantity: Any,
    unit: Any,
    starts_on: Any,
    ends_on: Any,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if member is None or member.coalition_id != coalition.pk:
        errors["member"] = _("Choose a member agency of this coalition.")
    if kind not in CommitmentKind.values:
        errors["kind"] = _("Choose what the agency commits.")
    data = {
        "member": member,
        "kind": kind,
        "description": _text(description, "description", 500, errors, required=False),
        "quantity": _decimal(
            quantity,
            "quantity",
            errors,
            required=kind == CommitmentKind.REFERRALS_ACCEPTED,
            minimum=Decimal(0),
        ),
        "unit": _text(unit, "unit", 50, errors, required=False),
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    if kind == CommitmentKind.OTHER and not data["description"] and "description" not in errors:
        errors["description"] = _("Say what the agency commits.")
    _period(starts_on, ends_on, errors)
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def commitment_create(
    *, user: Any, coalition: Coalition, member: CoalitionMember | None, **fields: Any
) -> Commitment:
    """Record what a member agency will contribute (fields: kind, description, quantity, unit,
    starts_on, ends_on)."""
    data = _clean_commitment(coalition=coalition, member=member, **fields)
    if not access.can_act_for_coalition_member(user, coalition, data["member"].pk):
        raise PermissionDenied
    commitment = Commitment.objects.create(coalition=coalition, created_by=user, **data)
    audit_record(
        actor=user,
        action="coalition.commitment_create",
        target=commitment,
        network=coalition.network_id,
    )
    return commitment


@transaction.atomic
def commitment_update(*, user: Any, commitment: Commitment, **fields: Any) -> Commitment:
    """Change a commitment; its member agency stays."""
    coalition = commitment.coalition
    if not access.can_act_for_coalition_member(user, coalition, commitment.member_id):
        raise PermissionDenied
    data = _clean_commitment(coalition=coalition, member=commitment.member, **fields)
    for key, value in data.items():
        setattr(commitment, key, value)
    commitment.save()
    audit_record(
        actor=user,
        action="coalition.commitment_update",
        target=commitment,
        network=coalition.network_id,
    )
    return commitment


@transaction.atomic
def commitment_delete(*, user: Any, commitment: Commitment) -> None:
    coalition = commitment.coalition
    if not access.can_act_for_coalition_member(user, coalition, commitment.member_id):
        raise PermissionDenied
    audit_record(
        actor=user,
        action="coalition.commitment_delete",
        target=commitment,
        network=coalition.network_id,
        data={"member": commitment.member_id, "kind": commitment.kind},
    )
    commitment.delete()


# --- entered measures -----------------------------------------------------------------------------


def _clean_measure_entry(
    *,
    coalition: Coalition,
    member: CoalitionMember | None,
    commitment: Commitment | None,
    name: Any,
    value: Any,
    unit: Any,
    starts_on: Any,
    ends_on: Any,
    note: Any,
) -> dict[str, Any]:
    """The fields of an entered measure, or a ValidationError keyed by field. A commitment without
    a member agency stands for its member agency."""
    errors: dict[str, Any] = {}
    if member is not None and member.coalition_id != coalition.pk:
        errors["member"] = _("Choose a member agency of this coalition.")
    if commitment is not None:
        if commitment.coalition_id != coalition.pk:
            errors["commitment"] = _("Choose a commitment of this coalition.")
        elif member is None:
            member = commitment.member
        elif commitment.member_id != member.pk:
            errors["commitment"] = _("Choose a commitment of the same member agency.")
    data = {
        "member": member,
        "commitment": commitment,
        "name": _text(name, "name", 200, errors, required=True),
        "value": _decimal(value, "value", errors, required=True, minimum=None),
        "unit": _text(unit, "unit", 50, errors, required=False),
        "note": _text(note, "note", 500, errors, required=False),
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    _period(starts_on, ends_on, errors)
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def measure_entry_create(
    *,
    user: Any,
    coalition: Coalition,
    member: CoalitionMember | None,
    commitment: Commitment | None = None,
    name: str,
    value: Any,
    unit: str = "",
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    note: str = "",
) -> MeasureEntry:
    """Enter a figure the system cannot compute, for a member agency or (member None, network
    admins only) the coalition as a whole."""
    data = _clean_measure_entry(
        coalition=coalition,
        member=member,
        commitment=commitment,
        name=name,
        value=value,
        unit=unit,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
    )
    member = data["member"]
    if not access.can_act_for_coalition_member(user, coalition, member.pk if member else None):
        raise PermissionDenied
    entry = MeasureEntry.objects.create(coalition=coalition, entered_by=user, **data)
    audit_record(
        actor=user, action="coalition.measure_enter", target=entry, network=coalition.network_id
    )
    return entry


@transaction.atomic
def measure_entry_update(
    *,
    user: Any,
    entry: MeasureEntry,
    member: CoalitionMember | None,
    commitment: Commitment | None = None,
    name: str,
    value: Any,
    unit: str = "",
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    note: str = "",
) -> MeasureEntry:
    """Correct an entered figure. The same rules as entering it, on both sides: the user acts for
    the member agency the entry is for now, and for the one it will be for (member None: the
    coalition as a whole, network admins only). Who entered it and when stay; the audit trail
    keeps the previous figure."""
    coalition = entry.coalition
    if not access.can_act_for_coalition_member(user, coalition, entry.member_id):
        raise PermissionDenied
    # Lock the row: a concurrent removal must not be undone by save() re-inserting it.
    current = MeasureEntry.objects.select_for_update().filter(pk=entry.pk).first()
    if current is None:
        raise ValidationError({"__all__": _("This measure was removed in the meantime.")})
    data = _clean_measure_entry(
        coalition=coalition,
        member=member,
        commitment=commitment,
        name=name,
        value=value,
        unit=unit,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
    )
    new_member = data["member"]
    if not access.can_act_for_coalition_member(
        user, coalition, new_member.pk if new_member else None
    ):
        raise PermissionDenied
    before = {"member": current.member_id, "name": current.name, "value": str(current.value)}
    for key, val in data.items():
        setattr(entry, key, val)
    entry.save(update_fields=list(data))
    audit_record(
        actor=user,
        action="coalition.measure_update",
        target=entry,
        network=coalition.network_id,
        data={"before": before},
    )
    return entry


@transaction.atomic
def measure_entry_delete(*, user: Any, entry: MeasureEntry) -> None:
    coalition = entry.coalition
    if not access.can_act_for_coalition_member(user, coalition, entry.member_id):
        raise PermissionDenied
    audit_record(
        actor=user,
        action="coalition.measure_delete",
        target=entry,
        network=coalition.network_id,
        data={"name": entry.name, "value": str(entry.value)},
    )
    entry.delete()


# --- the shared-resources board -------------------------------------------------------------------


@transaction.atomic
def resource_post_create(
    *,
    user: Any,
    coalition: Coalition,
    member: CoalitionMember | None,
    kind: str,
    title: str,
    body: str = "",
) -> ResourcePost:
    """Post an offer or a request, for a member agency the user is a contact of (network admins
    may post for any member, or for none)."""
    errors: dict[str, Any] = {}
    if kind not in PostKind.values:
        errors["kind"] = _("Choose an offer or a request.")
    title = _text(title, "title", 200, errors, required=True)
    body = _text(body, "body", 5000, errors, required=False)
    if member is not None and (member.coalition_id != coalition.pk or not member.is_active):
        errors["member"] = _("Choose an active member agency of this coalition.")
    elif member is None and not access.can_manage_coalition(user, coalition):
        if access.coalition_member_ids_for(user, coalition):
            errors["member"] = _("Choose the member agency you post for.")
        else:
            raise PermissionDenied
    if errors:
        raise ValidationError(errors)
    if not access.can_act_for_coalition_member(user, coalition, member.pk if member else None):
        raise PermissionDenied
    post = ResourcePost.objects.create(
        coalition=coalition, member=member, kind=kind, title=title, body=body, posted_by=user
    )
    audit_record(
        actor=user,
        action="coalition.post_create",
        target=post,
        network=coalition.network_id,
        data={"kind": kind},
    )
    return post


@transaction.atomic
def resource_post_respond(
    *, user: Any, post: ResourcePost, message: str, member: CoalitionMember | None = None
) -> ResourceResponse:
    """Answer a post; whoever posted it is notified. A closed post takes no responses."""
    coalition = post.coalition
    if not access.can_respond_to_resource_post(user, coalition):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    message = _text(message, "message", 5000, errors, required=True)
    mine = access.coalition_member_ids_for(user, coalition)
    if member is not None:
        if member.coalition_id != coalition.pk or not (
            member.pk in mine or access.can_manage_coalition(user, coalition)
        ):
            errors["member"] = _("Choose a member agency you are a contact of.")
    elif len(mine) == 1:
        member = CoalitionMember.objects.get(pk=next(iter(mine)))
    current = ResourcePost.objects.select_for_update().get(pk=post.pk)
    if current.status != PostStatus.OPEN:
        errors["__all__"] = _("This post is closed; it takes no more responses.")
    if errors:
        raise ValidationError(errors)
    response = ResourceResponse.objects.create(
        post=current, member=member, responder=user, message=message
    )
    poster = current.posted_by
    if poster is not None and poster.pk != user.pk and poster.is_active:
        who = member.display_name if member else (user.get_full_name() or user.get_username())
        Notification.objects.create(
            user=poster,
            network_id=coalition.network_id,
            message=(
                _("%(who)s responded to your post “%(title)s”.")
                % {"who": who, "title": current.title}
            )[:500],
            url=reverse("coalition_post_detail", args=[coalition.pk, current.pk]),
        )
    audit_record(
        actor=user, action="coalition.post_respond", target=response, network=coalition.network_id
    )
    return response


@transaction.atomic
def resource_post_close(
    *, user: Any, post: ResourcePost, status: str, expected_version: int
) -> ResourcePost:
    """Mark a post fulfilled or withdraw it (its responses stay visible)."""
    if not access.can_close_resource_post(user, post):
        raise PermissionDenied
    if status not in (PostStatus.FULFILLED, PostStatus.WITHDRAWN):
        raise ValidationError({"status": _("Close a post as fulfilled or withdrawn.")})
    now = timezone.now()
    updated = ResourcePost.objects.filter(
        pk=post.pk, version=expected_version, status=PostStatus.OPEN
    ).update(status=status, closed_at=now, closed_by=user, version=expected_version + 1)
    if not updated:
        current = ResourcePost.objects.filter(pk=post.pk).values_list("status", flat=True).first()
        if current is not None and current != PostStatus.OPEN:
            raise ResourcePostConflict(_("This post is already closed."))
        raise ResourcePostConflict(
            _("Someone changed this post since you opened it; reload the page and try again.")
        )
    post.refresh_from_db()
    audit_record(
        actor=user,
        action="coalition.post_close",
        target=post,
        network=post.coalition.network_id,
        data={"status": status},
    )
    return post
