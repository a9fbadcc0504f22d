"""A school's gaps and recommendations: each need of the year's assessment minus what assets and
partnerships cover, the services recommended for each open gap (with the reasons and, on
request, why the others were left out), and one click to propose a partnership.

Who may see it: whoever sees the school (network-wide roles, the school's coordinators,
principal, staff and clinical supervisor); anyone else gets a 404. Who may propose: the school's
coordinators and the network admins (`access.can_propose_partnership`); others get a 403.

The page costs a fixed number of queries whatever the number of needs: the gaps are computed
once for the school and the recommendations of every need in one pass (`recommend_many`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from wraparound.agreements import selectors as partnership_selectors
from wraparound.agreements.models import Partnership
from wraparound.agreements.services import partnership_propose
from wraparound.assessments.gaps import Gap, gaps_for
from wraparound.assessments.models import Need, NeedsAssessment
from wraparound.core import access
from wraparound.core.models import School, SchoolYear
from wraparound.directory.models import Service, TaxonomyTerm
from wraparound.directory.taxonomy import PILLARS

from .eligibility import Score, ServiceFacts
from .recommend import Exclusion, Recommendations, recommend, recommend_many

SHOWN = 5  # recommendations shown per need at first
SHOWN_MORE = 50  # after "show more"

# --- reading the request ----------------------------------------------------------------------


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _school_year(school: School, raw: Any) -> SchoolYear | None:
    """The year asked for (by the calendar year it ends in), else the network's current one,
    else its latest; None when the network has no school year. An unknown year is a 404."""
    years = SchoolYear.objects.filter(network_id=school.network_id)
    if raw not in (None, ""):
        end_year = _int(raw)
        year = years.filter(end_year=end_year).first() if end_year is not None else None
        if year is None:
            raise Http404
        return year
    return years.filter(is_current=True).first() or years.order_by("-end_year").first()


def _needs(school: School, year: SchoolYear) -> QuerySet[Need]:
    return Need.objects.filter(
        assessment__school=school, assessment__school_year=year
    ).select_related(
        "category__parent",
        "assessment__school__community",
        "assessment__school__network",
        "assessment__school_year",
    )


# --- the page's rows --------------------------------------------------------------------------


@dataclass
class RecommendationRow:
    service: ServiceFacts
    score: Score
    default_units: int
    max_units: int
    partnership: Partnership | None  # the school's open partnership with it this year


@dataclass
class NeedRow:
    need: Need
    gap: Gap
    shown: list[RecommendationRow] = field(default_factory=list)
    eligible_count: int = 0
    showing_more: bool = False
    excluded: list[Exclusion] | None = None  # when asked for
    excluded_count: int = 0

    @property
    def hidden_count(self) -> int:
        return self.eligible_count - len(self.shown)


@dataclass
class PillarGroup:
    term: TaxonomyTerm
    rows: list[NeedRow]

    @property
    def recommending(self) -> list[NeedRow]:
        return [row for row in self.rows if row.gap.open > 0]


@dataclass
class ProposeError:
    need_id: int | None
    service_id: int | None
    units: str
    messages: list[str]


def _pillar_order(term: TaxonomyTerm) -> tuple[int, str]:
    code = term.code
    return (PILLARS.index(code) if code in PILLARS else len(PILLARS), term.name.casefold())


def _gaps_context(
    school: School,
    year: SchoolYear | None,
    *,
    more: int | None = None,
    excluded: int | None = None,
) -> dict[str, Any]:
    assessment = None
    needs: list[Need] = []
    gaps: dict[int, Gap] = {}
    recommendations: dict[int, Recommendations] = {}
    open_partnerships: dict[int, Partnership] = {}
    if year is not None:
        assessment = NeedsAssessment.objects.filter(school=school, school_year=year).first()
    if assessment is not None and year is not None:
        needs = list(_needs(school, year))
    if needs and year is not None:
        gaps = gaps_for(network=school.network, school_year=year, schools=[school])
    open_needs = [n for n in needs if gaps[n.pk].open > 0]
    if open_needs and year is not None:
        recommendations = recommend_many(open_needs, limit=0, gaps=gaps)
        open_partnerships = partnership_selectors.open_partnerships_by_service(school, year)
    groups: dict[int, PillarGroup] = {}
    for need in needs:
        gap = gaps[need.pk]
        row = NeedRow(need=need, gap=gap)
        result = recommendations.get(need.pk)
        if result is not None:
            row.eligible_count = len(result.eligible)
            row.showing_more = more == need.pk
            for rec in result.eligible[: SHOWN_MORE if row.showing_more else SHOWN]:
                left = rec.service.capacity_left or 0
                row.shown.append(
                    RecommendationRow(
                        service=rec.service,
                        score=rec.score,
                        default_units=max(1, min(gap.unplanned, left)),
                        max_units=max(1, min(gap.unplanned, left)),
                        partnership=open_partnerships.get(rec.service.id),
                    )
                )
            row.excluded_count = len(result.excluded)
            if excluded == need.pk:
                row.excluded = result.excluded
        pillar = need.category.parent or need.category
        groups.setdefault(pillar.pk, PillarGroup(pillar, [])).rows.append(row)
    pillars = sorted(groups.values(), key=lambda g: _pillar_order(g.term))
    for group in pillars:
        group.rows.sort(
            key=lambda r: (-r.need.severity, r.need.category.name.casefold(), r.need.pk)
        )
    totals: dict[str, int] = defaultdict(int)
    for need in needs:
        gap = gaps[need.pk]
        for name in ("students", "assets", "active", "open", "proposed", "unplanned"):
            totals[name] += getattr(gap, name)
    return {
        "school": school,
        "year": year,
        "years": list(
            SchoolYear.objects.filter(network_id=school.network_id).order_by("-end_year")
        ),
        "assessment": assessment,
        "pillars": pillars,
        "totals": dict(totals),
        "need_count": len(needs),
        "open_count": len(open_needs),
        "shown_default": SHOWN,
    }


def _gaps_url(school: School, year: SchoolYear | None, anchor: str = "") -> str:
    url = reverse("school_gaps", kwargs={"school_pk": school.pk})
    if year is not None:
        url += f"?year={year.end_year}"
    return url + (f"#{anchor}" if anchor else "")


# --- the page ---------------------------------------------------------------------------------


@login_required
def school_gaps(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    year = _school_year(school, request.GET.get("year"))
    excluded = _int(request.GET.get("excluded"))
    if excluded is not None and request.headers.get("HX-Request") and year is not None:
        # Only the "why left out" section of one need, for htmx to put in place.
        need = _needs(school, year).filter(pk=excluded).first()
        if need is None:
            raise Http404
        result = recommend(need, limit=1)
        response = render(
            request,
            "matching/_excluded.html",
            {"need": need, "excluded": result.excluded, "school": school, "year": year},
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    context = _gaps_context(school, year, more=_int(request.GET.get("more")), excluded=excluded)
    context["can_propose"] = access.can_propose_partnership(request.user, school)
    response = render(request, "matching/school_gaps.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- one click: propose a partnership ---------------------------------------------------------


class ProposeForm(forms.Form):
    year = forms.IntegerField()
    need = forms.IntegerField()
    service = forms.IntegerField()
    units = forms.IntegerField(
        label=gettext_lazy("Students or slots"),
        error_messages={
            "required": gettext_lazy("Enter how many students or slots to propose."),
            "invalid": gettext_lazy("Enter a whole number of students or slots."),
        },
    )


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages_ in error.message_dict.values() for m in messages_]
    return [str(m) for m in error.messages]


@login_required
@require_POST
def school_gaps_propose(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    if not access.can_propose_partnership(request.user, school):
        raise PermissionDenied
    form = ProposeForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    problems: list[str] = []
    if not valid:
        problems = [str(e) for errors in form.errors.values() for e in errors]
    try:
        year = _school_year(school, request.POST.get("year") or None)
    except Http404:
        year = _school_year(school, None)
        problems.append(_("Choose a school year of this network."))
    need: Need | None = None
    service: Service | None = None
    if not problems and year is not None:
        need = _needs(school, year).filter(pk=data["need"]).first()
        service = Service.objects.filter(pk=data["service"], network_id=school.network_id).first()
        if need is None:
            problems.append(_("Choose a need of this school's assessment."))
        if service is None:
            problems.append(_("Choose a service of this network's directory."))
    if year is None:
        problems.append(_("This network has no school year yet."))
    if not problems and need is not None and service is not None and year is not None:
        try:
            partnership = partnership_propose(
                actor=request.user,
                need=need,
                school=school,
                service=service,
                units=data["units"],
                school_year=year,
            )
        except ValidationError as error:
            problems = _messages_of(error)
        else:
            messages.success(
                request,
                ngettext(
                    "Proposed to %(organization)s: %(service)s for %(n)d student or slot. "
                    "The organization will accept or decline it.",
                    "Proposed to %(organization)s: %(service)s for %(n)d students or slots. "
                    "The organization will accept or decline it.",
                    partnership.units,
                )
                % {
                    "organization": partnership.organization.name,
                    "service": service.name,
                    "n": partnership.units,
                },
            )
            return redirect(_gaps_url(school, year, f"need-{need.pk}"))
    context = _gaps_context(school, year)
    context["can_propose"] = True
    context["propose_error"] = ProposeError(
        need_id=_int(request.POST.get("need")),
        service_id=_int(request.POST.get("service")),
        units=request.POST.get("units", "")[:12],
        messages=problems,
    )
    return render(request, "matching/school_gaps.html", context, status=400)
