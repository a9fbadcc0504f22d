"""Forms of the meeting pages: typing mistakes here, everything else in `services`.

Days and times are typed on the network's clock; `starts_at` puts them together there."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.students.forms_consent import DATE_ERRORS, DateInput

from . import services
from .bodies import Person, owner_label
from .models import ActionItemStatus, AttendeeKind, Cadence, Meeting, MeetingAttendee

TIME_ERRORS = {"required": _("Give the time."), "invalid": _("Enter the time as HH:MM.")}
MINUTES_ERRORS = {
    "required": _("Give the length in minutes."),
    "invalid": _("Enter a whole number of minutes."),
    "min_value": _("A meeting lasts at least 5 minutes."),
    "max_value": _("A meeting lasts at most 24 hours (1440 minutes)."),
}


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def _at(day: dt.date, time: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=tz)


class _When(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=services.TITLE_MAX,
        error_messages={"required": _("Give the meeting a title.")},
    )
    time = forms.TimeField(label=_("Starts at"), widget=TimeInput(), error_messages=TIME_ERRORS)
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=5,
        max_value=services.MAX_MINUTES,
        initial=60,
        error_messages=MINUTES_ERRORS,
    )
    location = forms.CharField(
        label=_("Place"),
        max_length=services.PLACE_MAX,
        required=False,
        help_text=_("A room, an address or a video link."),
    )

    def __init__(self, *args: Any, tz: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz


class MeetingForm(_When):
    """One meeting (past days too: a meeting held before it was entered here)."""

    day = forms.DateField(
        label=_("Day"),
        widget=DateInput(),
        error_messages={"required": _("Give the day of the meeting."), **DATE_ERRORS},
    )
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    field_order = ["title", "day", "time", "duration_minutes", "location", "agenda"]

    def to_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "title": d["title"],
            "starts_at": _at(d["day"], d["time"], self.tz),
            "duration_minutes": d["duration_minutes"],
            "location": d.get("location", ""),
            "agenda": d.get("agenda", ""),
        }


class SeriesForm(_When):
    cadence = forms.ChoiceField(
        label=_("How often"),
        choices=[("", _("Choose…")), *Cadence.choices],
        error_messages={
            "required": _("Choose how often the meeting recurs."),
            "invalid_choice": _("Choose how often the meeting recurs."),
        },
    )
    first_day = forms.DateField(
        label=_("First meeting"),
        widget=DateInput(),
        help_text=_("Monthly meetings on the 29th to 31st fall on the last day of shorter months."),
        error_messages={"required": _("Give the day of the first meeting."), **DATE_ERRORS},
    )
    ends_on = forms.DateField(
        label=_("Until"),
        widget=DateInput(),
        required=False,
        help_text=_("Leave empty to go on until the series is ended."),
        error_messages=DATE_ERRORS,
    )

    field_order = [
        "title",
        "cadence",
        "first_day",
        "time",
        "duration_minutes",
        "location",
        "ends_on",
    ]

    def to_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "title": d["title"],
            "cadence": d["cadence"],
            "first_starts_at": _at(d["first_day"], d["time"], self.tz),
            "duration_minutes": d["duration_minutes"],
            "location": d.get("location", ""),
            "ends_on": d.get("ends_on"),
        }


# --- recording a meeting --------------------------------------------------------------------------


class RecordForm(forms.Form):
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    present = forms.MultipleChoiceField(
        label=_("Who came"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick everyone who was there; add families, students and guests below."),
        error_messages={"invalid_choice": _("Tick only people listed here.")},
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One decision per line."),
    )
    held = forms.BooleanField(label=_("The meeting was held"), required=False, initial=True)

    def __init__(self, *args: Any, people: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (p.key, f"{p.name} — {p.affiliation}" if p.affiliation else p.name) for p in people
        ]


GUEST_KINDS = [(k, label) for k, label in AttendeeKind.choices if k != AttendeeKind.STAFF] + [
    (AttendeeKind.STAFF, AttendeeKind.STAFF.label)
]


class GuestForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=services.NAME_MAX,
        error_messages={"required": _("Give the attendee's name.")},
    )
    kind = forms.ChoiceField(
        label=_("Came as"),
        choices=[("", _("Choose…")), *GUEST_KINDS],
        error_messages={
            "required": _("Say whether they came as family, student, partner…"),
            "invalid_choice": _("Say whether they came as family, student, partner…"),
        },
    )
    affiliation = forms.CharField(
        label=_("From"),
        max_length=services.NAME_MAX,
        required=False,
        help_text=_("e.g. parent of a 3rd grader, tenants' association"),
    )


class ItemForm(forms.Form):
    title = forms.CharField(
        label=_("Action"),
        max_length=services.ITEM_MAX,
        error_messages={"required": _("Say what is to be done.")},
    )
    owner = forms.TypedChoiceField(
        label=_("Owner"),
        coerce=int,
        error_messages={
            "required": _("Choose who owns this action item."),
            "invalid_choice": _("Choose the owner from the people listed."),
        },
    )
    due_on = forms.DateField(
        label=_("Due on"),
        widget=DateInput(),
        error_messages={"required": _("Give the due date."), **DATE_ERRORS},
    )

    def __init__(self, *args: Any, owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose…"))] + [(u.pk, owner_label(u)) for u in owners]


class EditItemForm(ItemForm):
    """An open action item changed after its meeting: any due date, an owner from the list."""

    note = forms.CharField(label=_("Note"), max_length=services.NOTE_MAX, required=False)


GuestFormSet = forms.formset_factory(GuestForm, extra=2)
ItemFormSet = forms.formset_factory(ItemForm, extra=3)
MORE_ROWS = 2


def more_rows(data: Any, prefix: str) -> Any:
    """The posted data with two more blank rows in one formset (the "more rows" buttons)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, 0))
    except ValueError:
        total = 0
    data[key] = str(min(total + MORE_ROWS, 50))
    return data


def filled(formset: Any) -> list[dict[str, Any]]:
    """The rows of a valid formset that were filled in (blank extra rows are skipped)."""
    return [f.cleaned_data for f in formset.forms if f.has_changed() and f.cleaned_data]


def initial_attendance(
    meeting: Meeting, people: list[Person]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The recorded attendance as the form shows it: the listed people ticked, the others as
    typed-in rows."""
    by_user = {p.user_id: p.key for p in people if p.user_id is not None}
    by_contact = {(p.coalition_member_id, p.name): p.key for p in people if p.key.startswith("c")}
    ticked: list[str] = []
    typed: list[dict[str, Any]] = []
    attendee: MeetingAttendee
    for attendee in meeting.attendees.all():
        key = by_contact.get((attendee.coalition_member_id, attendee.name))
        if key is None and attendee.user_id is not None:
            key = by_user.get(attendee.user_id)
        if key is not None:
            ticked.append(key)
        else:
            typed.append(
                {"name": attendee.name, "kind": attendee.kind, "affiliation": attendee.affiliation}
            )
    return ticked, typed


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=ActionItemStatus.choices,
        error_messages={"invalid_choice": _("Choose done, dropped or open.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=services.NOTE_MAX,
        required=False,
        help_text=_("Needed to drop an item: say why."),
    )


SHOW_CHOICES = [
    ("open", _("Open")),
    ("overdue", _("Overdue")),
    ("done", _("Done or dropped")),
    ("all", _("All")),
]


class ShowForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), choices=SHOW_CHOICES, required=False)
