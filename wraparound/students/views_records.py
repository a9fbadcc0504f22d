"""Student records: the school's roster and a student's whole record for school officials, the
partner's view of its referred students (field-filtered, each read logged), CSV exports, and the
student's record of disclosures (34 CFR 99.32). Thin: parse → selector → render.

Who may see what (tests/test_authorization_matrix.py holds the whole table):

- roster, record and roster export: the school's officials (`access.is_school_official`);
  anyone else a 404 — partners included: they reach students through referrals only;
- the partner pages and export: users acting for the organization
  (`access.partner_organizations`), showing only what `visibility.partner_views` allows;
  anyone else a 404;
- the disclosure log: officials who answer a parent's request (`access.can_print_disclosure_log`);
  other officials of the student get a 403, anyone else a 404.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wraparound.agreements.models import DataElement
from wraparound.core import access
from wraparound.core.grades import Grade
from wraparound.core.models import DisclosureBasis
from wraparound.core.services import audit_record
from wraparound.referrals.models import Referral

from . import selectors
from .models import TierAssignment
from .visibility import ELEMENT_FIELDS, Ground, PartnerRead, StudentView, whole_view

PAGE_SIZE = 50
PURPOSE_LIST = "partner student list"
PURPOSE_RECORD = "partner student record"
PURPOSE_EXPORT = "partner export"


def _link(name: str, *args: Any, query: dict[str, Any] | None = None) -> str:
    """The URL of a page another feature may not have landed yet: "" until it exists."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not reported")
    return _("yes") if value else _("no")


# --- the school's roster -------------------------------------------------------------------------


class RosterFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or student id"), required=False, max_length=200)
    grade = forms.ChoiceField(
        label=gettext_lazy("Grade"),
        required=False,
        choices=[("", gettext_lazy("All grades")), *Grade.choices],
    )
    inactive = forms.BooleanField(label=gettext_lazy("Include inactive students"), required=False)


