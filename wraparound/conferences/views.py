"""Family team conference pages. Thin: parse → selector/service → render.

Who may see what (tests/test_views.py):

- my conferences (`conferences/`): the roles that hold conferences (`access.may_hold_conferences`)
  and the network's clinical supervisors; other signed-in users a 403 (the page names nothing);
- a new conference (`conferences/new/?student=<id>` or `?guardian=<id>`): a student or family the
  user cannot see is a 404; one they see but may not hold a conference for (network admin,
  principal) a 403;
- a conference and its edit form: the facilitator, the participants present and their clinical
  supervisors; anyone else — network admins, absent invitees, evaluators — a 404. The edit form
  is for the facilitator and the participants present; a supervisor who only reads gets a 403.
- marking a follow-up action done (or open again): its owner among those who read the conference,
  or whoever may edit it (a 403 for other readers).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import School
from wraparound.students.models import Guardian, Student

from . import conference_selectors as selectors
from . import conference_services as services
from .forms import ConferenceForms
from .models import FamilyTeamConference

PAGE_SIZE = 50


def _subject(request: HttpRequest) -> tuple[School, Student | None, Guardian | None]:
    """The student or family named in the query, if the user may see them; 404 otherwise."""
    user = request.user
    raw_student = request.GET.get("student", "")
    raw_guardian = request.GET.get("guardian", "")
    student: Student | None = None
    guardian: Guardian | None = None
    if raw_student.isdigit():
        student = Student.objects.select_related("school", "network").filter(pk=raw_student).first()
        if student is None or student.school is None:
            raise Http404
        school = student.school
        official = Student.objects.filter(access.student_filter(user), pk=student.pk).exists()
        serving = access.serving_organizations(user, student_id=student.pk, guardian_id=None)
    elif raw_guardian.isdigit():
        guardian = Guardian.objects.filter(pk=raw_guardian).first()
        first = (
            Student.objects.filter(guardian_links__guardian=guardian, school__isnull=False)
            .select_related("school")
            .first()
            if guardian is not None
            else None
        )
        if guardian is None or first is None or first.school is None:
            raise Http404
        school = first.school
        official = Student.objects.filter(
            access.student_filter(user), guardian_links__guardian=guardian
        ).exists()
        serving = access.serving_organizations(user, student_id=None, guardian_id=guardian.pk)
    else:
        raise Http404
    if not official and not serving:
        raise Http404
    if not access.can_facilitate_conference(
        user,
        school,
        student_id=student.pk if student else None,
        guardian_id=guardian.pk if guardian else None,
    ):
        raise PermissionDenied
    return school, student, guardian


def _forms(
    request: HttpRequest,
    school: School,
    student: Student | None,
    guardian: Guardian | None,
    conference: FamilyTeamConference | None = None,
) -> ConferenceForms:
    data = request.POST if request.method == "POST" else None
    return ConferenceForms(
        data,
        consents=selectors.family_consents(student, guardian),
        referrals=selectors.family_referrals(request.user, student, guardian),
        users=selectors.team_users(school, request.user),
        conference=conference,
    )


def _family_label(student: Student | None, guardian: Guardian | None) -> str:
    if student is not None:
        return student.display_name
    assert guardian is not None
    return _("The family of %(name)s") % {"name": guardian.display_name}


@login_required
@require_GET
def conference_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.may_hold_conferences(user):
        raise PermissionDenied
    qs = selectors.my_conferences(user)
    student_param = request.GET.get("student", "")
    student = None
    if student_param.isdigit():
        student = Student.objects.filter(pk=student_param).first()
        if student is None:
            raise Http404
        qs = selectors.student_conferences(user, student).select_related(*selectors.LIST_RELATED)
        if not qs.exists():
            raise Http404
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.log_partner_reads(user, page.object_list, purpose="family team conference list")
    return render(
        request,
        "conferences/conference_list.html",
        {"page": page, "student": student},
    )


def _render_form(
    request: HttpRequest,
    forms: ConferenceForms,
    *,
    school: School,
    student: Student | None,
    guardian: Guardian | None,
    conference: FamilyTeamConference | None = None,
    status: int = 200,
    conflict: str = "",
) -> HttpResponse:
    return render(
        request,
        "conferences/conference_form.html",
        {
            "forms": forms,
            "form": forms.main,
            "school": school,
            "student": student,
            "guardian": guardian,
            "family_label": _family_label(student, guardian),
            "conference": conference,
            "conflict": conflict,
            "refer_url": (
                reverse("referral_new", args=[school.pk]) + "?" + urlencode({"student": student.pk})
                if student is not None and access.can_refer(request.user, school)
                else ""
            ),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def conference_new(request: HttpRequest) -> HttpResponse:
    school, student, guardian = _subject(request)
    forms = _forms(request, school, student, guardian)
    if request.method == "POST" and forms.is_valid():
        try:
            conference = services.conference_create(
                user=request.user,
                school=school,
                student=student,
                guardian=guardian,
                data=forms.data(),
            )
        except ValidationError as error:
            forms.add_errors(error.message_dict)
        else:
            messages.success(request, _("Conference recorded."))
            return redirect("conference_detail", pk=conference.pk)
    status = 400 if request.method == "POST" else 200
    selectors.log_partner_form_read(
        request.user, school, student, guardian, purpose="family team conference (new)"
    )
    return _render_form(
        request, forms, school=school, student=student, guardian=guardian, status=status
    )


@login_required
@require_GET
def conference_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conference = selectors.get_conference_for_user(
        request.user, pk, purpose="family team conference"
    )
    school = conference.school
    return render(
        request,
        "conferences/conference_detail.html",
        {
            "conference": conference,
            "family_label": _family_label(conference.student, conference.guardian),
            "can_edit": access.can_edit_conference(request.user, conference),
            "user_pk": request.user.pk,
            "refer_url": (
                reverse("referral_new", args=[school.pk])
                + "?"
                + urlencode({"student": conference.student_id})
                if conference.student_id and access.can_refer(request.user, school)
                else ""
            ),
            "student_url": (
                reverse("student_detail", args=[conference.student_id])
                if conference.student_id and access.is_school_official(request.user, school)
                else ""
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conference_edit(request: HttpRequest, pk: int) -> HttpResponse:
    conference = selectors.get_conference_for_user(
        request.user, pk, purpose="family team conference (edit)"
    )
    if not access.can_edit_conference(request.user, conference):
        raise PermissionDenied
    school, student, guardian = conference.school, conference.student, conference.guardian
    forms = _forms(request, school, student, guardian, conference)
    status, conflict = 200, ""
    if request.method == "POST":
        status = 400
        if forms.is_valid():
            version = forms.main.cleaned_data.get("expected_version")
            if not version:
                forms.main.add_error(None, _("Reload the page and make your change again."))
            else:
                try:
                    services.conference_update(
                        user=request.user,
                        conference=conference,
                        expected_version=version,
                        data=forms.data(),
                    )
                except services.ConferenceConflict as error:
                    status, conflict = 409, error.messages[0]
                except ValidationError as error:
                    forms.add_errors(error.message_dict)
                else:
                    messages.success(request, _("Conference saved."))
                    return redirect("conference_detail", pk=conference.pk)
    return _render_form(
        request,
        forms,
        school=school,
        student=student,
        guardian=guardian,
        conference=conference,
        status=status,
        conflict=conflict,
    )


def student_link(user: Any, student: Student) -> tuple[str, int]:
    """For the student's page: the link to the student's conferences and how many the user may
    read ("", 0 when none: the link is not shown)."""
    n = selectors.student_conferences(user, student).count()
    if not n:
        return "", 0
    return reverse("conference_list") + "?" + urlencode({"student": student.pk}), n


@login_required
@require_POST
def follow_up_status(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    conference = selectors.get_conference_for_user(
        request.user, pk, purpose="family team conference (follow-up)"
    )
    action = next((a for a in conference.actions.all() if a.pk == action_pk), None)
    if action is None:
        raise Http404
    try:
        services.follow_up_set_status(
            user=request.user,
            conference=conference,
            action=action,
            status=request.POST.get("status", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("“%(what)s” is now %(status)s.")
            % {"what": action.description, "status": action.get_status_display()},
        )
    return redirect("conference_detail", pk=conference.pk)
