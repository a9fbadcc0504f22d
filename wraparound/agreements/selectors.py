"""Reads of partnerships, scoped by `core.access`: a school's (for whoever sees the school), an
organization's (for its partner users and the network admins), one for a user (404 outside)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import Organization, School, SchoolYear
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES

from .models import OPEN_STATUSES, Partnership, PartnershipStatus


def _with_related(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    return qs.select_related(
        "school",
        "organization",
        "service",
        "school_year",
        "need__category",
        "proposed_by",
        "status_changed_by",
    )


def _one(qs: QuerySet[Partnership], pk: Any) -> Partnership:
    """The partnership with this id in the queryset, or a 404 (it may exist elsewhere)."""
    try:
        return qs.get(pk=pk)
    except (Partnership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_partnerships(user: Any) -> QuerySet[Partnership]:
    """Network-wide roles see their networks' partnerships; school roles their schools'; partner
    users their organizations'."""
    g = access.grants(user)
    return Partnership.objects.filter(
        Q(network_id__in=g.network_wide)
        | Q(school_id__in=g.schools_with(*SCHOOL_ROLES))
        | Q(organization_id__in=g.organizations_with(*PARTNER_ROLES))
    )


def get_partnership_for_user(user: Any, pk: Any) -> Partnership:
    return _one(_with_related(visible_partnerships(user)), pk)


def school_partnerships(school: School) -> QuerySet[Partnership]:
    """The school's partnerships, newest year first."""
    return _with_related(Partnership.objects.filter(school=school)).order_by(
        "-school_year__end_year", "status", "organization__name", "id"
    )


def partnerships_by_year(
    partnerships: QuerySet[Partnership],
) -> list[tuple[SchoolYear, list[Partnership]]]:
    """(year, its partnerships) pairs in the queryset's order."""
    groups: dict[int, list[Partnership]] = defaultdict(list)
    years: dict[int, SchoolYear] = {}
    for partnership in partnerships:
        years.setdefault(partnership.school_year_id, partnership.school_year)
        groups[partnership.school_year_id].append(partnership)
    return [(years[year_id], rows) for year_id, rows in groups.items()]


def organization_partnerships(organization: Organization) -> dict[str, list[Partnership]]:
    """The organization's partnerships by status (proposed, active, ended), newest year first."""
    rows = _with_related(Partnership.objects.filter(organization=organization)).order_by(
        "-school_year__end_year", "school__name", "service__name", "id"
    )
    by_status: dict[str, list[Partnership]] = {status: [] for status in PartnershipStatus.values}
    for partnership in rows:
        by_status[partnership.status].append(partnership)
    return by_status


def get_school_partnership(school: School, pk: Any) -> Partnership:
    return _one(_with_related(Partnership.objects.filter(school=school)), pk)


def get_organization_partnership(organization: Organization, pk: Any) -> Partnership:
    return _one(_with_related(Partnership.objects.filter(organization=organization)), pk)


def open_partnerships_by_service(school: School, school_year: SchoolYear) -> dict[int, Partnership]:
    """Service id → the school's open (proposed or active) partnership with it that year."""
    return {
        p.service_id: p
        for p in Partnership.objects.filter(
            school=school,
            school_year=school_year,
            status__in=OPEN_STATUSES,
            service__isnull=False,
        ).select_related("need__category")
        if p.service_id is not None
    }
