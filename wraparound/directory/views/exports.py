"""HSDS 3.0 exports of a network's directory, for its network admins: a page with the two
downloads (the tabular data package as a zip, and the JSON list of full service records).

Large directories are written to a temporary file, streamed back (FileResponse) and removed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from wraparound.core import access
from wraparound.core.models import Network
from wraparound.core.services import audit_record
from wraparound.directory.hsds.export import hsds_export_json, hsds_export_zip


def _admin_network(request: HttpRequest, slug: str) -> Network:
    """404 outside the user's networks; 403 for a member who is not its network admin."""
    network = access.get_network_for_user(request.user, slug)
    if not access.is_network_admin(request.user, network.pk):
        raise PermissionDenied
    return network


@login_required
@require_GET
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    return render(
        request,
        "directory/export.html",
        {
            "network": network,
            "hsds_api": request.build_absolute_uri(reverse("hsds:about")),
            "hsds_services": request.build_absolute_uri(reverse("hsds:services")),
        },
    )


def _download(
    request: HttpRequest,
    network: Network,
    write: Callable[..., Path],
    suffix: str,
    content_type: str,
) -> FileResponse:
    stamp = timezone.localdate().isoformat()
    filename = f"{network.slug}-hsds-{stamp}{suffix}"
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as tmp:
        out = Path(tmp.name)
    try:
        write(network=network, out_file=out)
        handle: Any = out.open("rb")
    finally:
        # The open handle keeps the data readable; the name goes now, so nothing is left behind.
        out.unlink(missing_ok=True)
    audit_record(
        actor=request.user,
        action="directory.hsds_export",
        network=network,
        data={"format": suffix.lstrip(".")},
    )
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


@login_required
@require_GET
def export_zip(request: HttpRequest, slug: str) -> FileResponse:
    network = _admin_network(request, slug)
    return _download(request, network, hsds_export_zip, ".zip", "application/zip")


@login_required
@require_GET
def export_json(request: HttpRequest, slug: str) -> FileResponse:
    network = _admin_network(request, slug)
    return _download(request, network, hsds_export_json, ".json", "application/json")


urlpatterns = [
    path("directory/exports/<slug:slug>/", export_page, name="directory_export"),
    path("directory/exports/<slug:slug>/hsds.zip", export_zip, name="directory_export_zip"),
    path("directory/exports/<slug:slug>/hsds.json", export_json, name="directory_export_json"),
]
