"""What helped (issue 7): did students who received at least a chosen dosage of a service, an
organization's services, a category of services, or services at a tier, attend school better
afterwards than similar students who did not?

    evaluate(network, year, Treatment(TreatmentKind.SERVICE, service_id), min_hours=3)

returns an `EvaluationResult`: the difference in differences of attendance rate (percentage
points) with its bootstrap 95% interval, the means behind it, the counts, and the dosage bands,
every figure an `outcomes.suppression.Cell`. Cells about fewer than `MIN_CELL` students are
suppressed; when fewer than `MIN_CELL` treated students are matched, or fewer than `MIN_CELL`
distinct comparison students are used, the whole estimate is withheld with a message.

`cohort` reads the database (a few aggregate queries), `estimate` does the arithmetic (numpy, no
Django); the method and its limits are in their docstrings and in docs/outcomes.md. Callers
check `core.access.can_evaluate` first: the cohort covers every student of the network."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from wraparound.core.models import Network, SchoolYear

from ..selectors import MIN_ENROLLED_DAYS
from ..suppression import Cell, cell, is_small, suppress_split
from .cohort import Treatment, TreatmentKind, build_cohort
from .estimate import Estimate, estimate

__all__ = ["BandCells", "EvaluationResult", "Treatment", "TreatmentKind", "evaluate"]


@dataclass(frozen=True)
class BandCells:
    label: str
    below_threshold: bool
    treated_change: Cell
    comparison_change: Cell
    difference: Cell


@dataclass
class EvaluationResult:
    min_hours: float
    months: int
    treated: Cell  # students who reached the dosage (hidden when it would give the losses)
    matched: Cell  # of those, in the estimate
    unmatched: Cell  # of those, with no similar student to compare with
    excluded: Cell  # of those, with too few enrolled days before or after their start
    comparisons: Cell  # distinct comparison students
    pool: Cell  # students available for comparison
    suppressed: bool
    message: str = ""
    treated_pre: Cell | None = None
    treated_post: Cell | None = None
    comparison_pre: Cell | None = None
    comparison_post: Cell | None = None
    difference: Cell | None = None
    low: Cell | None = None
    high: Cell | None = None
    bands: list[BandCells] = field(default_factory=list)

    def chart(self) -> dict[str, object]:
        """The dosage–response chart's data (suppressed bands are gaps, None)."""
        return {
            "labels": [b.label for b in self.bands],
            "treated": [b.treated_change.as_dict()["value"] for b in self.bands],
            "comparison": [b.comparison_change.as_dict()["value"] for b in self.bands],
            "names": [_("Students served"), _("Matched comparison students")],
            "axis": _("Change in attendance rate (percentage points)"),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _band_label(low: float, high: float | None, min_hours: float) -> str:
    def fmt(h: float) -> str:
        return f"{h:g}"

    if low == 0:
        return _("under %(h)s h (below the minimum)") % {"h": fmt(min_hours)}
    if high is None:
        return _("%(h)s h or more") % {"h": fmt(low)}
    return _("%(low)s to under %(high)s h") % {"low": fmt(low), "high": fmt(high)}


def result_from(raw: Estimate, min_hours: float, months: int) -> EvaluationResult:
    """Suppress an `Estimate` into cells."""
    n = raw.matched
    losses = suppress_split(
        [
            cell(raw.matched, raw.matched, key="matched"),
            cell(raw.unmatched, raw.unmatched, key="unmatched"),
            cell(raw.excluded, raw.excluded, key="excluded"),
        ],
        counts=[raw.matched, raw.unmatched, raw.excluded],
    )
    # The total less the matched would give the losses together: shown only when they are
    # 10 or more.
    treated = cell(raw.treated, raw.treated)
    if is_small(raw.unmatched + raw.excluded):
        treated = cell(None, None)
    result = EvaluationResult(
        min_hours=min_hours,
        months=months,
        treated=treated,
        matched=losses[0],
        unmatched=losses[1],
        excluded=losses[2],
        comparisons=cell(raw.comparisons, raw.comparisons),
        pool=cell(raw.pool, raw.pool),
        suppressed=is_small(n) or is_small(raw.comparisons),
    )
    if result.suppressed:
        result.message = _(
            "Fewer than 10 students who reached this dosage could be matched with similar "
            "students (or fewer than 10 comparison students were found), so no estimate is "
            "shown: a figure about so few students could identify them."
        )
        # The matched count would tell how many; with the total, the losses would too.
        result.treated = cell(raw.treated, raw.treated)
        result.matched = cell(None, None, key="matched")
        result.unmatched = cell(None, None, key="unmatched")
        result.excluded = cell(None, None, key="excluded")
    else:
        result.treated_pre = cell(n, _round(raw.treated_pre))
        result.treated_post = cell(n, _round(raw.treated_post))
        result.comparison_pre = cell(raw.comparisons, _round(raw.comparison_pre))
        result.comparison_post = cell(raw.comparisons, _round(raw.comparison_post))
        result.difference = cell(n, _round(raw.difference))
        result.low = cell(n, _round(raw.low))
        result.high = cell(n, _round(raw.high))
    at_threshold = [b for b in raw.bands if b.low > 0]
    below = [b for b in raw.bands if b.low == 0]
    # The bands at or over the threshold add up to the matched count: one hidden band could be
    # recovered by subtraction, so they are suppressed as one split.
    shown = suppress_split(
        [cell(b.n, b.n) for b in at_threshold], counts=[b.n for b in at_threshold]
    )
    if result.suppressed:
        shown = [cell(None, None) for _b in at_threshold]
    for band, visible in [(b, cell(b.n, b.n)) for b in below] + list(
        zip(at_threshold, shown, strict=True)
    ):
        n_band = band.n if not visible.suppressed else None
        result.bands.append(
            BandCells(
                label=_band_label(band.low, band.high, min_hours),
                below_threshold=band.low == 0,
                treated_change=cell(n_band, _round(band.treated_change)),
                comparison_change=cell(n_band, _round(band.comparison_change)),
                difference=cell(n_band, _round(band.difference)),
            )
        )
    return result


def evaluate(
    network: Network, year: SchoolYear, treatment: Treatment, min_hours: float
) -> EvaluationResult:
    """The what-helped comparison for `treatment` over `network`'s school `year`."""
    data = build_cohort(network, year, treatment)
    raw = estimate(data.cohort, min_hours, min_days=MIN_ENROLLED_DAYS)
    return result_from(raw, min_hours, len(data.months))
