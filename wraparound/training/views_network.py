"""The network's side of professional development: the topic catalogue, the schedule, a person's
record and the view of who is missing a required training (with a CSV export); and a partner
admin's same view for their own organization.

Who may do what (tests in tests/test_views_network.py): network admins only for the network
pages (evaluators and network supervisors: 403; anyone outside the network: 404); an
organization's compliance page: its partner admins and the network admins (its partner staff: 403;
anyone else 404).
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from wraparound.core import access
from wraparound.core.models import Network, Organization

from . import selectors, services
from .forms import TopicForm, TrainingForm, topic_initial, training_initial
from .models import Training, TrainingTopic

UPCOMING_SHOWN = 100
PAST_SHOWN = 100


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _network(request: HttpRequest, slug: str) -> Network:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_manage_training(request.user, network.pk):
        raise PermissionDenied
    return network


@login_required
@require_http_methods(["GET", "POST"])
def network_trainings(request: HttpRequest, slug: str) -> HttpResponse:
    """The schedule: upcoming and past trainings, and the form to schedule one."""
    network = _network(request, slug)
    status = 200
    if request.method == "POST":
        form = TrainingForm(request.POST, network=network)
        if form.is_valid():
            try:
                training = services.training_create(
                    user=request.user, network=network, **form.to_service()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Training scheduled."))
                return redirect("training_detail", pk=training.pk)
        status = 400
    else:
        form = TrainingForm(network=network)
    now = timezone.now()
    trainings = selectors.with_seats(Training.objects.filter(network=network))
    return render(
        request,
        "training/network.html",
        {
            "network": network,
            "form": form,
            "upcoming": list(
                trainings.filter(starts_at__gt=now, cancelled_at__isnull=True).order_by(
                    "starts_at", "pk"
                )[:UPCOMING_SHOWN]
            ),
            "cancelled": list(
                trainings.filter(starts_at__gt=now, cancelled_at__isnull=False).order_by(
                    "starts_at", "pk"
                )[:UPCOMING_SHOWN]
            ),
            "past": list(
                trainings.filter(starts_at__lte=now).order_by("-starts_at", "-pk")[:PAST_SHOWN]
            ),
            "has_topics": TrainingTopic.objects.filter(network=network).exists(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _network(request, slug)
    training = selectors.get_training_for_user(request.user, pk)
    if training.network_id != network.pk:
        raise PermissionDenied
    status = 200
    version = training.version
    if request.method == "POST":
        form = TrainingForm(request.POST, network=network)
        version = int(request.POST.get("version") or 0)
        if form.is_valid():
            try:
                services.training_update(
                    user=request.user, training=training, version=version, **form.to_service()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Training changed."))
                return redirect("training_detail", pk=training.pk)
        status = 400
    else:
        form = TrainingForm(initial=training_initial(training), network=network)
    return render(
        request,
        "training/edit.html",
        {"network": network, "training": training, "form": form, "version": version},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_list(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(request, slug)
    status = 200
    if request.method == "POST":
        form = TopicForm(request.POST, network=network)
        if form.is_valid():
            try:
                services.topic_create(user=request.user, network=network, **form.cleaned_data)
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Topic added."))
                return redirect("training_topics", slug=network.slug)
        status = 400
    else:
        form = TopicForm(network=network, initial={"is_active": True})
    return render(
        request,
        "training/topics.html",
        {"network": network, "topics": list(selectors.network_topics(network)), "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _network(request, slug)
    topic = selectors.get_network_topic(network, pk)
    status = 200
    version = topic.version
    if request.method == "POST":
        form = TopicForm(request.POST, network=network)
        version = int(request.POST.get("version") or 0)
        if form.is_valid():
            try:
                services.topic_update(
                    user=request.user, topic=topic, version=version, **form.cleaned_data
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Topic changed."))
                return redirect("training_topics", slug=network.slug)
        status = 400
    else:
        form = TopicForm(initial=topic_initial(topic), network=network)
    return render(
        request,
        "training/topic_edit.html",
        {"network": network, "topic": topic, "form": form, "version": version},
        status=status,
    )


@login_required
@require_GET
def person_record(request: HttpRequest, slug: str, user_pk: int) -> HttpResponse:
    network = _network(request, slug)
    person = selectors.get_network_user(network, user_pk)
    records = selectors.user_record(person, network)
    return render(
        request,
        "training/me.html",
        {
            "records": records,
            "person_name": person.get_full_name() or person.get_username(),
            "own": False,
        },
    )


# --- who is missing a required training -----------------------------------------------------------


class ComplianceFilter(forms.Form):
    topic = forms.TypedChoiceField(
        label=gettext_lazy("Topic"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the required topics.")},
    )
    school = forms.TypedChoiceField(
        label=gettext_lazy("School"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the network's schools.")},
    )
    organization = forms.TypedChoiceField(
        label=gettext_lazy("Organization"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={
            "invalid_choice": gettext_lazy("Choose one of the network's organizations.")
        },
    )

    def __init__(
        self, *args: Any, network: Network, organization: Organization | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        anyone = [("", _("All"))]
        topics = selectors.required_topics(network)
        self.fields["topic"].choices = anyone + [(t.pk, t.name) for t in topics]  # type: ignore[attr-defined]
        if organization is None:
            schools = network.schools.order_by("name").values_list("pk", "name")
            organizations = network.organizations.order_by("name").values_list("pk", "name")
            self.fields["school"].choices = [*anyone, *schools]  # type: ignore[attr-defined]
            self.fields["organization"].choices = [  # type: ignore[attr-defined]
                *anyone,
                *organizations,
            ]
        else:
            del self.fields["school"]
            del self.fields["organization"]


def _compliance_response(
    request: HttpRequest, network: Network, organization: Organization | None
) -> HttpResponse:
    form = ComplianceFilter(request.GET or None, network=network, organization=organization)
    status = 200
    result = None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        school_id = data.get("school")
        org_ids: list[int] | None = None
        if organization is not None:
            org_ids = [organization.pk]
        elif data.get("organization"):
            org_ids = [data["organization"]]
        result = selectors.compliance(
            network, topic_id=data.get("topic"), school_id=school_id, organization_ids=org_ids
        )
        if request.GET.get("format") == "csv":
            return _csv(result, organization)
    query = request.GET.copy()
    query["format"] = "csv"
    return render(
        request,
        "training/compliance.html",
        {
            "network": network,
            "organization": organization,
            "form": form,
            "result": result,
            "csv_query": query.urlencode(),
        },
        status=status,
    )


def _csv(result: selectors.Compliance, organization: Organization | None) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = organization.pk if organization is not None else result.network.slug
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"training-missing-{name}-{result.today:%Y-%m-%d}.csv"
    )
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(
        ["topic", "person", "staff", "school_or_organization", "state", "last_completed", "expired"]
    )
    for row in result.rows:
        writer.writerow(
            [
                row.standing.topic.name,
                _safe(row.person.name),
                row.person.side,
                _safe(row.person.where),
                row.standing.state,
                row.standing.last_completed or "",
                row.standing.valid_through or "",
            ]
        )
    return response


def _safe(text: str) -> str:
    """No spreadsheet formula from a name someone typed."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
def network_compliance(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(request, slug)
    return _compliance_response(request, network, None)


@login_required
@require_GET
def organization_compliance(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_for_compliance(request.user, pk)
    return _compliance_response(request, organization.network, organization)
