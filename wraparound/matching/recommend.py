"""Recommendations for one need: the services that may serve it, best first, with the reasons,
and the services of its category that may not, with the rule each one failed.

A fixed number of queries whatever the size of the directory: the need, the taxonomy, the
category's services' facts (`eligibility.load_services`), the sustained relationships and the
school's gaps. Issue 4 asks for p95 under 50 ms on the `city` profile (bench/matching.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wraparound.assessments.gaps import Gap, gaps_for
from wraparound.assessments.models import Need
from wraparound.directory.selectors import stale_cutoff

from .eligibility import (
    Context,
    NeedFacts,
    Score,
    ServiceFacts,
    base_language,
    descendants,
    failures,
    grade_position,
    load_services,
    score,
    sustained_pairs,
)


@dataclass
class Recommendation:
    service: ServiceFacts
    score: Score


@dataclass
class Exclusion:
    service: ServiceFacts
    failed: list[tuple[str, str]]  # (rule code, why)


@dataclass
class Recommendations:
    need: NeedFacts
    gap: Gap
    eligible: list[Recommendation] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


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
    if gaps is None:
        schools = {n.assessment.school_id: n.assessment.school for n in needs}
        gaps = gaps_for(network=network, school_year=school_year, schools=schools.values())
    below = descendants(network)
    facts: dict[int, NeedFacts] = {}
    need_gaps: dict[int, Gap] = {}
    for need in needs:
        gap = gaps.get(need.pk) or Gap(
            need.pk, need.assessment.school_id, need.category_id, need.severity, need.students
        )
        need_gaps[need.pk] = gap
        facts[need.pk] = need_facts(need, units=max(gap.unplanned, 1), below=below)
    categories = frozenset().union(*(f.categories for f in facts.values()))
    services = load_services(
        network, school_year, category_ids=categories, stale_before=stale_cutoff(network)
    )
    ctx = Context(
        distance_km=float(network.match_distance_km),
        sustained=sustained_pairs(network, school_year),
    )
    results: dict[int, Recommendations] = {}
    for need in needs:
        need_f = facts[need.pk]
        result = Recommendations(need=need_f, gap=need_gaps[need.pk])
        for service in services.values():
            if not service.categories & need_f.categories:
                continue  # not of the need's category: neither recommended nor "left out"
            failed = failures(need_f, service, ctx)
            if failed:
                result.excluded.append(Exclusion(service, failed))
            else:
                result.eligible.append(Recommendation(service, score(need_f, service, ctx)))
        result.eligible.sort(
            key=lambda r: (
                -r.score.value,
                r.score.distance_km if r.score.distance_km is not None else 1e9,
                r.service.name.casefold(),
            )
        )
        if limit:
            result.eligible = result.eligible[:limit]
        result.excluded.sort(key=lambda e: (len(e.failed), e.service.name.casefold()))
        results[need.pk] = result
    return results
