"""The demo logins `seed_demo` creates and prints: one per role of DESIGN.md §1.

Browser tests log in with exactly these, so what the README prints is what is tested."""

from dataclasses import dataclass

from wraparound.core.roles import Role

DEMO_PASSWORD = "wraparound-demo-2026"  # noqa: S105 — public demo data, printed on purpose


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    first_name: str
    last_name: str
    # what the home page must show for this login (a heading text), checked by the browser tests
    home_heading: str


DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin("admin", Role.NETWORK_ADMIN, "Alma", "Reyes", "Communities and schools"),
    DemoLogin("evaluator", Role.NETWORK_EVALUATOR, "Evan", "Lowe", "Communities and schools"),
    DemoLogin("coordinator", Role.SCHOOL_COORDINATOR, "Carmen", "Diaz", "Your schools"),
    DemoLogin("socialworker", Role.SCHOOL_STAFF, "Sam", "Okafor", "Your schools"),
    DemoLogin("supervisor", Role.CLINICAL_SUPERVISOR, "Sofia", "Park", "Your schools"),
    DemoLogin("principal", Role.PRINCIPAL, "Paul", "Nguyen", "Your schools"),
    DemoLogin("partneradmin", Role.PARTNER_ADMIN, "Priya", "Shah", "Your organization"),
    DemoLogin("partnerstaff", Role.PARTNER_STAFF, "Pedro", "Alves", "Your organization"),
    DemoLogin("coalition", Role.COALITION_MEMBER, "Cora", "Bell", "Your coalition"),
]
