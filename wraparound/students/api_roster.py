"""The JSON API of roster imports: upload a OneRoster 1.2 CSV zip, follow its run.

- who may: the network's admins. A member of a network who administers none gets a 403 (nothing
  is looked up); a network or import outside the caller's administered networks is a 404;
- bad input (not a zip, too large, unsafe member names) is a 400 naming the field "file"."""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, File, Form, Path, Router, Schema, Status
from ninja.files import UploadedFile

from wraparound.core import access
from wraparound.core.api import Id
from wraparound.core.roles import Role

from . import roster_services
from .models import RosterImport

router = Router(tags=["students"])

Slug = Annotated[str, Path(max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")]


class RosterErrorOut(Schema):
    file: str
    row: int = Field(description="Spreadsheet row (the header is row 1); 0 for the whole file")
    column: str
    message: str


class RosterImportOut(Schema):
    id: int
    network: str = Field(description="The network's slug")
    status: str = Field(description="queued, running, invalid, checked, done or failed")
    dry_run: bool
    mode: str = Field(description="bulk, delta or mixed (as the manifest says)")
    stage: str
    percent: int
    source_name: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    errors: list[RosterErrorOut] = Field(description="At most 1,000; see more_errors")
    more_errors: int
    summary: dict[str, Any]


def _out(roster_import: RosterImport) -> dict[str, Any]:
    summary = dict(roster_import.summary or {})
    return {
        "id": roster_import.pk,
        "network": roster_import.network.slug,
        "status": roster_import.status,
        "dry_run": roster_import.dry_run,
        "mode": roster_import.mode,
        "stage": roster_import.stage,
        "percent": roster_import.percent,
        "source_name": roster_import.source_name,
        "created_at": roster_import.created_at,
        "started_at": roster_import.started_at,
        "finished_at": roster_import.finished_at,
        "errors": roster_import.errors or [],
        "more_errors": int(summary.pop("more_errors", 0)),
        "summary": summary,
    }


def _administered(user: Any) -> frozenset[int]:
    g = access.grants(user)
    administered = g.networks_with(Role.NETWORK_ADMIN)
    if not administered:
        if g.networks:
            raise PermissionDenied
        raise Http404
    return administered


@router.post(
    "/networks/{slug}/rosters",
    response={201: RosterImportOut},
    summary="Upload a OneRoster 1.2 CSV zip to check (dry run) or import (network admins)",
)
def roster_upload(
    request: HttpRequest,
    slug: Slug,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
) -> Any:
    administered = _administered(request.user)
    network = access.visible_networks(request.user).filter(slug=slug, id__in=administered).first()
    if network is None:
        raise Http404
    roster_import = roster_services.roster_import_create(
        user=request.user, network=network, upload=file, dry_run=dry_run
    )
    roster_import = RosterImport.objects.select_related("network").get(pk=roster_import.pk)
    return Status(201, _out(roster_import))


@router.get(
    "/rosters/{roster_import_id}",
    response=RosterImportOut,
    summary="One roster import: status, progress, errors (file, row, column) or counts",
)
def roster_import_status(request: HttpRequest, roster_import_id: Id) -> Any:
    administered = _administered(request.user)
    roster_import = (
        RosterImport.objects.select_related("network")
        .filter(pk=roster_import_id, network_id__in=administered)
        .first()
    )
    if roster_import is None:
        raise Http404
    return _out(roster_import)
