"""Which services may serve a school's need (hard rules), and how well (the match score).

One module for both front doors of matching: the recommendations for one need
(`matching.recommend`) and the network allocation (`matching.network`) read the same facts
and apply the same rules, so a service the allocation assigns is always one the coordinator
would have seen recommended, and a service refused names the rule it failed.

Hard rules (`RULES`, in order; a service must pass every one):

- active: the service is active (not inactive, defunct or temporarily closed);
- vetted: its organization is vetted by the network (not unvetted or suspended);
- category: it is offered under the need's category or one below it;
- reach: it serves the school's community, or has a location within the network's distance
  of the school, or it is virtual and the need accepts virtual help;
- grades: its grade span overlaps the need's (an open end is open);
- language: it offers at least one of the languages the need names;
- timing: it is offered at least at one of the times the need names;
- capacity: it has places left this year (stated capacity minus open partnerships);
- cleared: its organization meets every organization requirement of the network's clearance
  on the network's today (`agreements.clearance`), when the network leaves uncleared
  organizations out of matching (`Network.uncleared_services` = exclude). When it shows them as
  pending instead, their services pass and carry `ServiceFacts.pending_clearance`: the
  recommendations badge them, the allocation plans them like any other.

The score (0–1) ranks eligible services and, times the need's weight, is the benefit of an
assignment in the allocation. It rewards what the coordinator would weigh: reach (its own
community, or nearness), the need's languages, timing and grades covered, a sustained
relationship with the school, cost to the school and a recently confirmed record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import FilteredRelation, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_stubs_ext import StrOrPromise

from wraparound.core.grades import GRADE_ORDER, grade_span_label
from wraparound.core.models import Network, SchoolYear, UnclearedServices, VettingStatus
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
from wraparound.directory.search import (
    TIMING_LABELS,
    bounding_box,
    haversine_km,
    language_label,
)

# --- facts ------------------------------------------------------------------------------------


@dataclass
class ServiceFacts:
    id: int
    name: str
    organization_id: int
    organization_name: str
    active: bool
    vetted: bool
    categories: frozenset[int]
    communities: frozenset[int]
    locations: tuple[tuple[float, float], ...]
    languages: frozenset[str]  # ISO 639 base codes, lowercased ("es" for "es-MX")
    grade_low: int | None  # GRADE_ORDER positions; None is open
    grade_high: int | None
    timings: frozenset[str]
    cost_to_school: Decimal | None
    capacity_left: int | None  # None: the service states no capacity
    capacity_unit: str
    fresh: bool
    # Whether the organization meets the network's organization requirements today (the
    # "cleared" rule); in "pending" mode it stays True and `pending_clearance` says it does not.
    cleared: bool = True
    pending_clearance: bool = False

    @cached_property
    def own_value(self) -> float:
        """The part of the score that depends on the service alone: the base, cost to the
        school (free first; unknown half) and a recently confirmed record."""
        value = S_BASE + (S_FRESH if self.fresh else 0.0)
        if self.cost_to_school is None:
            return value + S_COST / 2
        return value + (S_COST if self.cost_to_school == 0 else 0.0)


@dataclass(frozen=True)
class NeedFacts:
    id: int
    school_id: int
    school_name: str
    community_id: int
    community_name: str
    latitude: float | None
    longitude: float | None
    category_id: int
    categories: frozenset[int]  # the need's category and every category below it
    severity: int
    tier: int
    units: int  # students still to serve (the open gap)
    grade_low: int | None
    grade_high: int | None
    languages: tuple[str, ...]
    timings: tuple[str, ...]


@dataclass
class Context:
    """What rules and scores read beyond one need and one service."""

    distance_km: float
    # (school id, organization id) pairs with an active partnership now or an earlier year.
    sustained: frozenset[tuple[int, int]] = frozenset()
    # Distances already computed (the allocation computes them in bulk): school id → service
    # id → km, for the services within `distance_km` of the school.
    distances: dict[int, dict[int, float]] | None = None


def base_language(code: str) -> str:
    return code.strip().lower().split("-")[0]


def grade_position(code: str) -> int | None:
    return GRADE_ORDER.get(code) if code else None


# --- rules ------------------------------------------------------------------------------------


RuleTest = Callable[["NeedFacts", "ServiceFacts", "Context"], bool]
RuleWhy = Callable[["NeedFacts", "ServiceFacts", "Context"], str]


@dataclass(frozen=True)
class Rule:
    code: str
    label: StrOrPromise
    passes: RuleTest
    # Why a service failed, in words a coordinator reads (called only when it did).
    why: RuleWhy


def nearest_km(need: NeedFacts, service: ServiceFacts, ctx: Context) -> float | None:
    if ctx.distances is not None:
        return ctx.distances.get(need.school_id, {}).get(service.id)
    if need.latitude is None or need.longitude is None or not service.locations:
        return None
    return min(
        haversine_km(need.latitude, need.longitude, lat, lon) for lat, lon in service.locations
    )


# Each rule is a cheap test (the allocation runs it on hundreds of thousands of pairs) and the
# words that say why a service failed it, built only for a service that did.


def reaches(need: NeedFacts, s: ServiceFacts, ctx: Context) -> bool:
    if need.community_id in s.communities:
        return True
    km = nearest_km(need, s, ctx)
    if km is not None and km <= ctx.distance_km:
        return True
    return "virtual" in s.timings and (not need.timings or "virtual" in need.timings)


def _grades_overlap(need: NeedFacts, s: ServiceFacts, ctx: Context) -> bool:
    if need.grade_low is not None and s.grade_high is not None and s.grade_high < need.grade_low:
        return False
    return not (
        need.grade_high is not None and s.grade_low is not None and s.grade_low > need.grade_high
    )


def _reach_why(need: NeedFacts, s: ServiceFacts, ctx: Context) -> str:
    return _(
        "It does not serve %(community)s, has no location within %(km)s km of the school and "
        "is not virtual."
    ) % {"community": need.community_name, "km": f"{ctx.distance_km:g}"}


def _language_why(need: NeedFacts, s: ServiceFacts, ctx: Context) -> str:
    names = ", ".join(language_label(code) for code in need.languages)
    return _("It offers none of these languages: %(languages)s.") % {"languages": names}


def _timing_why(need: NeedFacts, s: ServiceFacts, ctx: Context) -> str:
    names = ", ".join(str(TIMING_LABELS[t]).lower() for t in need.timings)
    return _("It is not offered at these times: %(times)s.") % {"times": names}


def _capacity_why(need: NeedFacts, s: ServiceFacts, ctx: Context) -> str:
    if s.capacity_left is None:
        return _("It states no capacity.")
    return _("It has no places left this year.")


RULES: tuple[Rule, ...] = (
    Rule(
        "active",
        gettext_lazy("active"),
        lambda need, s, ctx: s.active,
        lambda need, s, ctx: _("The service is not active."),
    ),
    Rule(
        "vetted",
        gettext_lazy("vetted organization"),
        lambda need, s, ctx: s.vetted,
        lambda need, s, ctx: _("Its organization is not vetted by the network."),
    ),
    Rule(
        "category",
        gettext_lazy("category"),
        lambda need, s, ctx: bool(s.categories & need.categories),
        lambda need, s, ctx: _("It is not offered in this category."),
    ),
    Rule("reach", gettext_lazy("serves the school"), reaches, _reach_why),
    Rule(
        "grades",
        gettext_lazy("grades"),
        _grades_overlap,
        lambda need, s, ctx: _("It serves other grades."),
    ),
    Rule(
        "language",
        gettext_lazy("language"),
        lambda need, s, ctx: not need.languages or not s.languages.isdisjoint(need.languages),
        _language_why,
    ),
    Rule(
        "timing",
        gettext_lazy("timing"),
        lambda need, s, ctx: not need.timings or not s.timings.isdisjoint(need.timings),
        _timing_why,
    ),
    Rule(
        "capacity",
        gettext_lazy("capacity"),
        lambda need, s, ctx: bool(s.capacity_left),
        _capacity_why,
    ),
    Rule(
        "cleared",
        gettext_lazy("clearance"),
        lambda need, s, ctx: s.cleared,
        lambda need, s, ctx: _("Its organization is not cleared to work on campus."),
    ),
)
RULE_BY_CODE = {rule.code: rule for rule in RULES}


def failed_codes(need: NeedFacts, service: ServiceFacts, ctx: Context) -> list[str]:
    """The codes of the hard rules the service fails for the need (no words: fast)."""
    return [rule.code for rule in RULES if not rule.passes(need, service, ctx)]


def failures(need: NeedFacts, service: ServiceFacts, ctx: Context) -> list[tuple[str, str]]:
    """Every hard rule the service fails for the need, as (rule code, why)."""
    return [
        (rule.code, rule.why(need, service, ctx))
        for rule in RULES
        if not rule.passes(need, service, ctx)
    ]


def eligible(need: NeedFacts, service: ServiceFacts, ctx: Context) -> bool:
    return all(rule.passes(need, service, ctx) for rule in RULES)


# --- the score --------------------------------------------------------------------------------

# Weights of the score's parts; they add up to 1.
S_BASE, S_REACH, S_LANGUAGE, S_TIMING, S_GRADES = 0.35, 0.15, 0.10, 0.05, 0.05
S_SUSTAINED, S_COST, S_FRESH, S_CAPACITY = 0.15, 0.05, 0.05, 0.05


@dataclass
class Score:
    value: float
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None
    sustained: bool = False


def score_value(need: NeedFacts, s: ServiceFacts, ctx: Context) -> float:
    """The score alone (the allocation computes it for every arc: no words, no objects)."""
    value = s.own_value
    if need.community_id in s.communities:
        value += S_REACH
    else:
        km = nearest_km(need, s, ctx)
        if km is not None and km <= ctx.distance_km:
            value += S_REACH * max(0.0, 1 - km / max(ctx.distance_km, 0.1))
    if need.languages:
        offered = sum(1 for code in need.languages if code in s.languages)
        value += S_LANGUAGE * offered / len(need.languages)
    else:
        value += S_LANGUAGE
    if need.timings:
        matched = sum(1 for t in need.timings if t in s.timings)
        value += S_TIMING * matched / len(need.timings)
    else:
        value += S_TIMING
    if (need.grade_low is None or s.grade_low is None or s.grade_low <= need.grade_low) and (
        need.grade_high is None or s.grade_high is None or s.grade_high >= need.grade_high
    ):
        value += S_GRADES
    if (need.school_id, s.organization_id) in ctx.sustained:
        value += S_SUSTAINED
    if s.capacity_left:
        value += S_CAPACITY * min(1.0, s.capacity_left / max(need.units, 1))
    return round(value, 6)


def score(need: NeedFacts, s: ServiceFacts, ctx: Context, *, explain: bool = True) -> Score:
    """How well an eligible service fits the need, 0–1 (`score_value`), with the reasons in
    words a coordinator reads."""
    km = nearest_km(need, s, ctx)
    sustained = (need.school_id, s.organization_id) in ctx.sustained
    result = Score(score_value(need, s, ctx), [], km, sustained)
    if not explain:
        return result
    reasons = result.reasons
    if need.community_id in s.communities:
        reasons.append(_("Serves %(community)s") % {"community": need.community_name})
        if km is not None:
            reasons.append(_("%(km)s km from the school") % {"km": f"{km:.1f}"})
    elif km is not None and km <= ctx.distance_km:
        reasons.append(_("%(km)s km from the school") % {"km": f"{km:.1f}"})
    else:
        reasons.append(_("Virtual"))
    offered = [code for code in need.languages if code in s.languages]
    if offered:
        reasons.append(
            _("In %(languages)s") % {"languages": ", ".join(language_label(c) for c in offered)}
        )
    matched = [t for t in need.timings if t in s.timings]
    if matched:
        reasons.append(", ".join(str(TIMING_LABELS[t]) for t in matched))
    if s.grade_low is not None or s.grade_high is not None:
        low = _grade_code(s.grade_low) or "PK"
        high = _grade_code(s.grade_high) or "12"
        reasons.append(_("Grades %(span)s") % {"span": grade_span_label(low, high)})
    if sustained:
        reasons.append(_("Already a partner of this school"))
    if s.cost_to_school is not None and s.cost_to_school == 0:
        reasons.append(_("Free for the school"))
    elif s.cost_to_school is not None:
        reasons.append(
            _("Costs the school $%(cost)s a year") % {"cost": f"{s.cost_to_school:,.0f}"}
        )
    if s.capacity_left:
        reasons.append(
            ngettext("%(n)s place left", "%(n)s places left", s.capacity_left)
            % {"n": s.capacity_left}
        )
    return result


_CODE_AT = {position: code for code, position in GRADE_ORDER.items()}


def _grade_code(position: int | None) -> str:
    return "" if position is None else _CODE_AT.get(position, "")


# --- loading ----------------------------------------------------------------------------------


def descendants(network: Network) -> dict[int, frozenset[int]]:
    """Term id → the term and every term below it, for the network's taxonomy."""
    children: dict[int | None, list[int]] = defaultdict(list)
    ids = []
    for term_id, parent_id in TaxonomyTerm.objects.filter(network=network).values_list(
        "id", "parent_id"
    ):
        children[parent_id].append(term_id)
        ids.append(term_id)
    result: dict[int, frozenset[int]] = {}
    for root in ids:
        found: set[int] = set()
        stack = [root]
        while stack:
            term = stack.pop()
            if term not in found:
                found.add(term)
                stack.extend(children.get(term, ()))
        result[root] = frozenset(found)
    return result


