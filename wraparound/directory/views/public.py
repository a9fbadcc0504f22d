"""The public family page: a network's directory of services for families, with no login.

Mobile first, plain words, English and Spanish (the language switch posts to Django's
`set_language`). A family picks a need and their school or ZIP code and sees the services near
them with how to get help: phone, address, hours, languages, cost, eligibility, how to apply.

Only what a family may see is ever read here: services that are active and belong to a vetted
organization (`ServiceQuery(public_only=True)` for the list, `_public_services` for a service
page). Contacts (people), capacity numbers, vetting data and anything about students are never
shown; capacity becomes "has space" / "full" at most.

Where the family is: `locate()` turns what they typed into a point. Today it knows the network's
own places (school names and codes, ZIP codes of its schools and service locations); a real
geocoder for free-text addresses plugs in through `settings.WRAPAROUND_GEOCODER`
(docs/family-page.md).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus, urlencode

from django import forms
from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateformat import time_format
from django.utils.dates import WEEKDAYS
from django.utils.module_loading import import_string
from django.utils.text import capfirst, get_text_list
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from wraparound.core.grades import grade_span_label
from wraparound.core.models import Network, School, VettingStatus
from wraparound.directory.models import (
    TIMING_FIELDS,
    Location,
    LocationType,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)
from wraparound.directory.search import (
    LANGUAGE_NAMES,
    TIMING_LABELS,
    ServiceQuery,
    search_services,
    term_label,
)

PAGE_SIZE = 10
SEARCH_FIELDS = ("need", "q", "school", "place", "page")
# Needs shown as big buttons; the others sit behind "More needs".
TOP_NEEDS = 8
# The page is the same for everyone but carries a CSRF token (the language switch) and follows
# the visitor's language: browsers may keep it briefly, shared caches may not.
CACHE_SECONDS = 300
MILES_PER_KM = 0.621371
Point = tuple[float, float]


# --- where the family is -----------------------------------------------------------------------

ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")


def _plain(text: str) -> str:
    """Lowercase, no accents, letters and digits only: "P.S. 12 Café" → "ps12cafe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _centre(points: Iterable[tuple[Any, Any, int]]) -> Point | None:
    """The mean of (latitude, longitude, weight) centres, or None when there is none."""
    total = lat_sum = lon_sum = 0.0
    for lat, lon, weight in points:
        if lat is None or lon is None or not weight:
            continue
        total += weight
        lat_sum += float(lat) * weight
        lon_sum += float(lon) * weight
    return (lat_sum / total, lon_sum / total) if total else None


