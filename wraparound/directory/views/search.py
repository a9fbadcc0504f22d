"""The coordinator's directory search and a service's page.

Who may use them: every school-side role and the network-wide roles (network admin, evaluator,
coordinator, school staff, clinical supervisor, principal) — the people who look for help for a
school and its students. Partner users get a 403: they keep their own organization's profile
(the profile pages), and a partner reading its competitors' capacity and costs is not what the
directory is for; outsiders and coalition members get a 403 too (coalitions are a later issue).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from wraparound.core import access
from wraparound.core.grades import GRADE_ORDER, Grade
from wraparound.core.models import Network

from ..models import (
    TIMING_FIELDS,
    Attribute,
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ..search import (
    LANGUAGE_NAMES,
    TIMING_LABELS,
    ServiceQuery,
    language_label,
    search_services,
    term_label,
)
from ..selectors import is_stale, stale_cutoff

PER_PAGE = 20
RADII = (("1", _("1 km")), ("2", _("2 km")), ("3", _("3 km")), ("5", _("5 km")), ("10", _("10 km")))


# --- who may search -------------------------------------------------------------------------------


def _network_for(request: HttpRequest) -> Network:
    networks = list(access.directory_networks(request.user).order_by("name"))
    if not networks:
        raise PermissionDenied
    wanted = request.GET.get("network")
    if wanted:
        for network in networks:
            if network.slug == wanted:
                return network
        raise Http404
    return networks[0]


# --- the form ---------------------------------------------------------------------------------


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    school = forms.TypedChoiceField(
        label=_("Your school"), required=False, coerce=int, empty_value=None
    )
    within = forms.TypedChoiceField(
        label=_("Near the school, within"),
        required=False,
        coerce=float,
        empty_value=None,
        choices=[("", _("any distance")), *RADII],
    )
    serving = forms.BooleanField(label=_("Serving the school's community"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    grade = forms.ChoiceField(label=_("Grade"), required=False)
    timing = forms.MultipleChoiceField(
        label=_("When"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, TIMING_LABELS[name]) for name in TIMING_FIELDS],
    )
    free_for_families = forms.BooleanField(label=_("Free for families"), required=False)
    free_for_school = forms.BooleanField(label=_("Free for the school"), required=False)
    has_capacity = forms.BooleanField(label=_("Has places left"), required=False)

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[str, list[tuple[int, str]]]],
        schools: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *categories]  # type: ignore[attr-defined]
        self.fields["school"].choices = [("", _("None")), *schools]  # type: ignore[attr-defined]
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("Any language")),
            *sorted(((c, str(n)) for c, n in LANGUAGE_NAMES.items()), key=lambda c: c[1]),
        ]
        self.fields["grade"].choices = [  # type: ignore[attr-defined]
            ("", _("Any grade")),
            *[(code, Grade(code).label) for code in GRADE_ORDER],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        school = data.get("school")
        if (data.get("within") or data.get("serving")) and not school:
            self.add_error("school", _("Choose a school to search near it or in its community."))
        return data


def _category_choices(network: Network) -> list[tuple[str, list[tuple[int, str]]]]:
    """The network's categories grouped by pillar (top term), each pillar selectable too."""
    terms = list(
        TaxonomyTerm.objects.filter(network=network).only("id", "name", "name_es", "parent_id")
    )
    by_parent: dict[int | None, list[TaxonomyTerm]] = {}
    for term in terms:
        by_parent.setdefault(term.parent_id, []).append(term)

    def below(term: TaxonomyTerm, depth: int) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for child in sorted(by_parent.get(term.pk, []), key=term_label):
            out.append((child.pk, "\u00a0\u00a0" * depth + term_label(child)))
            out.extend(below(child, depth + 1))
        return out

    groups = []
    for pillar in sorted(by_parent.get(None, []), key=lambda t: t.pk):
        label = term_label(pillar)
        groups.append(
            (label, [(pillar.pk, _("All of “%(pillar)s”") % {"pillar": label}), *below(pillar, 0)])
        )
    return groups


class _Window:
    """The search's page of matches, sized as the whole result, for Django's Paginator."""

    def __init__(self, total: int, offset: int, matches: list[Any]) -> None:
        self.total, self.offset, self.matches = total, offset, matches

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, item: slice) -> list[Any]:
        start = (item.start or 0) - self.offset
        stop = (item.stop or self.total) - self.offset
        return self.matches[max(start, 0) : max(stop, 0)]


# --- views ------------------------------------------------------------------------------------


