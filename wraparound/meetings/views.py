"""Meeting pages. Thin: parse → selector/service → render.

Who may do what (rules in `core.access`, tests in tests/test_views.py):
- a body's meetings and action items: a coalition's members and its network's admins; a
  school's roles and its network's admins (others who see the school: 403; the rest: 404);
- schedule, set up a series, record, cancel, end a series: a coalition's members and network
  admins; a school's coordinators and principal and network admins (else 403);
- one meeting: whoever reads its body's meetings, attended it or owns one of its action items
  (else 404);
- an action item: its owner, or whoever runs the body's meetings, marks it done, dropped or open;
  only whoever runs the body's meetings changes an open item's action, owner, due date or note.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.conferences.conference_selectors import my_follow_ups
from wraparound.core import access

from . import bodies, selectors, services
from .bodies import Body
from .forms import (
    EditItemForm,
    GuestFormSet,
    ItemFormSet,
    MeetingForm,
    RecordForm,
    SeriesForm,
    ShowForm,
    StatusForm,
    filled,
    initial_attendance,
    more_rows,
)
from .models import ActionItem, Meeting, MeetingStatus

PAST_PAGE = 20
ITEMS_PAGE = 50


def _errors_into(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _show(request: HttpRequest, default: str = "open") -> str:
    form = ShowForm(request.GET)
    if form.is_valid() and form.cleaned_data["show"]:
        return str(form.cleaned_data["show"])
    return default


# --- a body's meetings ----------------------------------------------------------------------------


@login_required
def body_meetings(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    body = bodies.body_for_user(request.user, kind, pk)
    now = timezone.now()
    past = Paginator(selectors.past_meetings(body, now), PAST_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "meetings/body_meetings.html",
        {
            "body": body,
            "now": now,
            "upcoming": list(selectors.upcoming_meetings(body, now)),
            "past": past,
            "series": selectors.body_series(body),
            "overdue": selectors.overdue_count(body, now),
            "can_run": body.can_run(request.user),
        },
    )


def _runnable(request: HttpRequest, kind: str, pk: int) -> Body:
    body = bodies.body_for_user(request.user, kind, pk)
    if not body.can_run(request.user):
        raise PermissionDenied
    return body


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    body = _runnable(request, kind, pk)
    tz = body.network.tzinfo
    if request.method == "POST":
        form = MeetingForm(request.POST, tz=tz)
        if form.is_valid():
            try:
                meeting = services.meeting_create(user=request.user, body=body, **form.to_service())
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Meeting scheduled."))
                return redirect("meeting_detail", pk=meeting.pk)
        status = 400
    else:
        form = MeetingForm(
            tz=tz, initial={"title": body.default_title, "day": body.network.today()}
        )
        status = 200
    return render(
        request,
        "meetings/schedule.html",
        {"body": body, "form": form, "series": False},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def series_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    body = _runnable(request, kind, pk)
    tz = body.network.tzinfo
    if request.method == "POST":
        form = SeriesForm(request.POST, tz=tz)
        if form.is_valid():
            try:
                series = services.series_create(user=request.user, body=body, **form.to_service())
            except ValidationError as error:
                _errors_into(form, error)
            else:
                n = series.meetings.count()
                messages.success(
                    request,
                    _(
                        "Recurring meeting set up: %(n)d meetings scheduled for the next three "
                        "months."
                    )
                    % {"n": n},
                )
                return redirect(body.url())
        status = 400
    else:
        form = SeriesForm(
            tz=tz, initial={"title": body.default_title, "first_day": body.network.today()}
        )
        status = 200
    return render(
        request,
        "meetings/schedule.html",
        {"body": body, "form": form, "series": True},
        status=status,
    )


@login_required
def body_action_items(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    body = bodies.body_for_user(request.user, kind, pk)
    show = _show(request, "overdue")
    items = Paginator(selectors.body_action_items(body, show), ITEMS_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "meetings/body_action_items.html",
        {
            "body": body,
            "items": items,
            "show": show,
            "form": ShowForm(initial={"show": show}),
            "can_run": body.can_run(request.user),
            "mine": {i.pk for i in items if i.owner_id == request.user.pk},
        },
    )


# --- one meeting ----------------------------------------------------------------------------------


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    body = Body.of(meeting)
    items = selectors.meeting_action_items(meeting)
    can_run = access.can_run_meeting(request.user, meeting)
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "body": body,
            "attendees": list(meeting.attendees.select_related("organization", "coalition_member")),
            "decisions": [d for d in meeting.decisions.splitlines() if d.strip()],
            "items": items,
            "updatable": {i.pk for i in items if can_run or i.owner_id == request.user.pk},
            "can_run": can_run,
            "can_body": body.can_read(request.user),
            "can_cancel": can_run and meeting.status == MeetingStatus.SCHEDULED,
        },
    )


def _record_forms(
    request: HttpRequest, meeting: Meeting, body: Body, data: Any = None
) -> tuple[RecordForm, Any, Any, list[bodies.Person]]:
    people = bodies.people(body)
    owners = bodies.owners(body)
    if data is not None:
        return (
            RecordForm(data, people=people),
            GuestFormSet(data, prefix="guests"),
            ItemFormSet(data, prefix="items", form_kwargs={"owners": owners}),
            people,
        )
    ticked, typed = initial_attendance(meeting, people)
    return (
        RecordForm(
            people=people,
            initial={
                "agenda": meeting.agenda,
                "minutes": meeting.minutes,
                "decisions": meeting.decisions,
                "present": ticked,
                "held": meeting.status == MeetingStatus.HELD or meeting.starts_at <= timezone.now(),
            },
        ),
        GuestFormSet(prefix="guests", initial=typed),
        ItemFormSet(prefix="items", form_kwargs={"owners": owners}),
        people,
    )


def _render_record(
    request: HttpRequest,
    meeting: Meeting,
    body: Body,
    forms: tuple[RecordForm, Any, Any, list[bodies.Person]],
    *,
    status: int = 200,
    version: int | None = None,
    conflict: bool = False,
) -> HttpResponse:
    form, guests, items, people = forms
    error_count = (
        len(form.errors)
        + sum(len(f.errors) for f in guests.forms)
        + sum(len(f.errors) for f in items.forms)
    )
    return render(
        request,
        "meetings/meeting_record.html",
        {
            "meeting": meeting,
            "body": body,
            "form": form,
            "guests": guests,
            "items": items,
            "has_people": bool(people),
            "existing_items": selectors.meeting_action_items(meeting),
            "version": version if version is not None else meeting.version,
            "error_count": error_count,
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    if not access.can_run_meeting(request.user, meeting):
        raise PermissionDenied
    body = Body.of(meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        messages.error(request, _("This meeting was cancelled; schedule another one to record it."))
        return redirect("meeting_detail", pk=meeting.pk)
    if request.method == "GET":
        return _render_record(request, meeting, body, _record_forms(request, meeting, body))
    # "More rows" buttons: the same form back with two more blank rows, nothing saved.
    for prefix in ("guests", "items"):
        if f"more_{prefix}" in request.POST:
            data = more_rows(request.POST, prefix)
            forms = _record_forms(request, meeting, body, data)
            return _render_record(request, meeting, body, forms, version=_version(request))
    forms = _record_forms(request, meeting, body, request.POST)
    form, guests, items, _people = forms
    valid = form.is_valid() & guests.is_valid() & items.is_valid()
    if valid:
        d = form.cleaned_data
        try:
            services.meeting_record(
                user=request.user,
                meeting=meeting,
                expected_version=_version(request),
                agenda=d["agenda"],
                minutes=d["minutes"],
                decisions=d["decisions"],
                present=d["present"],
                guests=[
                    services.Guest(g["name"], g["kind"], g.get("affiliation", ""))
                    for g in filled(guests)
                ],
                new_items=[
                    services.NewItem(i["title"], i["owner"], i["due_on"]) for i in filled(items)
                ],
                held=d["held"],
            )
        except ValidationError as error:
            _errors_into(form, error)
        except services.MeetingConflict:
            form.add_error(
                None,
                _(
                    "Someone else recorded this meeting while you were editing it. What you typed "
                    "is below; what they saved is on the meeting page — open it in another tab, "
                    "merge, and save again."
                ),
            )
            meeting.refresh_from_db()
            return _render_record(
                request, meeting, body, forms, status=409, version=meeting.version, conflict=True
            )
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("meeting_detail", pk=meeting.pk)
    return _render_record(request, meeting, body, forms, status=400, version=_version(request))


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    if not access.can_run_meeting(request.user, meeting):
        raise PermissionDenied
    try:
        services.meeting_cancel(
            user=request.user, meeting=meeting, expected_version=_version(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.MeetingConflict:
        messages.error(request, _("Someone changed this meeting meanwhile: look again first."))
    else:
        messages.success(request, _("Meeting cancelled."))
    return redirect("meeting_detail", pk=meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a scheduled meeting (its time too: a series meeting stays in its series)."""
    meeting = selectors.get_meeting_for_user(request.user, pk)
    if not access.can_run_meeting(request.user, meeting):
        raise PermissionDenied
    body = Body.of(meeting)
    tz = body.network.tzinfo
    if meeting.status != MeetingStatus.SCHEDULED:
        messages.error(request, _("Only a scheduled meeting can be changed."))
        return redirect("meeting_detail", pk=meeting.pk)
    version, status = meeting.version, 200
    if request.method == "POST":
        form = MeetingForm(request.POST, tz=tz)
        status = 400
        if form.is_valid():
            try:
                services.meeting_update(
                    user=request.user,
                    meeting=meeting,
                    expected_version=_version(request),
                    **form.to_service(),
                )
            except ValidationError as error:
                _errors_into(form, error)
            except services.MeetingConflict:
                meeting.refresh_from_db()
                if meeting.status != MeetingStatus.SCHEDULED:
                    messages.error(request, _("Someone changed this meeting meanwhile."))
                    return redirect("meeting_detail", pk=meeting.pk)
                # What was typed stays; saving again overwrites the other change knowingly.
                form.add_error(
                    None,
                    _(
                        "Someone changed this meeting while you were editing it (now %(when)s): "
                        "check and save again."
                    )
                    % {
                        "when": timezone.localtime(meeting.starts_at, tz).strftime("%Y-%m-%d %H:%M")
                    },
                )
                version, status = meeting.version, 409
            else:
                messages.success(request, _("Meeting changed."))
                return redirect("meeting_detail", pk=meeting.pk)
        else:
            version = _version(request)
    else:
        local = timezone.localtime(meeting.starts_at, tz)
        form = MeetingForm(
            tz=tz,
            initial={
                "title": meeting.title,
                "day": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": meeting.duration_minutes,
                "location": meeting.location,
                "agenda": meeting.agenda,
            },
        )
    return render(
        request,
        "meetings/change.html",
        {"body": body, "meeting": meeting, "form": form, "version": version},
        status=status,
    )