def _zip_centre(zip_code: str, network: Network) -> Point | None:
    schools = School.objects.filter(
        network=network, postal_code__startswith=zip_code, latitude__isnull=False
    ).aggregate(lat=Avg("latitude"), lon=Avg("longitude"), n=Count("id"))
    places = (
        Location.objects.filter(
            network=network,
            addresses__postal_code__startswith=zip_code,
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .distinct()
        .aggregate(lat=Avg("latitude"), lon=Avg("longitude"), n=Count("id", distinct=True))
    )
    return _centre([(d["lat"], d["lon"], d["n"]) for d in (schools, places)])


def _school_point(school: School | None) -> Point | None:
    if school is None or school.latitude is None or school.longitude is None:
        return None
    return (float(school.latitude), float(school.longitude))


def school_named(text: str, network: Network) -> School | None:
    """The network's school whose code or name the text gives, if exactly one fits."""
    wanted = _plain(text)
    if not wanted:
        return None
    schools = list(
        School.objects.filter(network=network).only(
            "id", "code", "name", "latitude", "longitude", "network_id"
        )
    )
    for school in schools:
        if _plain(school.code) == wanted:
            return school
    exact = [s for s in schools if _plain(s.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    partial = [s for s in schools if len(wanted) >= 4 and wanted in _plain(s.name)]
    return partial[0] if len(partial) == 1 else None


def _external_geocoder() -> Callable[[str, Network], Point | None] | None:
    dotted = settings.WRAPAROUND_GEOCODER
    return import_string(dotted) if dotted else None


def locate(text: str, network: Network) -> Point | None:
    """(latitude, longitude) for what a family typed: a ZIP code, or a school's name or code.

    Free-text street addresses need a geocoding service, which this project does not run: set
    `WRAPAROUND_GEOCODER` to the dotted path of a function with this same signature and it is
    asked for anything the network's own places do not answer."""
    text = text.strip()
    if not text:
        return None
    zip_match = ZIP_RE.match(text)
    if zip_match:
        point = _zip_centre(zip_match.group(1), network)
        if point is not None:
            return point
    else:
        point = _school_point(school_named(text, network))
        if point is not None:
            return point
    geocoder = _external_geocoder()
    return geocoder(text, network) if geocoder else None


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine), good to a few metres at a city's scale."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --- words a family reads ----------------------------------------------------------------------

# HSDS byday codes, in the order of Django's (translated) weekday names: Monday = 0.
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
BYDAY_RE = re.compile(r"^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$")
ORDINAL_DAYS = {
    1: gettext_lazy("first %(day)s of the month"),
    2: gettext_lazy("second %(day)s of the month"),
    3: gettext_lazy("third %(day)s of the month"),
    4: gettext_lazy("fourth %(day)s of the month"),
    -1: gettext_lazy("last %(day)s of the month"),
}
# 12-hour clock with Django's translated "a.m."/"p.m.": what US families read, in both languages.
TIME_FORMAT = "g:i a"
TIME_FORMAT_NO_MERIDIEM = "g:i"


def _and_list(items: Sequence[str]) -> str:
    return get_text_list(list(items), _("and"))


def _day_runs(days: list[int]) -> list[str]:
    """Monday, Tuesday, Wednesday, Friday → ["Monday to Wednesday", "Friday"] (translated)."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words: list[str] = []
    for run in runs:
        if len(run) >= 3:
            words.append(
                _("%(first)s to %(last)s") % {"first": WEEKDAYS[run[0]], "last": WEEKDAYS[run[-1]]}
            )
        else:
            words.extend(str(WEEKDAYS[day]) for day in run)
    return words


def days_text(schedule: Schedule) -> str:
    """Which days, in words: "Monday, Wednesday and Friday", "Monday to Friday", "Every day"."""
    plain_days: list[int] = []
    ordinal_days: list[str] = []
    for token in (t.strip().upper() for t in schedule.byday.split(",")):
        match = BYDAY_RE.match(token)
        if not match:
            continue
        day = DAY_CODES.index(match.group(2))
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is None:
            plain_days.append(day)
        elif ordinal in ORDINAL_DAYS:
            ordinal_days.append(str(ORDINAL_DAYS[ordinal] % {"day": WEEKDAYS[day]}))
    if len(set(plain_days)) == 7 or (schedule.freq.upper() == "DAILY" and not schedule.byday):
        parts = [_("every day")]
    else:
        parts = _day_runs(plain_days)
    parts.extend(ordinal_days)
    return _and_list(parts) if parts else ""


def hours_text(opens: dt.time | None, closes: dt.time | None) -> str:
    """ "3:00–6:00 p.m.", "9:00 a.m.–1:00 p.m.", "from 9:00 a.m." or ""."""
    if opens and closes:
        same_half = (opens.hour < 12) == (closes.hour < 12)
        start = time_format(opens, TIME_FORMAT_NO_MERIDIEM if same_half else TIME_FORMAT)
        return f"{start}–{time_format(closes, TIME_FORMAT)}"
    if opens:
        return _("from %(time)s") % {"time": time_format(opens, TIME_FORMAT)}
    if closes:
        return _("until %(time)s") % {"time": time_format(closes, TIME_FORMAT)}
    return ""


def schedule_text(schedule: Schedule, today: dt.date | None = None) -> str:
    """One schedule row in plain words, or "" when it is over or says nothing usable.

    Built from the structured fields in the page's language; the partner's own description
    (in whatever language they wrote it) is the fallback."""
    today = today or timezone.localdate()
    ended = schedule.valid_to or schedule.until
    if ended is not None and ended < today:
        return ""
    days = days_text(schedule)
    hours = hours_text(schedule.opens_at, schedule.closes_at)
    if days and hours:
        text = _("%(days)s, %(hours)s") % {"days": days, "hours": hours}
    else:
        text = days or hours
    return capfirst(text) if text else schedule.description.strip()


def money_text(amount: Decimal) -> str:
    # US dollars, written the US way in either language (as US school districts print them).
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def cost_text(service: Service) -> str:
    cost = service.cost_to_families
    if cost is None:
        return service.fees_description.strip() or _("Ask about the cost.")
    if cost == 0:
        return _("Free")
    text = _("%(amount)s for families") % {"amount": money_text(cost)}
    if service.fees_description.strip():
        text = f"{text}. {service.fees_description.strip()}"
    return text


def language_name(code: str, name: str) -> str:
    """A language's name in the page's language: the directory's own list of the languages
    families speak first, then Django's (which knows most ISO codes), then the partner's words."""
    code = code.strip().lower()
    if code in LANGUAGE_NAMES:
        return str(LANGUAGE_NAMES[code])
    if code:
        try:
            return str(capfirst(get_language_info(code)["name_translated"]))
        except KeyError:
            pass
    return name.strip() or code


def space_text(service: Service, network: Network) -> str:
    """ "Has space now" / "Full now" from the latest capacity row, if recent; never a number."""
    capacities = sorted(service.capacities.all(), key=lambda c: c.updated, reverse=True)
    if not capacities:
        return ""
    latest = capacities[0]
    if latest.updated < timezone.now() - dt.timedelta(days=30 * network.directory_stale_months):
        return ""
    if latest.available > 0:
        return _("Has space now")
    return _("Full right now. Ask about the waiting list.")


def distance_text(km: float) -> str:
    miles = km * MILES_PER_KM
    if miles < 0.1:
        return _("Less than 0.1 miles away")
    return _("%(miles)s miles away") % {"miles": f"{miles:.1f}"}


# --- what a card and a service page show -------------------------------------------------------


@dataclass
class PhoneInfo:
    number: str
    href: str
    extension: str = ""


@dataclass
class PlaceInfo:
    name: str
    address_lines: list[str]
    map_url: str
    hours: list[str]
    phones: list[PhoneInfo]
    transportation: str = ""
    virtual_url: str = ""
    distance: str = ""
    distance_km: float | None = None


@dataclass
class ServiceInfo:
    service: Service
    url: str
    name: str
    organization: str
    description: str
    distance: str
    phones: list[PhoneInfo]
    places: list[PlaceInfo]
    hours: list[str]
    languages: list[str]
    cost: str
    eligibility: str
    grades: str
    ages: str
    apply: str
    space: str
    when: list[str]
    needs: list[str]
    email: str
    website: str
    required_documents: list[str] = field(default_factory=list)
    interpretation: str = ""
    wait_time: str = ""


def phone_info(phone: Phone) -> PhoneInfo:
    digits = re.sub(r"[^\d+]", "", phone.number)
    href = f"tel:{digits}" + (f",{phone.extension}" if phone.extension else "")
    return PhoneInfo(number=phone.number, href=href, extension=str(phone.extension or ""))


def _map_url(location: Location, address_lines: list[str]) -> str:
    if location.latitude is not None and location.longitude is not None:
        lat, lon = location.latitude, location.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    if address_lines:
        return "https://www.openstreetmap.org/search?query=" + quote_plus(", ".join(address_lines))
    return ""


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def place_info(at: ServiceAtLocation, near: Point | None) -> PlaceInfo:
    location = at.location
    lines: list[str] = []
    for address in location.addresses.all():
        if address.address_type not in ("", "physical"):
            continue
        lines = [
            line
            for line in (
                address.address_1,
                address.address_2,
                " ".join(
                    part
                    for part in (
                        f"{address.city},",
                        address.state_province,
                        address.postal_code,
                    )
                    if part
                ),
            )
            if line and line.strip(",")
        ]
        break
    km = None
    if near is not None and location.latitude is not None and location.longitude is not None:
        km = distance_km(near, (float(location.latitude), float(location.longitude)))
    is_virtual = location.location_type == LocationType.VIRTUAL
    return PlaceInfo(
        name=location.name,
        address_lines=lines,
        map_url="" if is_virtual else _map_url(location, lines),
        hours=_dedupe(schedule_text(s) for s in [*at.schedules.all(), *location.schedules.all()]),
        phones=[phone_info(p) for p in [*at.phones.all(), *location.phones.all()]],
        transportation=location.transportation.strip(),
        virtual_url=location.url if is_virtual else "",
        distance=distance_text(km) if km is not None else "",
        distance_km=km,
    )


def _grades_text(service: Service) -> str:
    if service.grade_low and service.grade_high:
        return _("Grades %(span)s") % {
            "span": grade_span_label(service.grade_low, service.grade_high)
        }
    return ""


def _ages_text(service: Service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return _("Ages %(low)s to %(high)s") % {
            "low": f"{low.normalize():f}",
            "high": f"{high.normalize():f}",
        }
    if low is not None:
        return _("Ages %(low)s and up") % {"low": f"{low.normalize():f}"}
    if high is not None:
        return _("Up to age %(high)s") % {"high": f"{high.normalize():f}"}
    return ""


def service_info(
    service: Service,
    network: Network,
    *,
    near: Point | None = None,
    distance: float | None = None,
    query: str = "",
) -> ServiceInfo:
    """What a family reads about one service (its relations prefetched: `PUBLIC_PREFETCH`)."""
    organization = service.organization
    places = sorted(
        (place_info(at, near) for at in service.at_locations.all()),
        key=lambda p: (p.distance_km is None, p.distance_km or 0.0, p.name),
    )
    phones = [phone_info(p) for p in service.phones.all()]
    if not phones:
        phones = [p for place in places for p in place.phones]
    if not phones:
        phones = [phone_info(p) for p in organization.phones.all()]
    if not phones and organization.phone:
        phones = [phone_info(Phone(number=organization.phone))]
    if distance is None and places and places[0].distance_km is not None:
        distance = places[0].distance_km
    url = reverse(
        "public_service", kwargs={"network_slug": network.slug, "hsds_id": service.hsds_id}
    )
    return ServiceInfo(
        service=service,
        url=f"{url}?{query}" if query else url,
        name=service.name,
        organization=organization.name,
        description=service.description.strip() or organization.description.strip(),
        distance=distance_text(distance) if distance is not None else "",
        phones=_unique_phones(phones),
        places=places,
        hours=_dedupe(schedule_text(s) for s in service.schedules.all()),
        languages=_dedupe(language_name(lang.code, lang.name) for lang in service.languages.all()),
        cost=cost_text(service),
        eligibility=service.eligibility_description.strip(),
        grades=_grades_text(service),
        ages=_ages_text(service),
        apply=service.application_process.strip(),
        space=space_text(service, network),
        when=[str(TIMING_LABELS[name]) for name in TIMING_FIELDS if getattr(service, name)],
        needs=_dedupe(term_label(term) for term in service.categories.all()),
        email=service.email.strip() or organization.email.strip(),
        website=service.url.strip() or organization.website.strip(),
        required_documents=[
            d.document.strip() for d in service.required_documents.all() if d.document.strip()
        ],
        interpretation=service.interpretation_services.strip(),
        wait_time=service.wait_time.strip(),
    )


def _unique_phones(phones: list[PhoneInfo]) -> list[PhoneInfo]:
    seen: set[str] = set()
    unique = []
    for phone in phones:
        if phone.href not in seen:
            seen.add(phone.href)
            unique.append(phone)
    return unique[:3]


PUBLIC_PREFETCH = (
    "organization__phones",
    "phones",
    "languages",
    "schedules",
    "capacities",
    "categories",
    "required_documents",
    Prefetch(
        "at_locations",
        queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
            "schedules", "phones", "location__addresses", "location__schedules", "location__phones"
        ),
    ),
)


def _public_services(network: Network) -> QuerySet[Service]:
    """What a family may see: active services of vetted organizations, in this network."""
    return Service.objects.filter(
        network=network,
        status=ServiceStatus.ACTIVE,
        organization__vetting_status=VettingStatus.VETTED,
        organization__network=network,
    )


# --- needs (categories) ------------------------------------------------------------------------


def public_needs(network: Network) -> list[TaxonomyTerm]:
    """The categories families can pick: those with at least one public service, most used
    first (so the big buttons are the common needs)."""
    public = Q(
        attributes__service__network=network,
        attributes__service__status=ServiceStatus.ACTIVE,
        attributes__service__organization__vetting_status=VettingStatus.VETTED,
    )
    # A pillar (a top term with terms beneath it) is a grouping in planners' words, not a need.
    grouping = Q(parent__isnull=True) & Exists(TaxonomyTerm.objects.filter(parent=OuterRef("pk")))
    return list(
        TaxonomyTerm.objects.filter(network=network)
        .exclude(grouping)
        .annotate(services=Count("attributes__service", filter=public, distinct=True))
        .filter(services__gt=0)
        .order_by("-services", "name")
    )


def need_for_words(words: str, needs: Sequence[TaxonomyTerm]) -> TaxonomyTerm | None:
    """A need whose name (English or Spanish) is what the family typed: "tutoría", "Tutoring".

    Service text is mostly English, so a family typing in Spanish finds services through the
    category names the taxonomy translates."""
    wanted = _plain(words)
    if len(wanted) < 3:
        return None
    for term in needs:
        if wanted in {_plain(term.name), _plain(term.name_es)}:
            return term
    return None


# --- the form ----------------------------------------------------------------------------------


class FamilySearchForm(forms.Form):
    need = forms.TypedChoiceField(
        label=gettext_lazy("What do you need help with?"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    q = forms.CharField(
        label=gettext_lazy("Or type what you need"),
        required=False,
        max_length=200,
        strip=True,
    )
    school = forms.TypedChoiceField(
        label=gettext_lazy("Your school"),
        coerce=int,
        empty_value=None,
        required=False,
    )
    place = forms.CharField(
        label=gettext_lazy("Or your ZIP code"),
        help_text=gettext_lazy("For example 10451, or the name of a school."),
        required=False,
        max_length=100,
        strip=True,
    )

    def __init__(
        self,
        data: Any,
        *,
        network: Network,
        needs: Sequence[TaxonomyTerm],
        schools: Sequence[School],
    ) -> None:
        super().__init__(data)
        self.network = network
        need_field = self.fields["need"]
        school_field = self.fields["school"]
        assert isinstance(need_field, forms.ChoiceField)
        assert isinstance(school_field, forms.ChoiceField)
        need_field.choices = [(term.pk, term_label(term)) for term in needs]
        school_field.choices = [("", _("Choose your school"))] + [(s.pk, s.name) for s in schools]
        self.schools = {s.pk: s for s in schools}
        self.needs = {t.pk: t for t in needs}
        self.point: Point | None = None
        self.near_label = ""
        self.community_id: int | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        school_id = data.get("school")
        place = data.get("place", "")
        if school_id is not None:
            school = self.schools[school_id]
            self.point = _school_point(school)
            self.near_label = school.name
            self.community_id = school.community_id
        elif place:
            named = None if ZIP_RE.match(place) else school_named(place, self.network)
            self.point = _school_point(named) or locate(place, self.network)
            if self.point is not None:
                self.near_label = named.name if named else place
            else:
                self.add_error(
                    "place",
                    _(
                        "We could not find “%(place)s”. Type a 5-digit ZIP code, "
                        "or choose your school from the list."
                    )
                    % {"place": place},
                )
        return data


# --- views -------------------------------------------------------------------------------------


def _not_found(request: HttpRequest, network: Network | None = None) -> HttpResponse:
    # The staff 404 page sends people to sign in; a family gets one that sends them back here.
    return render(request, "directory/public_404.html", {"network": network}, status=404)


def _network(slug: str) -> Network | None:
    return Network.objects.filter(slug=slug).first()


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return max(1, min(number, 1000))


@require_GET
@cache_control(private=True, max_age=CACHE_SECONDS)
@vary_on_headers("Accept-Language", "Cookie")
def find(request: HttpRequest, network_slug: str) -> HttpResponse:
    network = _network(network_slug)
    if network is None:
        return _not_found(request)
    needs = public_needs(network)
    schools = list(
        School.objects.filter(network=network)
        .select_related("community")
        .order_by("community__name", "name")
    )
    searched = any(request.GET.get(key) for key in SEARCH_FIELDS[:-1])
    form = FamilySearchForm(
        request.GET if searched else None, network=network, needs=needs, schools=schools
    )
    results: list[ServiceInfo] = []
    total = 0
    page = _page_number(request.GET.get("page"))
    need: TaxonomyTerm | None = None
    ran = searched and (form.is_valid() or _usable_despite_errors(form))
    if ran:
        data = form.cleaned_data
        need = form.needs.get(data.get("need") or 0)
        words = data.get("q", "")
        if need is None and words:
            need = need_for_words(words, needs)
            if need is not None:
                words = ""
        query = ServiceQuery(
            words=words,
            category_ids=(need.pk,) if need else (),
            near=form.point,
            prefer_community_id=form.community_id,
            public_only=True,
        )
        found = search_services(network, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        total = found.total
        services = [match.service for match in found.matches]
        prefetch_related_objects(services, *PUBLIC_PREFETCH)
        back = _kept_query(request)
        results = [
            service_info(
                match.service, network, near=form.point, distance=match.distance_km, query=back
            )
            for match in found.matches
        ]
    pages = math.ceil(total / PAGE_SIZE) if total else 0
    base_query = {k: v for k in SEARCH_FIELDS[:-1] if (v := request.GET.get(k, ""))}
    top_ids = [t.pk for t in needs[:TOP_NEEDS]]
    chosen_need = str(need.pk) if need else (form.data.get("need") if searched else None)
    context = {
        "network": network,
        "form": form,
        "searched": searched,
        "ran": ran,
        "results": results,
        "total": total,
        "need": need,
        "need_label": term_label(need) if need else "",
        "near_label": form.near_label if searched else "",
        "page": page,
        "pages": pages,
        "previous_url": f"?{urlencode({**base_query, 'page': page - 1})}" if page > 1 else "",
        "next_url": f"?{urlencode({**base_query, 'page': page + 1})}" if page < pages else "",
        "top_needs": [(t.pk, term_label(t)) for t in needs[:TOP_NEEDS]],
        "more_needs": [(t.pk, term_label(t)) for t in needs[TOP_NEEDS:]],
        "more_open": bool(chosen_need) and chosen_need not in {str(i) for i in top_ids},
        "chosen_need": str(chosen_need or ""),
        "schools_by_community": _group_schools(schools),
        "canonical": request.build_absolute_uri(request.path),
    }
    return render(request, "directory/public_find.html", context)


def _kept_query(request: HttpRequest) -> str:
    """The family's search, to carry to a service page and back (empty fields left out)."""
    return urlencode([(k, v) for k in SEARCH_FIELDS for v in request.GET.getlist(k) if v][:20])


def _usable_despite_errors(form: FamilySearchForm) -> bool:
    """A place we cannot find still lets the need and words search (without distance)."""
    return set(form.errors) == {"place"}


def _group_schools(schools: list[School]) -> list[tuple[str, list[School]]]:
    groups: dict[str, list[School]] = {}
    for school in schools:
        label = school.community.name
        if school.community.borough:
            label = f"{label} ({school.community.borough})"
        groups.setdefault(label, []).append(school)
    return list(groups.items())


@require_GET
@cache_control(private=True, max_age=CACHE_SECONDS)
@vary_on_headers("Accept-Language", "Cookie")
def service_detail(request: HttpRequest, network_slug: str, hsds_id: str) -> HttpResponse:
    network = _network(network_slug)
    if network is None:
        return _not_found(request)
    service = (
        _public_services(network)
        .select_related("organization")
        .prefetch_related(*PUBLIC_PREFETCH)
        .filter(hsds_id=hsds_id)
        .first()
    )
    if service is None:
        return _not_found(request, network)
    # The family's school or ZIP code from the list they came from gives the distances.
    near: Point | None = None
    school_id = request.GET.get("school", "")
    if school_id.isdigit():
        near = _school_point(School.objects.filter(network=network, pk=int(school_id)).first())
    elif request.GET.get("place"):
        near = locate(request.GET["place"][:100], network)
    info = service_info(service, network, near=near)
    back_query = _kept_query(request)
    find_url = reverse("public_find", kwargs={"network_slug": network.slug})
    context = {
        "network": network,
        "info": info,
        "back_url": f"{find_url}?{back_query}" if back_query else find_url,
        "canonical": request.build_absolute_uri(request.path),
    }
    return render(request, "directory/public_service.html", context)


urlpatterns: list[URLPattern] = [
    path("find/<slug:network_slug>/", find, name="public_find"),
    path(
        "find/<slug:network_slug>/services/<path:hsds_id>/",
        service_detail,
        name="public_service",
    ),
]
