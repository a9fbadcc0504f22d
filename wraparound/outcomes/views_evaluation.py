"""What helped: the page that compares served students with similar students who were not
(`outcomes.evaluation`). A GET form; the results appear below it on the same page.

Who may see it (tests/test_views_evaluation.py): `access.can_evaluate` — the network's admins
and evaluators. The network's other roles whose role opens the network view get a 403; anyone
else, and members of other networks, a 404 (`access.get_network_for_user`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wraparound.core import access

from .evaluation import evaluate
from .forms_evaluation import EvaluationForm


@login_required
@require_GET
def what_helped(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_evaluate(request.user, network.pk):
        raise PermissionDenied
    asked = "treatment" in request.GET
    form = EvaluationForm(request.GET if asked else None, network=network)
    result = None
    status = 200
    if asked:
        if form.is_valid():
            data = form.cleaned_data
            result = evaluate(network, data["year"], data["treatment"], float(data["min_hours"]))
        else:
            status = 400
    return render(
        request,
        "outcomes/evaluation/what_helped.html",
        {
            "network": network,
            "form": form,
            "result": result,
            "chart": result.chart() if result is not None and not result.suppressed else None,
            "treatment_label": form.treatment_label() if result is not None else "",
        },
        status=status,
    )
