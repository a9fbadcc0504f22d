"""Initiative pages. Thin: parse → selector/service → render.

Who may do what (tests in tests/test_views.py):
- the network's initiatives (`networks/<slug>/initiatives/`): network admins, evaluators and
  network supervisors read; admins define initiatives. A member of the network without a
  network-wide role: 403; anyone else: 404.
- one initiative, its goals and its feeder patterns: the network-wide roles, and the school roles
  of the network's schools (their schools' plans, their schools' patterns); partners, coalition
  members, outsiders and other networks: 404. Admins change the initiative and its goals;
  anyone else who sees it: 403.
- a school's plan: whoever reads the school's plans (`access.can_view_school_plans`, else 404);
  the school's coordinators and principal, the plan's owner and network admins change it (else
  403).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import School
from wraparound.outcomes.models import Goal, GoalScope

from . import selectors, services
from .forms import (
    ActivityForm,
    InitiativeForm,
    InitiativeGoalForm,
    PlanForm,
    initial_from_activity,
    initial_from_goal,
    initial_from_initiative,
    initial_from_plan,
)
from .models import Initiative, SchoolPlan

CONFLICT = _(
    "Someone changed this while you were editing it. Your changes are below; what is saved now "
    "is shown above."
)


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


# --- the network's initiatives -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def network_initiatives(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_network_for_user(request.user, slug)
    can_manage = access.can_manage_initiatives(request.user, network.pk)
    form = None
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = InitiativeForm(request.POST)
        if form.is_valid():
            try:
                initiative = services.initiative_create(
                    user=request.user, network=network, **form.to_service()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Initiative created."))
                return redirect("initiative_detail", pk=initiative.pk)
        status = 400
    elif can_manage:
        form = InitiativeForm(initial={"start_year": _current_year(network)})
    return render(
        request,
        "initiatives/network.html",
        {"network": network, "overviews": selectors.network_overview(network), "form": form},
        status=status,
    )


def _current_year(network: Any) -> int:
    today = network.today()
    return today.year + 1 if today.month >= 7 else today.year


# --- one initiative ----------------------------------------------------------------------------


def _network_goals(initiative: Initiative) -> list[Goal]:
    return list(
        Goal.objects.filter(network_id=initiative.network_id, scope=GoalScope.NETWORK).order_by(
            "target_on", "pk"
        )
    )


def _render_detail(
    request: HttpRequest,
    initiative: Initiative,
    *,
    edit_form: InitiativeForm | None = None,
    goal_form: InitiativeGoalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = access.can_manage_initiatives(request.user, initiative.network_id)
    sees_all = access.sees_all_initiative_schools(request.user, initiative.network_id)
    if can_manage:
        edit_form = edit_form or InitiativeForm(
            initial=initial_from_initiative(initiative), prefix="edit"
        )
        goal_form = goal_form or InitiativeGoalForm(
            network_goals=_network_goals(initiative), prefix="goal"
        )
    plans = list(selectors.visible_plans(request.user, initiative))
    if sees_all:
        schools = list(School.objects.filter(network_id=initiative.network_id).order_by("name"))
    else:
        schools = list(
            School.objects.filter(
                network_id=initiative.network_id,
                pk__in=access.initiative_plan_schools(request.user),
            ).order_by("name")
        )
    planned = {p.school_id for p in plans}
    return render(
        request,
        "initiatives/detail.html",
        {
            "initiative": initiative,
            "goals": selectors.initiative_goals(initiative),
            "plans": plans,
            "unplanned": [s for s in schools if s.pk not in planned],
            "sees_all": sees_all,
            "can_manage": can_manage,
            "edit_form": edit_form if can_manage else None,
            "goal_form": goal_form if can_manage else None,
        },
        status=status,
    )


@login_required
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.get_initiative_for_user(request.user, pk))


def _managed(request: HttpRequest, pk: int) -> Initiative:
    initiative = selectors.get_initiative_for_user(request.user, pk)
    if not access.can_manage_initiatives(request.user, initiative.network_id):
        raise PermissionDenied
    return initiative


@login_required
@require_POST
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _managed(request, pk)
    form = InitiativeForm(request.POST, prefix="edit")
    if form.is_valid():
        try:
            services.initiative_update(
                user=request.user,
                initiative=initiative,
                expected_version=_version(request) or -1,
                **form.to_service(),
            )
        except ValidationError as error:
            _errors_into(form, error)
        except services.Conflict:
            form.add_error(None, CONFLICT)
            initiative.refresh_from_db()
            return _render_detail(request, initiative, edit_form=form, status=409)
        else:
            messages.success(request, _("Initiative changed."))
            return redirect("initiative_detail", pk=initiative.pk)
    return _render_detail(request, initiative, edit_form=form, status=400)


@login_required
@require_POST
def initiative_delete(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _managed(request, pk)
    try:
        services.initiative_delete(user=request.user, initiative=initiative)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("initiative_detail", pk=initiative.pk)
    messages.success(request, _("“%(name)s” deleted.") % {"name": initiative.name})
    return redirect("network_initiatives", slug=initiative.network.slug)


@login_required
@require_POST
def initiative_goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _managed(request, pk)
    form = InitiativeGoalForm(request.POST, network_goals=_network_goals(initiative), prefix="goal")
    if form.is_valid():
        try:
            services.initiative_goal_add(
                user=request.user, initiative=initiative, **form.to_service()
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Goal added."))
            return redirect("initiative_detail", pk=initiative.pk)
    return _render_detail(request, initiative, goal_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.get_initiative_goal_for_user(request.user, pk)
    initiative = goal.initiative
    if not access.can_manage_initiatives(request.user, initiative.network_id):
        raise PermissionDenied
    network_goals = _network_goals(initiative)
    status = 200
    if request.method == "POST":
        form = InitiativeGoalForm(request.POST, network_goals=network_goals)
        if form.is_valid():
            try:
                services.initiative_goal_update(user=request.user, goal=goal, **form.to_service())
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Goal changed."))
                return redirect("initiative_detail", pk=initiative.pk)
        status = 400
    else:
        form = InitiativeGoalForm(network_goals=network_goals, initial=initial_from_goal(goal))
    return render(
        request,
        "initiatives/goal_edit.html",
        {"goal": goal, "initiative": initiative, "form": form},
        status=status,
    )


@login_required
@require_POST
def initiative_goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.get_initiative_goal_for_user(request.user, pk)
    initiative = goal.initiative
    services.initiative_goal_delete(user=request.user, goal=goal)
    messages.success(request, _("Goal removed."))
    return redirect("initiative_detail", pk=initiative.pk)


# --- feeder patterns ---------------------------------------------------------------------------


@login_required
def feeder_patterns(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.get_initiative_for_user(request.user, pk)
    patterns = selectors.feeder_pattern_coverage(request.user, initiative)
    return render(
        request,
        "initiatives/feeder_patterns.html",
        {
            "initiative": initiative,
            "patterns": patterns,
            "target": selectors.target_grades(initiative),
            "sees_all": access.sees_all_initiative_schools(request.user, initiative.network_id),
            "mine": access.initiative_plan_schools(request.user),
        },
    )


# --- a school's plan ---------------------------------------------------------------------------


def _plan_form(
    school: School, plan: SchoolPlan | None, data: Any = None, **kwargs: Any
) -> PlanForm:
    return PlanForm(
        data,
        school=school,
        owners=selectors.school_plan_owners(school),
        partners=selectors.network_partners(school.network_id),
        initial=initial_from_plan(plan),
        **kwargs,
    )


def _activity_form(school: School, data: Any = None) -> ActivityForm:
    return ActivityForm(
        data,
        school=school,
        partners=selectors.network_partners(school.network_id),
        prefix="activity",
    )


def _render_plan(
    request: HttpRequest,
    initiative: Initiative,
    school: School,
    *,
    plan_form: PlanForm | None = None,
    activity_form: ActivityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    plan = selectors.plan_for_school(initiative, school)
    can_edit = access.can_edit_school_plan(request.user, school, plan.owner_id if plan else None)
    if can_edit:
        plan_form = plan_form or _plan_form(school, plan)
        if plan is not None:
            activity_form = activity_form or _activity_form(school)
    return render(
        request,
        "initiatives/plan.html",
        {
            "initiative": initiative,
            "school": school,
            "plan": plan,
            "school_grades": services.school_grades(school),
            "can_edit": can_edit,
            "plan_form": plan_form if can_edit else None,
            "activity_form": activity_form if can_edit and plan is not None else None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def school_plan(request: HttpRequest, pk: int, school_pk: int) -> HttpResponse:
    initiative = selectors.get_initiative_for_user(request.user, pk)
    school = selectors.get_plan_school_for_user(request.user, initiative, school_pk)
    if request.method == "GET":
        return _render_plan(request, initiative, school)
    plan = selectors.plan_for_school(initiative, school)
    if not access.can_edit_school_plan(request.user, school, plan.owner_id if plan else None):
        raise PermissionDenied
    form = _plan_form(school, plan, request.POST)
    if form.is_valid():
        try:
            services.plan_save(
                user=request.user,
                initiative=initiative,
                school=school,
                expected_version=_version(request),
                **form.to_service(),
            )
        except ValidationError as error:
            _errors_into(form, error)
        except services.Conflict:
            form.add_error(None, CONFLICT)
            return _render_plan(request, initiative, school, plan_form=form, status=409)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("initiative_school_plan", pk=initiative.pk, school_pk=school.pk)
    return _render_plan(request, initiative, school, plan_form=form, status=400)


@login_required
@require_POST
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, pk)
    if not access.can_edit_school_plan(request.user, plan.school, plan.owner_id):
        raise PermissionDenied
    form = _activity_form(plan.school, request.POST)
    if form.is_valid():
        try:
            services.activity_add(user=request.user, plan=plan, **form.to_service())
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Activity added."))
            return redirect(
                "initiative_school_plan", pk=plan.initiative_id, school_pk=plan.school_id
            )
    return _render_plan(request, plan.initiative, plan.school, activity_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk)
    plan = activity.plan
    if not access.can_edit_school_plan(request.user, plan.school, plan.owner_id):
        raise PermissionDenied
    partners = selectors.network_partners(plan.school.network_id)
    status = 200
    if request.method == "POST":
        form = ActivityForm(request.POST, school=plan.school, partners=partners)
        if form.is_valid():
            try:
                services.activity_update(user=request.user, activity=activity, **form.to_service())
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Activity changed."))
                return redirect(
                    "initiative_school_plan", pk=plan.initiative_id, school_pk=plan.school_id
                )
        status = 400
    else:
        form = ActivityForm(
            school=plan.school, partners=partners, initial=initial_from_activity(activity)
        )
    return render(
        request,
        "initiatives/activity_edit.html",
        {"activity": activity, "plan": plan, "form": form},
        status=status,
    )


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk)
    plan = activity.plan
    services.activity_delete(user=request.user, activity=activity)
    messages.success(request, _("Activity removed."))
    return redirect("initiative_school_plan", pk=plan.initiative_id, school_pk=plan.school_id)


@login_required
def school_initiatives(request: HttpRequest, pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, pk)
    if not access.can_view_school_plans(request.user, school):
        raise PermissionDenied
    return render(
        request,
        "initiatives/school.html",
        {"school": school, "rows": selectors.school_plans(request.user, school)},
    )
