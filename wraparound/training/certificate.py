"""The certificate of a completed training as a PDF (WeasyPrint, like the MOU: nothing is fetched
while rendering). It names the person, the topic, the training, its date and the hours credited,
the network, the certificate's number and the address at which anyone can check it is genuine."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import HTML

from wraparound.agreements.mou_pdf import refuse_fetch

from .models import Attendance

TEMPLATE = "training/certificate_pdf.html"


def certificate_context(attendance: Attendance, *, base_url: str = "") -> dict[str, Any]:
    training = attendance.training
    return {
        "attendance": attendance,
        "name": attendance.person_name,
        "training": training,
        "topic": training.topic,
        "network": training.network,
        "day": training.day(),
        "hours": attendance.hours_credited or training.hours,
        "number": attendance.certificate_number,
        "verify_url": base_url
        + reverse("training_certificate_verify", args=[attendance.certificate_id]),
    }


def render_certificate_pdf(attendance: Attendance, *, base_url: str = "") -> bytes:
    html = render_to_string(TEMPLATE, certificate_context(attendance, base_url=base_url))
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=refuse_fetch).write_pdf()
    return pdf


def certificate_filename(attendance: Attendance) -> str:
    return f"training-certificate-{attendance.certificate_number or attendance.pk}.pdf"