@dataclass(frozen=True)
class Reach:
    """A school's surroundings: its community, its point, the network's distance."""

    community_id: int
    latitude: float | None
    longitude: float | None
    km: float
    # Whether a virtual service counts (the reach rule: when a need accepts virtual help).
    virtual: bool = True

    def services(self, network: Network) -> Q:
        """Services that may reach the school (the reach rule's candidates, in SQL): serving
        its community, with a location in the box around it, or virtual."""
        near = Q(
            id__in=ServiceArea.objects.filter(
                network=network, community_id=self.community_id
            ).values("service_id")
        )
        if self.virtual:
            near |= Q(virtual=True)
        if self.latitude is not None and self.longitude is not None:
            south, north, west, east = bounding_box(self.latitude, self.longitude, self.km)
            near |= Q(
                id__in=ServiceAtLocation.objects.filter(
                    network=network,
                    location__latitude__range=(south, north),
                    location__longitude__range=(west, east),
                ).values("service_id")
            )
        return near


def _with_service_ids(rows: QuerySet[Any], ids: list[int]) -> QuerySet[Any]:
    """`service_id IN (…)` with the ids written into the SQL as integers. A school's reads name
    a few hundred services in each of six queries; as parameters, Django prepares every one of
    them one by one, which cost more than the queries (the ids are ours: integers from a query,
    coerced again here)."""
    if not ids:
        return rows.none()
    table = rows.model._meta.db_table
    listed = ", ".join(str(int(i)) for i in ids)
    return rows.extra(where=[f'"{table}"."service_id" IN ({listed})'])  # noqa: S610


