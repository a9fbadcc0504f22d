"""Directory search: one query → ranked services with the reasons they matched.

The coordinator's search page, the public family page and (later) the matching engine all call
`search_services`. This module also keeps `Service.search_text`, the lowercased words a word
search looks in, up to date (`service_search_text_refresh`, called by every write that changes
a service's name, description, organization or categories).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from wraparound.core.models import Network
from wraparound.directory.models import Service


@dataclass(frozen=True)
class ServiceQuery:
    words: str = ""
    # Taxonomy term ids; a term matches its sub-categories too.
    category_ids: tuple[int, ...] = ()
    # Near a point (a school's or a family's address), within a radius.
    near: tuple[float, float] | None = None  # (latitude, longitude)
    within_km: float | None = None
    # Serving a community (ServiceArea.community).
    community_id: int | None = None
    language: str = ""  # ISO 639-1 code, e.g. "es"
    grade: str = ""  # OneRoster grade code, e.g. "03"
    timings: tuple[str, ...] = ()  # names from models.TIMING_FIELDS; any of them
    free_for_families: bool = False
    free_for_school: bool = False
    has_capacity: bool = False
    # Designed in now; the clearance issue gives it its meaning (organization cleared for campus).
    cleared_for_campus: bool = False
    # The public family page: vetted organizations and active services only.
    public_only: bool = False


@dataclass
class ServiceMatch:
    service: Service
    score: float
    reasons: list[str] = field(default_factory=list)  # translated, short: "Tutoring", "1.2 km"
    distance_km: float | None = None


@dataclass
class SearchResult:
    total: int
    matches: list[ServiceMatch]


def search_services(
    network: Network, query: ServiceQuery, *, limit: int = 25, offset: int = 0
) -> SearchResult:
    raise NotImplementedError("being written: issue 3, directory search")


def service_search_text_refresh(*, service_ids: Iterable[int]) -> None:
    raise NotImplementedError("being written: issue 3, directory search")
