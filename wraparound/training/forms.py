"""Forms of the training pages: typing mistakes here, everything else in `services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models import ClearanceRequirement, RequirementSubject

from .models import AttendanceStatus, Audience, Training, TrainingTopic

HOURS_ERRORS = {
    "required": _("Enter the number of hours."),
    "invalid": _("Enter a number of hours, e.g. 1.5."),
}
WHOLE_ERRORS = {"invalid": _("Enter a whole number.")}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class TopicForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    default_hours = forms.DecimalField(
        label=_("Default hours"), max_digits=4, decimal_places=1, error_messages=HOURS_ERRORS
    )
    audience = forms.ChoiceField(
        label=_("Audience"),
        choices=Audience.choices,
        initial=Audience.BOTH,
        error_messages={"invalid_choice": _("Choose who the topic is for.")},
    )
    is_required = forms.BooleanField(label=_("Required for its audience"), required=False)
    renewal_months = forms.IntegerField(
        label=_("Renew every (months)"),
        required=False,
        help_text=_("Empty when a completion never has to be renewed."),
        error_messages=WHOLE_ERRORS,
    )
    clearance_requirement = forms.ModelChoiceField(
        label=_("Satisfies the clearance requirement"),
        queryset=ClearanceRequirement.objects.none(),
        required=False,
        help_text=_(
            "A completion writes a cleared record of this requirement for the partner's person."
        ),
        error_messages={"invalid_choice": _("Choose one of the network's requirements.")},
    )
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clearance_requirement"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ClearanceRequirement.objects.filter(
            network=network, applies_to=RequirementSubject.PERSON, is_active=True
        ).order_by("name")


def topic_initial(topic: TrainingTopic) -> dict[str, Any]:
    return {
        "name": topic.name,
        "description": topic.description,
        "default_hours": topic.default_hours,
        "audience": topic.audience,
        "is_required": topic.is_required,
        "renewal_months": topic.renewal_months,
        "clearance_requirement": topic.clearance_requirement_id,
        "is_active": topic.is_active,
    }


class TrainingForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=TrainingTopic.objects.none(),
        empty_label=_("Choose…"),
        error_messages={
            "required": _("Choose the topic."),
            "invalid_choice": _("Choose one of the network's topics."),
        },
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Empty: the topic's name."),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={
            "required": _("Enter the day and time it starts."),
            "invalid": _("Enter the day and time as YYYY-MM-DD HH:MM."),
        },
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=4,
        decimal_places=1,
        required=False,
        help_text=_("Empty: the topic's default hours."),
        error_messages=HOURS_ERRORS,
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    virtual_url = forms.CharField(label=_("Virtual link"), max_length=200, required=False)
    trainer_name = forms.CharField(label=_("Trainer"), max_length=200, required=False)
    trainer = UserChoiceField(
        label=_("Trainer's account"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("None: the trainer does not use wraparound"),
        help_text=_("A user of the network named here takes attendance for the training."),
        error_messages={"invalid_choice": _("Choose a user of this network.")},
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        help_text=_("Empty for no limit."),
        error_messages=WHOLE_ERRORS,
    )
    audience = forms.ChoiceField(
        label=_("Audience"),
        choices=[("", _("The topic's audience")), *Audience.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose who the training is for.")},
    )

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["topic"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = TrainingTopic.objects.filter(network=network, is_active=True).order_by(
            "name"
        )
        trainer = self.fields["trainer"]
        assert isinstance(trainer, forms.ModelChoiceField)
        trainer.queryset = (
            get_user_model()
            .objects.filter(memberships__network=network, memberships__is_active=True)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )

    def to_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        return data


def training_initial(training: Training) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "topic": training.topic_id,
        "title": training.title,
        "starts_at": timezone.localtime(training.starts_at, training.network.tzinfo).strftime(
            DATETIME_FORMAT
        ),
        "hours": training.hours,
        "location": training.location,
        "virtual_url": training.virtual_url,
        "trainer_name": training.trainer_name,
        "trainer": training.trainer_id,
        "capacity": training.capacity,
        "audience": training.audience,
    }


STATUS_CHOICES = [
    (AttendanceStatus.COMPLETED, _("completed")),
    (AttendanceStatus.ATTENDED, _("attended, not completed")),
    (AttendanceStatus.REGISTERED, _("registered")),
    (AttendanceStatus.ABSENT, _("did not attend")),
]
