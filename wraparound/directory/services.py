"""Writes of partner profiles, the review of their changes and freshness (DESIGN.md §4).

An unvetted organization's partner admin edits it at once. Once the network has vetted it, each
edit becomes a `ChangeRequest` (before: the record as the partner saw it; after: what they
propose) that a network admin of the network approves or rejects; one pending change per record —
a second edit updates the pending one. Approving lays the partner's changes over the live record;
when someone else changed the same fields meanwhile, approval is refused unless the reviewer
chooses to overwrite them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Community, Membership, Organization, VettingStatus
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.core.tasks import send_email

from . import diff, selectors
from .models import (
    Address,
    Attribute,
    ChangeRequest,
    ChangeStatus,
    Contact,
    Language,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    TaxonomyTerm,
)

# A partner is reminded at most this often while records stay stale.
STALE_REMINDER_INTERVAL_DAYS = 14

KIND_ORGANIZATION = "organization"
KIND_SERVICE = "service"
KIND_NEW_SERVICE = "new_service"


@dataclass(frozen=True)
class EditResult:
    """What an edit did: applied at once (`service` is the record), or is waiting for review
    (`change`), or changed nothing."""

    applied: bool
    change: ChangeRequest | None = None
    service: Service | None = None

    @property
    def unchanged(self) -> bool:
        return not self.applied and self.change is None


def absolute_url(path: str) -> str:
    """A link for an e-mail. WRAPAROUND_BASE_URL names the site (no request in a task)."""
    base = settings.WRAPAROUND_BASE_URL.rstrip("/")
    return f"{base}{path}"


def _refresh_search_text(service_ids: list[int]) -> None:
    # Looked up at call time, so tests can stand in for the search module.
    from . import search

    search.service_search_text_refresh(service_ids=service_ids)


def _check_can_edit(actor: Any, organization: Organization) -> None:
    if organization.pk not in access.visible_organizations(actor).values_list("pk", flat=True):
        raise PermissionDenied
    if not access.can_edit_organization(actor, organization):
        raise PermissionDenied


def _check_reviewer(actor: Any, change: ChangeRequest) -> None:
    if not access.is_network_admin(actor, change.network_id):
        raise PermissionDenied


def _check_base(base_hash: str | None, current: diff.Snapshot) -> None:
    if base_hash and base_hash != diff.snapshot_hash(current):
        raise ValidationError(
            _(
                "Someone else changed this record after you opened it. Check the values below "
                "(what you typed is kept) and save again."
            ),
            code="stale_base",
        )


# --- applying a snapshot to the live records ------------------------------------------------------


def _apply_organization(organization: Organization, snap: diff.Snapshot) -> None:
    for key, _label in diff.ORGANIZATION_FIELDS:
        setattr(organization, key, snap.get(key) if key == "year_incorporated" else snap[key] or "")
    organization.full_clean(exclude=["network", "hsds_id", "parent_organization", "verified_by"])
    organization.save()


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _time_or_none(value: str) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


def _apply_service(service: Service, snap: diff.Snapshot, *, now: dt.datetime) -> None:
    """Write a service snapshot onto the service and its HSDS rows. Rows the form does not
    manage (imported extents, extra schedules or capacities) are left as they are."""
    network_id = service.network_id
    for key in ("name", "description", "status", "eligibility_description"):
        setattr(service, key, snap[key] or "")
    service.grade_low = snap["grade_low"] or ""
    service.grade_high = snap["grade_high"] or ""
    for key in ("during_school_day", "after_school", "weekend", "summer", "virtual"):
        setattr(service, key, bool(snap[key]))
    service.cost_to_school = _decimal_or_none(snap["cost_to_school"])
    service.cost_to_families = _decimal_or_none(snap["cost_to_families"])
    service.last_modified = now
    service.save()

    # Capacity: one row, `updated` stamped only when a figure changes ("date last updated").
    capacity = service.capacities.order_by("pk").first()
    available, maximum = snap["capacity_available"], snap["capacity_maximum"]
    unit = snap["capacity_unit"] or ""
    if available is None:
        if capacity is not None:
            capacity.delete()
    elif capacity is None:
        ServiceCapacity.objects.create(
            network_id=network_id,
            service=service,
            available=available,
            maximum=maximum,
            unit=unit,
            updated=now,
        )
    elif (capacity.available, capacity.maximum, capacity.unit) != (available, maximum, unit):
        capacity.available, capacity.maximum, capacity.unit = available, maximum, unit
        capacity.updated = now
        capacity.save()

    # Categories: HSDS attributes linking the service to taxonomy terms of the network.
    wanted_terms = set(
        TaxonomyTerm.objects.filter(
            network_id=network_id, pk__in=snap["categories"] or []
        ).values_list("pk", flat=True)
    )
    current = Attribute.objects.filter(service=service)
    current.exclude(taxonomy_term_id__in=wanted_terms).delete()
    have = set(current.values_list("taxonomy_term_id", flat=True))
    Attribute.objects.bulk_create(
        Attribute(
            network_id=network_id,
            service=service,
            taxonomy_term_id=term_id,
            link_entity="service",
            link_id=service.hsds_id,
        )
        for term_id in sorted(wanted_terms - have)
    )

    # Communities served: service areas naming a community of the network.
    communities = {
        c.pk: c
        for c in Community.objects.filter(network_id=network_id, pk__in=snap["communities"] or [])
    }
    areas = service.service_areas.filter(community__isnull=False)
    areas.exclude(community_id__in=communities).delete()
    have = set(areas.values_list("community_id", flat=True))
    ServiceArea.objects.bulk_create(
        ServiceArea(network_id=network_id, service=service, community=c, name=c.name)
        for pk, c in sorted(communities.items())
        if pk not in have
    )

    # Languages, by ISO code.
    languages = {row["code"]: row["name"] for row in snap["languages"] or []}
    service.languages.exclude(code__in=languages).delete()
    for language in service.languages.all():
        if language.name != languages[language.code]:
            language.name = languages[language.code]
            language.save(update_fields=["name"])
    have_codes = set(service.languages.values_list("code", flat=True))
    Language.objects.bulk_create(
        Language(network_id=network_id, service=service, code=code, name=name)
        for code, name in languages.items()
        if code not in have_codes
    )

    _apply_locations(service, snap["locations"] or [])
    _apply_contacts(service, snap["contacts"] or [])


def _apply_locations(service: Service, rows: list[dict[str, Any]]) -> None:
    network_id = service.network_id
    own = set(
        Location.objects.filter(organization_id=service.organization_id).values_list(
            "pk", flat=True
        )
    )
    kept: set[int] = set()
    for row in rows:
        location_id = row.get("location")
        if location_id:
            if location_id not in own:
                raise ValidationError(
                    _("A location this change uses (#%(id)s) no longer exists.")
                    % {"id": location_id}
                )
            location = Location.objects.get(pk=location_id)
        else:
            location = Location.objects.create(
                network_id=network_id,
                organization_id=service.organization_id,
                name=row.get("name") or "",
                latitude=_decimal_or_none(row.get("latitude")),
                longitude=_decimal_or_none(row.get("longitude")),
            )
            if row.get("address_1"):
                Address.objects.create(
                    network_id=network_id,
                    location=location,
                    address_1=row["address_1"],
                    city=row.get("city") or "",
                    state_province=row.get("state_province") or "",
                    postal_code=row.get("postal_code") or "",
                )
        sal = (
            ServiceAtLocation.objects.filter(service=service, location=location)
            .order_by("pk")
            .first()
        )
        if sal is None:
            sal = ServiceAtLocation.objects.create(
                network_id=network_id, service=service, location=location
            )
        kept.add(sal.pk)
        _apply_schedule(sal, row)
    service.at_locations.exclude(pk__in=kept).delete()


def _apply_schedule(sal: ServiceAtLocation, row: dict[str, Any]) -> None:
    days = row.get("days") or []
    opens, closes = (
        _time_or_none(row.get("opens_at") or ""),
        _time_or_none(row.get("closes_at") or ""),
    )
    description = row.get("schedule_description") or ""
    schedule = sal.schedules.order_by("pk").first()
    if not (days or opens or closes or description):
        if schedule is not None:
            schedule.delete()
        return
    if schedule is None:
        schedule = Schedule(network_id=sal.network_id, service_at_location=sal)
    schedule.freq = "WEEKLY" if days else ""
    schedule.byday = ",".join(days)
    schedule.opens_at, schedule.closes_at = opens, closes
    schedule.description = description
    schedule.save()


def _apply_contacts(service: Service, rows: list[dict[str, Any]]) -> None:
    network_id = service.network_id
    existing = {c.pk: c for c in service.contacts.all()}
    kept: set[int] = set()
    for row in rows:
        contact = existing.get(row.get("id") or 0)
        if contact is None:
            contact = Contact(network_id=network_id, service=service)
        contact.name, contact.title, contact.email = row["name"], row["title"], row["email"]
        contact.save()
        kept.add(contact.pk)
        phone = contact.phones.order_by("pk").first()
        if row["phone"]:
            if phone is None:
                Phone.objects.create(
                    network_id=network_id, contact=contact, number=row["phone"], type="voice"
                )
            elif phone.number != row["phone"]:
                phone.number = row["phone"]
                phone.save(update_fields=["number"])
        elif phone is not None:
            phone.delete()
    service.contacts.exclude(pk__in=kept).delete()


# --- partner edits --------------------------------------------------------------------------------


def _submit(
    *,
    actor: Any,
    organization: Organization,
    kind: str,
    service: Service | None,
    live: diff.Snapshot,
    after: diff.Snapshot,
    base_hash: str | None,
) -> EditResult:
    """Create or update the record's pending change; nothing is applied."""
    pending = (
        None
        if kind == KIND_NEW_SERVICE
        else selectors.pending_change(organization, kind=kind, service=service)
    )
    _check_base(base_hash, pending.after if pending else live)
    if pending is not None:
        if after == live:
            # Edited back to what it was: nothing is left to review.
            pending.status = ChangeStatus.WITHDRAWN
            pending.save(update_fields=["status"])
            audit_record(
                actor=actor,
                action="directory.change.withdraw",
                target=pending,
                network=organization.network_id,
            )
            return EditResult(applied=False)
        pending.after = after
        pending.save(update_fields=["after"])
        audit_record(
            actor=actor,
            action="directory.change.update",
            target=pending,
            network=organization.network_id,
            data={"kind": kind},
        )
        return EditResult(applied=False, change=pending)
    if kind != KIND_NEW_SERVICE and after == live:
        return EditResult(applied=False)
    change = ChangeRequest.objects.create(
        network_id=organization.network_id,
        organization=organization,
        service=service,
        kind=kind,
        before=live,
        after=after,
        submitted_by=actor,
    )
    audit_record(
        actor=actor,
        action="directory.change.submit",
        target=change,
        network=organization.network_id,
        data={"kind": kind, "service": service.pk if service else None},
    )
    return EditResult(applied=False, change=change)


