"""The what-helped arithmetic on synthetic schools (no database): a planted effect of k points
is found (the 95% interval covers k and excludes 0), no effect gives an interval around 0, the
same data give the same interval, and small groups are suppressed."""

from __future__ import annotations

import numpy as np

from wraparound.outcomes.evaluation import result_from
from wraparound.outcomes.evaluation.estimate import (
    NEED_WEIGHT,
    Cohort,
    bootstrap_interval,
    estimate,
    match,
)

K = 5.0  # percentage points
DAYS = 20  # instructional days a month


def synthetic(
    effect: float, *, treated: int = 80, seed: int = 7, schools: int = 4, per_school: int = 400
) -> Cohort:
    """Schools of students with a daily absence probability each (5% + log-normal).
    As in the demo (and in schools), students absent more than one day in ten are put at tier 2
    and served students are mostly drawn from them: confounding that matching on baseline
    attendance and tiers must absorb. Served students start in month 2 or 3 of 8 and, from the
    month after, are absent `effect` points less often."""
    rng = np.random.default_rng(seed)
    n, months = schools * per_school, 8
    school = np.repeat(np.arange(schools), per_school)
    band = rng.integers(0, 3, n)
    # At least 5% so that every served student's absence can fall by the full effect.
    p = np.minimum(0.05 + np.exp(rng.normal(np.log(0.03), 0.9, n)), 0.6)
    tier = np.where(p > 0.1, 2, 1)
    weight = np.where(tier == 2, 3.0, 1.0)
    served = rng.choice(n, size=treated, replace=False, p=weight / weight.sum())
    start = np.full(n, -1)
    start[served] = rng.integers(1, 3, treated)
    dosage = np.zeros(n)
    dosage[served] = rng.choice([240.0, 480.0, 900.0, 2000.0], treated)
    enrolled = np.full((n, months), DAYS)
    prob = np.repeat(p[:, None], months, axis=1)
    for i in served:
        prob[i, start[i] + 1 :] = np.maximum(prob[i, start[i] + 1 :] - effect / 100, 0)
    absent = rng.binomial(DAYS, prob)
    traits = np.stack(
        [rng.integers(0, 4, n), rng.integers(0, 2, n), rng.integers(0, 2, n), tier], 1
    )
    return Cohort(
        ids=np.arange(1, n + 1),
        stratum=school * 4 + band,
        traits=traits,
        enrolled=enrolled,
        absent=absent,
        start=start,
        dosage=dosage,
        pool=dosage == 0,
        trait_weights=np.array([1.0, 1.0, 1.0, NEED_WEIGHT]),
    )


def test_a_planted_effect_is_recovered() -> None:
    raw = estimate(synthetic(K), 3)
    assert raw.matched >= 70 and raw.unmatched + raw.excluded + raw.matched == raw.treated
    assert raw.low is not None and raw.high is not None and raw.difference is not None
    assert raw.low <= K <= raw.high
    assert raw.low > 0
    assert raw.low < raw.difference < raw.high


def test_no_effect_gives_an_interval_around_zero() -> None:
    raw = estimate(synthetic(0), 3)
    assert raw.low is not None and raw.high is not None
    assert raw.low <= 0 <= raw.high


def test_the_intervals_cover_at_about_their_nominal_rate() -> None:
    """Over 20 synthetic networks, a 95% interval should miss the truth about once: allow
    three misses (the chance of more, were the coverage really 95%, is under 2%)."""
    found = around_zero = 0
    for seed in range(1, 21):
        raw = estimate(synthetic(K, seed=seed), 3, reps=400)
        assert raw.low is not None and raw.high is not None
        found += raw.low <= K <= raw.high and raw.low > 0
        plain = estimate(synthetic(0, seed=seed), 3, reps=400)
        assert plain.low is not None and plain.high is not None
        around_zero += plain.low <= 0 <= plain.high
    assert found >= 17 and around_zero >= 17, (found, around_zero)


