"""Forms of the initiative pages: typing mistakes here, every rule in `services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.grades import Grade, grade_span_label
from wraparound.core.models import Organization, School
from wraparound.outcomes.models import Goal
from wraparound.students.forms_consent import DATE_ERRORS, DateInput

from .models import (
    TARGET_GRADE_CHOICES,
    Activity,
    GoalStatus,
    Initiative,
    InitiativeGoal,
    InitiativeKind,
    InitiativeStatus,
    PlanStatus,
    SchoolPlan,
)
from .services import school_grades

YEAR_ERRORS = {
    "required": _("Give the school year (the calendar year it ends in)."),
    "invalid": _("Enter a year such as 2027 (for 2026-27)."),
}
PARTNER_ERRORS = {"invalid_choice": _("Choose partners from the network's directory.")}


class InitiativeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Choose…")), *InitiativeKind.choices],
        error_messages={"invalid_choice": _("Choose one of the kinds listed.")},
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    grade_low = forms.ChoiceField(label=_("From grade"), choices=TARGET_GRADE_CHOICES, initial="TK")
    grade_high = forms.ChoiceField(label=_("To grade"), choices=TARGET_GRADE_CHOICES, initial="12")
    start_year = forms.IntegerField(
        label=_("First school year"),
        help_text=_("The calendar year it ends in: 2027 for 2026-27."),
        error_messages=YEAR_ERRORS,
    )
    end_year = forms.IntegerField(
        label=_("Last school year"),
        required=False,
        help_text=_("Leave empty if the initiative has no planned end."),
        error_messages=YEAR_ERRORS,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=InitiativeStatus.choices, initial=InitiativeStatus.PLANNING
    )

    def to_service(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def initial_from_initiative(initiative: Initiative) -> dict[str, Any]:
    return {
        name: getattr(initiative, name)
        for name in (
            "name",
            "kind",
            "description",
            "grade_low",
            "grade_high",
            "start_year",
            "end_year",
            "status",
        )
    }


class InitiativeGoalForm(forms.Form):
    statement = forms.CharField(label=_("Goal"), max_length=300)
    measure = forms.CharField(
        label=_("Measure"),
        max_length=300,
        required=False,
        help_text=_("How you will know, e.g. minutes of arts instruction a week per student."),
    )
    target = forms.CharField(label=_("Target"), max_length=200, required=False)
    due_on = forms.DateField(
        label=_("Due"), widget=DateInput(), required=False, error_messages=DATE_ERRORS
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=GoalStatus.choices, initial=GoalStatus.NOT_STARTED
    )
    outcome_goal = forms.TypedChoiceField(
        label=_("Linked outcome goal"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("One of the network's goals whose progress the system computes."),
        error_messages={"invalid_choice": _("Choose a goal of the network.")},
    )

    def __init__(self, data: Any = None, *, network_goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.network_goals = {g.pk: g for g in network_goals}
        field = self.fields["outcome_goal"]
        assert isinstance(field, forms.TypedChoiceField)
        if network_goals:
            field.choices = [("", _("None"))] + [(g.pk, str(g)) for g in network_goals]
        else:
            del self.fields["outcome_goal"]

    def to_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        pk = data.pop("outcome_goal", None)
        data["outcome_goal"] = self.network_goals.get(pk) if pk else None
        return data


def initial_from_goal(goal: InitiativeGoal) -> dict[str, Any]:
    return {
        "statement": goal.statement,
        "measure": goal.measure,
        "target": goal.target,
        "due_on": goal.due_on,
        "status": goal.status,
        "outcome_goal": goal.outcome_goal_id,
    }


def _grade_field(school: School, label: Any, help_text: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=[(g, Grade(g).label) for g in school_grades(school)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=help_text,
        error_messages={
            # Django fills in %(value)s itself.
            "invalid_choice": _("%(value)s is not taught at this school (grades %(span)s).")
            % {"value": "%(value)s", "span": grade_span_label(school.grade_low, school.grade_high)}
        },
    )


def _partner_field(partners: list[Organization], label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=[(o.pk, o.name) for o in partners],
        widget=forms.SelectMultiple(attrs={"size": 8}),
        required=False,
        help_text=_("Organizations of the network's directory; hold Ctrl or ⌘ to choose more."),
        error_messages=PARTNER_ERRORS,
    )


class PlanForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=PlanStatus.choices,
        error_messages={"invalid_choice": _("Choose one of the statuses listed.")},
    )
    owner = forms.TypedChoiceField(
        label=_("Owner"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Someone who works at the school and answers for the plan."),
        error_messages={"invalid_choice": _("Choose someone who works at the school.")},
    )
    owner_title = forms.CharField(
        label=_("Owner's title"),
        max_length=100,
        required=False,
        help_text=_("e.g. Arts Lead"),
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(
        self,
        data: Any = None,
        *,
        school: School,
        owners: list[Any],
        partners: list[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.owners = {u.pk: u for u in owners}
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        owner.choices = [("", _("No one yet"))] + [
            (u.pk, u.get_full_name() or u.username) for u in owners
        ]
        self.fields["grades"] = _grade_field(
            school,
            _("Grades the plan reaches"),
            _("Only the grades the school teaches."),
        )
        self.fields["partners"] = _partner_field(partners, _("Partners"))
        self.order_fields(["status", "owner", "owner_title", "grades", "partners", "notes"])

    def to_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        pk = data.pop("owner", None)
        data["owner"] = self.owners.get(pk) if pk else None
        return data


def initial_from_plan(plan: SchoolPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"status": PlanStatus.PLANNING}
    return {
        "status": plan.status,
        "owner": plan.owner_id,
        "owner_title": plan.owner_title,
        "notes": plan.notes,
        "grades": list(plan.grades),
        "partners": [o.pk for o in plan.partners.all()],
    }


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Activity"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    schedule = forms.CharField(
        label=_("Schedule"),
        max_length=200,
        required=False,
        help_text=_("e.g. Tuesdays and Thursdays after school; a six-week residency each spring."),
    )
    minutes_per_week = forms.IntegerField(
        label=_("Minutes per week"),
        required=False,
        error_messages={"invalid": _("Enter a whole number of minutes.")},
    )

    def __init__(
        self, data: Any = None, *, school: School, partners: list[Organization], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["grades"] = _grade_field(
            school, _("Grades"), _("The grades the activity reaches.")
        )
        self.fields["partners"] = _partner_field(partners, _("Partner organizations"))
        self.order_fields(["title", "description", "grades", "partners", "schedule"])

    def to_service(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def initial_from_activity(activity: Activity) -> dict[str, Any]:
    return {
        "title": activity.title,
        "description": activity.description,
        "grades": list(activity.grades),
        "partners": [o.pk for o in activity.partners.all()],
        "schedule": activity.schedule,
        "minutes_per_week": activity.minutes_per_week,
    }
