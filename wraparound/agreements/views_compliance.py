"""The network's compliance dashboard (`compliance.compliance_summary`): the network's admins
only. Another network is a 404; a member of the network whose role does not open it, a 403.
Thin: parse → selector → render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wraparound.core import access

from .compliance import compliance_summary


@login_required
@require_GET
def compliance_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_manage_clearance(request.user, network.pk):
        raise PermissionDenied
    summary = compliance_summary(network)
    chart = {
        "labels": [row.requirement.name for row in summary.blockers],
        "series": [
            {"label": _("missing"), "data": [row.missing for row in summary.blockers]},
            {"label": _("waiting for review"), "data": [row.submitted for row in summary.blockers]},
            {"label": _("rejected"), "data": [row.rejected for row in summary.blockers]},
            {"label": _("expired"), "data": [row.expired for row in summary.blockers]},
        ],
        "axis": _("Organizations or people held back"),
    }
    return render(
        request,
        "agreements/compliance/dashboard.html",
        {"network": network, "summary": summary, "chart": chart},
    )
