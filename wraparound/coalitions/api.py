"""The JSON API of a coalition's shared-resources board and measures
(/api/v1/coalitions/{id}/…): the same selectors and services as the pages, and the same rules.

- a coalition the caller may not see is a 404 (`access.visible_coalitions`), so is a post of it;
- posting: for a member agency the caller is a contact of (network admins: any, or none), else
  403; bad input a 400 naming the field;
- responding: anyone who sees the coalition; a closed post is a 400;
- closing: who posted, or a network admin (403); 409 when the post changed since
  `expected_version` or is already closed.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wraparound.core.api import Id, Pages

from . import measures as measures_mod
from . import selectors, services
from .models import CoalitionMember, ResourcePost, ResourceResponse

router = Router(tags=["coalitions"])


class ErrorOut(Schema):
    detail: str


class PostOut(Schema):
    id: int
    version: int
    kind: Literal["offer", "request"]
    title: str
    body: str
    status: Literal["open", "fulfilled", "withdrawn"]
    member_id: int | None
    member_name: str | None
    posted_by_id: int | None
    posted_at: dt.datetime
    closed_at: dt.datetime | None
    response_count: int = 0

    @staticmethod
    def resolve_member_name(obj: ResourcePost) -> str | None:
        return obj.member.display_name if obj.member else None

    @staticmethod
    def resolve_response_count(obj: Any) -> int:
        count = getattr(obj, "response_count", None)
        return int(count) if count is not None else obj.responses.count()


class ResponseOut(Schema):
    id: int
    message: str
    member_id: int | None
    member_name: str | None
    responder_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_member_name(obj: ResourceResponse) -> str | None:
        return obj.member.display_name if obj.member else None


class PostDetailOut(PostOut):
    responses: list[ResponseOut]

    @staticmethod
    def resolve_responses(obj: ResourcePost) -> list[ResourceResponse]:
        return selectors.post_responses(obj)


class PostIn(Schema):
    kind: Literal["offer", "request"]
    title: str = Field(..., max_length=200)
    body: str = Field("", max_length=5000)
    member_id: Id | None = Field(
        None, description="The member agency posted for (one you are a contact of)"
    )


class RespondIn(Schema):
    message: str = Field(..., max_length=5000)
    member_id: Id | None = None


class CloseIn(Schema):
    status: Literal["fulfilled", "withdrawn"]
    expected_version: int = Field(..., ge=1, le=2**31 - 1)


class BoardFilter(Schema):
    status: Literal["open", "fulfilled", "withdrawn", "closed", "all"] = "open"
    kind: Literal["offer", "request"] | None = None


def _member(coalition: Any, member_id: int | None) -> CoalitionMember | None:
    if member_id is None:
        return None
    member = CoalitionMember.objects.filter(coalition=coalition, pk=member_id).first()
    if member is None:
        raise ValidationError({"member_id": ["Choose a member agency of this coalition."]})
    return member


@router.get(
    "/coalitions/{coalition_id}/posts",
    response=list[PostOut],
    summary="A coalition's shared-resources board, newest first (default: open posts)",
)
@paginate(Pages)
def post_list(request: HttpRequest, coalition_id: Id, filters: Query[BoardFilter]) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    return selectors.board_posts(coalition, status=filters.status, kind=filters.kind or "")


@router.post(
    "/coalitions/{coalition_id}/posts",
    response={201: PostDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Post an offer or a request",
)
def post_create(request: HttpRequest, coalition_id: Id, payload: PostIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    post = services.resource_post_create(
        user=request.user,
        coalition=coalition,
        member=_member(coalition, payload.member_id),
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
    )
    return Status(201, selectors.get_post(coalition, post.pk))


@router.get(
    "/coalitions/{coalition_id}/posts/{post_id}",
    response={200: PostDetailOut, 404: ErrorOut},
    summary="One post with its responses",
)
def post_detail(request: HttpRequest, coalition_id: Id, post_id: Id) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    return selectors.get_post(coalition, post_id)


@router.post(
    "/coalitions/{coalition_id}/posts/{post_id}/responses",
    response={201: ResponseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Respond to a post (the poster is notified); a closed post takes none",
)
def post_respond(request: HttpRequest, coalition_id: Id, post_id: Id, payload: RespondIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    post = selectors.get_post(coalition, post_id)
    response = services.resource_post_respond(
        user=request.user,
        post=post,
        message=payload.message,
        member=_member(coalition, payload.member_id),
    )
    return Status(201, response)


@router.post(
    "/coalitions/{coalition_id}/posts/{post_id}/close",
    response={200: PostDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Mark a post fulfilled or withdraw it (who posted it, or a network admin)",
)
def post_close(request: HttpRequest, coalition_id: Id, post_id: Id, payload: CloseIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    post = selectors.get_post(coalition, post_id)
    try:
        services.resource_post_close(
            user=request.user,
            post=post,
            status=payload.status,
            expected_version=payload.expected_version,
        )
    except services.ResourcePostConflict as conflict:
        return Status(409, {"detail": conflict.message})
    return selectors.get_post(coalition, post.pk)


class PeriodQuery(Schema):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


@router.get(
    "/coalitions/{coalition_id}/measures",
    response={200: dict[str, Any], 400: ErrorOut, 404: ErrorOut},
    summary="Accountability measures by member agency (counts only); default period: the "
    "network's current school year",
)
def coalition_measures(request: HttpRequest, coalition_id: Id, period: Query[PeriodQuery]) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    start, end = measures_mod.default_period(coalition)
    start, end = period.from_ or start, period.to or end
    if end < start:
        raise ValidationError({"to": ["The period must end on or after the day it starts."]})
    return measures_mod.compute(coalition, start, end).as_dict()
