"""Gaps: what each need still lacks once the school's assets and partnerships are counted.

For a need of students S:
    gap = S − assets − active partnerships        (what the school lacks today)
    unplanned = gap − proposed partnerships       (what nobody has offered yet)

A partnership made for a need (`Partnership.need`) counts for that need. Assets, and
partnerships not tied to a need, count for every need whose category they fall under (the
need's category or one below it), most severe need first, so that one counselor is not
subtracted from three needs at once. Both are computed for a school or a whole network in a
fixed number of queries (the gap map and the allocation read every school's needs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from wraparound.core.models import Network, School, SchoolYear

from .models import AssessmentStatus, Asset, Need


@dataclass
class Gap:
    need_id: int
    school_id: int
    category_id: int
    severity: int
    students: int
    assets: int = 0
    active: int = 0
    proposed: int = 0

    @property
    def open(self) -> int:
        return max(0, self.students - self.assets - self.active)

    @property
    def unplanned(self) -> int:
        return max(0, self.open - self.proposed)

    @property
    def covered_share(self) -> float:
        return 1 - self.open / self.students if self.students else 1.0


def gaps_for(
    *,
    network: Network,
    school_year: SchoolYear,
    schools: Iterable[School] | None = None,
    submitted_only: bool = False,
    below: dict[int, frozenset[int]] | None = None,
) -> dict[int, Gap]:
    """Need id → its gap, for the network's assessments of the year (these schools only, when
    given; submitted assessments only, when asked — the allocation plans on those)."""
    from wraparound.agreements.models import Partnership, PartnershipStatus
    from wraparound.directory.models import Attribute
    from wraparound.matching.eligibility import descendants

    needs = Need.objects.filter(
        assessment__school__network=network, assessment__school_year=school_year
    )
    assets = Asset.objects.filter(
        assessment__school__network=network, assessment__school_year=school_year
    )
    partnerships = Partnership.objects.filter(
        network=network,
        school_year=school_year,
        school__isnull=False,
        status__in=[PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE],
    )
    if schools is not None:
        school_ids = [s.pk for s in schools]
        needs = needs.filter(assessment__school_id__in=school_ids)
        assets = assets.filter(assessment__school_id__in=school_ids)
        partnerships = partnerships.filter(school_id__in=school_ids)
    if submitted_only:
        needs = needs.filter(assessment__status=AssessmentStatus.SUBMITTED)
    gaps: dict[int, Gap] = {}
    by_school: dict[int, list[Gap]] = defaultdict(list)
    for need_id, school_id, category_id, severity, students in needs.order_by(
        "assessment__school_id", "-severity", "-students", "id"
    ).values_list("id", "assessment__school_id", "category_id", "severity", "students"):
        gap = Gap(need_id, school_id, category_id, severity, students)
        gaps[need_id] = gap
        by_school[school_id].append(gap)
    if not gaps:
        return gaps
    if below is None:
        below = descendants(network)

    def spread(school_id: int, term_ids: Iterable[int], amount: int, field: str) -> None:
        """Subtract `amount` from the school's needs under these categories: needs of exactly
        these categories first (a reading tutor goes to the reading need before the broader
        tutoring one), then the rest, most severe first."""
        terms = set(term_ids)
        under = [
            g
            for g in by_school.get(school_id, ())
            if below.get(g.category_id, frozenset({g.category_id})) & terms
        ]
        under.sort(key=lambda g: g.category_id not in terms)  # stable: severity order kept
        for gap in under:
            if amount <= 0:
                return
            room = gap.students - gap.assets - gap.active - gap.proposed
            take = min(room, amount)
            if take > 0:
                setattr(gap, field, getattr(gap, field) + take)
                amount -= take

    def narrowness(term_id: int) -> int:
        return len(below.get(term_id, ()))

    # The most specific assets first, so that a broad one does not use up a narrow need that
    # only the narrow asset could cover.
    asset_rows = sorted(
        assets.order_by().values_list("assessment__school_id", "category_id", "students"),
        key=lambda r: (narrowness(r[1]), r),
    )
    for school_id, category_id, students in asset_rows:
        spread(school_id, [category_id], students, "assets")
    rows = list(
        partnerships.order_by().values_list("school_id", "need_id", "service_id", "status", "units")
    )
    service_terms: dict[int, set[int]] = defaultdict(set)
    loose = {r[2] for r in rows if r[1] not in gaps and r[2] is not None}
    if loose:
        for service_id, term_id in Attribute.objects.filter(service_id__in=loose).values_list(
            "service_id", "taxonomy_term_id"
        ):
            service_terms[service_id].add(term_id)
    # Active before proposed, so that what is agreed is subtracted before what is only offered;
    # within each, partnerships made for a need before the loose ones spread by category, so
    # that a loose one does not fill a need another partnership already answers.
    rows.sort(key=lambda r: (r[3] != PartnershipStatus.ACTIVE, r[1] not in gaps))
    for school_id, need_id, service_id, status, units in rows:
        field = "active" if status == PartnershipStatus.ACTIVE else "proposed"
        tied = gaps.get(need_id) if need_id is not None else None
        if tied is not None:
            setattr(tied, field, getattr(tied, field) + units)
        elif service_id is not None:
            spread(school_id, service_terms.get(service_id, ()), units, field)
    return gaps