def cleared_organization_ids(
    network: Network, organization_ids: Iterable[int] | None = None, day: date | None = None
) -> set[int] | None:
    """The organizations (of these, when given) that meet every organization requirement in
    effect on `day` (default: today on the network's clock): one query, the same answer as
    `agreements.clearance.cleared_organizations` (a requirement is met by a cleared record valid
    on the day; the signed-MOU kind is per school and not counted). None when the network has
    no such requirement: everyone is cleared."""
    from wraparound.agreements.models import (
        ClearanceRequirement,
        RecordStatus,
        RequirementKind,
        RequirementSubject,
    )

    day = day or network.today()
    valid = Q(
        records__status=RecordStatus.CLEARED,
        records__person__isnull=True,
        records__issued_on__lte=day,
    ) & (Q(records__expires_on__isnull=True) | Q(records__expires_on__gte=day))
    if organization_ids is not None:
        valid &= Q(records__organization_id__in=sorted({int(i) for i in organization_ids}))
    # Each requirement once, with each organization that has a valid record of it (or None).
    rows = (
        ClearanceRequirement.objects.filter(
            network=network, is_active=True, applies_to=RequirementSubject.ORGANIZATION
        )
        .exclude(kind=RequirementKind.SIGNED_MOU)
        .annotate(valid=FilteredRelation("records", condition=valid))
        .order_by()
        .values_list("pk", "valid__organization_id")
        .distinct()
    )
    required: set[int] = set()
    met: dict[int, set[int]] = defaultdict(set)
    for requirement_id, organization_id in rows:
        required.add(requirement_id)
        if organization_id is not None:
            met[organization_id].add(requirement_id)
    if not required:
        return None
    return {org_id for org_id, ids in met.items() if ids >= required}


