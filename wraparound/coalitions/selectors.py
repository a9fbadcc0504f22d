"""Reads of coalitions, scoped by `core.access`: a coalition a user may not see is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import Coalition

from .models import (
    CoalitionMember,
    Commitment,
    MeasureEntry,
    MemberContact,
    PostKind,
    PostStatus,
    ResourcePost,
    ResourceResponse,
)


def coalition_list(user: Any) -> QuerySet[Coalition]:
    return (
        access.visible_coalitions(user)
        .select_related("network", "community")
        .annotate(
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
            open_posts=Count(
                "resource_posts",
                filter=Q(resource_posts__status=PostStatus.OPEN),
                distinct=True,
            ),
        )
        .order_by("network__name", "name", "pk")
    )


def get_coalition(user: Any, pk: Any) -> Coalition:
    return access.get_coalition_for_user(user, pk)


def members_with_contacts(coalition: Coalition) -> list[CoalitionMember]:
    return list(
        CoalitionMember.objects.filter(coalition=coalition)
        .select_related("organization", "school")
        .prefetch_related(
            Prefetch("contacts", queryset=MemberContact.objects.select_related("user"))
        )
        .order_by("-is_active", "kind", "organization__name", "school__name", "name", "pk")
    )


def get_member(coalition: Coalition, pk: Any) -> CoalitionMember:
    try:
        return CoalitionMember.objects.select_related(
            "organization", "school", "coalition__network"
        ).get(coalition=coalition, pk=pk)
    except (CoalitionMember.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_contact(coalition: Coalition, pk: Any) -> MemberContact:
    try:
        return MemberContact.objects.select_related(
            "member__coalition__network", "member__organization", "member__school", "user"
        ).get(member__coalition=coalition, pk=pk)
    except (MemberContact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def commitments(coalition: Coalition) -> list[Commitment]:
    return list(
        Commitment.objects.filter(coalition=coalition)
        .select_related("member__organization", "member__school")
        .order_by("member__name", "member_id", "-starts_on", "pk")
    )


def get_commitment(coalition: Coalition, pk: Any) -> Commitment:
    try:
        return Commitment.objects.select_related(
            "member__organization", "member__school", "coalition__network"
        ).get(coalition=coalition, pk=pk)
    except (Commitment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def measure_entries(
    coalition: Coalition,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    member_id: int | None = None,
) -> QuerySet[MeasureEntry]:
    """Entered measures whose period overlaps [start, end] (either bound optional), latest
    first, as the measures page lists them."""
    qs = MeasureEntry.objects.filter(coalition=coalition)
    if start is not None:
        qs = qs.filter(ends_on__gte=start)
    if end is not None:
        qs = qs.filter(starts_on__lte=end)
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    return qs.select_related("member__organization", "member__school", "commitment").order_by(
        "-ends_on", "name", "pk"
    )


def get_measure_entry(coalition: Coalition, pk: Any) -> MeasureEntry:
    try:
        entry = MeasureEntry.objects.select_related(
            "member__organization", "member__school", "commitment"
        ).get(coalition=coalition, pk=pk)
    except (MeasureEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    entry.coalition = coalition  # already read, with its network
    return entry


def acting_members(user: Any, coalition: Coalition) -> list[CoalitionMember]:
    """The active member agencies this user may act for (all of them for a network admin)."""
    qs = CoalitionMember.objects.filter(coalition=coalition, is_active=True).select_related(
        "organization", "school"
    )
    if not access.can_manage_coalition(user, coalition):
        qs = qs.filter(pk__in=access.coalition_member_ids_for(user, coalition))
    return sorted(qs, key=lambda m: (m.display_name.lower(), m.pk))


BOARD_STATUSES = ("open", "fulfilled", "withdrawn", "closed", "all")


def board_posts(
    coalition: Coalition, *, status: str = "open", kind: str = ""
) -> QuerySet[ResourcePost]:
    """Posts of the board: `status` open (default), fulfilled, withdrawn, closed (either) or all;
    `kind` offer or request (else both)."""
    qs = ResourcePost.objects.filter(coalition=coalition)
    if status == "closed":
        qs = qs.exclude(status=PostStatus.OPEN)
    elif status in PostStatus.values:
        qs = qs.filter(status=status)
    if kind in PostKind.values:
        qs = qs.filter(kind=kind)
    return (
        qs.select_related("member__organization", "member__school", "posted_by")
        .annotate(response_count=Count("responses"))
        .order_by("-posted_at", "-pk")
    )


def get_post(coalition: Coalition, pk: Any) -> ResourcePost:
    try:
        return ResourcePost.objects.select_related(
            "coalition__network",
            "member__organization",
            "member__school",
            "posted_by",
            "closed_by",
        ).get(coalition=coalition, pk=pk)
    except (ResourcePost.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def post_responses(post: ResourcePost) -> list[ResourceResponse]:
    return list(
        post.responses.select_related(
            "member__organization", "member__school", "responder"
        ).order_by("created_at", "pk")
    )
