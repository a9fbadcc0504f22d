"""NYC-like geography for the demo data: boroughs, their 59 community districts and what the
generator needs to place schools and partners in them realistically.

Centroids, ZIP codes and geographic school districts are approximations of the real districts;
`poverty` and `immigrant` are rough relative levels (0–1) that drive the correlation of the
need-index inputs between communities, and `weight` is the relative number of schools.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Borough:
    name: str
    letter: str  # the letter in a school code (02M475)
    city: str  # the postal city of an address
    districts: tuple[str, ...]  # geographic school districts
    # rough bounding area: (south, north) latitudes and (west, east) longitudes
    lat_range: tuple[float, float]
    lon_range: tuple[float, float]
    area_codes: tuple[str, ...]


@dataclass(frozen=True)
class CommunityDistrict:
    code: str  # "203": borough digit and district number
    borough: Borough
    neighbourhoods: tuple[str, ...]
    latitude: float
    longitude: float
    districts: tuple[str, ...]  # geographic school districts that serve it
    zip_codes: tuple[str, ...]
    poverty: float
    immigrant: float
    weight: float = 1.0

    @property
    def name(self) -> str:
        return " and ".join(self.neighbourhoods[:2])

    @property
    def short_name(self) -> str:
        return self.neighbourhoods[0]

    @property
    def official_name(self) -> str:
        return f"{self.borough.name} Community District {int(self.code[1:])}"


def _districts(*numbers: int) -> tuple[str, ...]:
    return tuple(f"{n:02d}" for n in numbers)


_OUTER = ("718", "347", "929")

MANHATTAN = Borough(
    name="Manhattan",
    letter="M",
    city="New York",
    districts=_districts(1, 2, 3, 4, 5, 6),
    lat_range=(40.700, 40.878),
    lon_range=(-74.020, -73.907),
    area_codes=("212", "646", "332"),
)
BRONX = Borough(
    name="Bronx",
    letter="X",
    city="Bronx",
    districts=_districts(7, 8, 9, 10, 11, 12),
    lat_range=(40.785, 40.917),
    lon_range=(-73.933, -73.765),
    area_codes=_OUTER,
)
BROOKLYN = Borough(
    name="Brooklyn",
    letter="K",
    city="Brooklyn",
    districts=_districts(*range(13, 24), 32),
    lat_range=(40.570, 40.739),
    lon_range=(-74.042, -73.833),
    area_codes=_OUTER,
)
QUEENS = Borough(
    name="Queens",
    letter="Q",
    city="Queens",
    districts=_districts(*range(24, 31)),
    lat_range=(40.541, 40.800),
    lon_range=(-73.962, -73.700),
    area_codes=_OUTER,
)
STATEN_ISLAND = Borough(
    name="Staten Island",
    letter="R",
    city="Staten Island",
    districts=_districts(31),
    lat_range=(40.496, 40.649),
    lon_range=(-74.255, -74.052),
    area_codes=_OUTER,
)

BOROUGHS: tuple[Borough, ...] = (MANHATTAN, BRONX, BROOKLYN, QUEENS, STATEN_ISLAND)
BOROUGH_BY_LETTER: dict[str, Borough] = {b.letter: b for b in BOROUGHS}


def _cd(
    code: str,
    neighbourhoods: tuple[str, ...],
    lat: float,
    lon: float,
    districts: tuple[int, ...],
    zips: tuple[str, ...],
    poverty: float,
    immigrant: float,
    weight: float = 1.0,
) -> CommunityDistrict:
    return CommunityDistrict(
        code=code,
        borough=BOROUGHS[int(code[0]) - 1],  # the first digit numbers the borough
        neighbourhoods=neighbourhoods,
        latitude=lat,
        longitude=lon,
        districts=_districts(*districts),
        zip_codes=zips,
        poverty=poverty,
        immigrant=immigrant,
        weight=weight,
    )


# fmt: off
COMMUNITY_DISTRICTS: tuple[CommunityDistrict, ...] = (
    # Manhattan
    _cd("101", ("Financial District", "Battery Park City", "Tribeca"), 40.707, -74.011, (2,),
        ("10004", "10005", "10006", "10007", "10038"), 0.05, 0.20, 0.5),
    _cd("102", ("Greenwich Village", "SoHo", "West Village"), 40.728, -74.003, (2,),
        ("10012", "10013", "10014"), 0.08, 0.15, 0.7),
    _cd("103", ("Lower East Side", "Chinatown", "East Village"), 40.715, -73.984, (1, 2),
        ("10002", "10009", "10003"), 0.55, 0.70, 1.2),
    _cd("104", ("Chelsea", "Hell's Kitchen"), 40.754, -73.997, (2, 3),
        ("10001", "10011", "10018", "10036"), 0.25, 0.30, 0.8),
    _cd("105", ("Midtown", "Flatiron"), 40.754, -73.984, (2,),
        ("10016", "10017", "10022", "10019"), 0.10, 0.25, 0.6),
    _cd("106", ("Murray Hill", "Stuyvesant Town", "Kips Bay"), 40.743, -73.976, (2,),
        ("10010", "10016"), 0.10, 0.20, 0.5),
    _cd("107", ("Upper West Side", "Manhattan Valley"), 40.787, -73.975, (3,),
        ("10023", "10024", "10025"), 0.15, 0.20, 0.9),
    _cd("108", ("Upper East Side", "Yorkville", "Roosevelt Island"), 40.773, -73.955, (2,),
        ("10021", "10028", "10065", "10075", "10128"), 0.08, 0.15, 0.8),
    _cd("109", ("Morningside Heights", "Hamilton Heights", "Manhattanville"), 40.819, -73.953,
        (5, 6), ("10027", "10031"), 0.60, 0.55, 1.0),
    _cd("110", ("Central Harlem",), 40.809, -73.943, (5, 3),
        ("10026", "10030", "10037", "10039"), 0.65, 0.30, 1.1),
    _cd("111", ("East Harlem",), 40.796, -73.938, (4,), ("10029", "10035"), 0.75, 0.55, 1.0),
    _cd("112", ("Washington Heights", "Inwood"), 40.852, -73.934, (6,),
        ("10032", "10033", "10034", "10040"), 0.55, 0.85, 1.2),
    # Bronx
    _cd("201", ("Mott Haven", "Melrose", "Port Morris"), 40.812, -73.917, (7,),
        ("10451", "10454", "10455"), 0.95, 0.55, 1.3),
    _cd("202", ("Hunts Point", "Longwood"), 40.816, -73.889, (8, 12), ("10459", "10474"),
        0.90, 0.55, 1.1),
    _cd("203", ("Morrisania", "Crotona Park East", "Claremont"), 40.832, -73.901, (9, 12),
        ("10456",), 0.92, 0.60, 1.2),
    _cd("204", ("Highbridge", "Concourse"), 40.838, -73.924, (9,), ("10452",), 0.88, 0.70, 1.3),
    _cd("205", ("Fordham", "University Heights", "Morris Heights"), 40.858, -73.908, (10, 9),
        ("10453", "10468"), 0.92, 0.75, 1.3),
    _cd("206", ("Belmont", "East Tremont", "West Farms"), 40.847, -73.886, (12, 10),
        ("10457", "10460"), 0.90, 0.70, 1.2),
    _cd("207", ("Kingsbridge Heights", "Bedford Park", "Norwood"), 40.871, -73.893, (10,),
        ("10458", "10467", "10468"), 0.80, 0.80, 1.2),
    _cd("208", ("Riverdale", "Kingsbridge", "Marble Hill"), 40.890, -73.909, (10,),
        ("10463", "10471"), 0.35, 0.45, 0.7),
    _cd("209", ("Soundview", "Parkchester", "Castle Hill"), 40.826, -73.857, (8, 12),
        ("10472", "10473", "10462"), 0.72, 0.50, 1.2),
    _cd("210", ("Throgs Neck", "Co-op City", "Pelham Bay"), 40.836, -73.820, (8, 11),
        ("10465", "10475", "10461"), 0.40, 0.30, 0.7),
    _cd("211", ("Morris Park", "Pelham Parkway", "Van Nest"), 40.853, -73.855, (11,),
        ("10462", "10461", "10469"), 0.55, 0.50, 0.9),
    _cd("212", ("Williamsbridge", "Wakefield", "Baychester"), 40.885, -73.856, (11,),
        ("10466", "10467", "10469", "10470"), 0.60, 0.45, 1.1),
    # Brooklyn
    _cd("301", ("Williamsburg", "Greenpoint"), 40.715, -73.950, (14,),
        ("11211", "11222", "11206", "11249"), 0.50, 0.50, 1.0),
    _cd("302", ("Fort Greene", "Brooklyn Heights", "Downtown Brooklyn"), 40.693, -73.984,
        (13, 15), ("11201", "11205", "11217"), 0.25, 0.20, 1.2),
    _cd("303", ("Bedford-Stuyvesant",), 40.685, -73.940, (16, 13),
        ("11216", "11221", "11233"), 0.60, 0.25, 1.2),
    _cd("304", ("Bushwick",), 40.695, -73.917, (32,), ("11237", "11221", "11207"),
        0.65, 0.70, 1.1),
    _cd("305", ("East New York", "Cypress Hills", "Starrett City"), 40.668, -73.882, (19,),
        ("11207", "11208", "11239"), 0.78, 0.50, 1.3),
    _cd("306", ("Park Slope", "Carroll Gardens", "Red Hook"), 40.675, -73.993, (15,),
        ("11215", "11231", "11217"), 0.12, 0.15, 0.8),
    _cd("307", ("Sunset Park", "Windsor Terrace"), 40.647, -74.004, (15, 20),
        ("11220", "11232"), 0.60, 0.90, 0.9),
    _cd("308", ("Crown Heights", "Prospect Heights"), 40.674, -73.945, (17, 13),
        ("11213", "11216", "11238"), 0.50, 0.35, 1.0),
    _cd("309", ("Prospect Lefferts Gardens", "Crown Heights South", "Wingate"), 40.663, -73.942,
        (17,), ("11225",), 0.55, 0.45, 0.7),
    _cd("310", ("Bay Ridge", "Dyker Heights"), 40.625, -74.025, (20,), ("11209", "11228"),
        0.30, 0.60, 0.8),
    _cd("311", ("Bensonhurst", "Bath Beach"), 40.603, -73.994, (21, 20), ("11214", "11204"),
        0.40, 0.85, 0.9),
    _cd("312", ("Borough Park", "Kensington"), 40.633, -73.989, (20, 15), ("11219", "11218"),
        0.60, 0.60, 0.9),
    _cd("313", ("Coney Island", "Brighton Beach"), 40.578, -73.980, (21,), ("11224", "11235"),
        0.60, 0.80, 0.8),
    _cd("314", ("Flatbush", "Midwood"), 40.637, -73.962, (22, 17), ("11226", "11230"),
        0.55, 0.60, 1.0),
    _cd("315", ("Sheepshead Bay", "Gravesend", "Gerritsen Beach"), 40.596, -73.946, (22, 21),
        ("11229", "11235"), 0.40, 0.70, 0.8),
    _cd("316", ("Brownsville", "Ocean Hill"), 40.664, -73.912, (23,), ("11212", "11233"),
        0.85, 0.35, 1.1),
    _cd("317", ("East Flatbush", "Farragut"), 40.649, -73.928, (18, 17), ("11203",),
        0.55, 0.50, 1.0),
    _cd("318", ("Canarsie", "Flatlands", "Marine Park"), 40.630, -73.904, (18, 22),
        ("11234", "11236"), 0.40, 0.40, 1.0),
    # Queens
    _cd("401", ("Astoria", "Long Island City"), 40.763, -73.923, (30,),
        ("11101", "11102", "11103", "11105", "11106"), 0.40, 0.60, 1.2),
    _cd("402", ("Sunnyside", "Woodside"), 40.743, -73.917, (24, 30), ("11104", "11377"),
        0.40, 0.80, 0.8),
    _cd("403", ("Jackson Heights", "East Elmhurst"), 40.757, -73.878, (30,),
        ("11369", "11370", "11372"), 0.55, 0.90, 1.0),
    _cd("404", ("Elmhurst", "Corona"), 40.741, -73.868, (24,), ("11368", "11373"),
        0.65, 0.95, 1.1),
    _cd("405", ("Ridgewood", "Maspeth", "Glendale"), 40.711, -73.896, (24,),
        ("11378", "11379", "11385"), 0.45, 0.55, 1.0),
    _cd("406", ("Forest Hills", "Rego Park"), 40.722, -73.848, (28,), ("11374", "11375"),
        0.20, 0.50, 0.8),
    _cd("407", ("Flushing", "Whitestone", "College Point"), 40.772, -73.820, (25,),
        ("11354", "11355", "11357", "11358"), 0.45, 0.85, 1.2),
    _cd("408", ("Fresh Meadows", "Briarwood", "Hillcrest"), 40.728, -73.797, (26, 25, 28),
        ("11365", "11366", "11432", "11435"), 0.35, 0.60, 1.0),
    _cd("409", ("Richmond Hill", "Woodhaven", "Kew Gardens"), 40.696, -73.845, (27, 28),
        ("11415", "11418", "11419", "11421"), 0.50, 0.75, 1.0),
    _cd("410", ("Ozone Park", "Howard Beach"), 40.674, -73.837, (27,),
        ("11414", "11416", "11417", "11420"), 0.45, 0.55, 0.9),
    _cd("411", ("Bayside", "Little Neck", "Douglaston"), 40.760, -73.760, (26,),
        ("11360", "11361", "11362", "11363", "11364"), 0.15, 0.45, 0.9),
    _cd("412", ("Jamaica", "Hollis", "St. Albans"), 40.695, -73.785, (28, 29),
        ("11412", "11423", "11433", "11434", "11436"), 0.55, 0.50, 1.3),
    _cd("413", ("Queens Village", "Cambria Heights", "Rosedale"), 40.700, -73.740, (29,),
        ("11411", "11413", "11422", "11427", "11428", "11429"), 0.35, 0.40, 1.1),
    _cd("414", ("Far Rockaway", "Rockaway Park", "Breezy Point"), 40.595, -73.800, (27,),
        ("11691", "11692", "11693", "11694", "11697"), 0.65, 0.45, 0.9),
    # Staten Island
    _cd("501", ("St. George", "Stapleton", "Port Richmond"), 40.627, -74.110, (31,),
        ("10301", "10302", "10303", "10304", "10310"), 0.50, 0.50, 1.2),
    _cd("502", ("New Springville", "South Beach", "Willowbrook"), 40.590, -74.130, (31,),
        ("10305", "10306", "10314"), 0.25, 0.30, 1.1),
    _cd("503", ("Tottenville", "Great Kills", "Annadale"), 40.530, -74.190, (31,),
        ("10307", "10308", "10309", "10312"), 0.15, 0.15, 1.0),
)
# fmt: on

COMMUNITY_DISTRICT_BY_CODE: dict[str, CommunityDistrict] = {
    cd.code: cd for cd in COMMUNITY_DISTRICTS
}

# Centring the levels keeps the network-wide means of the need inputs on their targets, whatever
# the spread between communities.
MEAN_POVERTY = sum(cd.poverty for cd in COMMUNITY_DISTRICTS) / len(COMMUNITY_DISTRICTS)
MEAN_IMMIGRANT = sum(cd.immigrant for cd in COMMUNITY_DISTRICTS) / len(COMMUNITY_DISTRICTS)


def district_borough(district: str) -> Borough:
    """The borough a geographic school district lies in (01–06 Manhattan, …, 31 Staten Island)."""
    for borough in BOROUGHS:
        if district in borough.districts:
            return borough
    raise ValueError(f"{district!r} is not a geographic school district (01–32).")


def clamp_to_borough(borough: Borough, latitude: float, longitude: float) -> tuple[float, float]:
    (south, north), (west, east) = borough.lat_range, borough.lon_range
    return min(max(latitude, south), north), min(max(longitude, west), east)


# Place names that take "the" in a sentence ("families across the Lower East Side").
_TAKES_THE = (
    "Bronx", "Financial District", "Upper West Side", "Upper East Side", "Lower East Side",
    "East Village", "West Village", "Concourse",
)  # fmt: skip


def in_a_sentence(place: str) -> str:
    return f"the {place}" if place.startswith(_TAKES_THE) else place
