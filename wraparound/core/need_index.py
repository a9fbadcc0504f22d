"""A school's need index: how much its students need, as one number from 0 to 1.

It is the weighted mean of the school's shares (economically disadvantaged, English learners,
students with disabilities, chronic absenteeism) with the network's weights
(`Network.need_index_weights`). A school whose share is not known takes the network's median
for that share, so that missing data neither hides a school nor puts it first. Matching weighs
every need by severity × need index (DESIGN.md §2, issue 4); the gap map orders schools by it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .models import NEED_INDEX_SHARES, Network, School, default_index_weights


def clean_weights(raw: Any) -> dict[str, float]:
    """The network's weights with unknown keys dropped and negatives refused as 0; the defaults
    when nothing usable is left (an index of zeros would weigh every need at nothing)."""
    weights: dict[str, float] = {}
    if isinstance(raw, Mapping):
        for key in NEED_INDEX_SHARES:
            value = raw.get(key, 0)
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = 0.0
            weights[key] = max(0.0, number)
    if sum(weights.values()) <= 0:
        return default_index_weights()
    return weights


def need_indexes(network: Network, schools: Iterable[School] | None = None) -> dict[int, float]:
    """School id → need index (0–1, 4 decimals) for the network's schools (or these ones; the
    medians are always the whole network's)."""
    fields = list(NEED_INDEX_SHARES.values())
    rows = list(School.objects.filter(network=network).values_list("id", *fields))
    wanted = None if schools is None else {s.pk for s in schools}
    weights = clean_weights(network.need_index_weights)
    total = sum(weights.values())
    medians: dict[str, float] = {}
    for k, field in enumerate(fields):
        known = [float(r[k + 1]) for r in rows if r[k + 1] is not None]
        medians[field] = statistics.median(known) if known else 0.0
    result: dict[int, float] = {}
    for row in rows:
        if wanted is not None and row[0] not in wanted:
            continue
        value = 0.0
        for k, (key, field) in enumerate(NEED_INDEX_SHARES.items()):
            share = row[k + 1]
            value += weights[key] * (float(share) if share is not None else medians[field])
        result[row[0]] = round(value / total, 4)
    return result


def quintiles(indexes: Mapping[int, float]) -> dict[int, int]:
    """School id → need-index quintile, 1 (lowest need) to 5 (highest), ties kept together
    in the lower quintile by rank order."""
    ordered = sorted(indexes, key=lambda school_id: (indexes[school_id], school_id))
    n = len(ordered)
    return {school_id: min(5, 1 + (rank * 5) // n) for rank, school_id in enumerate(ordered)}


def as_decimal(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")