@login_required
@require_GET
def student_school_list(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = selectors.get_official_school(request.user, school_pk)
    form = RosterFilterForm(request.GET)
    status, q, grade, active = 200, "", "", True
    if form.is_valid():
        q, grade = form.cleaned_data["q"].strip(), form.cleaned_data["grade"]
        active = not form.cleaned_data["inactive"]
    else:
        status = 400
    qs = selectors.school_students(
        request.user, school, q=q, grade=grade, active=True if active else None
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {k: v for k, v in (("q", q), ("grade", grade)) if v}
    if not active:
        kept["inactive"] = "on"
    return render(
        request,
        "students/student_school_list.html",
        {
            "school": school,
            "form": form,
            "page": page,
            "querystring": urlencode(kept),
            "export_url": reverse("student_school_export", args=[school.pk]),
        },
        status=status,
    )


# Rows come annotated by `selectors.with_open_counts` (open_tiers, open_referrals).
ROSTER_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("sourced_id", lambda s: s.sourced_id),
    ("student_id", lambda s: s.identifier),
    ("given_name", lambda s: s.given_name),
    ("middle_name", lambda s: s.middle_name),
    ("family_name", lambda s: s.family_name),
    ("preferred_name", lambda s: s.preferred_name),
    ("grade", lambda s: s.grade),
    ("birth_date", lambda s: s.birth_date.isoformat() if s.birth_date else ""),
    ("email", lambda s: s.email),
    ("phone", lambda s: s.phone),
    ("sex", lambda s: s.sex),
    ("race_ethnicity", lambda s: s.race_ethnicity),
    ("english_learner", lambda s: s.english_learner),
    ("home_language", lambda s: s.home_language),
    ("disability", lambda s: s.disability),
    ("economically_disadvantaged", lambda s: s.economically_disadvantaged),
    ("active", lambda s: s.is_active),
    ("open_tiers", lambda s: s.open_tiers),
    ("open_referrals", lambda s: s.open_referrals),
]


def _csv_cell(value: Any) -> Any:
    """Booleans as yes/no/empty; text that a spreadsheet would run as a formula, quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return response


@login_required
@require_GET
def student_school_export(request: HttpRequest, school_pk: int) -> HttpResponse:
    """The whole roster of the school (case notes never: they are not roster data)."""
    school = selectors.get_official_school(request.user, school_pk)
    students = list(selectors.school_students(request.user, school, active=None))
    audit_record(
        actor=request.user,
        action="students.roster_export",
        target=school,
        network=school.network_id,
        data={"rows": len(students)},
    )
    day = school.network.today().isoformat()
    return _csv_response(
        f"students-{school.code or school.pk}-{day}.csv",
        [name for name, _get in ROSTER_COLUMNS],
        ([get(s) for _name, get in ROSTER_COLUMNS] for s in students),
    )


# --- one student, whole --------------------------------------------------------------------------


@login_required
@require_GET
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    student = selectors.get_student_for_user(request.user, pk)
    school = student.school
    day = student.network.today()
    tiers = list(
        student.tiers.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day)).select_related(
            "case_manager"
        )
    )
    referrals = list(
        Referral.objects.filter(student_id=student.pk).select_related("organization", "service")
    )
    may_print = school is not None and access.can_print_disclosure_log(request.user, school)
    may_refer = school is not None and access.can_refer(request.user, school)
    # Conferences are seen only by those present and their supervisors: the count is theirs.
    from wraparound.conferences.views import student_link as conference_link

    conferences_url, conferences_n = conference_link(request.user, student)
    may_confer = school is not None and access.can_facilitate_conference(
        request.user, school, student_id=student.pk
    )
    links = {
        "tiers": _link("tier_list", student.pk),
        "consents": _link("consent_list", student.pk),
        "referral_new": (
            _link("referral_new", school.pk, query={"student": student.pk})
            if may_refer and school is not None
            else ""
        ),
        "sessions": _link("student_sessions", student.pk),
        "case_notes": _link("case_note_list", student.pk),
        "disclosures": reverse("student_disclosures", args=[student.pk]) if may_print else "",
        "roster": reverse("student_school_list", args=[school.pk]) if school else "",
        "conferences": conferences_url,
        "conference_new": (
            reverse("conference_new") + f"?student={student.pk}" if may_confer else ""
        ),
    }
    return render(
        request,
        "students/student_detail.html",
        {
            "student": student,
            "view": whole_view(student),
            "guardian_links": list(student.guardian_links.select_related("guardian")),
            "tiers": sorted(tiers, key=lambda t: (t.domain, -t.tier)),
            "referrals": [
                {"referral": r, "url": _link("referral_detail", r.pk)} for r in referrals
            ],
            "links": links,
            "conferences_n": conferences_n,
        },
    )


# --- the partner's students ----------------------------------------------------------------------


def _label(element: str) -> str:
    return str(DataElement(element).label)


def _grade(view: StudentView) -> str:
    value = view.value("grade")
    return str(Grade(value).label) if value in Grade.values else (value or "—")


def _contact(view: StudentView) -> str:
    parts = [view.value("email"), view.value("phone"), view.value("sms")]
    return " · ".join(p for p in parts if p) or "—"


def _demographics(view: StudentView) -> str:
    student = view.student
    parts = [
        student.get_sex_display() if view.value("sex") else "",
        student.get_race_ethnicity_display() if view.value("race_ethnicity") else "",
    ]
    return "; ".join(p for p in parts if p) or "—"


def _english_learner(view: StudentView) -> str:
    el = _yes_no(view.value("english_learner"))
    language = view.value("home_language")
    return f"{el} ({language})" if language else el


@dataclass(frozen=True)
class Column:
    element: str
    label: Any
    cell: Callable[[StudentView], str]


COLUMNS: list[Column] = [
    Column(DataElement.STUDENT_ID, gettext_lazy("Student id"), lambda v: v.value("identifier")),
    Column(
        DataElement.DATE_OF_BIRTH,
        gettext_lazy("Date of birth"),
        lambda v: v.value("birth_date").isoformat() if v.value("birth_date") else "—",
    ),
    Column(DataElement.GRADE, gettext_lazy("Grade"), _grade),
    Column(
        DataElement.SCHOOL,
        gettext_lazy("School"),
        lambda v: v.value("school").name if v.value("school") else "—",
    ),
    Column(DataElement.CONTACT, gettext_lazy("Contact"), _contact),
    Column(DataElement.DEMOGRAPHICS, gettext_lazy("Sex; race/ethnicity"), _demographics),
    Column(DataElement.ENGLISH_LEARNER, gettext_lazy("English learner"), _english_learner),
    Column(
        DataElement.IEP_504,
        gettext_lazy("IEP / 504"),
        lambda v: _yes_no(v.value("disability")),
    ),
    Column(
        DataElement.ECONOMIC,
        gettext_lazy("Economically disadvantaged"),
        lambda v: _yes_no(v.value("economically_disadvantaged")),
    ),
]


@dataclass
class Basis:
    """One ground the page relies on, with the elements it opened here."""

    label: str
    basis: str
    elements: list[str] = field(default_factory=list)


def _bases(views: Iterable[StudentView]) -> list[Basis]:
    found: dict[tuple[str, int], tuple[Ground, set[str]]] = {}
    for view in views:
        for ground in view.grounds:
            key = (type(ground.record).__name__, ground.record.pk)
            entry = found.setdefault(key, (ground, set()))
            entry[1].update(ground.elements & view.elements)
    return [
        Basis(
            label=ground.label,
            basis=str(dict(DisclosureBasis.choices).get(ground.basis, ground.basis)),
            elements=sorted(_label(e) for e in elements),
        )
        for ground, elements in found.values()
    ]


def _open_tiers(reads: list[PartnerRead]) -> dict[int, list[TierAssignment]]:
    """Open tiers of the students whose tiers are shared, in one query."""
    ids = {r.view.student.pk for r in reads if r.view.shows(DataElement.TIERS)}
    by_student: dict[int, list[TierAssignment]] = {}
    if ids:
        for tier in TierAssignment.objects.filter(student_id__in=ids, ends_on__isnull=True):
            by_student.setdefault(tier.student_id, []).append(tier)
    return by_student


def _tiers_text(tiers: list[TierAssignment]) -> str:
    return "; ".join(f"{t.get_domain_display()}: {t.get_tier_display()}" for t in tiers) or "—"


def _partner_table(reads: list[PartnerRead]) -> dict[str, Any]:
    """Columns only for the elements some row shows; a hidden cell says so (None)."""
    shown = frozenset().union(*(r.view.elements for r in reads)) if reads else frozenset()
    columns = [c for c in COLUMNS if c.element in shown]
    tiers = _open_tiers(reads)
    rows = []
    for read in reads:
        view = read.view
        cells: list[str | None] = [c.cell(view) if view.shows(c.element) else None for c in columns]
        if DataElement.TIERS in shown:
            cells.append(
                _tiers_text(tiers.get(view.student.pk, []))
                if view.shows(DataElement.TIERS)
                else None
            )
        if DataElement.NOTES in shown:
            cells.append((view.referral_reason or "—") if view.shows(DataElement.NOTES) else None)
        rows.append({"read": read, "cells": cells})
    headers = [str(c.label) for c in columns]
    if DataElement.TIERS in shown:
        headers.append(_("Open tiers"))
    if DataElement.NOTES in shown:
        headers.append(_("Reason for the referral"))
    return {
        "headers": headers,
        "rows": rows,
        "shown": sorted(_label(e) for e in shown),
        "bases": _bases(r.view for r in reads),
    }


@login_required
@require_GET
def student_partner_list(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = selectors.get_partner_organization(request.user, org_pk)
    qs = selectors.partner_referrals(request.user, organization)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # Only the page shown is read, so only it is logged.
    reads = selectors.partner_reads(request.user, list(page.object_list), purpose=PURPOSE_LIST)
    return render(
        request,
        "students/student_partner_list.html",
        {
            "organization": organization,
            "page": page,
            "table": _partner_table(reads),
            "export_url": reverse("student_partner_export", args=[organization.pk]),
        },
    )


def _merged(reads: list[PartnerRead]) -> StudentView:
    """One student over several referrals: the union of what each allows."""
    elements = frozenset().union(*(r.view.elements for r in reads))
    grounds: list[Ground] = []
    seen: set[tuple[str, int]] = set()
    for read in reads:
        for ground in read.view.grounds:
            key = (type(ground.record).__name__, ground.record.pk)
            if key not in seen:
                seen.add(key)
                grounds.append(ground)
    return StudentView(student=reads[0].view.student, elements=elements, grounds=grounds)


@login_required
@require_GET
def student_partner_detail(request: HttpRequest, org_pk: int, student_pk: int) -> HttpResponse:
    organization = selectors.get_partner_organization(request.user, org_pk)
    reads = selectors.partner_students(
        request.user, organization, purpose=PURPOSE_RECORD, student_pk=student_pk
    )
    if not reads:
        raise Http404
    view = _merged(reads)
    fields = [
        {
            "label": c.label,
            "value": c.cell(view) if view.shows(c.element) else None,
        }
        for c in COLUMNS
    ]
    tiers = _open_tiers(reads).get(view.student.pk, []) if view.shows(DataElement.TIERS) else None
    may_refer_on = access.can_refer_across_agencies(
        request.user, organization.pk
    ) and organization.pk in access.serving_organizations(
        request.user, student_id=view.student.pk, guardian_id=None
    )
    return render(
        request,
        "students/student_partner_detail.html",
        {
            "organization": organization,
            "cross_agency_url": (
                reverse("referral_cross_agency_new", args=[organization.pk])
                + f"?student={view.student.pk}"
                if may_refer_on
                else ""
            ),
            "view": view,
            "fields": fields,
            "guardian_links": view.value("guardians") if view.shows(DataElement.CONTACT) else None,
            "tiers": _tiers_text(tiers) if tiers is not None else None,
            "referrals": [
                {
                    "referral": r.referral,
                    "reason": r.view.referral_reason if r.view.shows(DataElement.NOTES) else None,
                    "url": _link("referral_detail", r.referral.pk),
                }
                for r in reads
            ],
            "bases": _bases([view]),
            "shown": sorted(_label(e) for e in view.elements),
        },
    )


# The export's columns, in the order of `StudentView.as_dict()`'s fields.
EXPORT_FIELDS = ["id"] + [
    name
    for names in ELEMENT_FIELDS.values()
    for name in names
    if name not in ("guardians", "tiers")
]


@login_required
@require_GET
def student_partner_export(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = selectors.get_partner_organization(request.user, org_pk)
    reads = selectors.partner_students(request.user, organization, purpose=PURPOSE_EXPORT)
    dicts = [r.view.as_dict() for r in reads]
    present = set().union(*(d.keys() for d in dicts)) if dicts else {"id"}
    keys = [k for k in EXPORT_FIELDS if k in present]
    day = organization.network.today().isoformat()
    return _csv_response(
        f"referred-students-{organization.pk}-{day}.csv",
        ["referral_id", "referral_status", "service", *keys],
        (
            [r.referral.pk, r.referral.status, r.referral.service.name, *(d.get(k) for k in keys)]
            for r, d in zip(reads, dicts, strict=True)
        ),
    )


# --- the record of disclosures (34 CFR 99.32) -----------------------------------------------------


class DateRangeForm(forms.Form):
    from_ = forms.DateField(label=gettext_lazy("From"), required=False)
    to = forms.DateField(label=gettext_lazy("To"), required=False)

    def __init__(self, data: Any = None) -> None:
        # "from" is a Python keyword: the form reads it from the query string by hand.
        if data is not None:
            data = {"from_": data.get("from", ""), "to": data.get("to", "")}
        super().__init__(data)
        self.fields["from_"].widget.input_type = "date"
        self.fields["to"].widget.input_type = "date"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from_"), cleaned.get("to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned


def _disclosure_page(request: HttpRequest, pk: int, template: str) -> HttpResponse:
    student = selectors.get_student_for_user(request.user, pk)
    form = DateRangeForm(request.GET)
    status = 200
    since: dt.date | None = None
    until: dt.date | None = None
    if form.is_valid():
        since, until = form.cleaned_data["from_"], form.cleaned_data["to"]
    else:
        status = 400
    rows = selectors.student_disclosures(request.user, student, since=since, until=until)
    tz = student.network.tzinfo
    return render(
        request,
        template,
        {
            "student": student,
            "form": form,
            "rows": [
                {
                    "row": row,
                    "basis_url": (
                        _link("agreement_version", row.agreement_pk, row.agreement_version)
                        if row.agreement_pk
                        else _link("consent_detail", student.pk, row.consent_pk)
                        if row.consent_pk
                        else ""
                    ),
                }
                for row in rows
            ],
            "since": since,
            "until": until,
            "generated_at": timezone.now().astimezone(tz),
            "time_zone": student.network.time_zone,
            "querystring": urlencode(
                {k: v.isoformat() for k, v in (("from", since), ("to", until)) if v is not None}
            ),
        },
        status=status,
    )


@login_required
@require_GET
def student_disclosures(request: HttpRequest, pk: int) -> HttpResponse:
    return _disclosure_page(request, pk, "students/student_disclosures.html")


@login_required
@require_GET
def student_disclosures_print(request: HttpRequest, pk: int) -> HttpResponse:
    return _disclosure_page(request, pk, "students/student_disclosures_print.html")
