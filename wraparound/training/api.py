"""The JSON API of professional development: the trainings the caller sees, one training, and the
caller's own training record. The same selectors as the HTML pages and the same rules: a training
the caller may not see is a 404; a user in no training audience gets a 403 for the list and the
record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, NetworkRef, Pages

from . import selectors, services
from .models import Training
from .services import REASON_MAX

router = Router(tags=["training"])


class TopicOut(Schema):
    id: int
    name: str
    is_required: bool
    renewal_months: int | None


class TrainingOut(Schema):
    id: int
    network: NetworkRef
    topic: TopicOut
    title: str
    starts_at: dt.datetime
    hours: Decimal
    location: str
    virtual_url: str
    trainer_name: str
    audience: str
    capacity: int | None
    seats_taken: int
    cancelled_at: dt.datetime | None
    cancel_reason: str


class CompletionOut(Schema):
    training_id: int
    title: str
    topic: str
    completed_on: dt.date | None
    hours: Decimal | None
    certificate_number: str
    certificate_url: str


class UpcomingOut(Schema):
    training_id: int
    title: str
    starts_at: dt.datetime


class StandingOut(Schema):
    topic_id: int
    topic: str
    state: str
    last_completed: dt.date | None
    valid_through: dt.date | None


class NetworkRecordOut(Schema):
    network: NetworkRef
    hours: Decimal
    completed: list[CompletionOut]
    upcoming: list[UpcomingOut]
    required: list[StandingOut]


@router.get(
    "/trainings",
    response=list[TrainingOut],
    summary="Trainings I may see (upcoming first, then past)",
)
@paginate(Pages, page_size=50)
def training_list(request: HttpRequest, upcoming: bool | None = None) -> Any:
    if not access.can_use_training(request.user):
        raise PermissionDenied
    qs = selectors.with_seats(selectors.visible_trainings(request.user))
    now = timezone.now()
    if upcoming is True:
        # A cancelled training is not coming up.
        qs = qs.filter(starts_at__gt=now, cancelled_at__isnull=True)
    elif upcoming is False:
        qs = qs.filter(starts_at__lte=now)
    return qs.order_by("-starts_at", "pk")


@router.get("/trainings/me", response=list[NetworkRecordOut], summary="My training record")
def my_record(request: HttpRequest) -> Any:
    if not access.can_use_training(request.user):
        raise PermissionDenied
    out = []
    for record in selectors.user_record(request.user):
        out.append(
            {
                "network": record.network,
                "hours": record.hours,
                "completed": [
                    {
                        "training_id": a.training_id,
                        "title": a.training.title,
                        "topic": a.training.topic.name,
                        "completed_on": a.completed_on,
                        "hours": a.hours_credited,
                        "certificate_number": a.certificate_number,
                        "certificate_url": f"/training/certificates/{a.certificate_id}/",
                    }
                    for a in record.completed
                ],
                "upcoming": [
                    {
                        "training_id": a.training_id,
                        "title": a.training.title,
                        "starts_at": a.training.starts_at,
                    }
                    for a in record.upcoming
                ],
                "required": [
                    {
                        "topic_id": s.topic.pk,
                        "topic": s.topic.name,
                        "state": s.state,
                        "last_completed": s.last_completed,
                        "valid_through": s.valid_through,
                    }
                    for s in record.standings
                ],
            }
        )
    return out


@router.get("/trainings/{training_id}", response=TrainingOut, summary="One training")
def training_detail(request: HttpRequest, training_id: Id) -> Training:
    return selectors.get_training_for_user(request.user, training_id)


class ErrorOut(Schema):
    detail: str


class CancelIn(Schema):
    reason: str = Field(max_length=REASON_MAX)


@router.post(
    "/trainings/{training_id}/cancel",
    response={200: TrainingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Cancel an upcoming training, saying why (its registered users are told once)",
)
def training_cancel(request: HttpRequest, training_id: Id, payload: CancelIn) -> Any:
    training = selectors.get_training_for_user(request.user, training_id)
    services.training_cancel(user=request.user, training=training, reason=payload.reason)
    return selectors.get_training_for_user(request.user, training_id)