@transaction.atomic
def organization_update(
    *,
    actor: Any,
    organization: Organization,
    data: diff.Snapshot,
    base_hash: str | None = None,
) -> EditResult:
    """Edit the organization's profile: at once, or as a change waiting for review."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _check_can_edit(actor, organization)
    live = selectors.organization_snapshot(organization)
    if selectors.edits_need_review(actor, organization):
        return _submit(
            actor=actor,
            organization=organization,
            kind=KIND_ORGANIZATION,
            service=None,
            live=live,
            after=data,
            base_hash=base_hash,
        )
    _check_base(base_hash, live)
    if data == live:
        return EditResult(applied=False)
    _apply_organization(organization, data)
    audit_record(
        actor=actor,
        action="directory.organization.update",
        target=organization,
        network=organization.network_id,
        data={"fields": sorted(diff.changed_keys(live, data))},
    )
    names_changed = data["name"] != live["name"]
    if names_changed:
        ids = list(organization.services.values_list("pk", flat=True))
        transaction.on_commit(lambda: _refresh_search_text(ids))
    return EditResult(applied=True)


_SEARCH_KEYS = frozenset({"name", "description", "categories"})


@transaction.atomic
def service_update(
    *, actor: Any, service: Service, data: diff.Snapshot, base_hash: str | None = None
) -> EditResult:
    service = Service.objects.select_for_update().select_related("organization").get(pk=service.pk)
    organization = service.organization
    _check_can_edit(actor, organization)
    live = selectors.service_snapshot(service)
    if selectors.edits_need_review(actor, organization):
        return _submit(
            actor=actor,
            organization=organization,
            kind=KIND_SERVICE,
            service=service,
            live=live,
            after=data,
            base_hash=base_hash,
        )
    _check_base(base_hash, live)
    if data == live:
        return EditResult(applied=False, service=service)
    _apply_service(service, data, now=timezone.now())
    changed = diff.changed_keys(live, data)
    audit_record(
        actor=actor,
        action="directory.service.update",
        target=service,
        network=service.network_id,
        data={"fields": sorted(changed)},
    )
    if changed & _SEARCH_KEYS:
        transaction.on_commit(lambda: _refresh_search_text([service.pk]))
    return EditResult(applied=True, service=service)


def _create_service(organization: Organization, data: diff.Snapshot) -> Service:
    now = timezone.now()
    service = Service.objects.create(
        network_id=organization.network_id,
        organization=organization,
        name=data["name"],
        confirmed_at=now,
    )
    _apply_service(service, data, now=now)
    return service


@transaction.atomic
def service_create(*, actor: Any, organization: Organization, data: diff.Snapshot) -> EditResult:
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _check_can_edit(actor, organization)
    if selectors.edits_need_review(actor, organization):
        return _submit(
            actor=actor,
            organization=organization,
            kind=KIND_NEW_SERVICE,
            service=None,
            live={},
            after=data,
            base_hash=None,
        )
    service = _create_service(organization, data)
    audit_record(
        actor=actor, action="directory.service.create", target=service, network=service.network_id
    )
    transaction.on_commit(lambda: _refresh_search_text([service.pk]))
    return EditResult(applied=True, service=service)


@transaction.atomic
def change_withdraw(*, actor: Any, change: ChangeRequest) -> ChangeRequest:
    change = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=change.pk)
    )
    _check_can_edit(actor, change.organization)
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("This change was already reviewed or withdrawn."))
    change.status = ChangeStatus.WITHDRAWN
    change.save(update_fields=["status"])
    audit_record(
        actor=actor, action="directory.change.withdraw", target=change, network=change.network_id
    )
    return change


# --- review ---------------------------------------------------------------------------------------


def change_live_snapshot(change: ChangeRequest) -> diff.Snapshot:
    """The record as it is now (read afresh: the change's cached relations may be older)."""
    if change.kind == KIND_ORGANIZATION:
        return selectors.organization_snapshot(Organization.objects.get(pk=change.organization_id))
    if change.kind == KIND_SERVICE and change.service_id is not None:
        return selectors.service_snapshot(Service.objects.get(pk=change.service_id))
    return {}


def change_conflicts(change: ChangeRequest) -> list[str]:
    """The fields both this change and a later edit of the live record touched."""
    if change.kind == KIND_NEW_SERVICE:
        return []
    return diff.conflicts(change.before, change_live_snapshot(change), change.after)


def _notify_submitter(change: ChangeRequest) -> None:
    user = change.submitted_by
    if not user.email:
        return
    record = change.service.name if change.service else change.after.get("name", "")
    context = {
        "change": change,
        "record": record,
        "user": user,
        "link": absolute_url(reverse("directory_organization", args=[change.organization_id])),
    }
    subject = "".join(
        render_to_string("directory/emails/change_reviewed_subject.txt", context).splitlines()
    )
    body = render_to_string("directory/emails/change_reviewed.txt", context)
    to = [user.email]
    transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=to))


