"""Forms of the session pages. Attendance rows are not form fields (the roster depends on the
service chosen): `attendance_from_post` reads them, and the service checks them against the
roster, whatever the page offered."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wraparound.core.models import School
from wraparound.directory.models import Service

from .models import Modality, SessionKind
from .session_services import MAX_DURATION, AttendanceItem

_ROW_KEY = re.compile(r"^(present|minutes)_(.+)$")


class SessionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of session"),
        choices=SessionKind.choices,
        initial=SessionKind.GROUP,
        widget=forms.RadioSelect,
    )
    school = forms.ModelChoiceField(label=gettext_lazy("School"), queryset=School.objects.none())
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False
    )
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    starts_at = forms.TimeField(
        label=gettext_lazy("Start time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"), min_value=1, max_value=MAX_DURATION
    )
    modality = forms.ChoiceField(
        label=gettext_lazy("Modality"), choices=Modality.choices, initial=Modality.IN_PERSON
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "What the session covered; no clinical details (those go in case notes)."
        ),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        schools: QuerySet[School] | None,
        services: QuerySet[Service],
        service_required: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        if schools is None:
            del self.fields["school"]
        else:
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["service"].required = service_required
        if not service_required:
            self.fields["service"].help_text = gettext_lazy(
                "Needed for a group session; an individual session may name none."
            )


class SessionEditForm(SessionForm):
    """The same details; the school, service and kind of a logged session stay."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, schools=None, services=Service.objects.none(), **kwargs)
        for name in ("kind", "service"):
            del self.fields[name]


class UploadForm(forms.Form):
    school = forms.ModelChoiceField(label=gettext_lazy("School"), queryset=School.objects.none())
    file = forms.FileField(label=gettext_lazy("CSV file"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check the file, write nothing"), required=False, initial=True
    )

    def __init__(
        self, data: Any = None, files: Any = None, *, schools: QuerySet[School] | None
    ) -> None:
        super().__init__(data, files)
        if schools is None:
            del self.fields["school"]
        else:
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]


def attendance_from_post(data: Any, kind: str, roster_ids: list[int]) -> list[AttendanceItem]:
    """The attendance a POST asks for. Group: each roster student (present when its box is
    ticked) plus any other student id the POST names, so the service can refuse it by id.
    Individual: the one `student` chosen."""
    errors: list[str] = []

    def minutes_of(key: str) -> int | None:
        raw = (data.get(key) or "").strip()
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            errors.append(_("Minutes must be a whole number (%(value)s).") % {"value": raw})
            return None

    if kind == SessionKind.INDIVIDUAL:
        raw = (data.get("student") or "").strip()
        if not raw:
            raise ValidationError({"attendance": [_("Choose the student.")]})
        try:
            student_id = int(raw)
        except ValueError:
            raise ValidationError(
                {"attendance": [_("Student %(id)s is not on this session's roster.") % {"id": raw}]}
            ) from None
        item = (student_id, bool(data.get("present")), minutes_of("minutes"))
        if errors:
            raise ValidationError({"attendance": errors})
        return [item]
    ids: list[int] = list(roster_ids)
    for key in data:
        match = _ROW_KEY.match(key)
        if not match:
            continue
        try:
            sid = int(match.group(2))
        except ValueError:
            errors.append(
                _("Student %(id)s is not on this session's roster.") % {"id": match.group(2)}
            )
            continue
        if sid not in ids:
            ids.append(sid)
    rows = [(sid, bool(data.get(f"present_{sid}")), minutes_of(f"minutes_{sid}")) for sid in ids]
    if errors:
        raise ValidationError({"attendance": errors})
    return rows
