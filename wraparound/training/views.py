"""Training pages for everyone in an audience: the trainings a user sees, one training
(registration; attendance for admins and trainers), one's own record and certificates.

Who may do what (tests in tests/test_views.py):
- the list, a training, registering: network admins, school roles and partner users of the
  training's network whose audience it is (others 404 for a training; 403 for the list when their
  role is in no audience); a trainer with an account for their trainings.
- attendance: the network admin or the training's trainer (others who see the training: 403).
- a certificate: the person, a network admin, the partner admin of a campus-staff person (404
  for anyone else); its verify page is public and shows only what the certificate shows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.agreements.models import StaffMember
from wraparound.core import access
from wraparound.core.models import Membership, Network
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES, Role

from . import selectors, services
from .certificate import certificate_filename, render_certificate_pdf
from .forms import STATUS_CHOICES
from .models import Attendance, AttendanceStatus, Audience, Training

PAST_SHOWN = 50


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for msgs in error.message_dict.values() for m in msgs]
    return list(error.messages)


@login_required
@require_GET
def training_list(request: HttpRequest) -> HttpResponse:
    if not access.can_use_training(request.user):
        raise PermissionDenied
    now = timezone.now()
    visible = selectors.with_seats(selectors.visible_trainings(request.user))
    ahead = visible.filter(starts_at__gt=now).order_by("starts_at", "pk")
    upcoming = list(ahead.filter(cancelled_at__isnull=True))
    cancelled = list(ahead.filter(cancelled_at__isnull=False))
    past = list(visible.filter(starts_at__lte=now).order_by("-starts_at", "-pk")[:PAST_SHOWN])
    mine = selectors.my_registrations(request.user, upcoming)
    managed = Network.objects.filter(
        id__in=access.grants(request.user).networks_with(Role.NETWORK_ADMIN)
    ).order_by("name")
    return render(
        request,
        "training/list.html",
        {
            "upcoming": [(t, mine.get(t.pk)) for t in upcoming],
            "cancelled": cancelled,
            "past": past,
            "managed": list(managed),
        },
    )


def _detail_context(request: HttpRequest, training: Training) -> dict[str, Any]:
    user = request.user
    can_attend = access.can_take_attendance(user, training)
    attendances = selectors.training_attendances(training)
    own = next(
        (a for a in attendances if a.user_id == user.pk and a.status in services.SEATED), None
    )
    staff_orgs = access.training_staff_organizations(user)
    if can_attend:
        shown = attendances
    else:
        # Partner admins see their organization's people; others only themselves.
        shown = [
            a
            for a in attendances
            if a.user_id == user.pk
            or (
                a.staff_member_id
                and a.staff_member
                and a.staff_member.organization_id in staff_orgs
            )
        ]
    return {
        "training": training,
        "network": training.network,
        "upcoming": training.starts_at > timezone.now() and not training.is_cancelled,
        "full": training.capacity is not None
        and getattr(training, "seats_taken", 0) >= training.capacity,
        "own": own,
        "can_register": access.can_register_self(user, training),
        "can_attend": can_attend,
        "can_manage": access.can_manage_training(user, training.network_id),
        "can_cancel": access.can_cancel_training(user, training)
        and not training.is_cancelled
        and training.starts_at > timezone.now(),
        "attendances": shown,
        "staff_choices": selectors.staff_choices(user, training)
        if staff_orgs or can_attend
        else [],
    }


@login_required
@require_GET
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    training = selectors.get_training_for_user(request.user, pk)
    return render(request, "training/detail.html", _detail_context(request, training))


@login_required
@require_POST
def training_register(request: HttpRequest, pk: int) -> HttpResponse:
    training = selectors.get_training_for_user(request.user, pk)
    raw = request.POST.get("staff_member", "").strip()
    person: StaffMember | None = None
    if raw:
        person = next(
            (p for p in selectors.staff_choices(request.user, training) if str(p.pk) == raw), None
        )
        if person is None:
            messages.error(request, _("Choose a person of your organization's staff list."))
            context = _detail_context(request, training)
            return render(request, "training/detail.html", context, status=400)
    try:
        attendance = services.registration_add(
            user=request.user, training=training, staff_member=person
        )
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        training = selectors.get_training_for_user(request.user, pk)
        return render(
            request, "training/detail.html", _detail_context(request, training), status=400
        )
    messages.success(
        request, _("%(name)s is registered.") % {"name": attendance.person_name or _("You")}
    )
    return redirect("training_detail", pk=training.pk)


@login_required
@require_POST
def training_unregister(request: HttpRequest, pk: int, attendance_pk: int) -> HttpResponse:
    training = selectors.get_training_for_user(request.user, pk)
    attendance = (
        Attendance.objects.filter(training=training, pk=attendance_pk)
        .select_related("staff_member__organization", "training")
        .first()
    )
    if attendance is None:
        raise Http404
    try:
        services.registration_cancel(user=request.user, attendance=attendance)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return render(
            request, "training/detail.html", _detail_context(request, training), status=400
        )
    messages.success(request, _("The registration is withdrawn."))
    return redirect("training_detail", pk=training.pk)


@login_required
@require_http_methods(["GET", "POST"])
def training_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    training = selectors.get_training_for_user(request.user, pk)
    if not access.can_cancel_training(request.user, training):
        raise PermissionDenied
    reason = ""
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.training_cancel(user=request.user, training=training, reason=reason)
        except ValidationError as error:
            errors = _messages_of(error)
            status = 400
        else:
            messages.success(request, _("The training is cancelled; those registered are told."))
            return redirect("training_detail", pk=training.pk)
    return render(
        request,
        "training/cancel.html",
        {
            "training": training,
            "network": training.network,
            "reason": reason,
            "errors": errors,
            "registered": sum(
                1
                for a in selectors.training_attendances(training)
                if a.status == AttendanceStatus.REGISTERED
            ),
        },
        status=status,
    )


# --- attendance ----------------------------------------------------------------------------------


def _candidates(training: Training) -> tuple[list[Any], list[StaffMember]]:
    """Users and campus staff who may be added to the attendance (the training's audience)."""
    roles: set[str] = set()
    if training.audience in (Audience.SCHOOL, Audience.BOTH):
        roles |= set(SCHOOL_ROLES)
    if training.audience in (Audience.PARTNER, Audience.BOTH):
        roles |= set(PARTNER_ROLES)
    members = (
        Membership.objects.filter(network_id=training.network_id, role__in=roles, is_active=True)
        .exclude(school__isnull=True, organization__isnull=True)
        .select_related("user", "school", "organization")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    users: dict[int, Any] = {}
    for m in members:
        if m.user_id not in users:
            m.user.where = m.school or m.organization  # type: ignore[attr-defined]
            users[m.user_id] = m.user
    staff: list[StaffMember] = []
    if training.audience != Audience.SCHOOL:
        staff = list(
            StaffMember.objects.filter(network_id=training.network_id, is_active=True)
            .select_related("organization")
            .order_by("organization__name", "last_name", "first_name")
        )
    return list(users.values()), staff


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


@login_required
@require_http_methods(["GET", "POST"])
def training_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    training = selectors.get_training_for_user(request.user, pk)
    if not access.can_take_attendance(request.user, training):
        raise PermissionDenied
    attendances = selectors.training_attendances(training)
    users, staff = _candidates(training)
    errors: list[str] = []
    posted: dict[str, str] = {}
    status = 200
    add_users: list[int] = []
    add_staff: list[int] = []
    add_status: str = AttendanceStatus.COMPLETED
    if request.method == "POST":
        entries: list[services.Entry] = []
        for a in attendances:
            chosen = request.POST.get(f"status_{a.pk}", a.status)
            hours = request.POST.get(f"hours_{a.pk}", "").strip()
            posted[f"status_{a.pk}"], posted[f"hours_{a.pk}"] = chosen, hours
            entries.append(
                services.Entry(
                    status=chosen, user_id=a.user_id, staff_member_id=a.staff_member_id, hours=hours
                )
            )
        present_users = {a.user_id for a in attendances if a.user_id}
        present_staff = {a.staff_member_id for a in attendances if a.staff_member_id}
        add_status = request.POST.get("add_status", AttendanceStatus.COMPLETED)
        add_users = _ids(request.POST.getlist("add_users"))
        add_staff = _ids(request.POST.getlist("add_staff"))
        for uid in add_users:
            if uid not in present_users:
                entries.append(services.Entry(status=add_status, user_id=uid))
        for sid in add_staff:
            if sid not in present_staff:
                entries.append(services.Entry(status=add_status, staff_member_id=sid))
        try:
            services.attendance_record(user=request.user, training=training, entries=entries)
        except ValidationError as error:
            errors = _messages_of(error)
            status = 400
        else:
            messages.success(request, _("Attendance saved."))
            return redirect("training_attendance", pk=training.pk)
    rows = [
        {
            "attendance": a,
            "status": posted.get(f"status_{a.pk}", a.status),
            "hours": posted.get(f"hours_{a.pk}", a.hours_credited if a.hours_credited else ""),
        }
        for a in attendances
    ]
    present_users = {a.user_id for a in attendances if a.user_id}
    present_staff = {a.staff_member_id for a in attendances if a.staff_member_id}
    return render(
        request,
        "training/attendance.html",
        {
            "training": training,
            "network": training.network,
            "rows": rows,
            "errors": errors,
            "status_choices": STATUS_CHOICES,
            "user_choices": [u for u in users if u.pk not in present_users],
            "staff_choices": [p for p in staff if p.pk not in present_staff],
            "add_users": add_users,
            "add_staff": add_staff,
            "add_status": add_status,
            "upcoming": training.starts_at > timezone.now(),
        },
        status=status,
    )


# --- records and certificates ------------------------------------------------------------------


@login_required
@require_GET
def my_record(request: HttpRequest) -> HttpResponse:
    if not access.can_use_training(request.user):
        raise PermissionDenied
    records = selectors.user_record(request.user)
    return render(
        request,
        "training/me.html",
        {"records": records, "person_name": None, "own": True},
    )


@login_required
@require_GET
def staff_record(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_staff_member_for_user(request.user, pk)
    record = selectors.staff_record(person)
    return render(
        request,
        "training/me.html",
        {
            "records": [record],
            "person_name": person.full_name,
            "organization": person.organization,
            "own": False,
        },
    )


@login_required
@require_GET
def certificate_pdf(request: HttpRequest, certificate_id: str) -> HttpResponse:
    attendance = selectors.get_certificate_for_user(request.user, certificate_id)
    pdf = render_certificate_pdf(attendance, base_url=request.build_absolute_uri("/")[:-1])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=certificate_filename(attendance)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def certificate_verify(request: HttpRequest, certificate_id: str) -> HttpResponse:
    """Public: anyone holding the certificate's address learns whether it is genuine, and only
    what the certificate itself shows."""
    attendance = selectors.get_certificate(certificate_id)
    response = render(
        request,
        "training/verify.html",
        {
            "attendance": attendance,
            "training": attendance.training,
            "network": attendance.training.network,
            "name": attendance.person_name,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response
