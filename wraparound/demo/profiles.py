"""The demo data profiles of DESIGN.md §7. Later issues add services, students, referrals, … here
as further counts; the generator reads them from the profile it is given."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .geography import COMMUNITY_DISTRICTS


@dataclass(frozen=True)
class SchoolYearSpec:
    end_year: int
    start_date: datetime.date
    end_date: datetime.date
    is_current: bool = False


@dataclass(frozen=True)
class Profile:
    name: str
    network_slug: str
    network_name: str
    network_description: str
    community_codes: tuple[str, ...]
    schools: int
    organizations: int
    # True: each community holds exactly one feeder pattern of two elementary schools, one
    # middle and one high school (the small demo, small enough to read in full). False: the
    # schools are shared out between the communities and grouped into patterns there.
    one_pattern_per_community: bool
    school_years: tuple[SchoolYearSpec, ...]
    services: int = 0  # directory services, shared out between the organizations
    students: int = 0  # shared out between the schools by enrollment
    referrals: int = 0
    sessions: int = 0  # service sessions (individual and group) of referred students


# NYC's calendar: 2026-27 runs from 10 September 2026 to 25 June 2027.
SCHOOL_YEARS: tuple[SchoolYearSpec, ...] = (
    SchoolYearSpec(2027, datetime.date(2026, 9, 10), datetime.date(2027, 6, 25), is_current=True),
    SchoolYearSpec(2026, datetime.date(2025, 9, 4), datetime.date(2026, 6, 26)),
)

SMALL = Profile(
    name="small",
    network_slug="demo",
    network_name="Bridges Community Schools Network",
    network_description=(
        "A nonprofit backbone organization bringing health, learning and family supports into "
        "twelve public schools in the South Bronx, central Brooklyn and north-east Queens."
    ),
    # Mott Haven first: the demo logins are placed in the first community.
    community_codes=("201", "308", "407"),
    schools=12,
    organizations=60,
    one_pattern_per_community=True,
    school_years=SCHOOL_YEARS,
    services=150,
    students=4000,
    referrals=400,
    sessions=3000,
)

CITY = Profile(
    name="city",
    network_slug="city",
    network_name="Five Boroughs Community Schools",
    network_description=(
        "A city-wide community-schools initiative: every public school in the five boroughs, "
        "with the community partners that serve them."
    ),
    community_codes=tuple(cd.code for cd in COMMUNITY_DISTRICTS),
    schools=1600,
    organizations=3000,
    one_pattern_per_community=False,
    school_years=SCHOOL_YEARS,
    services=12000,
    students=900_000,
    referrals=500_000,
    sessions=5_000_000,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SMALL, CITY)}
