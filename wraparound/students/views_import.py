"""Roster import pages: the list of a network's imports with the upload form, and one import's
page whose progress fragment htmx polls every second while it runs.

Who may see what (tests/test_views_import.py): the network's admins; the network's other
roles get a 403 (`access.get_network_for_user` for members whose role opens the network view,
then the admin check); anyone outside the network, and an import of another network, a 404."""

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

from wraparound.core import access
from wraparound.core.models import Network

from . import roster_services
from .models import ImportStatus, RosterImport

PAGE_SIZE = 50


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("OneRoster 1.2 CSV zip"),
        help_text=gettext_lazy(
            "A .zip of manifest.csv, orgs.csv, users.csv, roles.csv and the other files, at its "
            "top or in one folder."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
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


def stage_label(stage: str, status: str) -> str:
    """The stage the importer records ("check:users.csv", "write:students"), for people."""
    if status == ImportStatus.QUEUED:
        return _("Waiting to start")
    if status != ImportStatus.RUNNING:
        return _("Finished")
    kind, _sep, what = stage.partition(":")
    if kind == "check":
        return _("Checking %(file)s") % {"file": what}
    if kind == "write":
        labels = {
            "stage": _("Preparing the rows"),
            "students": _("Writing students"),
            "guardians": _("Writing guardians"),
            "enrollments": _("Writing enrollments"),
            "links": _("Linking guardians to students"),
            "done": _("Committing"),
        }
        return labels.get(what, _("Writing"))
    return _("Starting")


SUMMARY_LABELS = {
    "students": gettext_lazy("Students in the roster"),
    "students_created": gettext_lazy("Students added"),
    "students_deactivated": gettext_lazy("Students marked inactive"),
    "guardians": gettext_lazy("Guardians in the roster"),
    "guardians_created": gettext_lazy("Guardians added"),
    "guardians_deactivated": gettext_lazy("Guardians marked inactive"),
    "links": gettext_lazy("Guardian–student links"),
    "enrollments_written": gettext_lazy("School enrollments written"),
    "enrollments_removed": gettext_lazy("School enrollments removed"),
    "student_roles": gettext_lazy("Student roles (school enrollments) in roles.csv"),
    "other_users": gettext_lazy("Staff and other users (not kept)"),
    "users_without_role": gettext_lazy("Users without a role (not kept)"),
    "orgs": gettext_lazy("Orgs"),
    "schools_matched": gettext_lazy("Schools matched by code"),
    "class_enrollments": gettext_lazy("Class enrollments (checked, not kept)"),
    "academic_sessions": gettext_lazy("Academic sessions (checked, not kept)"),
}


def _context(network: Network, roster_import: RosterImport) -> dict[str, Any]:
    summary = roster_import.summary or {}
    return {
        "network": network,
        "roster_import": roster_import,
        "running": roster_import.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "stage": stage_label(roster_import.stage, roster_import.status),
        "summary_rows": [
            (label, summary[key]) for key, label in SUMMARY_LABELS.items() if key in summary
        ],
        "more_errors": int(summary.get("more_errors", 0)),
        "modes": summary.get("modes", {}),
    }


def _render_list(
    request: HttpRequest, network: Network, form: RosterUploadForm, status: int = 200
) -> HttpResponse:
    imports = list(
        RosterImport.objects.filter(network=network)
        .select_related("created_by")
        .defer("errors")
        .order_by("-created_at", "-id")[:PAGE_SIZE]
    )
    return render(
        request,
        "students/roster_imports.html",
        {"network": network, "imports": imports, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_list(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    if request.method != "POST":
        return _render_list(request, network, RosterUploadForm())
    form = RosterUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            roster_import = roster_services.roster_import_create(
                user=request.user,
                network=network,
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as error:
            for message in error.message_dict.get("file", error.messages):
                form.add_error("file", message)
        else:
            return redirect("roster_import_detail", slug=network.slug, pk=roster_import.pk)
    return _render_list(request, network, form, status=400)


def _get_import(network: Network, pk: int) -> RosterImport:
    return get_object_or_404(
        RosterImport.objects.select_related("created_by"), network=network, pk=pk
    )


@login_required
@require_GET
def roster_import_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _admin_network(request, slug)
    roster_import = _get_import(network, pk)
    return render(request, "students/roster_import.html", _context(network, roster_import))


@login_required
@require_GET
def roster_import_progress(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The fragment htmx swaps in every second: the bar while running, the outcome after."""
    network = _admin_network(request, slug)
    roster_import = _get_import(network, pk)
    return render(request, "students/roster_progress.html", _context(network, roster_import))
