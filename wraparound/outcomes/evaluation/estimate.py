"""The what-helped estimate, on arrays: matching, difference in differences, bootstrap interval
and dosage bands. Pure numpy (no Django, no database), so it can be tested on synthetic data
with a known effect.

Each student of the cohort is a row: a matching stratum (school × grade band), categorical
traits (demographics and tiers), their enrolled and absent days in each month of the school
year and in the whole previous school year (zero when they have none), the month of their first
session of the treatment (-1 when none) and their dosage (minutes). Students with some dosage
are *focal*; the comparison *pool* is the students without any (the cohort decides who is in
it).

The split. A focal student's baseline ("before") is the previous school year's enrolled and
absent days, added to this year's from the first month to the end of the month of their first
session; the follow-up ("after") is this year from the next month on. Rates are days present
over days enrolled in each period (so the baseline weighs each day alike: a full previous year,
some 180 days, outweighs a few weeks of this one). Last year makes the baseline long enough to
be a student's usual attendance, not a few noisy weeks: matching on a few weeks of September
compared served students with students who had had a bad or good September by chance, and the
difference in differences then measured their regression to the mean. The first month of
service counts as baseline because only part of it is served and a service takes time to show
in attendance: counting it as follow-up would dilute an effect, counting it as baseline can only
hide a little of one (the estimate leans towards zero, not away from it). A comparison student
is measured over the same split as the focal student they are matched to. `min_days` applies
to each period: a student needs that many enrolled days before (last year counts) and after.

Matching. Exact on stratum; then, among pool students with at least `min_days` enrolled in both
periods of that split, the `neighbours` nearest on

    distance² = ((baseline rate difference) / RATE_SCALE)² + Σ weights of the traits that differ

(a demographic trait weighs 1, a tier NEED_WEIGHT), within a caliper of `caliper` on the
baseline rate, with replacement (one pool student can be the match of several focal students).
A focal student with no pool student within the caliper is dropped and counted. Ties are broken
by row order, so the result is deterministic. Matching on a noisy baseline has a known bias
(regression to the mean: Daw & Hatfield 2018): when served students are chronically more absent
than pool students with the same baseline, the matches improve more and the estimate leans
low. Matching on the tiers, which schools set on a longer view of need, removes most of it in
the synthetic tests; it cannot remove it all.

Estimate. Each focal student's difference is their change (follow-up rate − baseline rate) minus
the mean change of their matches; the estimate is the mean difference over the treated students
(dosage ≥ the threshold), which equals mean change of the treated − mean change of the matched
comparison (each student's matches weighted by 1/their count). The 95% interval is the 2.5th and
97.5th percentiles of `reps` bootstrap means, resampling treated students with their matches
(seeded: the same data give the same interval). Rates are in percentage points.

Suppression is applied by the caller (`evaluation.evaluate`) to what is returned here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

RATE_SCALE = 0.02  # a 2-point difference in baseline rate weighs as much as one differing trait
CALIPER = 0.05  # no match further than 5 points of baseline attendance rate
# A differing tier (the school's judgement of need) weighs like a 4-point gap in baseline rate:
# with the weight of a demographic trait, students at tier 2 were often matched with untiered
# students of the same baseline, whose attendance then improved more (regression to the mean).
NEED_WEIGHT = 4.0
NEIGHBOURS = 5
REPS = 1000
SEED = 20260907
MIN_DAYS = 10  # outcomes.selectors.MIN_ENROLLED_DAYS; repeated so this module stays Django-free


@dataclass(frozen=True)
class Cohort:
    """One row per student (all arrays the same length; `enrolled`/`absent` are n × months)."""

    ids: IntArray
    stratum: IntArray
    traits: IntArray  # n × traits, categorical codes
    enrolled: IntArray
    absent: IntArray
    start: IntArray  # month index of the first session of the treatment; -1 none
    dosage: FloatArray  # minutes of the treatment attended
    pool: npt.NDArray[np.bool_]  # may serve as a comparison
    # What a differing trait adds to the squared distance (one per trait column; default 1).
    trait_weights: FloatArray | None = None
    # Enrolled and absent days of the previous school year (zero when none): part of every
    # baseline, whatever the start month.
    prior_enrolled: IntArray | None = None
    prior_absent: IntArray | None = None

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Band:
    """Focal students whose dosage is in [low, high) hours (high None: no upper end)."""

    low: float
    high: float | None
    n: int
    treated_change: float | None  # mean change, percentage points
    comparison_change: float | None
    difference: float | None


@dataclass
class Estimate:
    treated: int  # focal students at or over the threshold
    excluded: int  # of those: too few enrolled days before or after their start
    unmatched: int  # of those: no comparison within the caliper
    matched: int  # of those: in the estimate
    comparisons: int  # distinct pool students matched to them
    pool: int  # pool students with any eligible split
    treated_pre: float | None = None  # mean rates, percentage points
    treated_post: float | None = None
    comparison_pre: float | None = None
    comparison_post: float | None = None
    difference: float | None = None  # the difference in differences
    low: float | None = None  # the 95% interval
    high: float | None = None
    bands: list[Band] = field(default_factory=list)


@dataclass(frozen=True)
class _Matched:
    """Per focal student (row index): their rates and their comparisons' mean rates."""

    rows: IntArray
    pre: FloatArray
    post: FloatArray
    comparison_pre: FloatArray
    comparison_post: FloatArray
    comparison_ids: list[IntArray]