def load_services(
    network: Network,
    school_year: SchoolYear,
    *,
    category_ids: Iterable[int] | None = None,
    stale_before: datetime | None = None,
    service_ids: Iterable[int] | None = None,
    reaching: Reach | None = None,
) -> dict[int, ServiceFacts]:
    """The facts of the network's services (those in these categories, and with these ids, when
    given), in a fixed number of queries. Capacity left = the stated capacity (Σ available) minus
    the units of the year's proposed and active partnerships with the service."""
    from wraparound.agreements.models import OPEN_STATUSES, Partnership

    services = Service.objects.filter(network=network)

    def scoped(rows: Any) -> Any:
        return rows.filter(network=network)

    if category_ids is not None:
        in_categories = Attribute.objects.filter(
            network=network, taxonomy_term_id__in=list(category_ids)
        ).values("service_id")
        services = services.filter(id__in=in_categories)

        def scoped(rows: Any) -> Any:
            return rows.filter(network=network, service_id__in=in_categories)

    if reaching is not None:
        services = services.filter(reaching.services(network))
    if service_ids is not None:
        services = services.filter(id__in=sorted({int(i) for i in service_ids}))
    rows = list(
        services.order_by().values_list(
            "id",
            "name",
            "organization_id",
            "organization__name",
            "status",
            "organization__vetting_status",
            "grade_low",
            "grade_high",
            *TIMING_FIELDS,
            "cost_to_school",
            "confirmed_at",
        )
    )
    if reaching is not None or service_ids is not None:
        # The services are few (a school's surroundings, a page): name them in the side reads.
        wanted = [r[0] for r in rows]

        def scoped(rows: Any) -> Any:
            return _with_service_ids(rows.filter(network=network), wanted)

    categories: dict[int, set[int]] = defaultdict(set)
    for service_id, term_id in scoped(Attribute.objects).values_list(
        "service_id", "taxonomy_term_id"
    ):
        categories[service_id].add(term_id)
    communities: dict[int, set[int]] = defaultdict(set)
    for service_id, community_id in (
        scoped(ServiceArea.objects)
        .filter(community__isnull=False)
        .values_list("service_id", "community_id")
    ):
        communities[service_id].add(community_id)
    locations: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for service_id, lat, lon in (
        scoped(ServiceAtLocation.objects)
        .filter(location__latitude__isnull=False, location__longitude__isnull=False)
        .values_list("service_id", "location__latitude", "location__longitude")
    ):
        locations[service_id].append((float(lat), float(lon)))
    languages: dict[int, set[str]] = defaultdict(set)
    for service_id, code in (
        scoped(Language.objects).exclude(code="").values_list("service_id", "code")
    ):
        languages[service_id].add(base_language(code))
    capacity: dict[int, int] = {}
    units: dict[int, str] = {}
    for service_id, available, unit in scoped(ServiceCapacity.objects).values_list(
        "service_id", "available", "unit"
    ):
        capacity[service_id] = capacity.get(service_id, 0) + available
        units.setdefault(service_id, unit)
    partnerships = Partnership.objects.all()
    if category_ids is not None or service_ids is not None:
        partnerships = _with_service_ids(partnerships, [r[0] for r in rows])
    committed = dict(
        partnerships.filter(
            network=network,
            school_year=school_year,
            status__in=OPEN_STATUSES,
            service__isnull=False,
        )
        .order_by()
        .values("service_id")
        .annotate(total=Sum("units"))
        .values_list("service_id", "total")
    )
    # The clearance rule: "exclude" fails the services of organizations not cleared, "pending"
    # lets them through with a flag.
    cleared_ids = cleared_organization_ids(
        network,
        {r[2] for r in rows} if (reaching is not None or service_ids is not None) else None,
    )
    exclude = network.uncleared_services == UnclearedServices.EXCLUDE
    n = len(TIMING_FIELDS)
    facts: dict[int, ServiceFacts] = {}
    for row in rows:
        is_cleared = cleared_ids is None or row[2] in cleared_ids
        service_id = row[0]
        timing_flags = row[8 : 8 + n]
        cost, confirmed = row[8 + n], row[9 + n]
        stated = capacity.get(service_id)
        facts[service_id] = ServiceFacts(
            id=service_id,
            name=row[1],
            organization_id=row[2],
            organization_name=row[3],
            active=row[4] == ServiceStatus.ACTIVE,
            vetted=row[5] == VettingStatus.VETTED,
            categories=frozenset(categories.get(service_id, ())),
            communities=frozenset(communities.get(service_id, ())),
            locations=tuple(locations.get(service_id, ())),
            languages=frozenset(languages.get(service_id, ())),
            grade_low=grade_position(row[6]),
            grade_high=grade_position(row[7]),
            timings=frozenset(t for t, on in zip(TIMING_FIELDS, timing_flags, strict=True) if on),
            cost_to_school=cost,
            capacity_left=None if stated is None else max(0, stated - committed.get(service_id, 0)),
            capacity_unit=units.get(service_id, ""),
            fresh=confirmed is not None and (stale_before is None or confirmed >= stale_before),
            cleared=is_cleared or not exclude,
            pending_clearance=not is_cleared and not exclude,
        )
    return facts


def sustained_pairs(
    network: Network, school_year: SchoolYear, *, school_ids: Iterable[int] | None = None
) -> frozenset[tuple[int, int]]:
    """(school, organization) pairs that already work together: a partnership that was ever
    accepted (active now, or active once and since ended). Only these schools', when given."""
    from wraparound.agreements.models import Partnership

    del school_year  # any year counts; kept in the signature for a future cut-off
    rows = Partnership.objects.filter(
        network=network, school__isnull=False, activated_at__isnull=False
    )
    if school_ids is not None:
        rows = rows.filter(school_id__in=list(school_ids))
    pairs = rows.order_by().values_list("school_id", "organization_id").distinct()
    return frozenset((school_id, org_id) for school_id, org_id in pairs)
