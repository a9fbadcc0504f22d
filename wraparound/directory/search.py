"""Directory search: one query → ranked services with the reasons they matched.

The coordinator's search page, the public family page and (later) the matching engine all call
`search_services`. This module also keeps `Service.search_text`, the lowercased words a word
search looks in, up to date (`service_search_text_refresh`, called by every write that changes
a service's name, description, organization or categories).

How a search runs (a fixed number of queries, whatever the size of the directory):

1. Every filter is one SQL condition on the network's services (AND-combined): words are
   `LIKE` on `search_text`, categories, communities, languages and capacity are `EXISTS`
   sub-queries, grades and timings plain columns, and "near a point" a bounding box on the
   service's locations, which the `(network, latitude, longitude)` index answers.
2. The candidates come back as a few columns each (id, name, freshness, capacity left, whether
   a word is in one of its categories) and are scored in Python, where the exact (haversine)
   distance is computed from the locations inside the bounding box and used to drop those
   outside the radius.
3. Only the page that is shown is loaded as objects, with what the result list shows
   prefetched, and each match gets its reasons.

Ranking — the score adds up, highest first (ties: nearer, then by name):

- each word of the query: 3 when it is in the service's name, 2 when in one of its categories,
  1 when only elsewhere (description, organization, alternate name);
- distance: up to 2, falling linearly from the point to the edge of the radius (10 km when the
  query has a point but no radius);
- serves the community asked for (or the one of the school searched from): 1.5;
- has places left (a capacity with available > 0): 1;
- confirmed within the network's freshness period: 0.5.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from wraparound.core.grades import GRADE_ORDER, grade_span_label
from wraparound.core.models import Network, VettingStatus
from wraparound.directory.models import (
    TIMING_FIELDS,
    Attribute,
    Language,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceStatus,
    TaxonomyTerm,
)


@dataclass(frozen=True)
class ServiceQuery:
    words: str = ""
    # Taxonomy term ids; a term matches its sub-categories too.
    category_ids: tuple[int, ...] = ()
    # Near a point (a school's or a family's address), within a radius.
    near: tuple[float, float] | None = None  # (latitude, longitude)
    within_km: float | None = None
    # Serving a community (ServiceArea.community).
    community_id: int | None = None
    language: str = ""  # ISO 639-1 code, e.g. "es"
    grade: str = ""  # OneRoster grade code, e.g. "03"
    timings: tuple[str, ...] = ()  # names from models.TIMING_FIELDS; any of them
    free_for_families: bool = False
    free_for_school: bool = False
    has_capacity: bool = False
    # Designed in now; the clearance issue gives it its meaning (organization cleared for campus).
    cleared_for_campus: bool = False
    # The public family page: vetted organizations and active services only.
    public_only: bool = False
    # Not a filter: services serving this community rank higher ("near this school" without
    # "serving its community" still prefers the school's own community).
    prefer_community_id: int | None = None


@dataclass
class ServiceMatch:
    service: Service
    score: float
    reasons: list[str] = field(default_factory=list)  # translated, short: "Tutoring", "1.2 km"
    distance_km: float | None = None
    capacity_left: int | None = None  # None: the service states no capacity
    stale: bool = False  # not confirmed within the network's freshness period


@dataclass
class SearchResult:
    total: int
    matches: list[ServiceMatch]


# --- words ----------------------------------------------------------------------------------------

_NOT_A_WORD = re.compile(r"[\W_]+")
MAX_QUERY_WORDS = 8


def normalize(text: str) -> str:
    """Lowercase, without accents, words separated by one space: "Tutoría" → "tutoria"."""
    if text.isascii():  # most text, and ten times faster than taking accents off
        return " ".join(w for w in _NOT_A_WORD.split(text.lower()) if w)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(w for w in _NOT_A_WORD.split(bare) if w)


@lru_cache(maxsize=65_536)
def _padded_name(name: str) -> str:
    """A service name as word matching reads it. Cached: a word search ranks thousands of
    candidates by their names, and names seldom change (a city has some 12,000)."""
    return f" {normalize(name)} "


def query_words(text: str) -> list[str]:
    words: list[str] = []
    for word in normalize(text).split():
        if word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def build_search_text(*parts: str) -> str:
    """`Service.search_text` from its parts: each word once, padded with spaces so that a word
    search can ask for " tutor" and match the start of a word ("tutoring") but not the middle of
    one ("restaurant")."""
    seen: dict[str, None] = {}
    for part in parts:
        for word in normalize(part).split():
            seen.setdefault(word, None)
    return f" {' '.join(seen)} " if seen else ""


def _has_word(normalized_padded: str, word: str) -> bool:
    return f" {word}" in normalized_padded


def service_search_text_refresh(*, service_ids: Iterable[int]) -> None:
    """Recompute `search_text` of these services: name, alternate name, description, the
    organization's name and the names (English and Spanish) of the service's categories and of
    the categories above them, pillars excepted (a pillar's words are in too many services)."""
    ids = sorted(set(service_ids))
    for start in range(0, len(ids), 500):
        _refresh_batch(ids[start : start + 500])


def _refresh_batch(ids: list[int]) -> None:
    services = list(
        Service.objects.filter(id__in=ids)
        .select_related("organization")
        .only("id", "network_id", "name", "alternate_name", "description", "organization__name")
    )
    if not services:
        return
    terms = {
        t[0]: t
        for t in TaxonomyTerm.objects.filter(
            network_id__in={s.network_id for s in services}
        ).values_list("id", "parent_id", "name", "name_es")
    }
    categories: dict[int, list[int]] = defaultdict(list)
    for service_id, term_id in Attribute.objects.filter(service_id__in=ids).values_list(
        "service_id", "taxonomy_term_id"
    ):
        categories[service_id].append(term_id)
    for service in services:
        names: list[str] = []
        for term_id in categories.get(service.pk, ()):
            names.extend(category_names(term_id, terms))
        service.search_text = build_search_text(
            service.name,
            service.alternate_name,
            service.organization.name,
            *names,
            service.description,
        )
    Service.objects.bulk_update(services, ["search_text"])


def category_names(term_id: int, terms: dict[int, tuple[Any, ...]]) -> list[str]:
    """The English and Spanish names of a term and of its ancestors below the pillar level."""
    names: list[str] = []
    seen: set[int] = set()
    current: int | None = term_id
    while current is not None and current in terms and current not in seen:
        seen.add(current)
        _id, parent_id, name, name_es = terms[current]
        if parent_id is None and current != term_id:
            break  # a pillar above the term
        names.extend(n for n in (name, name_es) if n)
        current = parent_id
    return names


# --- labels -----------------------------------------------------------------------------------

# Languages families in a US city speak, as ISO 639 codes (the form's choices and the reasons).
LANGUAGE_NAMES: dict[str, StrOrPromise] = {
    "en": gettext_lazy("English"),
    "es": gettext_lazy("Spanish"),
    "zh": gettext_lazy("Chinese"),
    "bn": gettext_lazy("Bengali"),
    "ar": gettext_lazy("Arabic"),
    "ht": gettext_lazy("Haitian Creole"),
    "ru": gettext_lazy("Russian"),
    "fr": gettext_lazy("French"),
    "ur": gettext_lazy("Urdu"),
    "ko": gettext_lazy("Korean"),
    "pl": gettext_lazy("Polish"),
    "yi": gettext_lazy("Yiddish"),
    "uz": gettext_lazy("Uzbek"),
    "ne": gettext_lazy("Nepali"),
    "pa": gettext_lazy("Punjabi"),
    "tl": gettext_lazy("Tagalog"),
    "sq": gettext_lazy("Albanian"),
    "ff": gettext_lazy("Fulani"),
    "snk": gettext_lazy("Soninke"),
    "cab": gettext_lazy("Garifuna"),
}

TIMING_LABELS: dict[str, StrOrPromise] = {
    "during_school_day": gettext_lazy("During the school day"),
    "after_school": gettext_lazy("After school"),
    "weekend": gettext_lazy("Weekends"),
    "summer": gettext_lazy("Summer"),
    "virtual": gettext_lazy("Virtual"),
}


def term_label(term: TaxonomyTerm) -> str:
    """A category's name in the active language (Spanish when it has one)."""
    if term.name_es and (translation.get_language() or "").startswith("es"):
        return term.name_es
    return term.name


def language_label(code: str, name: str = "") -> str:
    known = LANGUAGE_NAMES.get(code.lower())
    return str(known) if known is not None else (name or code)


def distance_label(km: float) -> str:
    if km < 0.1:
        return _("Less than 100 m away")
    if km < 10:
        return _("%(km)s km away") % {"km": f"{km:.1f}"}
    return _("%(km)s km away") % {"km": f"{km:.0f}"}


# --- distance ---------------------------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0088
DEFAULT_RANKING_RADIUS_KM = 10.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(south, north, west, east) around a point: every point within `km` lies inside."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    # Near the poles the longitude span blows up; clamp the cosine (no network is there).
    dlon = math.degrees(km / (EARTH_RADIUS_KM * max(math.cos(math.radians(lat)), 0.01)))

    def d(x: float) -> Decimal:
        return Decimal(f"{x:.6f}")

    return d(lat - dlat), d(lat + dlat), d(lon - dlon), d(lon + dlon)


# --- the search -----------------------------------------------------------------------------------

W_NAME, W_CATEGORY, W_OTHER = 3.0, 2.0, 1.0
W_DISTANCE, W_COMMUNITY, W_CAPACITY, W_FRESH = 2.0, 1.5, 1.0, 0.5


def search_services(
    network: Network, query: ServiceQuery, *, limit: int = 25, offset: int = 0
) -> SearchResult:
    from .selectors import stale_cutoff

    words = query_words(query.words)
    # The network's terms, read once for both the category filter and the words' categories.
    terms: list[tuple[int, int | None, str, str]] = []
    if query.category_ids or words:
        terms = list(
            TaxonomyTerm.objects.filter(network=network)
            .order_by()
            .values_list("id", "parent_id", "name", "name_es")
        )
    category_terms: set[int] = set()
    if query.category_ids:
        known = {t[0] for t in terms}
        category_terms = _with_descendants(terms, [i for i in query.category_ids if i in known])
    services = _filtered(network, query, words, category_terms)
    cutoff = stale_cutoff(network)
    # Freshness as a 0/1 column: parsing thousands of timestamps cost more than the query.
    fresh = ExpressionWrapper(Q(confirmed_at__gte=cutoff), output_field=BooleanField())
    rows = list(services.annotate(fresh=fresh).values_list("id", "name", "fresh"))

    distances: dict[int, float] = {}
    if query.near is not None:
        distances = _distances(network, query.near, query.within_km)
        if query.within_km is not None:
            rows = [r for r in rows if r[0] in distances]
    ids = [r[0] for r in rows]

    # What the score needs beyond the rows, one query each, for the candidates only.
    capacity_left: dict[int, int] = {}
    if not ids:
        return SearchResult(total=0, matches=[])
    for service_id, available in _for_candidates(
        ServiceCapacity.objects.filter(network=network), ids
    ).values_list("service_id", "available"):
        capacity_left[service_id] = capacity_left.get(service_id, 0) + available
    word_terms = _word_term_ids(terms, words)
    in_category: set[tuple[int, int]] = set()  # (service id, word index)
    all_word_terms = set().union(*word_terms) if word_terms else set()
    if all_word_terms:
        for service_id, term_id in _for_candidates(
            Attribute.objects.filter(network=network, taxonomy_term_id__in=all_word_terms), ids
        ).values_list("service_id", "taxonomy_term_id"):
            for i, term_ids in enumerate(word_terms):
                if term_id in term_ids:
                    in_category.add((service_id, i))
    preferred = query.community_id or query.prefer_community_id
    serving: set[int] = set()
    if query.community_id:
        serving = set(ids)
    elif preferred:
        serving = set(
            ServiceArea.objects.filter(network=network, community_id=preferred).values_list(
                "service_id", flat=True
            )
        )

    radius = query.within_km or DEFAULT_RANKING_RADIUS_KM
    scored: list[tuple[float, float, str, int, tuple[float, int | None]]] = []
    for service_id, name, is_fresh in rows:
        left = capacity_left.get(service_id)
        score = 0.0
        padded_name = _padded_name(name) if words else ""
        for i, word in enumerate(words):
            if _has_word(padded_name, word):
                score += W_NAME
            elif (service_id, i) in in_category:
                score += W_CATEGORY
            else:
                score += W_OTHER
        distance = distances.get(service_id)
        if distance is not None:
            score += W_DISTANCE * max(0.0, 1 - distance / radius)
        if service_id in serving:
            score += W_COMMUNITY
        if left:
            score += W_CAPACITY
        if is_fresh:
            score += W_FRESH
        far = distance if distance is not None else math.inf
        scored.append((-score, far, name.casefold(), service_id, (score, left)))
    scored.sort(key=lambda s: s[:4])

    window = scored[offset : offset + limit] if limit > 0 else []
    by_id = _load_page([s[3] for s in window], query)
    matches: list[ServiceMatch] = []
    for _neg, _far, _name, service_id, (score, left) in window:
        service = by_id[service_id]
        distance = distances.get(service_id)
        matches.append(
            ServiceMatch(
                service=service,
                score=round(score, 3),
                distance_km=None if distance is None else round(distance, 2),
                capacity_left=left,
                stale=service.confirmed_at is None or service.confirmed_at < cutoff,
                reasons=_reasons(service, query, words, word_terms, category_terms, distance, left),
            )
        )
    return SearchResult(total=len(scored), matches=matches)


def _filtered(
    network: Network, query: ServiceQuery, words: list[str], category_terms: set[int]
) -> QuerySet[Service]:
    """The network's services that pass every filter of the query.

    Filters on related rows are `id IN (SELECT service_id …)`, not correlated `EXISTS`: SQLite
    ran the correlated form once per service (seconds on the city profile) and builds the
    uncorrelated one once per query; PostgreSQL plans both as a semi-join."""
    services = Service.objects.filter(network=network)

    def having(rows: QuerySet[Any]) -> None:
        nonlocal services
        services = services.filter(id__in=rows.filter(network=network).values("service_id"))

    if query.public_only:
        services = services.filter(
            status=ServiceStatus.ACTIVE, organization__vetting_status=VettingStatus.VETTED
        )
    for word in words:
        services = services.filter(search_text__contains=f" {word}")
    if query.category_ids:
        having(Attribute.objects.filter(taxonomy_term_id__in=category_terms))
    if query.community_id:
        having(ServiceArea.objects.filter(community_id=query.community_id))
    if query.language:
        code = query.language.strip().lower()
        having(Language.objects.filter(Q(code__iexact=code) | Q(code__istartswith=f"{code}-")))
    if query.grade:
        services = services.filter(_grade_q(query.grade))
    timings = [t for t in query.timings if t in TIMING_FIELDS]
    if timings:
        any_timing = Q()
        for name in timings:
            any_timing |= Q(**{name: True})
        services = services.filter(any_timing)
    if query.free_for_families:
        services = services.filter(cost_to_families=0)
    if query.free_for_school:
        services = services.filter(cost_to_school=0)
    if query.has_capacity:
        having(ServiceCapacity.objects.filter(available__gt=0))
    # query.cleared_for_campus filters nothing yet: there is no clearance record to read. The
    # clearance issue (ClearanceRequirement / ClearanceRecord, DESIGN.md §2) wires it here as one
    # more condition on the organization's current clearance; until then no page offers it.
    if query.near is not None and query.within_km is not None:
        south, north, west, east = bounding_box(*query.near, query.within_km)
        having(
            ServiceAtLocation.objects.filter(
                location__latitude__range=(south, north),
                location__longitude__range=(west, east),
            )
        )
    return services


# Up to this many candidates, side lookups name them (`IN (1, 2, …)`); beyond, they read the
# network's rows and the few extra ones cost less than a second pass of every filter.
_ID_LIST_LIMIT = 900


def _for_candidates(rows: QuerySet[Any], ids: list[int]) -> QuerySet[Any]:
    if len(ids) <= _ID_LIST_LIMIT:
        return rows.filter(service_id__in=ids)
    return rows


def _grade_q(grade: str) -> Q:
    """The service's grade span contains the grade; a blank end is open (a food pantry serves
    every grade, English classes for parents name none)."""
    order = GRADE_ORDER.get(grade)
    if order is None:  # Ungraded/Other have no place in the sequence: only an exact mention
        return Q(grade_low=grade) | Q(grade_high=grade)
    lows = [code for code, i in GRADE_ORDER.items() if i <= order]
    highs = [code for code, i in GRADE_ORDER.items() if i >= order]
    return Q(grade_low__in=[*lows, ""]) & Q(grade_high__in=[*highs, ""])


def _with_descendants(
    terms: list[tuple[int, int | None, str, str]], roots: Iterable[int]
) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for term_id, parent_id, _name, _es in terms:
        children[parent_id].append(term_id)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        term_id = stack.pop()
        if term_id not in found:  # imported data may hold a cycle
            found.add(term_id)
            stack.extend(children.get(term_id, ()))
    return found


def _word_term_ids(
    terms: list[tuple[int, int | None, str, str]], words: list[str]
) -> list[set[int]]:
    """For each word, the terms whose English or Spanish name has it, with their sub-terms
    ("health" is in the name of a dental service's category's parent). Pillars are left out,
    as in `search_text`."""
    named = [(t[0], f" {normalize(f'{t[2]} {t[3]}')} ") for t in terms if t[1] is not None]
    return [
        _with_descendants(terms, [term_id for term_id, text in named if _has_word(text, word)])
        for word in words
    ]


def _distances(
    network: Network, near: tuple[float, float], within_km: float | None
) -> dict[int, float]:
    """Each service's distance to its nearest location (within the radius, when there is one)."""
    lat, lon = near
    rows = ServiceAtLocation.objects.filter(
        network=network, location__latitude__isnull=False, location__longitude__isnull=False
    )
    if within_km is not None:
        south, north, west, east = bounding_box(lat, lon, within_km)
        rows = rows.filter(
            location__latitude__range=(south, north), location__longitude__range=(west, east)
        )
    nearest: dict[int, float] = {}
    for service_id, s_lat, s_lon in rows.values_list(
        "service_id", "location__latitude", "location__longitude"
    ):
        d = haversine_km(lat, lon, float(s_lat), float(s_lon))  # type: ignore[arg-type]
        if within_km is not None and d > within_km:
            continue
        if d < nearest.get(service_id, math.inf):
            nearest[service_id] = d
    return nearest


def _load_page(ids: list[int], query: ServiceQuery) -> dict[int, Service]:
    """The page's services with what their reasons read; languages and communities only when
    the query asks about them (each prefetch is a query)."""
    if not ids:
        return {}
    prefetch: list[Any] = ["categories"]
    if query.language:
        prefetch.append("languages")
    if query.community_id or query.prefer_community_id:
        prefetch.append(
            Prefetch("service_areas", queryset=ServiceArea.objects.select_related("community"))
        )
    services = (
        Service.objects.filter(id__in=ids)
        .select_related("organization")
        .prefetch_related(*prefetch)
    )
    return {s.pk: s for s in services}


def _reasons(
    service: Service,
    query: ServiceQuery,
    words: list[str],
    word_terms: list[set[int]],
    category_terms: set[int],
    distance: float | None,
    capacity_left: int | None,
) -> list[str]:
    reasons: list[str] = []
    categories = sorted(service.categories.all(), key=lambda t: t.name)
    asked = set(category_terms)
    for ids in word_terms:
        asked |= ids
    shown = [t for t in categories if t.pk in asked] or categories[:1]
    reasons.extend(term_label(t) for t in shown)
    padded_name = f" {normalize(service.name)} "
    in_name = [w for w in words if _has_word(padded_name, w)]
    if in_name:
        reasons.append(_("“%(words)s” in the name") % {"words": " ".join(in_name)})
    if distance is not None:
        reasons.append(distance_label(distance))
    community = query.community_id or query.prefer_community_id
    if community:
        for area in service.service_areas.all():
            if area.community_id == community and area.community is not None:
                reasons.append(_("Serves %(community)s") % {"community": area.community.name})
                break
    if query.language:
        code = query.language.lower()
        for language in service.languages.all():
            if language.code.lower() == code or language.code.lower().startswith(f"{code}-"):
                reasons.append(language_label(code, language.name))
                break
    if query.grade and (service.grade_low or service.grade_high):
        low = service.grade_low or "PK"
        high = service.grade_high or "12"
        reasons.append(_("Grades %(span)s") % {"span": grade_span_label(low, high)})
    for name in query.timings:
        if name in TIMING_FIELDS and getattr(service, name):
            reasons.append(str(TIMING_LABELS[name]))
    if query.free_for_families and service.cost_to_families == 0:
        reasons.append(_("Free for families"))
    if query.free_for_school and service.cost_to_school == 0:
        reasons.append(_("Free for the school"))
    if capacity_left:
        reasons.append(
            translation.ngettext("%(n)s place left", "%(n)s places left", capacity_left)
            % {"n": capacity_left}
        )
    elif capacity_left == 0:
        reasons.append(_("Full"))
    return reasons
