"""What every benchmark here shares: Django set up on a scratch database, percentiles, where
results go and the facts about the machine that a figure needs beside it."""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://", "psql://")


def setup_django() -> tempfile.TemporaryDirectory[str] | None:
    """Django on DATABASE_URL when it names PostgreSQL (a scratch database: benchmarks replace
    data), else on a fresh temporary SQLite file, returned so the caller can delete it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    scratch = None
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        scratch = tempfile.TemporaryDirectory(prefix="wraparound-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/bench.sqlite3"
    import django

    django.setup()
    return scratch


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[k]


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
        "n": len(ms),
    }


def results_path(name: str, vendor: str) -> Path:
    """bench/results/<name>.json on SQLite, <name>.<vendor>.json on another database."""
    stem = name if vendor == "sqlite" else f"{name}.{vendor}"
    return ROOT / "bench" / "results" / f"{stem}.json"


def machine(vendor: str) -> dict[str, Any]:
    import django

    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "database": vendor,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpu_count": os.cpu_count(),
    }
