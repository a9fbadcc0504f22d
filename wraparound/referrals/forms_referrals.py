"""Forms of the referral pages: the new referral (and the draft's edit), and the transition
buttons' small forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wraparound.agreements.models import DataElement
from wraparound.core.models import School
from wraparound.directory.models import Service
from wraparound.students.models import Guardian, Student

from .models import CloseReason, ReferralStatus
from .referral_services import DEFAULT_SHARED_ELEMENTS


def service_label(service: Any) -> str:
    """The service with its organization, capacity and waitlist (from `referable_services`)."""
    capacities = sorted(service.capacities.all(), key=lambda c: (c.updated, c.pk), reverse=True)
    if capacities:
        c = capacities[0]
        if c.maximum is not None:
            room = _("%(available)s of %(maximum)s %(unit)s available") % {
                "available": c.available,
                "maximum": c.maximum,
                "unit": c.unit,
            }
        else:
            room = _("%(available)s %(unit)s available") % {
                "available": c.available,
                "unit": c.unit,
            }
    else:
        room = _("capacity not published")
    return _("%(service)s — %(org)s (%(room)s; %(waitlisted)s waitlisted)") % {
        "service": service.name,
        "org": service.organization.name,
        "room": room,
        "waitlisted": getattr(service, "waitlisted", 0),
    }


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return service_label(obj)


class ReferralForm(forms.Form):
    """A new referral. `subject` is "s<id>" (a student) or "g<id>" (a guardian: the family);
    its choices are the students found by the search, or the one being posted."""

    subject = forms.ChoiceField(
        label=gettext_lazy("Who is referred"), widget=forms.RadioSelect, choices=()
    )
    service = ServiceChoiceField(
        label=gettext_lazy("Service"),
        queryset=Service.objects.none(),
        help_text=gettext_lazy("Each service shows its published capacity and its waitlist."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the referral"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=gettext_lazy(
            "Shared with the partner only when “referral notes” is ticked below."
        ),
    )
    urgent = forms.BooleanField(label=gettext_lazy("Urgent"), required=False)
    shared_elements = forms.MultipleChoiceField(
        label=gettext_lazy("Information to share with the partner"),
        choices=DataElement.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(DEFAULT_SHARED_ELEMENTS),
        help_text=gettext_lazy(
            "Only what an agreement in force or the family's consent allows can be sent. "
            "A family referral shares at most the family's contact."
        ),
    )
    confirm_duplicate = forms.BooleanField(
        label=gettext_lazy("Refer again anyway"), required=False, widget=forms.CheckboxInput
    )

    def __init__(
        self,
        data: Any = None,
        *,
        school: School,
        services: Any,
        students: list[Student],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.school = school
        service_field: Any = self.fields["service"]
        service_field.queryset = services
        choices: list[tuple[str, str]] = []
        for student in students:
            grade = f", {_('grade')} {student.grade}" if student.grade else ""
            ident = f" · {student.identifier}" if student.identifier else ""
            choices.append((f"s{student.pk}", f"{student.display_name}{grade}{ident}"))
            for link in student.guardian_links.all():
                choices.append(
                    (
                        f"g{link.guardian_id}",
                        _("The family of %(student)s, through %(guardian)s (%(rel)s)")
                        % {
                            "student": student.display_name,
                            "guardian": link.guardian.display_name,
                            "rel": link.get_relationship_display(),
                        },
                    )
                )
        subject_field: Any = self.fields["subject"]
        subject_field.choices = choices
        if len(choices) == 1:
            self.initial.setdefault("subject", choices[0][0])

    def subject_objects(self) -> tuple[Student | None, Guardian | None]:
        value: str = self.cleaned_data["subject"]
        kind, pk = value[0], int(value[1:])
        if kind == "s":
            return Student.objects.get(pk=pk, school=self.school), None
        return None, Guardian.objects.get(pk=pk, student_links__student__school=self.school)


class ReferralDraftForm(ReferralForm):
    """A draft being edited: the new-referral form without who is referred (that stays), with
    the version the page showed."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *, school: School, services: Any, **kwargs: Any) -> None:
        super().__init__(data, school=school, services=services, students=[], **kwargs)
        del self.fields["subject"]


def subject_students(school: School, value: str) -> list[Student]:
    """The student behind a posted subject, so the posted choice is valid on re-render."""
    if len(value) < 2 or value[0] not in "sg" or not value[1:].isdigit():
        return []
    qs = Student.objects.filter(school=school)
    if value[0] == "s":
        qs = qs.filter(pk=int(value[1:]))
    else:
        qs = qs.filter(guardian_links__guardian_id=int(value[1:]))
    return list(qs.prefetch_related("guardian_links__guardian").distinct()[:5])


class TransitionForm(forms.Form):
    """One action button on the referral page, with the version the page showed (the move itself
    is the `to` field outside the prefix, so each form's field ids stay unique on the page)."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def transition_form(referral: Any, to: str, data: Any = None) -> TransitionForm:
    """The small form for one move, with a reason field fitted to it."""
    form = TransitionForm(
        data,
        prefix=f"t-{to}",
        initial={"expected_version": referral.version},
    )
    reason: Any = form.fields["reason"]
    if to in (ReferralStatus.CLOSED, ReferralStatus.WITHDRAWN):
        form.fields["reason"] = forms.ChoiceField(
            label=gettext_lazy("Why"), choices=[("", "—"), *CloseReason.choices]
        )
    elif to == ReferralStatus.DECLINED:
        reason.required = True
        reason.label = gettext_lazy("Why it is declined")
    else:
        del form.fields["reason"]
    return form


class CrossAgencyReferralForm(ReferralForm):
    """A member agency's referral to another member agency's service: who is referred is fixed by
    the page (a student or family the agency serves), so the form is the rest of the referral."""

    def __init__(self, data: Any = None, *, school: School, services: Any, **kwargs: Any) -> None:
        super().__init__(data, school=school, services=services, students=[], **kwargs)
        del self.fields["subject"]
        service_field: Any = self.fields["service"]
        service_field.label = gettext_lazy("Service of a fellow coalition member")
        service_field.help_text = gettext_lazy(
            "Services of the other member agencies of your coalitions, with capacity and waitlist."
        )
