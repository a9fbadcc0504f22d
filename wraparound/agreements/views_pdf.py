"""The MOU of one agreement version as a PDF download (agreements.mou_pdf renders it).

Who may download: whoever reads the agreement (core.access.agreement_filter): the network's
admins, the school's roles (or, network-wide, the network's school roles), the organization's
partner users. Anyone else, an unknown agreement or an unknown version number: 404."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from wraparound.core import access

from .models import Agreement, AgreementVersion
from .mou_pdf import render_mou_pdf


def pdf_filename(agreement: Agreement, number: int) -> str:
    """mou-<school code or network slug>-<organization slug>-v<number>.pdf"""
    if agreement.school is not None:
        side = re.sub(r"[^A-Za-z0-9_-]+", "-", agreement.school.code).strip("-")
    else:
        side = agreement.network.slug
    org = slugify(agreement.organization.name) or "partner"
    return f"mou-{side or 'school'}-{org}-v{number}.pdf"


@login_required
@require_GET
def agreement_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    agreement = get_object_or_404(
        Agreement.objects.filter(access.agreement_filter(request.user)).select_related(
            "network", "school", "organization"
        ),
        pk=pk,
    )
    version = get_object_or_404(
        AgreementVersion.objects.filter(agreement=agreement).prefetch_related(
            "responsibilities", "signatures"
        ),
        number=number,
    )
    version.agreement = agreement  # the scoped, select_related instance
    response = HttpResponse(render_mou_pdf(version), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=pdf_filename(agreement, number)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
