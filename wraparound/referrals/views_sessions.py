"""Service session pages. Thin: parse → selector/service → render.

Who may open what (authorization tests in tests/test_session_views.py):

- an organization's sessions list: its partner users and the network's admins; anyone else 404.
  Logging, the roster and the CSV upload: its partner users (network admins get a 403);
- a school's sessions list: the school's officials (the school's roles, network admins, network
  clinical supervisors); evaluators, who read the school, get a 403; anyone else 404. Logging,
  the roster and the upload: `access.can_log_school_session` (the principal gets a 403);
- a session: the school's officials and the organization's partner users (names as
  `visibility` allows); anyone else 404. Changing or deleting it: see `session_services`;
- a student's sessions and dosage: the school's officials; anyone else 404;
- delivered against promised: whoever reads the partnership; anyone else 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import Organization, School
from wraparound.directory.models import Service

from . import session_csv
from . import session_selectors as selectors
from . import session_services as services
from .forms_sessions import SessionEditForm, SessionForm, UploadForm, attendance_from_post
from .models import ServiceSession, SessionKind

PAGE_SIZE = 50


def _errors_into(form: Any, error: ValidationError) -> list[str]:
    """A service's refusal beside its fields; attendance messages come back for the roster."""
    roster_errors: list[str] = []
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            for message in errors:
                if name == "attendance":
                    roster_errors.append(message)
                    form.add_error(None, message)
                else:
                    form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)
    return roster_errors


# --- context: partner or school ------------------------------------------------------------------


class _Where:
    """The page's owner: an organization (partner sessions) or a school (its own sessions)."""

    def __init__(self, organization: Organization | None, school: School | None) -> None:
        self.organization = organization
        self.school = school

    def schools(self) -> QuerySet[School] | None:
        if self.organization is None:
            return None
        return selectors.partner_session_schools(self.organization)

    def services(self) -> QuerySet[Service]:
        if self.organization is not None:
            return selectors.organization_services(self.organization)
        assert self.school is not None
        return selectors.school_session_services(self.school)

    def url_args(self) -> dict[str, Any]:
        if self.organization is not None:
            return {"org_pk": self.organization.pk}
        assert self.school is not None
        return {"school_pk": self.school.pk}

    def prefix(self) -> str:
        return "session_org" if self.organization is not None else "session_school"


def _partner_where(request: HttpRequest, org_pk: int) -> _Where:
    organization = access.get_organization_for_user(request.user, org_pk)
    if not access.can_log_partner_session(request.user, organization.pk):
        raise PermissionDenied
    return _Where(organization, None)


def _school_where(request: HttpRequest, school_pk: int) -> _Where:
    school = access.get_school_for_user(request.user, school_pk)
    if not access.can_log_school_session(request.user, school):
        raise PermissionDenied
    return _Where(None, school)


def _pick(qs: QuerySet[Any] | None, raw: Any) -> Any:
    if qs is None or not raw:
        return None
    try:
        return qs.filter(pk=int(raw)).first()
    except (TypeError, ValueError):
        return None


