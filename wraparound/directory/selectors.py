"""Reads for partner profiles, the review of their changes and freshness. Every read starts from
`core.access`: an organization, service or change a user may not see is a 404."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wraparound.core import access
from wraparound.core.models import Community, Network, Organization, VettingStatus
from wraparound.core.roles import Role

from .diff import DAY_CODES, Names, Snapshot
from .models import (
    Attribute,
    ChangeRequest,
    ChangeStatus,
    Location,
    Service,
    ServiceStatus,
    TaxonomyTerm,
)

# --- who may do what ------------------------------------------------------------------------------


def edits_need_review(user: Any, organization: Organization) -> bool:
    """A partner's edit to a vetted (or suspended) organization waits for a network admin; the
    network admin's own edits apply at once."""
    if access.is_network_admin(user, organization.network_id):
        return False
    return organization.vetting_status != VettingStatus.UNVETTED


# --- freshness ------------------------------------------------------------------------------------


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    year += moment.year
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def stale_cutoff(network: Network, now: dt.datetime | None = None) -> dt.datetime:
    """Records last confirmed before this moment are stale."""
    return months_before(now or timezone.now(), network.directory_stale_months)


def is_stale(confirmed_at: dt.datetime | None, cutoff: dt.datetime) -> bool:
    return confirmed_at is None or confirmed_at < cutoff


def stale_q(cutoff: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}confirmed_at__isnull": True}) | Q(**{f"{prefix}confirmed_at__lt": cutoff})


def stale_services_q(cutoff: dt.datetime) -> Q:
    """Services whose confirmation lapsed; a defunct service has nothing left to confirm."""
    return stale_q(cutoff) & ~Q(status=ServiceStatus.DEFUNCT)


def organization_has_stale_records(organization: Organization, cutoff: dt.datetime) -> bool:
    if is_stale(organization.confirmed_at, cutoff):
        return True
    return organization.services.filter(stale_services_q(cutoff)).exists()


# --- organizations and services -------------------------------------------------------------------


def get_organization_for_profile(user: Any, pk: Any) -> Organization:
    return access.get_organization_for_user(user, pk)


def organization_services(organization: Organization) -> QuerySet[Service]:
    pending = ChangeRequest.objects.filter(service=OuterRef("pk"), status=ChangeStatus.PENDING)
    return (
        Service.objects.filter(organization=organization)
        .annotate(has_pending=Exists(pending), capacity_rows=Count("capacities"))
        .order_by("name")
    )


