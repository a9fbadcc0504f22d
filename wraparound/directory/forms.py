"""Edit forms for an organization's profile and its services.

Each form reads and writes a snapshot (diff.py): the same plain JSON a `ChangeRequest` keeps, so
what a partner typed, what a reviewer reads and what approval applies are one shape. A form never
saves anything: the view hands `snapshot()` to a service.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import Organization, VettingStatus

from .diff import DAY_CODES, DAYS, Snapshot
from .models import Service

ORGANIZATION_FIELDS = [
    "name",
    "alternate_name",
    "description",
    "email",
    "website",
    "phone",
    "tax_status",
    "tax_id",
    "year_incorporated",
    "legal_status",
    "logo",
]
TIMING_FIELDS = ["during_school_day", "after_school", "weekend", "summer", "virtual"]
SERVICE_FIELDS = [
    "name",
    "description",
    "status",
    "eligibility_description",
    "grade_low",
    "grade_high",
    *TIMING_FIELDS,
    "cost_to_school",
    "cost_to_families",
]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _coordinate(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.6f}"


def _https_by_default(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class OrganizationForm(forms.Form):
    base_hash = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(
            Organization, fields=ORGANIZATION_FIELDS, formfield_callback=_https_by_default
        )
        fields["logo"].label = _("Logo URL")
        fields["logo"].help_text = _("The address of an image of your logo, e.g. https://…")
        fields["description"].widget.attrs["rows"] = 5
        fields["year_incorporated"].widget.attrs.update({"min": 1800, "max": 2100})
        fields["email"].widget.attrs["autocomplete"] = "email"
        fields["phone"].widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
        self.fields.update(fields)

    def clean_year_incorporated(self) -> int | None:
        year: int | None = self.cleaned_data.get("year_incorporated")
        if year is not None and not 1800 <= year <= 2100:
            raise forms.ValidationError(_("Give the year with four digits, e.g. 1998."))
        return year

    def snapshot(self) -> Snapshot:
        data = self.cleaned_data
        return {
            key: (data[key] if key == "year_incorporated" else (data[key] or "").strip())
            for key in ORGANIZATION_FIELDS
        }


class VettingForm(forms.Form):
    status = forms.ChoiceField(label=_("Vetting"), choices=VettingStatus.choices)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this change rejected?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Say why, so that the partner can correct and resubmit.")},
    )


class ApproveForm(forms.Form):
    force = forms.BooleanField(
        label=_("Apply anyway, overwriting the newer values"), required=False
    )


# --- service --------------------------------------------------------------------------------------


class ServiceForm(forms.Form):
    base_hash = forms.CharField(widget=forms.HiddenInput, required=False)
    capacity_available = forms.IntegerField(
        label=_("Places available now"),
        min_value=0,
        required=False,
        help_text=_("How many more you can take. Leave empty when you do not track places."),
    )
    capacity_maximum = forms.IntegerField(label=_("Places in all"), min_value=0, required=False)
    capacity_unit = forms.CharField(
        label=_("Counted in"),
        max_length=100,
        required=False,
        help_text=_("e.g. students, families"),
    )
    categories = forms.TypedMultipleChoiceField(
        label=_("Categories"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    communities = forms.TypedMultipleChoiceField(
        label=_("Communities served"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        category_groups: list[tuple[str, list[tuple[int, str]]]],
        communities: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(Service, fields=SERVICE_FIELDS)
        fields["description"].widget.attrs["rows"] = 5
        fields["eligibility_description"].widget.attrs["rows"] = 3
        fields["eligibility_description"].help_text = _("Who can take part, in plain words.")
        for name in ("cost_to_school", "cost_to_families"):
            fields[name].widget.attrs.update({"min": 0, "step": "0.01"})
            fields[name].validators.append(
                MinValueValidator(0, _("A cost cannot be negative; use 0 when it is free."))
            )
        self.fields.update(fields)
        self.category_groups = category_groups
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            choice for _group, choices in category_groups for choice in choices
        ]
        self.fields["communities"].choices = communities  # type: ignore[attr-defined]

    def timing_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in TIMING_FIELDS]

    def selected_categories(self) -> set[str]:
        return {str(v) for v in (self["categories"].value() or [])}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("grade_low"), data.get("grade_high")
        if bool(low) != bool(high):
            self.add_error(
                "grade_high" if low else "grade_low",
                _("Give both the lowest and the highest grade, or neither."),
            )
        elif low and high and GRADE_ORDER.get(low, -1) > GRADE_ORDER.get(high, 99):
            self.add_error("grade_high", _("The highest grade comes before the lowest grade."))
        available, maximum = data.get("capacity_available"), data.get("capacity_maximum")
        unit = (data.get("capacity_unit") or "").strip()
        if available is None and (maximum is not None or unit):
            self.add_error(
                "capacity_available", _("Say how many places are available, or clear the others.")
            )
        if available is not None and not unit:
            self.add_error("capacity_unit", _("Say what the places are counted in, e.g. students."))
        if available is not None and maximum is not None and available > maximum:
            self.add_error(
                "capacity_maximum", _("There cannot be more places available than in all.")
            )
        return data


class LanguageForm(forms.Form):
    code = forms.RegexField(
        label=_("ISO 639 code"),
        regex=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        max_length=20,
        help_text=_("e.g. es"),
        error_messages={"invalid": _("Use the two- or three-letter code, e.g. es for Spanish.")},
    )
    name = forms.CharField(label=_("Language"), max_length=100, help_text=_("e.g. Spanish"))


class BaseLanguageFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            if form.cleaned_data.get("DELETE"):
                continue
            code = form.cleaned_data.get("code")
            if code and code in seen:
                form.add_error("code", _("This language is listed twice."))
            seen.add(code or "")


LanguageFormSet = forms.formset_factory(
    LanguageForm, formset=BaseLanguageFormSet, extra=1, can_delete=True
)


class LocationForm(forms.Form):
    location = forms.TypedChoiceField(
        label=_("Location"), coerce=int, empty_value=None, required=False
    )
    name = forms.CharField(label=_("Name of the new location"), max_length=250, required=False)
    address_1 = forms.CharField(label=_("Street address"), max_length=250, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    state_province = forms.CharField(label=_("State"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )
    days = forms.MultipleChoiceField(
        label=_("Days"), choices=DAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    opens_at = forms.TimeField(
        label=_("Opens at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    closes_at = forms.TimeField(
        label=_("Closes at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    schedule_description = forms.CharField(
        label=_("About the hours"),
        max_length=500,
        required=False,
        help_text=_("e.g. closed on school holidays"),
    )

    NEW_FIELDS = ("name", "address_1", "city", "state_province", "postal_code")

    def __init__(self, *args: Any, locations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [  # type: ignore[attr-defined]
            ("", _("A new location (describe it below)")),
            *locations,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        described = any((data.get(f) or "").strip() for f in self.NEW_FIELDS)
        if data.get("location") and described:
            self.add_error(
                "location",
                _("Pick one of your locations or describe a new one, not both."),
            )
        elif not data.get("location") and not described:
            self.add_error("location", _("Pick one of your locations or describe a new one below."))
        elif described and (data.get("address_1") or "").strip():
            for f in ("city", "state_province", "postal_code"):
                if not (data.get(f) or "").strip():
                    self.add_error(f, _("Needed with a street address."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if bool(opens) != bool(closes):
            self.add_error("closes_at", _("Give both the opening and the closing time."))
        elif opens and closes and opens >= closes:
            self.add_error("closes_at", _("The closing time must come after the opening time."))
        if (opens or closes) and not data.get("days"):
            self.add_error("days", _("Pick the days these hours apply to."))
        return data

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        existing = data.get("location")

        def text(key: str) -> str:
            return "" if existing else (data.get(key) or "").strip()

        return {
            "location": existing,
            "name": text("name"),
            "address_1": text("address_1"),
            "city": text("city"),
            "state_province": text("state_province"),
            "postal_code": text("postal_code"),
            "latitude": None if existing else _coordinate(data.get("latitude")),
            "longitude": None if existing else _coordinate(data.get("longitude")),
            "days": sorted(data.get("days") or [], key=DAY_CODES.index),
            "opens_at": data["opens_at"].strftime("%H:%M") if data.get("opens_at") else "",
            "closes_at": data["closes_at"].strftime("%H:%M") if data.get("closes_at") else "",
            "schedule_description": (data.get("schedule_description") or "").strip(),
        }


class BaseLocationFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        seen: set[int] = set()
        for form in self.forms:
            if form.cleaned_data.get("DELETE"):
                continue
            location = form.cleaned_data.get("location")
            if location and location in seen:
                form.add_error("location", _("This location is listed twice."))
            if location:
                seen.add(location)


LocationFormSet = forms.formset_factory(
    LocationForm, formset=BaseLocationFormSet, extra=1, can_delete=True
)


class ContactForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any((data.get(f) or "").strip() for f in ("name", "email", "phone")):
            self.add_error("name", _("Give at least a name, an e-mail or a phone number."))
        return data

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "id": data.get("id"),
            **{f: (data.get(f) or "").strip() for f in ("name", "title", "email", "phone")},
        }


ContactFormSet = forms.formset_factory(ContactForm, extra=1, can_delete=True)


class ServiceEditForm:
    """The service form and its three formsets (languages, locations with hours, contacts),
    validated and read as one."""

    def __init__(
        self,
        data: Any = None,
        *,
        initial: Snapshot | None,
        category_groups: list[tuple[str, list[tuple[int, str]]]],
        communities: list[tuple[int, str]],
        locations: list[tuple[int, str]],
        base_hash: str = "",
    ) -> None:
        snap = initial or {}
        scalars = {k: v for k, v in snap.items() if k not in ("languages", "locations", "contacts")}
        scalars["base_hash"] = base_hash
        if not snap:
            scalars["status"] = "active"
        self.main = ServiceForm(
            data,
            initial=scalars,
            category_groups=category_groups,
            communities=communities,
        )
        self.languages = LanguageFormSet(
            data, initial=snap.get("languages") or [], prefix="languages"
        )
        self.locations = LocationFormSet(
            data,
            initial=[
                {
                    **row,
                    "opens_at": row.get("opens_at") or None,
                    "closes_at": row.get("closes_at") or None,
                }
                for row in snap.get("locations") or []
            ],
            prefix="locations",
            form_kwargs={"locations": locations},
        )
        self.contacts = ContactFormSet(data, initial=snap.get("contacts") or [], prefix="contacts")

    @property
    def formsets(self) -> list[forms.BaseFormSet]:
        return [self.languages, self.locations, self.contacts]

    def is_valid(self) -> bool:
        results = [self.main.is_valid(), *(fs.is_valid() for fs in self.formsets)]
        return all(results)

    @property
    def error_count(self) -> int:
        count = len(self.main.errors)
        for fs in self.formsets:
            count += len(fs.non_form_errors()) + sum(len(f.errors) for f in fs.forms)
        return count

    @staticmethod
    def _kept(formset: forms.BaseFormSet) -> list[forms.Form]:
        initial = formset.initial_form_count()
        return [
            f
            for i, f in enumerate(formset.forms)
            if (i < initial or f.has_changed()) and not formset._should_delete_form(f)  # type: ignore[attr-defined]
        ]

    def snapshot(self) -> Snapshot:
        data = self.main.cleaned_data
        languages = sorted(
            (
                {"code": f.cleaned_data["code"], "name": f.cleaned_data["name"].strip()}
                for f in self._kept(self.languages)
            ),
            key=lambda r: r["code"],
        )
        location_rows = [f.row() for f in self._kept(self.locations)]  # type: ignore[attr-defined]
        locations = sorted(
            (r for r in location_rows if r["location"]), key=lambda r: r["location"]
        ) + [r for r in location_rows if not r["location"]]
        contact_rows = [f.row() for f in self._kept(self.contacts)]  # type: ignore[attr-defined]
        contacts = sorted((r for r in contact_rows if r["id"]), key=lambda r: r["id"]) + [
            r for r in contact_rows if not r["id"]
        ]
        return {
            "name": data["name"].strip(),
            "description": (data["description"] or "").strip(),
            "status": data["status"],
            "eligibility_description": (data["eligibility_description"] or "").strip(),
            "grade_low": data["grade_low"] or "",
            "grade_high": data["grade_high"] or "",
            **{key: bool(data[key]) for key in TIMING_FIELDS},
            "cost_to_school": _money(data["cost_to_school"]),
            "cost_to_families": _money(data["cost_to_families"]),
            "capacity_available": data["capacity_available"],
            "capacity_maximum": data["capacity_maximum"],
            "capacity_unit": (data["capacity_unit"] or "").strip()
            if data["capacity_available"] is not None
            else "",
            "categories": sorted(set(data["categories"])),
            "communities": sorted(set(data["communities"])),
            "languages": languages,
            "locations": locations,
            "contacts": contacts,
        }
