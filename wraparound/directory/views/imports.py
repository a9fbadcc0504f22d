"""HSDS import pages, for the network admins of a network: upload (dry run by default), the
report of each run, the history of runs, and the review of possible duplicates.

Anyone else gets a 403 (these pages are not for their role, whatever the network); a network
admin of another network gets a 404."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import Network
from wraparound.core.roles import Role
from wraparound.directory.hsds.importer import (
    MAX_IMPORT_BYTES,
    hsds_import,
    possible_duplicate_resolve,
)
from wraparound.directory.models import (
    Address,
    DuplicateStatus,
    HsdsImport,
    PossibleDuplicate,
)

HISTORY_PAGE_SIZE = 50


def network_for_import(user: Any, slug: str) -> Network:
    """The network whose imports the user runs: 403 for anyone who is not a network admin at
    all, 404 for a network admin of another network."""
    admin_of = access.grants(user).networks_with(Role.NETWORK_ADMIN)
    if not admin_of:
        raise PermissionDenied
    network = Network.objects.filter(slug=slug, id__in=admin_of).first()
    if network is None:
        raise Http404
    return network


class ImportForm(forms.Form):
    source = forms.FileField(
        label=gettext_lazy("HSDS file"),
        help_text=gettext_lazy(
            "A .zip of a tabular data package (CSV files and datapackage.json) or a .json file. "
            "At most 50 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.json"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run only"),
        help_text=gettext_lazy("Check the file and show the report; write nothing."),
        required=False,
        initial=True,
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Skip invalid rows"),
        help_text=gettext_lazy(
            "Import the valid rows; skip every invalid row and every row that depends on one. "
            "The report lists them all."
        ),
        required=False,
    )

    def clean_source(self) -> Any:
        upload = self.cleaned_data["source"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".zip", ".json"):
            raise ValidationError(
                _("Choose a .zip of a tabular data package or a .json file, not %(suffix)s.")
                % {"suffix": suffix or _("a file without extension")}
            )
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": round(upload.size / 1024 / 1024),
                    "limit": MAX_IMPORT_BYTES // 1024 // 1024,
                }
            )
        return upload


@login_required
def import_list(request: HttpRequest, network: str) -> HttpResponse:
    net = network_for_import(request.user, network)
    imports = HsdsImport.objects.filter(network=net).select_related("created_by")
    page = Paginator(imports, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    pending = PossibleDuplicate.objects.filter(network=net, status=DuplicateStatus.PENDING).count()
    return render(
        request,
        "directory/import_list.html",
        {"network": net, "page": page, "pending_duplicates": pending},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest, network: str) -> HttpResponse:
    net = network_for_import(request.user, network)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["source"]
        suffix = Path(upload.name).suffix.lower()
        # The upload lives only as long as the run: a private directory, removed afterwards.
        with tempfile.TemporaryDirectory(prefix="hsds-import-") as tmp:
            target = Path(tmp) / f"upload{suffix}"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            result = hsds_import(
                network=net,
                source=target,
                user=request.user,  # type: ignore[arg-type]
                dry_run=form.cleaned_data["dry_run"],
                skip_invalid=form.cleaned_data["skip_invalid"],
                source_name=Path(upload.name).name,
            )
        return redirect("directory_import_detail", network=net.slug, pk=result.pk)
    return render(
        request,
        "directory/import_new.html",
        {"network": net, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _by_file(items: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[str(item.get("file") or "")].append(item)
    return list(grouped.items())


@login_required
def import_detail(request: HttpRequest, network: str, pk: int) -> HttpResponse:
    net = network_for_import(request.user, network)
    result = HsdsImport.objects.filter(network=net, pk=pk).select_related("created_by").first()
    if result is None:
        raise Http404
    report = result.report
    return render(
        request,
        "directory/import_detail.html",
        {
            "network": net,
            "import": result,
            "report": report,
            "problems_by_file": _by_file(report.get("problems", [])),
            "warnings_by_file": _by_file(report.get("warnings", [])),
            "duplicates": result.possible_duplicates.select_related("existing").order_by("-score"),
            "created": sorted((report.get("created") or {}).items()),
            "updated": sorted((report.get("updated") or {}).items()),
            "unchanged": sorted((report.get("unchanged") or {}).items()),
            "planned_create": sorted((report.get("planned", {}).get("create") or {}).items()),
            "planned_update": sorted((report.get("planned", {}).get("update") or {}).items()),
        },
    )


def _duplicate_for(
    request: HttpRequest, network: str, pk: int
) -> tuple[Network, PossibleDuplicate]:
    net = network_for_import(request.user, network)
    duplicate = (
        PossibleDuplicate.objects.filter(network=net, pk=pk)
        .select_related("existing", "hsds_import", "resolved_by")
        .first()
    )
    if duplicate is None:
        raise Http404
    return net, duplicate


@login_required
def duplicate_list(request: HttpRequest, network: str) -> HttpResponse:
    net = network_for_import(request.user, network)
    duplicates = (
        PossibleDuplicate.objects.filter(network=net)
        .select_related("existing", "hsds_import")
        .order_by("status", "-score")
    )
    page = Paginator(duplicates, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "directory/duplicate_list.html", {"network": net, "page": page})


@login_required
def duplicate_review(request: HttpRequest, network: str, pk: int) -> HttpResponse:
    net, duplicate = _duplicate_for(request, network, pk)
    return _render_review(request, net, duplicate)


def _render_review(
    request: HttpRequest,
    net: Network,
    duplicate: PossibleDuplicate,
    errors: list[str] | None = None,
) -> HttpResponse:
    existing = duplicate.existing
    incoming = duplicate.incoming
    org = incoming.get("organization", {})
    fields = [
        ("name", _("Name")),
        ("alternate_name", _("Alternate name")),
        ("description", _("Description")),
        ("email", _("Email")),
        ("website", _("Website")),
        ("tax_id", _("Tax id")),
        ("legal_status", _("Legal status")),
        ("year_incorporated", _("Year incorporated")),
    ]
    rows = [
        (label, getattr(existing, name) or "", org.get(name) if org.get(name) is not None else "")
        for name, label in fields
    ]
    existing_addresses = [
        ", ".join(p for p in (a.address_1, a.city, a.postal_code) if p)
        for a in Address.objects.filter(network=net, location__organization=existing)[:10]
    ]
    records = incoming.get("records", {})
    incoming_addresses = [
        ", ".join(
            str(v)
            for v in (
                r["values"].get("address_1"),
                r["values"].get("city"),
                r["values"].get("postal_code"),
            )
            if v
        )
        for r in records.get("address", [])
    ]
    record_counts = sorted((table, len(items)) for table, items in records.items())
    incoming_services = [r["values"].get("name") for r in records.get("service", [])]
    existing_services = list(existing.services.values_list("name", flat=True)[:50])
    return render(
        request,
        "directory/duplicate_review.html",
        {
            "network": net,
            "duplicate": duplicate,
            "existing": existing,
            "rows": rows,
            "existing_addresses": existing_addresses,
            "incoming_addresses": incoming_addresses,
            "record_counts": record_counts,
            "incoming_services": incoming_services,
            "existing_services": existing_services,
            "errors": errors or [],
            "pending": duplicate.status == DuplicateStatus.PENDING,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def duplicate_resolve(request: HttpRequest, network: str, pk: int) -> HttpResponse:
    net, duplicate = _duplicate_for(request, network, pk)
    decision = request.POST.get("decision", "")
    try:
        possible_duplicate_resolve(
            duplicate=duplicate,
            user=request.user,  # type: ignore[arg-type]
            decision=decision,
        )
    except ValidationError as e:
        duplicate.refresh_from_db()
        return _render_review(request, net, duplicate, errors=list(e.messages))
    labels = {
        "merge": _("Merged into %(name)s."),
        "create": _("Created %(name)s as a different organization."),
        "discard": _("Discarded the incoming %(name)s."),
    }
    name = duplicate.incoming.get("organization", {}).get("name", "")
    messages.success(request, labels[decision] % {"name": name})
    return redirect(
        reverse(
            "directory_import_detail", kwargs={"network": net.slug, "pk": duplicate.hsds_import_id}
        )
    )


urlpatterns = [
    path("directory/imports/<slug:network>/", import_list, name="directory_import_list"),
    path("directory/imports/<slug:network>/new/", import_new, name="directory_import_new"),
    path(
        "directory/imports/<slug:network>/<int:pk>/",
        import_detail,
        name="directory_import_detail",
    ),
    path(
        "directory/imports/<slug:network>/duplicates/",
        duplicate_list,
        name="directory_duplicate_list",
    ),
    path(
        "directory/imports/<slug:network>/duplicates/<int:pk>/",
        duplicate_review,
        name="directory_duplicate_review",
    ),
    path(
        "directory/imports/<slug:network>/duplicates/<int:pk>/resolve/",
        duplicate_resolve,
        name="directory_duplicate_resolve",
    ),
]
