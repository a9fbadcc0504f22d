"""Goal pages. Thin: parse → selector/service → render.

Who may do what (tests in tests/test_views_goals.py):
- a school's goals (its own and its partnerships'): whoever may see the school's outcomes
  (`access.can_view_school_outcomes`); set, change, remove: `access.can_set_school_goals`
  (coordinators, principals, network admins). Others who see the school get a 403, the rest 404.
- the network's goals: network admins and evaluators see them, admins set them.
- one goal: whoever may see it (`goal_selectors.goal_filter`, else 404); changing it: whoever may
  set goals for its scope (else 403).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.agreements.models.partnership import OPEN_STATUSES, Partnership
from wraparound.core import access
from wraparound.core.models import Network, School

from . import goal_selectors as selectors
from . import goal_services as services
from .forms_goals import GoalForm, MeasurementForm, initial_from_goal, takes_measurements
from .models import Goal, GoalScope


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _school_partnerships(school: School) -> list[Partnership]:
    return list(
        Partnership.objects.filter(school=school, status__in=OPEN_STATUSES)
        .select_related("organization", "service")
        .order_by("organization__name", "pk")
    )


def _school_form(school: School, data: Any = None, **kwargs: Any) -> GoalForm:
    partnerships = _school_partnerships(school)
    scopes: list[str] = [GoalScope.SCHOOL]
    if partnerships:
        scopes.append(GoalScope.PARTNERSHIP)
    return GoalForm(data, scopes=scopes, partnerships=partnerships, **kwargs)


def _school(request: HttpRequest, pk: int) -> School:
    school = access.get_school_for_user(request.user, pk)
    if not access.can_view_school_outcomes(request.user, school):
        raise PermissionDenied
    return school


@login_required
@require_http_methods(["GET", "POST"])
def school_goal_list(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    today = school.network.today()
    can_set = access.can_set_school_goals(request.user, school)
    form = None
    status = 200
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        form = _school_form(school, request.POST)
        if form.is_valid():
            try:
                goal = services.goal_create(
                    user=request.user,
                    network=school.network,
                    scope=form.cleaned_data["scope"],
                    school=school,
                    partnership=form.chosen_partnership(),
                    **form.to_service(),
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Goal set."))
                return redirect("goal_detail", pk=goal.pk)
        status = 400
    elif can_set:
        form = _school_form(school, initial={"scope": GoalScope.SCHOOL, "baseline_on": today})
    goals = [selectors.progress(g, today=today) for g in selectors.school_goals(school)]
    return render(
        request,
        "outcomes/goals/school.html",
        {"school": school, "goals": goals, "form": form, "today": today},
        status=status,
    )


def _network(request: HttpRequest, slug: str) -> Network:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_view_network_outcomes(request.user, network.pk):
        raise PermissionDenied
    return network


@login_required
@require_http_methods(["GET", "POST"])
def network_goal_list(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(request, slug)
    today = network.today()
    can_set = access.can_set_network_goals(request.user, network.pk)
    form = None
    status = 200
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        form = GoalForm(request.POST, scopes=[GoalScope.NETWORK])
        if form.is_valid():
            try:
                goal = services.goal_create(
                    user=request.user,
                    network=network,
                    scope=GoalScope.NETWORK,
                    school=None,
                    partnership=None,
                    **form.to_service(),
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Goal set."))
                return redirect("goal_detail", pk=goal.pk)
        status = 400
    elif can_set:
        form = GoalForm(
            scopes=[GoalScope.NETWORK], initial={"scope": GoalScope.NETWORK, "baseline_on": today}
        )
    goals = [selectors.progress(g, today=today) for g in selectors.network_goals(network)]
    schools = selectors.network_school_goal_counts(network, today=today)
    return render(
        request,
        "outcomes/goals/network.html",
        {"network": network, "goals": goals, "schools": schools, "form": form, "today": today},
        status=status,
    )


def _edit_form(goal: Goal, data: Any = None) -> GoalForm:
    return GoalForm(data, scopes=[goal.scope], initial=initial_from_goal(goal), prefix="edit")


def _back(goal: Goal) -> str:
    if goal.scope == GoalScope.NETWORK:
        return reverse("network_goal_list", args=[goal.network.slug])
    school = goal.school or (goal.partnership.school if goal.partnership else None)
    if school is None:
        return reverse("network_goal_list", args=[goal.network.slug])
    return reverse("school_goal_list", args=[school.pk])


def _render_detail(
    request: HttpRequest,
    goal: Goal,
    *,
    edit_form: GoalForm | None = None,
    measure_form: MeasurementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = goal.network.today()
    can_change = services.can_change(request.user, goal)
    if can_change and edit_form is None:
        edit_form = _edit_form(goal)
    if can_change and measure_form is None and takes_measurements(goal):
        measure_form = MeasurementForm(initial={"measured_on": today}, prefix="measure")
    return render(
        request,
        "outcomes/goals/detail.html",
        {
            "goal": goal,
            "progress": selectors.progress(goal, today=today),
            "measurements": list(goal.measurements.all()),
            "can_change": can_change,
            "edit_form": edit_form if can_change else None,
            "measure_form": measure_form if can_change else None,
            "back": _back(goal),
            "today": today,
        },
        status=status,
    )


@login_required
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.get_goal_for_user(request.user, pk))


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


@login_required
@require_POST
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.get_goal_for_user(request.user, pk)
    if not services.can_change(request.user, goal):
        raise PermissionDenied
    form = _edit_form(goal, request.POST)
    if form.is_valid():
        try:
            services.goal_update(
                user=request.user,
                goal=goal,
                expected_version=_version(request),
                **form.to_service(),
            )
        except ValidationError as error:
            _errors_into(form, error)
        except services.GoalConflict:
            form.add_error(
                None,
                _(
                    "Someone changed this goal while you were editing it. Your changes are "
                    "below; the goal as it is now is above."
                ),
            )
            goal.refresh_from_db()
            return _render_detail(request, goal, edit_form=form, status=409)
        else:
            messages.success(request, _("Goal changed."))
            return redirect("goal_detail", pk=goal.pk)
    return _render_detail(request, goal, edit_form=form, status=400)


@login_required
@require_POST
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.get_goal_for_user(request.user, pk)
    if not services.can_change(request.user, goal):
        raise PermissionDenied
    back = _back(goal)
    try:
        services.goal_delete(user=request.user, goal=goal, expected_version=_version(request))
    except services.GoalConflict:
        messages.error(request, _("Someone changed this goal meanwhile: look again first."))
        return redirect("goal_detail", pk=goal.pk)
    messages.success(request, _("Goal removed."))
    return redirect(back)


@login_required
@require_POST
def goal_measure(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.get_goal_for_user(request.user, pk)
    if not services.can_change(request.user, goal):
        raise PermissionDenied
    form = MeasurementForm(request.POST, prefix="measure")
    if form.is_valid():
        try:
            services.goal_record_measurement(user=request.user, goal=goal, **form.to_service(goal))
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Figure recorded."))
            return redirect("goal_detail", pk=goal.pk)
    return _render_detail(request, goal, measure_form=form, status=400)
