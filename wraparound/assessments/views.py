"""The needs-and-assets assessment pages: a school's assessments (list, start) and one assessment
(the guided form by pillar, assets, participants, submit). Thin: parse → selector/service → render.

Who: see `access.can_view_assessment` (read) and `access.can_edit_assessment` (write); a school
or an assessment the user may not read is a 404, a write by a reader is a 403 (the page names
nothing they cannot see).

Every action is a plain form POST answered by a redirect (or, on bad input, the page again with
what was typed and the errors beside the fields, status 400). With htmx, the same POST answers
with the part of the page it changed (`#needs`, `#assets`, `#participants`), so that adding or
editing a need happens in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wraparound.core import access
from wraparound.core.models import School

from . import selectors, services
from .forms import AssetForm, NeedForm, ParticipantForm, StartForm
from .models import AssessmentStatus, Asset, Need, NeedsAssessment

# --- helpers --------------------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _add_errors(form: Form, error: ValidationError, default: str | None = None) -> None:
    """A service's refusal, beside the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else default, errors)
    else:
        form.add_error(default, error.messages)


def _detail_url(assessment: NeedsAssessment, anchor: str = "") -> str:
    url = reverse("assessment_detail", args=[assessment.pk])
    return f"{url}#{anchor}" if anchor else url


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for htmx, a whole-page navigation (a redirect would be swapped in place)."""
    if _is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _editable_assessment(request: HttpRequest, pk: int) -> NeedsAssessment:
    """The assessment, for a write: 404 for those who may not read it, 403 for readers."""
    assessment = selectors.get_assessment_for_user(request.user, pk)
    if not access.can_edit_assessment(request.user, assessment.school):
        raise PermissionDenied
    return assessment


def _locked(
    request: HttpRequest, assessment: NeedsAssessment, error: ValidationError
) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return _go(request, _detail_url(assessment))


# --- a school's assessments -----------------------------------------------------------------------


def _render_list(
    request: HttpRequest, school: School, form: StartForm | None = None, status: int = 200
) -> HttpResponse:
    can_edit = access.can_edit_assessment(request.user, school)
    assessments = list(selectors.school_assessments(school))
    if form is None and can_edit:
        years = selectors.startable_years(school)
        if years:
            current = next((y for y in years if y.is_current), years[0])
            form = StartForm(years=years, initial={"school_year": current.pk})
    return render(
        request,
        "assessments/assessment_list.html",
        {
            "school": school,
            "assessments": assessments,
            "form": form,
            "can_edit": can_edit,
            "can_copy": bool(assessments),
        },
        status=status,
    )


@login_required
@require_safe
def assessment_list(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = selectors.get_school_for_assessments(request.user, school_pk)
    return _render_list(request, school)


@login_required
@require_POST
def assessment_start(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = selectors.get_school_for_assessments(request.user, school_pk)
    if not access.can_edit_assessment(request.user, school):
        raise PermissionDenied
    form = StartForm(request.POST, years=selectors.startable_years(school))
    if form.is_valid():
        try:
            assessment = services.assessment_start(
                actor=request.user,
                school=school,
                school_year=form.chosen_year(),
                copy_forward=form.cleaned_data["copy_forward"],
            )
        except ValidationError as error:
            _add_errors(form, error, default="copy_forward")
        else:
            messages.success(
                request,
                _("The %(year)s assessment is started.") % {"year": assessment.school_year.label},
            )
            return redirect("assessment_detail", pk=assessment.pk)
    return _render_list(request, school, form, status=400)


# --- one assessment -------------------------------------------------------------------------------


class Page:
    """What the assessment page (or one of its parts) shows: the needs by pillar with an add form
    per pillar, the assets, the participants, and the forms being edited, if any."""

    def __init__(self, request: HttpRequest, assessment: NeedsAssessment) -> None:
        self.request = request
        self.assessment = assessment
        self.school = assessment.school
        self.can_edit = access.can_edit_assessment(request.user, self.school)
        self.editable = self.can_edit and assessment.status == AssessmentStatus.DRAFT
        self.categories = selectors.categories(self.school.network_id)
        # the forms shown bound (with what was typed and its errors) instead of fresh ones
        self.adding: tuple[str, NeedForm] | None = None
        self.editing_need: tuple[int, NeedForm] | None = None
        self.asset_form: AssetForm | None = None
        self.editing_asset: tuple[int, AssetForm] | None = None
        self.participant_form: ParticipantForm | None = None
        self.flash = ""
        self.open_pillar = ""

    # forms

    def new_need_form(self, code: str, data: Any = None) -> NeedForm:
        pillar = self.categories.pillar(code)
        if pillar is None:
            raise Http404
        return NeedForm(
            data,
            auto_id=f"add-{code}-%s",
            category_choices=pillar.categories,
            terms=self.categories.terms,
        )

    def need_form(self, need: Need, data: Any = None) -> NeedForm:
        choices: list[tuple[Any, Any]] = list(self.categories.grouped())
        if need.category_id not in self.categories.pillar_of:
            choices.append((_("Other"), [(need.category_id, str(need.category))]))
        form = NeedForm(
            data,
            initial=None if data is not None else NeedForm.initial_from(need),
            auto_id=f"need-{need.pk}-%s",
            category_choices=choices,
            terms=self.categories.terms,
        )
        form.fields["category"].widget.attrs["autofocus"] = True
        return form

    def new_asset_form(self, data: Any = None) -> AssetForm:
        return AssetForm(
            data,
            auto_id="asset-add-%s",
            category_choices=self.categories.grouped(),
            terms=self.categories.terms,
        )

    def asset_form_for(self, asset: Asset, data: Any = None) -> AssetForm:
        choices: list[tuple[Any, Any]] = list(self.categories.grouped())
        if asset.category_id not in self.categories.pillar_of:
            choices.append((_("Other"), [(asset.category_id, str(asset.category))]))
        form = AssetForm(
            data,
            initial=None if data is not None else AssetForm.initial_from(asset),
            auto_id=f"asset-{asset.pk}-%s",
            category_choices=choices,
            terms=self.categories.terms,
        )
        form.fields["kind"].widget.attrs["autofocus"] = True
        return form

    def new_participant_form(self, data: Any = None) -> ParticipantForm:
        return ParticipantForm(data, auto_id="participant-add-%s")

    # what the templates read

    def needs_context(self) -> dict[str, Any]:
        needs = selectors.needs_by_pillar(self.assessment, self.categories)
        sections = []
        for section in needs.sections:
            form = None
            if self.editable:
                if self.adding and self.adding[0] == section.pillar.code:
                    form = self.adding[1]
                else:
                    form = self.new_need_form(section.pillar.code)
            sections.append(
                {
                    "pillar": section.pillar,
                    "needs": section.needs,
                    "form": form,
                    "open": form is not None
                    and (form.is_bound or self.open_pillar == section.pillar.code),
                }
            )
        editing_pk, editing_form = self.editing_need or (None, None)
        return {
            "sections": sections,
            "other_needs": needs.other,
            "need_count": needs.count,
            "editing_need_pk": editing_pk,
            "editing_need_form": editing_form,
        }

    def assets_context(self) -> dict[str, Any]:
        editing_pk, editing_form = self.editing_asset or (None, None)
        return {
            "assets": selectors.assessment_assets(self.assessment),
            "asset_form": (self.asset_form or self.new_asset_form()) if self.editable else None,
            "editing_asset_pk": editing_pk,
            "editing_asset_form": editing_form,
        }

    def participants_context(self) -> dict[str, Any]:
        return {
            "participants": selectors.assessment_participants(self.assessment),
            "participant_form": (self.participant_form or self.new_participant_form())
            if self.editable
            else None,
        }

    def base_context(self) -> dict[str, Any]:
        return {
            "assessment": self.assessment,
            "school": self.school,
            "can_edit": self.can_edit,
            "editable": self.editable,
            "flash": self.flash,
        }

    def render(self, status: int = 200) -> HttpResponse:
        context = {
            **self.base_context(),
            **self.needs_context(),
            **self.assets_context(),
            **self.participants_context(),
            "can_submit": self.assessment.status == AssessmentStatus.DRAFT
            and access.can_submit_assessment(self.request.user, self.school),
            "facts": selectors.school_facts(self.school),
            "need_index": selectors.school_need_index(self.school),
        }
        return render(self.request, "assessments/assessment_detail.html", context, status=status)

    def render_part(self, part: str, status: int = 200) -> HttpResponse:
        parts = {
            "needs": self.needs_context,
            "assets": self.assets_context,
            "participants": self.participants_context,
        }
        context = {**self.base_context(), **parts[part]()}
        return render(self.request, f"assessments/_{part}.html", context, status=status)

    def respond(self, part: str, anchor: str, message: str, status: int = 200) -> HttpResponse:
        """After a write: the part for htmx, else a redirect (or the page again, on errors)."""
        if status == 200:
            if _is_htmx(self.request):
                self.flash = message
                return self.render_part(part)
            messages.success(self.request, message)
            return redirect(_detail_url(self.assessment, anchor))
        if _is_htmx(self.request):
            return self.render_part(part, status=status)
        return self.render(status=status)


@login_required
@require_safe
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_for_user(request.user, pk)
    return Page(request, assessment).render()


@login_required
@require_POST
def assessment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_for_user(request.user, pk)
    try:
        services.assessment_submit(actor=request.user, assessment=assessment)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("The assessment is submitted. It is now read only for everyone.")
        )
    return redirect("assessment_detail", pk=assessment.pk)


# --- needs ----------------------------------------------------------------------------------------


@login_required
@require_POST
def need_add(request: HttpRequest, pk: int, pillar: str) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    page = Page(request, assessment)
    form = page.new_need_form(pillar, request.POST)
    page.open_pillar = pillar
    if form.is_valid():
        try:
            need = services.need_create(
                actor=request.user, assessment=assessment, data=form.data_for_service()
            )
        except services.AssessmentLocked as error:
            return _locked(request, assessment, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            label = page.categories.label(need.category_id)
            return page.respond(
                "needs", f"pillar-{pillar}", _("Need added: %(category)s.") % {"category": label}
            )
    page.adding = (pillar, form)
    return page.respond("needs", "", "", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request: HttpRequest, pk: int, need_pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    need = selectors.get_need(assessment, need_pk)
    page = Page(request, assessment)
    if not page.editable:
        return _locked(request, assessment, services.AssessmentLocked())
    if request.method == "POST":
        form = page.need_form(need, request.POST)
        if form.is_valid():
            try:
                need = services.need_update(
                    actor=request.user, need=need, data=form.data_for_service()
                )
            except services.AssessmentLocked as error:
                return _locked(request, assessment, error)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                label = page.categories.label(need.category_id)
                return page.respond(
                    "needs", f"need-{need.pk}", _("Need saved: %(category)s.") % {"category": label}
                )
        if _is_htmx(request):
            page.editing_need = (need.pk, form)
            return page.render_part("needs", status=400)
        status = 400
    else:
        form = page.need_form(need)
        status = 200
    context = {**page.base_context(), "need": need, "form": form}
    if _is_htmx(request):
        return render(request, "assessments/_need_edit_row.html", context)
    return render(request, "assessments/need_form.html", context, status=status)


@login_required
@require_POST
def need_delete(request: HttpRequest, pk: int, need_pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    need = selectors.get_need(assessment, need_pk)
    page = Page(request, assessment)
    label = page.categories.label(need.category_id)
    pillar = page.categories.pillar_of.get(need.category_id, "")
    try:
        services.need_delete(actor=request.user, need=need)
    except services.AssessmentLocked as error:
        return _locked(request, assessment, error)
    return page.respond(
        "needs",
        f"pillar-{pillar}" if pillar else "needs",
        _("Need deleted: %(category)s.") % {"category": label},
    )


# --- assets ---------------------------------------------------------------------------------------


@login_required
@require_POST
def asset_add(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    page = Page(request, assessment)
    form = page.new_asset_form(request.POST)
    if form.is_valid():
        try:
            asset = services.asset_create(
                actor=request.user, assessment=assessment, data=form.data_for_service()
            )
        except services.AssessmentLocked as error:
            return _locked(request, assessment, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return page.respond("assets", "assets", _("Asset added: %(name)s.") % {"name": asset})
    page.asset_form = form
    return page.respond("assets", "", "", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, pk: int, asset_pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    asset = selectors.get_asset(assessment, asset_pk)
    page = Page(request, assessment)
    if not page.editable:
        return _locked(request, assessment, services.AssessmentLocked())
    if request.method == "POST":
        form = page.asset_form_for(asset, request.POST)
        if form.is_valid():
            try:
                asset = services.asset_update(
                    actor=request.user, asset=asset, data=form.data_for_service()
                )
            except services.AssessmentLocked as error:
                return _locked(request, assessment, error)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return page.respond(
                    "assets", f"asset-{asset.pk}", _("Asset saved: %(name)s.") % {"name": asset}
                )
        if _is_htmx(request):
            page.editing_asset = (asset.pk, form)
            return page.render_part("assets", status=400)
        status = 400
    else:
        form = page.asset_form_for(asset)
        status = 200
    context = {**page.base_context(), "asset": asset, "form": form}
    if _is_htmx(request):
        return render(request, "assessments/_asset_edit_row.html", context)
    return render(request, "assessments/asset_form.html", context, status=status)


@login_required
@require_POST
def asset_delete(request: HttpRequest, pk: int, asset_pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    asset = selectors.get_asset(assessment, asset_pk)
    name = asset.name
    try:
        services.asset_delete(actor=request.user, asset=asset)
    except services.AssessmentLocked as error:
        return _locked(request, assessment, error)
    return Page(request, assessment).respond(
        "assets", "assets", _("Asset deleted: %(name)s.") % {"name": name}
    )


# --- participants ---------------------------------------------------------------------------------


@login_required
@require_POST
def participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    page = Page(request, assessment)
    form = page.new_participant_form(request.POST)
    if form.is_valid():
        try:
            participant = services.participant_create(
                actor=request.user, assessment=assessment, data=form.data_for_service()
            )
        except services.AssessmentLocked as error:
            return _locked(request, assessment, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return page.respond(
                "participants",
                "participants",
                _("Participant added: %(name)s.") % {"name": participant.name},
            )
    page.participant_form = form
    return page.respond("participants", "", "", status=400)


@login_required
@require_POST
def participant_delete(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    assessment = _editable_assessment(request, pk)
    participant = selectors.get_participant(assessment, participant_pk)
    name = participant.name
    try:
        services.participant_delete(actor=request.user, participant=participant)
    except services.AssessmentLocked as error:
        return _locked(request, assessment, error)
    return Page(request, assessment).respond(
        "participants", "participants", _("Participant removed: %(name)s.") % {"name": name}
    )