@transaction.atomic
def change_approve(*, actor: Any, change: ChangeRequest, force: bool = False) -> ChangeRequest:
    """Apply a pending change. Refused when someone changed the same fields since the partner
    saw them, unless `force` (the reviewer read the three-way warning and overwrites)."""
    change = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("organization", "service", "submitted_by")
        .get(pk=change.pk)
    )
    _check_reviewer(actor, change)
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("This change was already reviewed or withdrawn."))
    now = timezone.now()
    today = timezone.localdate()
    organization = Organization.objects.select_for_update().get(pk=change.organization_id)
    if change.kind == KIND_NEW_SERVICE:
        service = _create_service(organization, change.after)
        change.service = service
        touched: set[str] = set(change.after)
    else:
        live = change_live_snapshot(change)
        clashes = diff.conflicts(change.before, live, change.after)
        if clashes and not force:
            labels = ", ".join(diff.label_for(k, change.kind) for k in clashes)
            raise ValidationError(
                _(
                    "The record changed after the partner submitted this: %(fields)s. Review "
                    "the current values and approve again to overwrite them, or reject."
                )
                % {"fields": labels},
                code="conflict",
            )
        merged = diff.merge(change.before, live, change.after)
        touched = diff.changed_keys(live, merged)
        if change.kind == KIND_ORGANIZATION:
            _apply_organization(organization, merged)
        else:
            assert change.service_id is not None  # a service change names its service
            service = Service.objects.select_for_update().get(pk=change.service_id)
            _apply_service(service, merged, now=now)
    # Approved records are vetted and current as of today.
    if change.kind == KIND_ORGANIZATION:
        organization.verified_on, organization.verified_by = today, actor
        organization.confirmed_at = now
        organization.save(update_fields=["verified_on", "verified_by", "confirmed_at"])
    else:
        Service.objects.filter(pk=service.pk).update(verified_on=today, confirmed_at=now)
    change.status = ChangeStatus.APPROVED
    change.reviewed_by, change.reviewed_at = actor, now
    change.save(update_fields=["status", "reviewed_by", "reviewed_at", "service"])
    audit_record(
        actor=actor,
        action="directory.change.approve",
        target=change,
        network=change.network_id,
        data={"kind": change.kind, "fields": sorted(touched), "forced": bool(force)},
    )
    if change.kind != KIND_ORGANIZATION and touched & _SEARCH_KEYS:
        service_id = service.pk
        transaction.on_commit(lambda: _refresh_search_text([service_id]))
    elif change.kind == KIND_ORGANIZATION and "name" in touched:
        ids = list(organization.services.values_list("pk", flat=True))
        transaction.on_commit(lambda: _refresh_search_text(ids))
    _notify_submitter(change)
    return change


