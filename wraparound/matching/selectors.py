"""Reads of the network admin's matching pages: the gap map, the allocation runs and their review
(with the reasons of each assignment), and the need-index preview of the matching settings.

Who may open them (`core.access`): the gap map is for everyone who sees the network as a whole
(network admins, evaluators, network-wide clinical supervisors); the allocation and the settings
are for its network admins. Outside the user's networks a page is a 404; a member of the network
whose role does not open it gets a 403 (they know the network exists), as on the network page.

Every page costs a fixed number of queries whatever the size of the network: schools are ordered
by need index (computed on read, one query) and paginated before their gaps or assignments are
read, and the reasons are computed for the page's rows only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from wraparound.agreements.models import Partnership
from wraparound.assessments.gaps import gaps_for
from wraparound.assessments.models import AssessmentStatus, Need, NeedsAssessment
from wraparound.core import access
from wraparound.core.models import Community, Network, School, SchoolYear
from wraparound.core.need_index import need_indexes, quintiles
from wraparound.directory.models import TIMING_FIELDS, TaxonomyTerm
from wraparound.directory.search import term_label
from wraparound.directory.selectors import stale_cutoff
from wraparound.directory.taxonomy import PILLARS

from .eligibility import Context, descendants, load_services, score, sustained_pairs
from .models import AllocationItem, AllocationRun, AllocationUnmet, Strategy
from .recommend import need_facts

GAP_MAP_PER_PAGE = 50
REVIEW_SCHOOLS_PER_PAGE = 25
RUNS_PER_PAGE = 25
PREVIEW_SCHOOLS = 10

# The gap map's colour bands: a cell of `students` unplanned is at the highest level whose lower
# bound it reaches (0 for no gap). The number is always printed; the color only helps the eye.
GAP_LEVELS: tuple[int, ...] = (1, 10, 25, 50, 100)


# --- who may open which page -------------------------------------------------------------------


def network_for_gap_map(user: Any, slug: str) -> Network:
    """The network whose gap map the user reads: its network-wide roles (admins, evaluators,
    network supervisors)."""
    return access.get_network_for_user(user, slug)


def network_for_allocation(user: Any, slug: str) -> Network:
    """The network whose allocation and matching settings the user manages: its admins only."""
    network = access.get_network_for_user(user, slug)
    if not access.is_network_admin(user, network.pk):
        raise PermissionDenied
    return network


# --- school years ------------------------------------------------------------------------------


def school_years(network: Network) -> list[SchoolYear]:
    return list(SchoolYear.objects.filter(network=network).order_by("-end_year"))


def school_year_for(years: Sequence[SchoolYear], raw: Any) -> SchoolYear | None:
    """The year asked for (`?year=` is the calendar year it ends in), else the current one, else
    the latest; None when the network has no school year. An unknown year is a 404."""
    if raw not in (None, ""):
        try:
            end_year = int(raw)
        except (TypeError, ValueError):
            raise Http404 from None
        year = next((y for y in years if y.end_year == end_year), None)
        if year is None:
            raise Http404
        return year
    return next((y for y in years if y.is_current), None) or (years[0] if years else None)


def community_choices(network: Network) -> list[tuple[int, str]]:
    return [(c.pk, str(c)) for c in Community.objects.filter(network=network).order_by("code")]


# --- categories as columns, by pillar ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    id: int
    label: str


@dataclass
class ColumnGroup:
    label: str
    columns: list[Column] = field(default_factory=list)


def category_columns(network: Network, category_ids: Iterable[int]) -> list[ColumnGroup]:
    """These categories grouped under their pillar (the top term above them), pillars in the
    default taxonomy's order and the rest by name; a sub-category is labelled with the names
    between it and its pillar ("Health › Vision care"). One query."""
    terms = {t.pk: t for t in TaxonomyTerm.objects.filter(network=network)}
    groups: dict[int, ColumnGroup] = {}
    for term_id in set(category_ids):
        term = terms.get(term_id)
        if term is None:
            continue
        chain = [term]
        seen = {term.pk}
        while chain[-1].parent_id is not None and chain[-1].parent_id in terms:
            parent = terms[chain[-1].parent_id]
            if parent.pk in seen:
                break  # a cycle in imported data must not loop forever
            seen.add(parent.pk)
            chain.append(parent)
        top = chain[-1]
        below_top = list(reversed(chain[:-1])) or [top]
        group = groups.setdefault(top.pk, ColumnGroup(label=term_label(top)))
        group.columns.append(Column(term.pk, " › ".join(term_label(t) for t in below_top)))

    def group_order(top_id: int) -> tuple[int, str]:
        code = terms[top_id].code
        rank = PILLARS.index(code) if code in PILLARS else len(PILLARS)
        return (rank, groups[top_id].label.casefold())

    ordered = [groups[top_id] for top_id in sorted(groups, key=group_order)]
    for group in ordered:
        group.columns.sort(key=lambda c: c.label.casefold())
    return ordered


# --- the gap map -------------------------------------------------------------------------------


def gap_level(students: int) -> int:
    return sum(1 for bound in GAP_LEVELS if students >= bound)


@dataclass(frozen=True)
class GapCell:
    students: int | None  # None: the school states no need of this category
    level: int


@dataclass
class GapRow:
    school_id: int
    code: str
    name: str
    community: str
    index: float
    quintile: int
    assessed: bool  # has a submitted assessment for the year
    cells: list[GapCell]
    total: int


@dataclass
class GapMap:
    year: SchoolYear | None
    groups: list[ColumnGroup]
    columns: list[Column]
    page: Page[int]
    rows: list[GapRow]
    schools: int  # in the filter
    unassessed: int  # of those, how many have no submitted assessment for the year
    legend: list[tuple[int, str]]  # (level, the range of students it stands for)


def gap_legend() -> list[tuple[int, str]]:
    legend = [(0, _("no gap left (0)"))]
    for level, low in enumerate(GAP_LEVELS, start=1):
        if level < len(GAP_LEVELS):
            high = GAP_LEVELS[level] - 1
            text = str(low) if low == high else f"{low}–{high}"
        else:
            text = _("%(n)s or more") % {"n": low}
        legend.append((level, text))
    return legend


def gap_map(
    network: Network,
    year: SchoolYear | None,
    *,
    community_id: int | None = None,
    page_number: Any = 1,
    per_page: int | None = None,
) -> GapMap:
    """Schools (highest need index first) × the categories of the year's submitted needs; each
    cell the students still unplanned (need − assets − proposed and active partnerships)."""
    schools = School.objects.filter(network=network)
    if community_id is not None:
        schools = schools.filter(community_id=community_id)
    rows = list(schools.values_list("id", "code", "name", "community__name"))
    indexes = need_indexes(network)
    quintile = quintiles(indexes) if indexes else {}
    rows.sort(key=lambda r: (-indexes.get(r[0], 0.0), r[2].casefold(), r[0]))
    facts = {r[0]: r for r in rows}
    paginator = Paginator([r[0] for r in rows], per_page or GAP_MAP_PER_PAGE)
    page = paginator.get_page(page_number)
    if year is None:
        return GapMap(None, [], [], page, [], len(rows), len(rows), gap_legend())
    submitted = NeedsAssessment.objects.filter(
        school__network=network, school_year=year, status=AssessmentStatus.SUBMITTED
    )
    assessed = set(submitted.values_list("school_id", flat=True))
    category_ids = Need.objects.filter(assessment__in=submitted).values_list(
        "category_id", flat=True
    )
    groups = category_columns(network, category_ids.distinct())
    columns = [c for g in groups for c in g.columns]
    page_ids = list(page.object_list)
    wanted = [School(pk=school_id) for school_id in page_ids if school_id in assessed]
    gaps = (
        gaps_for(network=network, school_year=year, schools=wanted, submitted_only=True)
        if wanted
        else {}
    )
    by_cell: dict[tuple[int, int], int] = defaultdict(int)
    for gap in gaps.values():
        by_cell[(gap.school_id, gap.category_id)] += gap.unplanned
    map_rows: list[GapRow] = []
    for school_id in page_ids:
        _id, code, name, community = facts[school_id]
        cells = []
        for column in columns:
            students = by_cell.get((school_id, column.id))
            cells.append(GapCell(students, gap_level(students) if students is not None else 0))
        map_rows.append(
            GapRow(
                school_id=school_id,
                code=code,
                name=name,
                community=community,
                index=indexes.get(school_id, 0.0),
                quintile=quintile.get(school_id, 1),
                assessed=school_id in assessed,
                cells=cells,
                total=sum(c.students or 0 for c in cells),
            )
        )
    unassessed = sum(1 for r in rows if r[0] not in assessed)
    return GapMap(year, groups, columns, page, map_rows, len(rows), unassessed, gap_legend())


# --- allocation runs ---------------------------------------------------------------------------


def allocation_runs(network: Network) -> QuerySet[AllocationRun]:
    return (
        AllocationRun.objects.filter(network=network)
        .select_related("school_year", "created_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def get_run(network: Network, pk: Any) -> AllocationRun:
    try:
        return AllocationRun.objects.select_related(
            "network", "school_year", "created_by", "decided_by"
        ).get(network=network, pk=pk)
    except (AllocationRun.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_optimal_item(run: AllocationRun, pk: Any) -> AllocationItem:
    """An assignment of the run's optimal plan (the one the admin edits); 404 otherwise."""
    try:
        return AllocationItem.objects.select_related("need__assessment__school", "service").get(
            run=run, strategy=Strategy.OPTIMAL, pk=pk
        )
    except (AllocationItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the review of a run -----------------------------------------------------------------------


@dataclass
class SummaryRow:
    label: str
    optimal: str
    greedy: str


@dataclass
class QuintileRow:
    quintile: int
    label: str
    optimal: float | None
    greedy: float | None

    @property
    def optimal_text(self) -> str:
        return _percent(self.optimal)

    @property
    def greedy_text(self) -> str:
        return _percent(self.greedy)


@dataclass
class ReviewRow:
    item: AllocationItem
    reasons: list[str]
    form: Any = None  # the view's edit form for the row


@dataclass
class SchoolPlan:
    school: School
    index: float
    quintile: int
    asked: int  # students the school's open needs asked for when the run was made
    optimal: int  # students the optimal plan serves (as edited: kept assignments)
    proposed: int  # students the solver's optimal plan served
    greedy: int  # students the greedy plan serves
    rows: list[ReviewRow] = field(default_factory=list)
    unmet: list[AllocationUnmet] = field(default_factory=list)
    greedy_items: list[AllocationItem] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.optimal - self.greedy


@dataclass
class Review:
    run: AllocationRun
    summary: list[SummaryRow]
    quintiles: list[QuintileRow]
    empty_reason: str | None
    page: Page[int]
    schools: list[SchoolPlan]
    kept_units: int  # the optimal plan as edited
    proposed_units: int  # as the solver proposed it
    edited: int  # assignments whose units changed or that were left out
    partnerships: int
    partnership_units: int


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"


def empty_reason_text(reason: str | None) -> str:
    if reason == "no_needs":
        return _("No school has a submitted assessment with open needs for this year.")
    if reason == "no_services":
        return _("No service has capacity left.")
    return ""


def run_summary(run: AllocationRun) -> tuple[list[SummaryRow], list[QuintileRow]]:
    optimal = run.stats.get("optimal", {}) or {}
    greedy = run.stats.get("greedy", {}) or {}
    summary = [
        SummaryRow(
            _("Objective (equity-weighted benefit)"),
            _number(run.objective, 2),
            _number(run.greedy_objective, 2),
        ),
        SummaryRow(
            _("Students asked for (open needs)"),
            _number(optimal.get("units_asked", 0)),
            _number(greedy.get("units_asked", 0)),
        ),
        SummaryRow(
            _("Students served"),
            _number(optimal.get("units_served", 0)),
            _number(greedy.get("units_served", 0)),
        ),
        SummaryRow(
            _("Coverage"), _percent(optimal.get("coverage")), _percent(greedy.get("coverage"))
        ),
        SummaryRow(
            _("Equity-weighted coverage"),
            _percent(optimal.get("equity_weighted_coverage")),
            _percent(greedy.get("equity_weighted_coverage")),
        ),
        SummaryRow(
            _("Solver time (seconds)"),
            _number(optimal.get("solve_seconds"), 3),
            _number(greedy.get("solve_seconds"), 3),
        ),
    ]
    by_optimal = optimal.get("coverage_by_quintile", {}) or {}
    by_greedy = greedy.get("coverage_by_quintile", {}) or {}
    labels = {1: _("1 (least need)"), 5: _("5 (most need)")}
    rows = [
        QuintileRow(
            q,
            labels.get(q, str(q)),
            by_optimal.get(str(q)),
            by_greedy.get(str(q)),
        )
        for q in range(1, 6)
    ]
    return summary, rows


def _school_totals(
    run: AllocationRun,
) -> tuple[dict[int, dict[str, int]], int, int, int]:
    """Per school: students asked, served by the optimal plan (as edited and as proposed) and by
    the greedy plan; and the run's kept and proposed totals and how many items were edited."""
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    kept_total = proposed_total = 0
    items = (
        AllocationItem.objects.filter(run=run)
        .values("need__assessment__school_id", "strategy", "kept")
        .annotate(units=Sum("units"), proposed=Sum("proposed_units"))
        .order_by()
    )
    for row in items:
        school = totals[row["need__assessment__school_id"]]
        if row["strategy"] == Strategy.OPTIMAL:
            school["proposed"] += row["proposed"]
            school["asked"] += row["proposed"]
            proposed_total += row["proposed"]
            if row["kept"]:
                school["optimal"] += row["units"]
                kept_total += row["units"]
        else:
            school["greedy"] += row["units"]
    unmet = (
        AllocationUnmet.objects.filter(run=run, strategy=Strategy.OPTIMAL)
        .values("need__assessment__school_id")
        .annotate(units=Sum("units"))
        .order_by()
    )
    for left in unmet:
        totals[left["need__assessment__school_id"]]["asked"] += left["units"]
    edited = (
        AllocationItem.objects.filter(run=run, strategy=Strategy.OPTIMAL)
        .exclude(kept=True, units=F("proposed_units"))
        .count()
    )
    return totals, kept_total, proposed_total, edited


# What the review reads of an assignment and what hangs on it (the reasons need the need's and
# the school's facts); the rest of these wide rows is left in the database.
ITEM_FIELDS = (
    "run_id",
    "strategy",
    "units",
    "proposed_units",
    "benefit",
    "kept",
    "partnership_id",
    "need__severity",
    "need__tier",
    "need__students",
    "need__grade_low",
    "need__grade_high",
    "need__languages",
    *(f"need__{name}" for name in TIMING_FIELDS),
    "need__category__name",
    "need__category__name_es",
    "need__assessment__school_year_id",
    "need__assessment__school__name",
    "need__assessment__school__network_id",
    "need__assessment__school__latitude",
    "need__assessment__school__longitude",
    "need__assessment__school__community__name",
    "service__name",
    "service__organization__name",
)


def school_plans(
    run: AllocationRun,
    school_ids: Sequence[int],
    *,
    totals: dict[int, dict[str, int]],
    indexes: dict[int, float],
    quintile: dict[int, int],
) -> list[SchoolPlan]:
    """The plans of these schools (in this order), with the reasons of each optimal
    assignment (the match score's reasons for that need and service)."""
    if not school_ids:
        return []
    network, year = run.network, run.school_year
    schools = School.objects.filter(network=network, pk__in=list(school_ids)).select_related(
        "community"
    )
    plans = {
        s.pk: SchoolPlan(
            school=s,
            index=indexes.get(s.pk, 0.0),
            quintile=quintile.get(s.pk, 1),
            asked=totals.get(s.pk, {}).get("asked", 0),
            optimal=totals.get(s.pk, {}).get("optimal", 0),
            proposed=totals.get(s.pk, {}).get("proposed", 0),
            greedy=totals.get(s.pk, {}).get("greedy", 0),
        )
        for s in schools
    }
    items = list(
        AllocationItem.objects.filter(run=run, need__assessment__school_id__in=list(plans))
        .select_related(
            "need__category",
            "need__assessment__school__community",
            "service__organization",
        )
        .only(*ITEM_FIELDS)
        .order_by("need__assessment__school_id", "-need__severity", "need_id", "-benefit", "pk")
    )
    unmet = (
        AllocationUnmet.objects.filter(
            run=run, strategy=Strategy.OPTIMAL, need__assessment__school_id__in=list(plans)
        )
        .select_related("need__category", "need__assessment")
        .order_by("-need__severity", "need_id")
    )
    optimal = [i for i in items if i.strategy == Strategy.OPTIMAL]
    reasons = _reasons(network, year, optimal)
    for item in items:
        plan = plans[item.need.assessment.school_id]
        if item.strategy == Strategy.OPTIMAL:
            plan.rows.append(ReviewRow(item, reasons.get(item.pk, [])))
        else:
            plan.greedy_items.append(item)
    for row in unmet:
        plans[row.need.assessment.school_id].unmet.append(row)
    return [plans[i] for i in school_ids if i in plans]


def _reasons(
    network: Network, year: SchoolYear, items: list[AllocationItem]
) -> dict[int, list[str]]:
    """Item id → why the service suits the need, in words (`eligibility.score`), read now."""
    if not items:
        return {}
    below = descendants(network)
    services = load_services(
        network,
        year,
        stale_before=stale_cutoff(network),
        service_ids={i.service_id for i in items},
    )
    ctx = Context(
        distance_km=float(network.match_distance_km), sustained=sustained_pairs(network, year)
    )
    result: dict[int, list[str]] = {}
    for item in items:
        service = services.get(item.service_id)
        if service is None:
            continue
        facts = need_facts(item.need, units=max(item.units, 1), below=below)
        result[item.pk] = score(facts, service, ctx, explain=True).reasons
    return result


def run_review(run: AllocationRun, *, page_number: Any = 1, per_page: int | None = None) -> Review:
    summary, quintile_rows = run_summary(run)
    totals, kept_units, proposed_units, edited = _school_totals(run)
    indexes = need_indexes(run.network)
    ordered = sorted(totals, key=lambda s: (-indexes.get(s, 0.0), s))
    quintile = quintiles({s: indexes.get(s, 0.0) for s in ordered}) if ordered else {}
    page = Paginator(ordered, per_page or REVIEW_SCHOOLS_PER_PAGE).get_page(page_number)
    plans = school_plans(
        run, list(page.object_list), totals=totals, indexes=indexes, quintile=quintile
    )
    made = Partnership.objects.filter(allocation_run=run).aggregate(
        n=Count("id"), units=Sum("units")
    )
    return Review(
        run=run,
        summary=summary,
        quintiles=quintile_rows,
        empty_reason=run.stats.get("empty_reason"),
        page=page,
        schools=plans,
        kept_units=kept_units,
        proposed_units=proposed_units,
        edited=edited,
        partnerships=made["n"] or 0,
        partnership_units=made["units"] or 0,
    )


def school_plan(run: AllocationRun, school_id: int) -> SchoolPlan | None:
    """One school's plan (after an edit, for htmx to put in place)."""
    totals, _kept, _proposed, _edited = _school_totals(run)
    indexes = need_indexes(run.network)
    quintile = quintiles({s: indexes.get(s, 0.0) for s in totals}) if totals else {}
    plans = school_plans(run, [school_id], totals=totals, indexes=indexes, quintile=quintile)
    return plans[0] if plans else None


# --- the matching settings' preview --------------------------------------------------------------


@dataclass
class IndexPreviewRow:
    school: School
    index: float
    quintile: int


def need_index_preview(network: Network, limit: int = PREVIEW_SCHOOLS) -> list[IndexPreviewRow]:
    """The schools of highest need index with the network's weights as saved."""
    indexes = need_indexes(network)
    quintile = quintiles(indexes) if indexes else {}
    top = sorted(indexes, key=lambda s: (-indexes[s], s))[:limit]
    schools = {s.pk: s for s in School.objects.filter(pk__in=top).select_related("community")}
    return [IndexPreviewRow(schools[s], indexes[s], quintile[s]) for s in top if s in schools]