@login_required
def directory_search(request: HttpRequest) -> HttpResponse:
    network = _network_for(request)
    schools = list(
        access.visible_schools(request.user)
        .filter(network=network)
        .select_related("community")
        .order_by("name")
    )
    form = DirectorySearchForm(
        request.GET or None,
        categories=_category_choices(network),
        schools=[(s.pk, f"{s.name} ({s.code})") for s in schools],
    )
    result = None
    page = None
    school = None
    if form.is_valid():
        data = form.cleaned_data
        school = next((s for s in schools if s.pk == data["school"]), None)
        near = None
        if school is not None and school.latitude is not None and school.longitude is not None:
            near = (float(school.latitude), float(school.longitude))
        query = ServiceQuery(
            words=data["q"],
            category_ids=(data["category"],) if data["category"] else (),
            near=near,
            within_km=data["within"] if near else None,
            community_id=school.community_id if school and data["serving"] else None,
            prefer_community_id=school.community_id if school else None,
            language=data["language"],
            grade=data["grade"],
            timings=tuple(data["timing"]),
            free_for_families=data["free_for_families"],
            free_for_school=data["free_for_school"],
            has_capacity=data["has_capacity"],
        )
        try:
            number = max(int(request.GET.get("page", "1")), 1)
        except ValueError:
            number = 1
        result = search_services(network, query, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
        last = max((result.total - 1) // PER_PAGE + 1, 1)
        if number > last:  # past the end: show the last page
            number = last
            result = search_services(network, query, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
        paginator: Paginator[Any] = Paginator(
            _Window(result.total, (number - 1) * PER_PAGE, result.matches),  # type: ignore[arg-type]
            PER_PAGE,
        )
        page = paginator.page(number)
    params = request.GET.copy()
    params.pop("page", None)
    status = 400 if request.GET and not form.is_valid() else 200
    return render(
        request,
        "directory/search.html",
        {
            "network": network,
            "form": form,
            "result": result,
            "page": page,
            "school": school,
            "querystring": params.urlencode(),
        },
        status=status,
    )


def get_service_for_directory(user: Any, pk: Any) -> Service:
    """A service of a network whose directory the user searches; 403 for roles that do not
    search it, 404 for a service elsewhere."""
    networks = access.directory_networks(user)
    if not networks.exists():
        raise PermissionDenied
    try:
        return (
            Service.objects.filter(network__in=networks)
            .select_related("organization", "network")
            .prefetch_related(
                "capacities",
                "languages",
                "phones",
                "cost_options",
                "service_areas__community",
                Prefetch(
                    "attributes",
                    queryset=Attribute.objects.select_related("taxonomy_term__parent"),
                ),
                Prefetch(
                    "at_locations",
                    queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                        Prefetch("schedules", queryset=Schedule.objects.order_by("opens_at")),
                        "location__addresses",
                        "location__phones",
                    ),
                ),
                Prefetch("schedules", queryset=Schedule.objects.order_by("opens_at")),
            )
            .get(pk=pk)
        )
    except (Service.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
def directory_service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_service_for_directory(request.user, pk)
    categories = [a.taxonomy_term for a in service.attributes.all()]
    locations: list[tuple[Location, list[str]]] = [
        (sal.location, [schedule_in_words(s) for s in sal.schedules.all()])
        for sal in service.at_locations.all()
    ]
    return render(
        request,
        "directory/service_detail.html",
        {
            "service": service,
            "organization": service.organization,
            "categories": [term_label(t) for t in categories],
            "locations": locations,
            "service_schedules": [schedule_in_words(s) for s in service.schedules.all()],
            "languages": [language_label(lang.code, lang.name) for lang in service.languages.all()],
            "timings": [TIMING_LABELS[name] for name in service.timings],
            "stale": is_stale(service.confirmed_at, stale_cutoff(service.network)),
        },
    )


# --- schedules in plain words --------------------------------------------------------------------

_DAYS = {
    "MO": _("Monday"), "TU": _("Tuesday"), "WE": _("Wednesday"), "TH": _("Thursday"),
    "FR": _("Friday"), "SA": _("Saturday"), "SU": _("Sunday"),
}  # fmt: skip
_ORDER = list(_DAYS)


def schedule_in_words(schedule: Schedule) -> str:
    """ "Monday to Friday, 15:00–18:00" from HSDS's byday/opens_at/closes_at; the schedule's own
    description when it has no weekly pattern to read."""
    days = [d.strip().upper()[-2:] for d in schedule.byday.split(",") if d.strip()]
    days = [d for d in days if d in _DAYS]
    parts: list[str] = []
    if days:
        idx = sorted(_ORDER.index(d) for d in days)
        if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
            parts.append(
                str(_("%(first)s to %(last)s"))
                % {"first": _DAYS[_ORDER[idx[0]]], "last": _DAYS[_ORDER[idx[-1]]]}
            )
        else:
            parts.append(", ".join(str(_DAYS[_ORDER[i]]) for i in idx))
    if schedule.opens_at and schedule.closes_at:
        parts.append(f"{schedule.opens_at:%H:%M}–{schedule.closes_at:%H:%M}")
    if schedule.valid_from and schedule.valid_to:
        parts.append(
            str(_("from %(start)s to %(end)s"))
            % {"start": f"{schedule.valid_from:%-d %b}", "end": f"{schedule.valid_to:%-d %b %Y}"}
        )
    if not parts:
        return schedule.description
    return ", ".join(parts)


urlpatterns = [
    path("directory/", directory_search, name="directory_search"),
    path("directory/services/<int:pk>/", directory_service_detail, name="directory_service_detail"),
]