@transaction.atomic
def change_reject(*, actor: Any, change: ChangeRequest, reason: str) -> ChangeRequest:
    change = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("organization", "service", "submitted_by")
        .get(pk=change.pk)
    )
    _check_reviewer(actor, change)
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why, so that the partner can correct and resubmit.")}
        )
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("This change was already reviewed or withdrawn."))
    change.status = ChangeStatus.REJECTED
    change.reviewed_by, change.reviewed_at = actor, timezone.now()
    change.review_note = reason
    change.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action="directory.change.reject",
        target=change,
        network=change.network_id,
        data={"kind": change.kind, "reason": reason},
    )
    _notify_submitter(change)
    return change


@transaction.atomic
def organization_set_vetting(*, actor: Any, organization: Organization, status: str) -> None:
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not access.is_network_admin(actor, organization.network_id):
        raise PermissionDenied
    if status not in VettingStatus.values:
        raise ValidationError({"status": _("Choose vetted, not yet vetted or suspended.")})
    previous = organization.vetting_status
    if previous == status:
        return
    organization.vetting_status = status
    fields = ["vetting_status", "updated_at"]
    if status == VettingStatus.VETTED:
        organization.verified_on, organization.verified_by = timezone.localdate(), actor
        fields += ["verified_on", "verified_by"]
    organization.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="directory.organization.vetting",
        target=organization,
        network=organization.network_id,
        data={"from": previous, "to": status},
    )