def _split_sums(cohort: Cohort, rows: IntArray, month: int) -> tuple[IntArray, ...]:
    """Enrolled and absent days of `rows` before (the previous school year, then this year up
    to and including `month`) and after (this year, from the month after `month`)."""
    e, a = cohort.enrolled[rows], cohort.absent[rows]
    this_e, this_a = e[:, : month + 1].sum(axis=1), a[:, : month + 1].sum(axis=1)
    post_e, post_a = e.sum(axis=1) - this_e, a.sum(axis=1) - this_a
    if cohort.prior_enrolled is not None and cohort.prior_absent is not None:
        this_e = this_e + cohort.prior_enrolled[rows]
        this_a = this_a + cohort.prior_absent[rows]
    return this_e, this_a, post_e, post_a


def _rate(enrolled: IntArray, absent: IntArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(enrolled > 0, (enrolled - absent) / np.maximum(enrolled, 1), np.nan)


def match(
    cohort: Cohort,
    *,
    min_days: int = MIN_DAYS,
    caliper: float = CALIPER,
    neighbours: int = NEIGHBOURS,
) -> tuple[_Matched, set[int], set[int], int]:
    """Match every focal student (dosage > 0, a start month, not in the pool). Returns the
    matched ones, the rows of the focal students excluded for thin enrollment and of those left
    unmatched, and the number of pool students eligible for some split."""
    focal = np.flatnonzero((cohort.dosage > 0) & (cohort.start >= 0) & ~cohort.pool)
    pool = np.flatnonzero(cohort.pool)
    weights = (
        cohort.trait_weights
        if cohort.trait_weights is not None
        else np.ones(cohort.traits.shape[1] if cohort.traits.ndim == 2 else 0)
    )
    months = cohort.enrolled.shape[1] if cohort.enrolled.ndim == 2 else 0
    rows: list[int] = []
    pre: list[float] = []
    post: list[float] = []
    c_pre: list[float] = []
    c_post: list[float] = []
    c_ids: list[IntArray] = []
    excluded: set[int] = set()
    unmatched: set[int] = set()
    eligible_pool: set[int] = set()
    for stratum in np.unique(cohort.stratum[focal]):
        in_stratum = focal[cohort.stratum[focal] == stratum]
        candidates = pool[cohort.stratum[pool] == stratum]
        for month in np.unique(cohort.start[in_stratum]):
            students = in_stratum[cohort.start[in_stratum] == month]
            if month >= months - 1:  # no follow-up month
                excluded.update(students.tolist())
                continue
            pe, pa, qe, qa = _split_sums(cohort, students, int(month))
            ok = (pe >= min_days) & (qe >= min_days)
            excluded.update(students[~ok].tolist())
            students, pe, pa, qe, qa = students[ok], pe[ok], pa[ok], qe[ok], qa[ok]
            if not len(students):
                continue
            ce, ca, de, da = _split_sums(cohort, candidates, int(month))
            usable = (ce >= min_days) & (de >= min_days)
            cand = candidates[usable]
            eligible_pool.update(cand.tolist())
            cand_pre = _rate(ce[usable], ca[usable])
            cand_post = _rate(de[usable], da[usable])
            cand_traits = cohort.traits[cand]
            own_pre, own_post = _rate(pe, pa), _rate(qe, qa)
            for i, row in enumerate(students):
                gap = np.abs(cand_pre - own_pre[i])
                within = np.flatnonzero(gap <= caliper + 1e-12)
                if not len(within):
                    unmatched.add(int(row))
                    continue
                differing = (cand_traits[within] != cohort.traits[row]) @ weights
                distance = (gap[within] / RATE_SCALE) ** 2 + differing
                nearest = within[np.argsort(distance, kind="stable")[:neighbours]]
                rows.append(int(row))
                pre.append(float(own_pre[i]))
                post.append(float(own_post[i]))
                c_pre.append(float(cand_pre[nearest].mean()))
                c_post.append(float(cand_post[nearest].mean()))
                c_ids.append(cohort.ids[cand[nearest]])
    order = np.argsort(np.array(rows, dtype=np.int64), kind="stable")
    matched = _Matched(
        rows=np.array(rows, dtype=np.int64)[order],
        pre=np.array(pre)[order],
        post=np.array(post)[order],
        comparison_pre=np.array(c_pre)[order],
        comparison_post=np.array(c_post)[order],
        comparison_ids=[c_ids[i] for i in order],
    )
    return matched, excluded, unmatched, len(eligible_pool)


def bootstrap_interval(
    differences: FloatArray, *, reps: int = REPS, seed: int = SEED
) -> tuple[float, float]:
    """The 95% percentile interval of the mean of `differences`, resampling them."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(differences), size=(reps, len(differences)))
    means = differences[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def dosage_bands(min_hours: float) -> list[tuple[float, float | None]]:
    """Under the threshold, then 1–2×, 2–4×, 4–8× and 8× the threshold and more (hours)."""
    return [
        (0.0, min_hours),
        (min_hours, 2 * min_hours),
        (2 * min_hours, 4 * min_hours),
        (4 * min_hours, 8 * min_hours),
        (8 * min_hours, None),
    ]


def _points(values: FloatArray) -> float:
    return float(100 * values.mean())


def estimate(
    cohort: Cohort,
    min_hours: float,
    *,
    min_days: int = MIN_DAYS,
    caliper: float = CALIPER,
    neighbours: int = NEIGHBOURS,
    reps: int = REPS,
    seed: int = SEED,
) -> Estimate:
    """The difference in differences for students with at least `min_hours` of the treatment,
    with its interval and the dosage bands. Figures are None where there is nobody to compute
    them on (suppression of small groups is the caller's)."""
    threshold = min_hours * 60
    focal = (cohort.dosage > 0) & (cohort.start >= 0) & ~cohort.pool
    treated_rows = set(np.flatnonzero(focal & (cohort.dosage >= threshold - 1e-9)).tolist())
    matched, excluded_rows, unmatched_rows, pool = match(
        cohort, min_days=min_days, caliper=caliper, neighbours=neighbours
    )
    # `match` works on every focal student; the headline counts are the treated ones'.
    is_treated = np.array([r in treated_rows for r in matched.rows.tolist()], dtype=bool)
    n_matched = int(is_treated.sum())
    excluded = len(excluded_rows & treated_rows)
    unmatched = len(unmatched_rows & treated_rows)
    comparison_ids = (
        np.unique(np.concatenate([matched.comparison_ids[i] for i in np.flatnonzero(is_treated)]))
        if n_matched
        else np.array([], dtype=np.int64)
    )
    result = Estimate(
        treated=len(treated_rows),
        excluded=excluded,
        unmatched=unmatched,
        matched=n_matched,
        comparisons=len(comparison_ids),
        pool=pool,
    )
    change = matched.post - matched.pre
    comparison_change = matched.comparison_post - matched.comparison_pre
    differences = change - comparison_change
    if n_matched:
        t = is_treated
        result.treated_pre = _points(matched.pre[t])
        result.treated_post = _points(matched.post[t])
        result.comparison_pre = _points(matched.comparison_pre[t])
        result.comparison_post = _points(matched.comparison_post[t])
        result.difference = _points(differences[t])
        low, high = bootstrap_interval(100 * differences[t], reps=reps, seed=seed)
        result.low, result.high = low, high
    hours = cohort.dosage[matched.rows] / 60 if len(matched.rows) else np.array([])
    for low_h, high_h in dosage_bands(min_hours):
        upper = np.inf if high_h is None else high_h
        in_band = (hours >= low_h - 1e-9) & (hours < upper - 1e-9)
        n = int(in_band.sum())
        result.bands.append(
            Band(
                low=low_h,
                high=high_h,
                n=n,
                treated_change=_points(change[in_band]) if n else None,
                comparison_change=_points(comparison_change[in_band]) if n else None,
                difference=_points(differences[in_band]) if n else None,
            )
        )
    return result
