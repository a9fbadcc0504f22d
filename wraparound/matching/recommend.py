"""Recommendations for one need: the services that may serve it, best first, with the reasons,
and the services of its category that may not, with the rule each one failed.

A fixed number of queries whatever the size of the directory: the need, the taxonomy, the
category's services' facts (`eligibility.load_services`), the sustained relationships and the
school's gaps. Issue 4 asks for p95 under 50 ms on the `city` profile (bench/matching.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from wraparound.assessments.gaps import Gap, gaps_for
from wraparound.assessments.models import Need
from wraparound.directory.models import Attribute
from wraparound.directory.search import haversine_km
from wraparound.directory.selectors import stale_cutoff

from .eligibility import (
    RULE_BY_CODE,
    Context,
    NeedFacts,
    Reach,
    Score,
    ServiceFacts,
    base_language,
    descendants,
    failed_codes,
    grade_position,
    load_services,
    score,
    sustained_pairs,
)


@dataclass
class Recommendation:
    service: ServiceFacts
    score: Score

    @property
    def pending_clearance(self) -> bool:
        """Eligible, but its organization is not yet cleared (the network shows such services
        as pending rather than leaving them out): the page badges it."""
        return self.service.pending_clearance


@dataclass
class Exclusion:
    service: ServiceFacts
    codes: list[str]  # the rules it fails
    need: NeedFacts
    ctx: Context

    @cached_property
    def failed(self) -> list[tuple[str, str]]:
        """(rule code, why) — the words are built only for the exclusions a page shows."""
        return [
            (code, RULE_BY_CODE[code].why(self.need, self.service, self.ctx)) for code in self.codes
        ]


@dataclass
class Recommendations:
    need: NeedFacts
    gap: Gap
    eligible: list[Recommendation] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)
    # Services of the category that do not reach the school at all (another community, far
    # away, not virtual): counted, not listed — in a city they are most of the category.
    out_of_reach: int = 0


def need_facts(need: Need, *, units: int, below: dict[int, frozenset[int]]) -> NeedFacts:
    school = need.assessment.school
    return NeedFacts(
        id=need.pk,
        school_id=school.pk,
        school_name=school.name,
        community_id=school.community_id,
        community_name=school.community.name,
        latitude=float(school.latitude) if school.latitude is not None else None,
        longitude=float(school.longitude) if school.longitude is not None else None,
        category_id=need.category_id,
        categories=below.get(need.category_id, frozenset({need.category_id})),
        severity=need.severity,
        tier=need.tier,
        units=units,
        grade_low=grade_position(need.grade_low),
        grade_high=grade_position(need.grade_high),
        languages=tuple(
            dict.fromkeys(base_language(c) for c in need.languages.split(",") if c.strip())
        ),
        timings=tuple(need.timings),
    )


def recommend(need: Need, *, limit: int = 10) -> Recommendations:
    """Ranked eligible services for the need (at most `limit`; all when `limit` is 0) and
    every service of its category that fails a hard rule."""
    return recommend_many([need], limit=limit)[need.pk]


def recommend_many(
    needs: Sequence[Need], *, limit: int = 10, gaps: Mapping[int, Gap] | None = None
) -> dict[int, Recommendations]:
    """`recommend` for several needs of one network and school year (a school's gaps page) in
    the same fixed number of queries as for one: the services of all their categories are
    loaded once. `gaps` (need id → gap, from `gaps_for`) saves computing them again."""
    if not needs:
        return {}
    first = needs[0]
    network = first.assessment.school.network
    school_year = first.assessment.school_year
    if any(
        n.assessment.school_year_id != school_year.pk
        or n.assessment.school.network_id != network.pk
        for n in needs
    ):
        raise ValueError("recommend_many: the needs must be of one network and school year")
    below = descendants(network)
    if gaps is None:
        by_id = {n.assessment.school_id: n.assessment.school for n in needs}
        gaps = gaps_for(
            network=network, school_year=school_year, schools=by_id.values(), below=below
        )
    facts: dict[int, NeedFacts] = {}
    need_gaps: dict[int, Gap] = {}
    for need in needs:
        gap = gaps.get(need.pk) or Gap(
            need.pk, need.assessment.school_id, need.category_id, need.severity, need.students
        )
        need_gaps[need.pk] = gap
        facts[need.pk] = need_facts(need, units=max(gap.unplanned, 1), below=below)
    categories = frozenset().union(*(f.categories for f in facts.values()))
    km = float(network.match_distance_km)
    # One school (its gaps page, one need): only the services that can reach it are read;
    # the rest of the category is counted.
    schools = {f.school_id for f in facts.values()}
    reaching = None
    if len(schools) == 1:
        one = next(iter(facts.values()))
        virtual = any(not f.timings or "virtual" in f.timings for f in facts.values())
        reaching = Reach(one.community_id, one.latitude, one.longitude, km, virtual)
    services = load_services(
        network,
        school_year,
        category_ids=categories,
        stale_before=stale_cutoff(network),
        reaching=reaching,
    )
    in_category: dict[int, set[int]] = {}
    category_total: int | None = None  # one need: the category's services, counted in SQL
    if reaching is not None and len(facts) == 1:
        category_total = (
            Attribute.objects.filter(network=network, taxonomy_term_id__in=categories)
            .values("service_id")
            .distinct()
            .count()
        )
    elif reaching is not None:
        for service_id, term_id in Attribute.objects.filter(
            network=network, taxonomy_term_id__in=categories
        ).values_list("service_id", "taxonomy_term_id"):
            in_category.setdefault(term_id, set()).add(service_id)
    ctx = Context(
        distance_km=km, sustained=sustained_pairs(network, school_year, school_ids=schools)
    )
    if reaching is not None and reaching.latitude is not None and reaching.longitude is not None:
        # Each service's distance once, for the reach rule and the score alike.
        lat, lon = reaching.latitude, reaching.longitude
        ctx.distances = {
            next(iter(schools)): {
                service.id: min(haversine_km(lat, lon, a, b) for a, b in service.locations)
                for service in services.values()
                if service.locations
            }
        }
    results: dict[int, Recommendations] = {}
    for need in needs:
        need_f = facts[need.pk]
        result = Recommendations(need=need_f, gap=need_gaps[need.pk])
        for service in services.values():
            if service.categories.isdisjoint(need_f.categories):
                continue  # not of the need's category: neither recommended nor "left out"
            codes = failed_codes(need_f, service, ctx)
            if codes:
                result.excluded.append(Exclusion(service, codes, need_f, ctx))
            else:
                result.eligible.append(
                    Recommendation(service, score(need_f, service, ctx, explain=False))
                )
        if category_total is not None:
            result.out_of_reach = category_total - len(services)
        elif reaching is not None:
            of_category: set[int] = set()
            for term_id in need_f.categories:
                of_category |= in_category.get(term_id, set())
            result.out_of_reach = len(of_category - services.keys())
        result.eligible.sort(
            key=lambda r: (
                -r.score.value,
                r.score.distance_km if r.score.distance_km is not None else 1e9,
                r.service.name.casefold(),
            )
        )
        if limit:
            result.eligible = result.eligible[:limit]
        for recommendation in result.eligible:  # the words, for those shown only
            recommendation.score = score(need_f, recommendation.service, ctx)
        result.excluded.sort(key=lambda e: (len(e.codes), e.service.name.casefold()))
        results[need.pk] = result
    return results