# --- freshness ------------------------------------------------------------------------------------


@transaction.atomic
def organization_confirm_current(*, actor: Any, organization: Organization) -> int:
    """The partner says the profile and every service are current: no review needed, nothing
    changes but the date. Returns how many services were confirmed."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _check_can_edit(actor, organization)
    now = timezone.now()
    organization.confirmed_at = now
    organization.save(update_fields=["confirmed_at"])
    count = Service.objects.filter(organization=organization).update(confirmed_at=now)
    audit_record(
        actor=actor,
        action="directory.organization.confirm",
        target=organization,
        network=organization.network_id,
        data={"services": count},
    )
    return count


def _stale_organizations(now: dt.datetime) -> list[Organization]:
    from wraparound.core.models import Network

    found: list[Organization] = []
    for network in Network.objects.all():
        cutoff = selectors.stale_cutoff(network, now)
        stale_services = Service.objects.filter(organization=OuterRef("pk")).filter(
            selectors.stale_services_q(cutoff)
        )
        found.extend(
            Organization.objects.filter(network=network)
            .exclude(vetting_status=VettingStatus.SUSPENDED)
            .filter(selectors.stale_q(cutoff) | Q(Exists(stale_services)))
        )
    return found


def stale_reminders_send(*, now: dt.datetime | None = None) -> int:
    """E-mail the partner admins of each organization with stale records, at most once every
    STALE_REMINDER_INTERVAL_DAYS. Safe to run twice or on two workers at once: the reminder
    date is claimed with one conditional UPDATE before anything is sent. Returns the number of
    organizations reminded."""
    now = now or timezone.now()
    due_before = now - dt.timedelta(days=STALE_REMINDER_INTERVAL_DAYS)
    reminded = 0
    for organization in _stale_organizations(now):
        admins = list(
            Membership.objects.filter(
                organization=organization, role=Role.PARTNER_ADMIN, is_active=True
            )
            .exclude(user__email="")
            .select_related("user")
        )
        if not admins:
            continue
        with transaction.atomic():
            claimed = (
                Organization.objects.filter(pk=organization.pk)
                .filter(
                    Q(stale_reminder_sent_at__isnull=True)
                    | Q(stale_reminder_sent_at__lte=due_before)
                )
                .update(stale_reminder_sent_at=now)
            )
            if not claimed:
                continue
            cutoff = selectors.stale_cutoff(organization.network, now)
            stale_services = list(
                organization.services.filter(selectors.stale_services_q(cutoff)).order_by("name")
            )
            context = {
                "organization": organization,
                "organization_stale": selectors.is_stale(organization.confirmed_at, cutoff),
                "services": stale_services,
                "months": organization.network.directory_stale_months,
                "link": absolute_url(reverse("directory_organization", args=[organization.pk])),
            }
            subject = "".join(
                render_to_string(
                    "directory/emails/stale_reminder_subject.txt", context
                ).splitlines()
            )
            for membership in admins:
                body = render_to_string(
                    "directory/emails/stale_reminder.txt", {**context, "user": membership.user}
                )
                to = [membership.user.email]
                transaction.on_commit(partial(send_email.delay, subject=subject, body=body, to=to))
            audit_record(
                actor=None,
                action="directory.organization.stale_reminder",
                target=organization,
                network=organization.network_id,
                data={"to": [m.user_id for m in admins], "services": len(stale_services)},
            )
        reminded += 1
    return reminded
