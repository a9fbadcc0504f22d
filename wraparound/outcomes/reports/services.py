"""Writes of the reports: only the audit trail of who downloaded which report or extract."""

from __future__ import annotations

from typing import Any

from wraparound.core.models import Network
from wraparound.core.services import audit_record


def report_downloaded(
    *, user: Any, network: Network, kind: str, target: Any, year: int, fmt: str
) -> None:
    audit_record(
        actor=user,
        action="outcomes.report",
        target=target,
        network=network,
        data={"scope": kind, "year": year, "format": fmt},
    )


def extract_downloaded(*, user: Any, network: Network, year: int, rows: int, dropped: int) -> None:
    audit_record(
        actor=user,
        action="outcomes.extract",
        target=network,
        network=network,
        data={"year": year, "rows": rows, "left_out": dropped},
    )