@login_required
@require_POST
def series_end(request: HttpRequest, pk: int) -> HttpResponse:
    series = selectors.get_series_for_user(request.user, pk)
    if not access.can_run_meeting(request.user, series):
        raise PermissionDenied
    body = Body.of(series)
    try:
        removed = services.series_end(user=request.user, series=series)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The series has ended; %(n)d future meetings were removed.") % {"n": removed},
        )
    return redirect(body.url())


# --- action items ---------------------------------------------------------------------------------


@login_required
def my_action_items(request: HttpRequest) -> HttpResponse:
    show = _show(request)
    items = Paginator(selectors.my_action_items(request.user, show), ITEMS_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "meetings/my_action_items.html",
        {
            "items": items,
            "show": show,
            "form": ShowForm(initial={"show": show}),
            # Open follow-ups of the conferences the user still reads (not paginated: few).
            "follow_ups": [
                a
                for a in (my_follow_ups(request.user) if show in ("open", "overdue") else [])
                if show == "open" or getattr(a, "is_overdue", False)
            ],
        },
    )


def _back(request: HttpRequest, item: ActionItem) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if item.meeting_id is not None:
        return reverse("meeting_detail", args=[item.meeting_id])
    return reverse("my_action_items")


@login_required
@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_action_item_for_user(request.user, pk)
    if not access.can_update_action_item(request.user, item):
        raise PermissionDenied
    form = StatusForm(request.POST)
    back = _back(request, item)
    if not form.is_valid():
        messages.error(request, _("Choose done, dropped or open."))
        return redirect(back)
    try:
        services.action_item_set_status(
            user=request.user,
            item=item,
            status=form.cleaned_data["status"],
            note=form.cleaned_data.get("note", ""),
        )
    except ValidationError as error:
        messages.error(
            request,
            _("“%(title)s” was not changed: %(reason)s")
            % {"title": item.title, "reason": " ".join(error.messages)},
        )
        return redirect(back)
    messages.success(
        request,
        _("“%(title)s” is now %(status)s.")
        % {"title": item.title, "status": str(item.get_status_display()).lower()},
    )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def action_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_action_item_for_user(request.user, pk)
    if not access.can_edit_action_item(request.user, item):
        raise PermissionDenied
    body = Body.of(item)
    owners = bodies.owners(body)
    status = 200
    if request.method == "POST":
        form = EditItemForm(request.POST, owners=owners)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.action_item_edit(
                    user=request.user,
                    item=item,
                    title=data["title"],
                    owner_id=data["owner"],
                    due_on=data["due_on"],
                    note=data.get("note", ""),
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("“%(title)s” is changed.") % {"title": data["title"]})
                return redirect(_back(request, item))
        status = 400
    else:
        form = EditItemForm(
            owners=owners,
            initial={
                "title": item.title,
                "owner": item.owner_id,
                "due_on": item.due_on,
                "note": item.note,
            },
        )
    return render(
        request,
        "meetings/action_item_edit.html",
        {"item": item, "body": body, "form": form, "next": request.GET.get("next", "")},
        status=status,
    )
