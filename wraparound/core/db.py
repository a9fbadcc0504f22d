"""Database housekeeping that bulk writes need."""

from __future__ import annotations

from django.db import connection, models


def analyze(*model_classes: type[models.Model]) -> None:
    """Refresh the planner's statistics for these tables after a bulk load.

    Without it PostgreSQL plans the next queries with the statistics of the empty tables until
    autovacuum comes round — directory searches on a freshly seeded or imported city network
    took seconds instead of tens of milliseconds. SQLite's planner reads the same kind of
    statistics (sqlite_stat1). Callers run it after their transaction commits."""
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