def test_the_same_data_give_the_same_interval() -> None:
    first, again = estimate(synthetic(K), 3), estimate(synthetic(K), 3)
    assert (first.difference, first.low, first.high) == (again.difference, again.low, again.high)
    assert bootstrap_interval(np.arange(30.0)) == bootstrap_interval(np.arange(30.0))


def test_comparisons_come_from_the_same_stratum_and_the_same_split() -> None:
    cohort = synthetic(K)
    matched, _excluded, _unmatched, _pool = match(cohort)
    by_id = {int(i): r for r, i in enumerate(cohort.ids)}
    for row, ids in zip(matched.rows, matched.comparison_ids, strict=True):
        assert 1 <= len(ids) <= 5
        for other in ids:
            j = by_id[int(other)]
            assert cohort.stratum[j] == cohort.stratum[row] and cohort.pool[j]
            month = cohort.start[row]
            own = (
                1 - cohort.absent[row, : month + 1].sum() / cohort.enrolled[row, : month + 1].sum()
            )
            theirs = 1 - cohort.absent[j, : month + 1].sum() / cohort.enrolled[j, : month + 1].sum()
            assert abs(own - theirs) <= 0.05 + 1e-9


def test_thin_enrollment_and_no_match_are_counted_not_estimated() -> None:
    before = estimate(synthetic(K), 3)
    cohort = synthetic(K)
    served = np.flatnonzero(cohort.dosage >= 180)
    thin, lonely = served[0], served[1]
    cohort.enrolled[thin, : cohort.start[thin] + 1] = 3  # under 10 days before the start
    cohort.absent[thin] = np.minimum(cohort.absent[thin], cohort.enrolled[thin])
    cohort.stratum[lonely] = 999  # nobody to compare with
    raw = estimate(cohort, 3)
    assert raw.excluded == before.excluded + 1
    assert raw.unmatched == before.unmatched + 1
    assert raw.matched == before.matched - 2 == raw.treated - raw.excluded - raw.unmatched


def test_the_dosage_bands_split_the_matched_students() -> None:
    raw = estimate(synthetic(K), 3)
    assert [(b.low, b.high) for b in raw.bands] == [(0, 3), (3, 6), (6, 12), (12, 24), (24, None)]
    assert sum(b.n for b in raw.bands[1:]) == raw.matched
    assert raw.bands[0].n == 0  # no one under the minimum here


def test_a_small_group_is_suppressed_whole() -> None:
    raw = estimate(synthetic(K, treated=8), 3)
    assert 0 < raw.matched < 10
    result = result_from(raw, 3, 8)
    assert result.suppressed and result.message
    assert result.difference is None and result.low is None and result.high is None
    assert result.matched.suppressed and result.matched.n is None
    # With the total shown, the losses would give the matched count by subtraction.
    assert result.unmatched.suppressed and result.excluded.suppressed
    assert all(b.difference.suppressed for b in result.bands)
    assert result.chart()["treated"] == [None] * len(result.bands)


def test_small_bands_are_suppressed_with_a_complement() -> None:
    raw = estimate(synthetic(K, treated=80), 3)
    result = result_from(raw, 3, 8)
    assert not result.suppressed and result.difference is not None
    for raw_band, band in zip(raw.bands, result.bands, strict=True):
        if raw_band.n < 10:
            assert band.difference.suppressed and band.difference.value is None
    hidden = [b for b in result.bands[1:] if b.difference.suppressed]
    assert len(hidden) != 1  # one hidden band could be recovered from the matched count


def test_the_total_is_hidden_when_it_would_give_a_few_left_out() -> None:
    raw = estimate(synthetic(K), 3)
    assert 0 < raw.unmatched + raw.excluded < 10
    result = result_from(raw, 3, 8)
    assert result.matched.value == raw.matched
    assert result.treated.suppressed