def _roster_context(
    request: HttpRequest,
    where: _Where,
    school: School | None,
    service: Service | None,
    kind: str,
    data: Any = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    entries: list[selectors.RosterEntry] = []
    if school is not None and (service is not None or where.organization is None):
        entries = selectors.session_roster(
            request.user, school, service, organization=where.organization
        )
    if data is not None:
        checked = {e.student.pk for e in entries if data.get(f"present_{e.student.pk}")}
        minutes = {e.student.pk: data.get(f"minutes_{e.student.pk}", "") for e in entries}
        chosen = str(data.get("student", ""))
        individual_present = bool(data.get("present"))
        individual_minutes = data.get("minutes", "")
    else:
        checked = {e.student.pk for e in entries}
        minutes = {}
        chosen = ""
        individual_present = True
        individual_minutes = ""
    rows = [
        {
            "entry": e,
            "checked": e.student.pk in checked,
            "minutes": minutes.get(e.student.pk, ""),
        }
        for e in entries
    ]
    return {
        "rows": rows,
        "kind": kind,
        "school_chosen": school is not None,
        "service_chosen": service is not None,
        "partner": where.organization is not None,
        "chosen": chosen,
        "individual_present": individual_present,
        "individual_minutes": individual_minutes,
        "roster_errors": errors or [],
    }


def _render_log(
    request: HttpRequest,
    where: _Where,
    form: SessionForm,
    roster: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "referrals/session_form.html",
        {
            "where": where,
            "organization": where.organization,
            "school": where.school,
            "form": form,
            "roster_url": _url(where, "roster"),
            **roster,
        },
        status=status,
    )


def _url(where: _Where, page: str) -> str:
    from django.urls import reverse

    return reverse(f"{where.prefix()}_{page}", kwargs=where.url_args())


def _log(request: HttpRequest, where: _Where) -> HttpResponse:
    schools = where.schools()
    form_kwargs: dict[str, Any] = {
        "schools": schools,
        "services": where.services(),
        "service_required": where.organization is not None,
    }
    if request.method != "POST":
        initial: dict[str, Any] = {"date": _today(where)}
        school = where.school or _pick(schools, request.GET.get("school"))
        service = _pick(where.services(), request.GET.get("service"))
        if school is not None and schools is not None:
            initial["school"] = school.pk
        if service is not None:
            initial["service"] = service.pk
        form = SessionForm(initial=initial, **form_kwargs)
        kind = request.GET.get("kind") or SessionKind.GROUP
        return _render_log(
            request, where, form, _roster_context(request, where, school, service, kind)
        )
    form = SessionForm(request.POST, **form_kwargs)
    school = where.school or _pick(schools, request.POST.get("school"))
    service = _pick(where.services(), request.POST.get("service"))
    kind = request.POST.get("kind") or SessionKind.GROUP
    roster_errors: list[str] = []
    if form.is_valid():
        values = form.cleaned_data
        school = where.school or values["school"]
        try:
            roster_ids = [
                e.student.pk
                for e in _roster_entries(request, where, school, values["service"], kind)
            ]
            session = services.session_log(
                user=request.user,
                school=school,
                organization=where.organization,
                service=values["service"],
                kind=values["kind"],
                date=values["date"],
                starts_at=values["starts_at"],
                duration_minutes=values["duration_minutes"],
                modality=values["modality"],
                place=values["place"],
                notes=values["notes"],
                attendance=attendance_from_post(request.POST, values["kind"], roster_ids),
            )
        except ValidationError as error:
            roster_errors = _errors_into(form, error)
        else:
            messages.success(request, _("Session logged."))
            return redirect("session_detail", pk=session.pk)
    roster = _roster_context(request, where, school, service, kind, request.POST, roster_errors)
    return _render_log(request, where, form, roster, status=400)


def _roster_entries(
    request: HttpRequest, where: _Where, school: School, service: Service | None, kind: str
) -> list[selectors.RosterEntry]:
    if kind != SessionKind.GROUP or service is None:
        return []
    # The ids only: no names are read here (the page that follows reads them, once).
    return [
        selectors.RosterEntry(student=r.student, label="", referral=r)  # type: ignore[arg-type]
        for r in selectors.roster_referrals(school, service)
    ]


def _today(where: _Where) -> Any:
    network = where.organization.network if where.organization else where.school.network  # type: ignore[union-attr]
    return network.today()


def _roster(request: HttpRequest, where: _Where) -> HttpResponse:
    school = where.school or _pick(where.schools(), request.GET.get("school"))
    service = _pick(where.services(), request.GET.get("service"))
    kind = request.GET.get("kind") or SessionKind.GROUP
    return render(
        request,
        "referrals/session_roster.html",
        _roster_context(request, where, school, service, kind),
    )


def _upload(request: HttpRequest, where: _Where) -> HttpResponse:
    schools = where.schools()
    result = None
    file_error = None
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, schools=schools)
        if form.is_valid():
            school = where.school or form.cleaned_data["school"]
            try:
                result = session_csv.sessions_import_csv(
                    user=request.user,
                    school=school,
                    organization=where.organization,
                    file=form.cleaned_data["file"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as error:
                file_error = " ".join(error.messages)
                status = 400
            else:
                if not result.ok:
                    status = 400
                elif not result.dry_run:
                    messages.success(
                        request,
                        _("%(n)s sessions logged from the file.") % {"n": result.sessions},
                    )
                    return redirect(_url(where, "list"))
        else:
            status = 400
    else:
        form = UploadForm(schools=schools)
    return render(
        request,
        "referrals/session_upload.html",
        {
            "where": where,
            "organization": where.organization,
            "school": where.school,
            "form": form,
            "result": result,
            "file_error": file_error,
            "columns": ",".join(session_csv.COLUMNS),
        },
        status=status,
    )


def _list(request: HttpRequest, where: _Where, sessions: QuerySet[ServiceSession]) -> HttpResponse:
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    can_log = (
        access.can_log_partner_session(request.user, where.organization.pk)
        if where.organization is not None
        else access.can_log_school_session(request.user, where.school)  # type: ignore[arg-type]
    )
    return render(
        request,
        "referrals/session_list.html",
        {
            "where": where,
            "organization": where.organization,
            "school": where.school,
            "sessions": page.object_list,
            "page": page,
            "can_log": can_log,
            "log_url": _url(where, "log") if can_log else "",
            "upload_url": _url(where, "upload") if can_log else "",
        },
    )


# --- partner pages -----------------------------------------------------------------------------


@login_required
@require_GET
def session_org_list(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = access.get_organization_for_user(request.user, org_pk)
    sessions = selectors.sessions_for_organization(request.user, organization)
    return _list(request, _Where(organization, None), sessions)


@login_required
@require_http_methods(["GET", "POST"])
def session_org_log(request: HttpRequest, org_pk: int) -> HttpResponse:
    return _log(request, _partner_where(request, org_pk))


@login_required
@require_GET
def session_org_roster(request: HttpRequest, org_pk: int) -> HttpResponse:
    return _roster(request, _partner_where(request, org_pk))


@login_required
@require_http_methods(["GET", "POST"])
def session_org_upload(request: HttpRequest, org_pk: int) -> HttpResponse:
    return _upload(request, _partner_where(request, org_pk))


# --- school pages ------------------------------------------------------------------------------


@login_required
@require_GET
def session_school_list(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    sessions = selectors.sessions_for_school(request.user, school)
    return _list(request, _Where(None, school), sessions)


@login_required
@require_http_methods(["GET", "POST"])
def session_school_log(request: HttpRequest, school_pk: int) -> HttpResponse:
    return _log(request, _school_where(request, school_pk))


@login_required
@require_GET
def session_school_roster(request: HttpRequest, school_pk: int) -> HttpResponse:
    return _roster(request, _school_where(request, school_pk))


@login_required
@require_http_methods(["GET", "POST"])
def session_school_upload(request: HttpRequest, school_pk: int) -> HttpResponse:
    return _upload(request, _school_where(request, school_pk))


# --- one session -------------------------------------------------------------------------------


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.get_session_for_user(request.user, pk)
    return render(
        request,
        "referrals/session_detail.html",
        {
            "session": session,
            "lines": selectors.session_attendance(request.user, session),
            "can_change": services.can_change(request.user, session),
            "edit_days": services.EDIT_WINDOW_DAYS,
        },
    )


def _where_of(session: ServiceSession) -> _Where:
    if session.organization is not None:
        return _Where(session.organization, None)
    return _Where(None, session.school)


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.get_session_for_user(request.user, pk)
    if not services.can_change(request.user, session):
        raise PermissionDenied
    roster_errors: list[str] = []
    status = 200
    data: Any = None
    if request.method == "POST":
        data = request.POST
        form = SessionEditForm(request.POST, service_required=False)
        if form.is_valid():
            values = form.cleaned_data
            roster_ids = list(services.update_roster(session)) if session.kind == "group" else []
            try:
                services.session_update(
                    user=request.user,
                    session=session,
                    date=values["date"],
                    starts_at=values["starts_at"],
                    duration_minutes=values["duration_minutes"],
                    modality=values["modality"],
                    place=values["place"],
                    notes=values["notes"],
                    attendance=attendance_from_post(request.POST, session.kind, roster_ids),
                )
            except ValidationError as error:
                roster_errors = _errors_into(form, error)
            else:
                messages.success(request, _("Session saved."))
                return redirect("session_detail", pk=session.pk)
        status = 400
    else:
        form = SessionEditForm(
            initial={
                f: getattr(session, f)
                for f in ("date", "starts_at", "duration_minutes", "modality", "place", "notes")
            },
            service_required=False,
        )
    lines = selectors.session_attendance(request.user, session)
    recorded = {line.row.student_id for line in lines}
    extra = [
        e
        for e in (
            selectors.session_roster(
                request.user, session.school, session.service, organization=session.organization
            )
            if session.kind == SessionKind.GROUP
            else []
        )
        if e.student.pk not in recorded
    ]
    rows = []
    for line in lines:
        sid = line.row.student_id
        if data is not None:
            checked, minutes = bool(data.get(f"present_{sid}")), data.get(f"minutes_{sid}", "")
        else:
            checked, minutes = (
                line.row.present,
                line.row.minutes if line.row.minutes is not None else "",
            )
        rows.append({"entry": _Line(line), "checked": checked, "minutes": minutes})
    for entry in extra:
        sid = entry.student.pk
        checked = bool(data.get(f"present_{sid}")) if data is not None else False
        minutes = data.get(f"minutes_{sid}", "") if data is not None else ""
        rows.append({"entry": entry, "checked": checked, "minutes": minutes})
    only = lines[0] if lines else None
    return render(
        request,
        "referrals/session_edit.html",
        {
            "session": session,
            "form": form,
            "rows": rows,
            "kind": session.kind,
            "school_chosen": True,
            "service_chosen": True,
            "editing": True,
            "chosen": str(only.row.student_id) if only else "",
            "individual_present": (
                bool(data.get("present")) if data is not None else bool(only and only.row.present)
            ),
            "individual_minutes": (
                data.get("minutes", "")
                if data is not None
                else (only.row.minutes if only and only.row.minutes is not None else "")
            ),
            "individual_label": only.label if only else "",
            "roster_errors": roster_errors,
        },
        status=status,
    )


class _Line:
    """An attendance line shaped like a roster entry for the shared roster template."""

    def __init__(self, line: selectors.AttendanceLine) -> None:
        self.student = line.row.student
        self.label = line.label


@login_required
@require_POST
def session_delete(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.get_session_for_user(request.user, pk)
    where = _where_of(session)
    if not services.can_change(request.user, session):
        raise PermissionDenied
    services.session_delete(user=request.user, session=session)
    messages.success(request, _("Session deleted."))
    return redirect(_url(where, "list"))


# --- a student's sessions, a partnership's delivery ------------------------------------------


@login_required
@require_GET
def student_sessions(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = selectors.get_student_for_dosage(request.user, student_pk)
    dosage = selectors.student_dosage(request.user, student)
    return render(request, "referrals/session_student.html", {"student": student, "dosage": dosage})


@login_required
@require_GET
def partnership_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.partnership_delivery(request.user, pk)
    return render(request, "referrals/session_delivery.html", {"delivery": delivery})