def get_service_for_user(user: Any, organization: Organization, pk: Any) -> Service:
    """A service of an organization the user already sees (404 otherwise)."""
    try:
        return Service.objects.select_related("organization", "network").get(
            pk=pk, organization=organization
        )
    except (Service.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def service_detail(service: Service) -> Service:
    """The service with everything its page shows, in a fixed number of queries."""
    return (
        Service.objects.select_related("organization")
        .prefetch_related(
            "capacities",
            "languages",
            "service_areas__community",
            "attributes__taxonomy_term__parent",
            "at_locations__location__addresses",
            "at_locations__schedules",
            "contacts__phones",
        )
        .get(pk=service.pk)
    )


def organization_pending_changes(organization: Organization) -> QuerySet[ChangeRequest]:
    return (
        ChangeRequest.objects.filter(organization=organization, status=ChangeStatus.PENDING)
        .select_related("service", "submitted_by")
        .order_by("submitted_at")
    )


def organization_recent_reviews(organization: Organization, limit: int = 5) -> list[ChangeRequest]:
    return list(
        ChangeRequest.objects.filter(
            organization=organization, status__in=[ChangeStatus.APPROVED, ChangeStatus.REJECTED]
        )
        .select_related("service")
        .order_by("-reviewed_at")[:limit]
    )


def pending_change(
    organization: Organization, *, kind: str, service: Service | None = None
) -> ChangeRequest | None:
    """The change waiting for review on this record: one at a time, later edits update it."""
    return (
        ChangeRequest.objects.select_for_update(of=("self",))
        .filter(organization=organization, kind=kind, service=service, status=ChangeStatus.PENDING)
        .order_by("submitted_at")
        .first()
    )


def get_change_for_partner(user: Any, organization: Organization, pk: Any) -> ChangeRequest:
    try:
        return ChangeRequest.objects.select_related("service", "organization").get(
            pk=pk, organization=organization
        )
    except (ChangeRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- review ---------------------------------------------------------------------------------------


def review_queue(user: Any) -> QuerySet[ChangeRequest]:
    """Pending changes in the networks the user administers, oldest first."""
    network_ids = access.grants(user).networks_with(Role.NETWORK_ADMIN)
    return (
        ChangeRequest.objects.filter(network_id__in=network_ids, status=ChangeStatus.PENDING)
        .select_related("organization", "service", "submitted_by", "network")
        .order_by("submitted_at", "pk")
    )


def get_change_for_reviewer(user: Any, pk: Any) -> ChangeRequest:
    network_ids = access.grants(user).networks_with(Role.NETWORK_ADMIN)
    try:
        return ChangeRequest.objects.select_related(
            "organization", "service", "submitted_by", "reviewed_by", "network"
        ).get(pk=pk, network_id__in=network_ids)
    except (ChangeRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def change_is_stale(change: ChangeRequest, cutoff: dt.datetime) -> bool:
    record = change.service if change.service_id else change.organization
    return record is not None and is_stale(record.confirmed_at, cutoff)


# --- snapshots: a record as its edit form's fields ------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _coordinate(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.6f}"


def _time(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def organization_snapshot(organization: Organization) -> Snapshot:
    return {
        "name": organization.name,
        "alternate_name": organization.alternate_name,
        "description": organization.description,
        "email": organization.email,
        "website": organization.website,
        "phone": organization.phone,
        "tax_status": organization.tax_status,
        "tax_id": organization.tax_id,
        "year_incorporated": organization.year_incorporated,
        "legal_status": organization.legal_status,
        "logo": organization.logo,
    }


def service_snapshot(service: Service) -> Snapshot:
    capacity = service.capacities.order_by("pk").first()
    categories = sorted(
        Attribute.objects.filter(service=service).values_list("taxonomy_term_id", flat=True)
    )
    communities = sorted(
        service.service_areas.filter(community__isnull=False).values_list("community_id", flat=True)
    )
    languages = [
        {"code": code, "name": name}
        for code, name in service.languages.order_by("code", "pk").values_list("code", "name")
    ]
    locations: list[dict[str, Any]] = []
    for sal in service.at_locations.select_related("location").prefetch_related("schedules"):
        schedules = sorted(sal.schedules.all(), key=lambda s: s.pk)
        schedule = schedules[0] if schedules else None
        days = [d for d in (schedule.byday.split(",") if schedule else []) if d in DAY_CODES]
        locations.append(
            {
                "location": sal.location_id,
                "name": "",
                "address_1": "",
                "city": "",
                "state_province": "",
                "postal_code": "",
                "latitude": None,
                "longitude": None,
                "days": sorted(days, key=DAY_CODES.index),
                "opens_at": _time(schedule.opens_at if schedule else None),
                "closes_at": _time(schedule.closes_at if schedule else None),
                "schedule_description": schedule.description if schedule else "",
            }
        )
    locations.sort(key=lambda row: row["location"])
    contacts = []
    for contact in service.contacts.prefetch_related("phones").order_by("pk"):
        phones = sorted(contact.phones.all(), key=lambda p: p.pk)
        contacts.append(
            {
                "id": contact.pk,
                "name": contact.name,
                "title": contact.title,
                "email": contact.email,
                "phone": phones[0].number if phones else "",
            }
        )
    return {
        "name": service.name,
        "description": service.description,
        "status": service.status,
        "eligibility_description": service.eligibility_description,
        "grade_low": service.grade_low,
        "grade_high": service.grade_high,
        "during_school_day": service.during_school_day,
        "after_school": service.after_school,
        "weekend": service.weekend,
        "summer": service.summer,
        "virtual": service.virtual,
        "cost_to_school": _decimal(service.cost_to_school),
        "cost_to_families": _decimal(service.cost_to_families),
        "capacity_available": capacity.available if capacity else None,
        "capacity_maximum": capacity.maximum if capacity else None,
        "capacity_unit": capacity.unit if capacity else "",
        "categories": categories,
        "communities": communities,
        "languages": languages,
        "locations": locations,
        "contacts": contacts,
    }


def names_for(network_id: int, *snapshots: Snapshot) -> Names:
    """Names of the categories, communities and locations a set of snapshots refers to."""
    terms: set[int] = set()
    communities: set[int] = set()
    locations: set[int] = set()
    for snap in snapshots:
        terms.update(snap.get("categories") or [])
        communities.update(snap.get("communities") or [])
        locations.update(r["location"] for r in snap.get("locations") or [] if r.get("location"))
    return Names(
        terms=dict(
            TaxonomyTerm.objects.filter(network_id=network_id, pk__in=terms).values_list(
                "pk", "name"
            )
        )
        if terms
        else {},
        communities={
            c.pk: str(c)
            for c in Community.objects.filter(network_id=network_id, pk__in=communities)
        }
        if communities
        else {},
        locations={
            loc.pk: str(loc)
            for loc in Location.objects.filter(network_id=network_id, pk__in=locations)
        }
        if locations
        else {},
    )


# --- choices for the edit forms -------------------------------------------------------------------


def category_groups(network: Network) -> list[tuple[str, list[tuple[int, str]]]]:
    """The network's taxonomy terms grouped under their top term (the pillar), in one query."""
    terms: list[dict[str, Any]] = [
        dict(t)
        for t in TaxonomyTerm.objects.filter(network=network).values("pk", "name", "parent_id")
    ]
    by_id = {t["pk"]: t for t in terms}

    def root(term: dict[str, Any]) -> dict[str, Any]:
        seen = set()
        while term["parent_id"] in by_id and term["pk"] not in seen:
            seen.add(term["pk"])
            term = by_id[term["parent_id"]]
        return term

    groups: dict[int, list[tuple[int, str]]] = {}
    for term in terms:
        top = root(term)
        groups.setdefault(top["pk"], [])
        if term["pk"] != top["pk"]:
            groups[top["pk"]].append((term["pk"], term["name"]))
    result = []
    for top_id, members in groups.items():
        top = by_id[top_id]
        # A pillar with sub-categories offers those; a lone top term is a category itself.
        choices = sorted(members, key=lambda c: c[1]) if members else [(top_id, top["name"])]
        result.append((top["name"], choices))
    return sorted(result, key=lambda g: g[0])


def community_choices(network: Network) -> list[tuple[int, str]]:
    return [(c.pk, str(c)) for c in Community.objects.filter(network=network).order_by("code")]


def location_choices(organization: Organization) -> list[tuple[int, str]]:
    rows = Location.objects.filter(organization=organization).prefetch_related("addresses")
    result = []
    for loc in rows.order_by("name", "pk"):
        address = next(iter(loc.addresses.all()), None)
        label = str(loc)
        if address is not None:
            label = f"{label} — {address.address_1}, {address.city}"
        result.append((loc.pk, label))
    return result
