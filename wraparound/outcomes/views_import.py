"""Attendance import pages: the list of a network's imports with the upload form, and one
import's page whose status fragment htmx polls every second while it is queued or running.

Who may see what (tests/test_views_import.py), as for roster imports: the network's admins;
the network's other roles get a 403 (`access.get_network_for_user` for members whose role
opens the network view, then the admin check); anyone outside the network, and an import of
another network, a 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from wraparound.agreements.forms_clearance import DATE_ERRORS, DateInput
from wraparound.core import access
from wraparound.core.models import Network

from . import attendance_services
from .attendance.importer import STAGES
from .models import AttendanceImport, AttendanceImportStatus

PAGE_SIZE = 50


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Attendance zip"),
        help_text=gettext_lazy(
            "A .zip of calendar.csv (school_code,date) and/or attendance.csv "
            "(student_id,school_code,date,category[,minutes]), at its top or in one folder."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    taken_through = forms.DateField(
        label=gettext_lazy("Attendance taken through"),
        help_text=gettext_lazy(
            "The last day the files cover (leave empty for today). The calendar's later days "
            "are not counted as present until attendance for them is imported."
        ),
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check every file and write nothing"),
        required=False,
        initial=True,
    )


def _admin_network(request: HttpRequest, slug: str) -> Network:
    network = access.get_network_for_user(request.user, slug)
    if not access.is_network_admin(request.user, network.pk):
        raise PermissionDenied
    return network


STAGE_LABELS = {
    "check:calendar": gettext_lazy("Checking calendar.csv"),
    "check:attendance": gettext_lazy("Checking attendance.csv"),
    "check:records": gettext_lazy("Checking students, instructional days and enrollments"),
    "write": gettext_lazy("Writing the attendance"),
}


def _steps(run: AttendanceImport) -> dict[str, Any]:
    """Where a running import is: the step's label, how many steps are behind it, of how many
    (a dry run has no writing step). Queued, it has no steps yet: the bar is indeterminate."""
    if run.status == AttendanceImportStatus.QUEUED:
        return {"stage": _("Waiting to start"), "step": None, "steps": None}
    steps = len(STAGES) - (1 if run.dry_run else 0)
    if run.stage not in STAGES:
        return {"stage": _("Starting"), "step": 0, "steps": steps}
    return {"stage": STAGE_LABELS[run.stage], "step": STAGES.index(run.stage), "steps": steps}


SUMMARY_LABELS = {
    "calendar_days": gettext_lazy("Instructional days in calendar.csv"),
    "calendar_days_added": gettext_lazy("Instructional days added"),
    "events": gettext_lazy("Attendance events checked"),
    "course_results": gettext_lazy("Course results checked"),
    "months_recomputed": gettext_lazy("Student-month summaries recomputed"),
}


def _context(network: Network, run: AttendanceImport) -> dict[str, Any]:
    summary = run.summary or {}
    return {
        "network": network,
        "attendance_import": run,
        **_steps(run),
        "running": run.status in (AttendanceImportStatus.QUEUED, AttendanceImportStatus.RUNNING),
        "summary_rows": [
            (label, summary[key]) for key, label in SUMMARY_LABELS.items() if key in summary
        ],
        "more_errors": max(run.error_count - len(run.errors), 0),
    }


def _render_list(
    request: HttpRequest, network: Network, form: AttendanceUploadForm, status: int = 200
) -> HttpResponse:
    imports = list(
        AttendanceImport.objects.filter(network=network)
        .select_related("created_by")
        .defer("errors", "summary")
        .order_by("-created_at", "-id")[:PAGE_SIZE]
    )
    return render(
        request,
        "outcomes/attendance_imports.html",
        {"network": network, "imports": imports, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def attendance_import_list(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    if request.method != "POST":
        return _render_list(request, network, AttendanceUploadForm())
    form = AttendanceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            run = attendance_services.attendance_import_create(
                user=request.user,
                network=network,
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                through=form.cleaned_data["taken_through"],
            )
        except ValidationError as error:
            by_field = getattr(error, "error_dict", None) or {"file": error.error_list}
            for field, problems in by_field.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else "file", problem)
        else:
            return redirect("attendance_import_detail", slug=network.slug, pk=run.pk)
    return _render_list(request, network, form, status=400)


def _get_import(network: Network, pk: int) -> AttendanceImport:
    return get_object_or_404(
        AttendanceImport.objects.select_related("created_by"), network=network, pk=pk
    )


@login_required
@require_GET
def attendance_import_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _admin_network(request, slug)
    run = _get_import(network, pk)
    return render(request, "outcomes/attendance_import.html", _context(network, run))


@login_required
@require_GET
def attendance_import_progress(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The fragment htmx swaps in every second: the status while it runs, the outcome after."""
    network = _admin_network(request, slug)
    run = _get_import(network, pk)
    return render(request, "outcomes/attendance_progress.html", _context(network, run))
