"""The authorization matrix of student data: every persona × every page, export and endpoint
that shows a student, with what each persona must get (status), which student facts must appear
in the body (and, by omission, which must not), and whether the read is logged as a Disclosure.

Extend it by appending `Case`s to `CASES` (or building your own list and calling `check_case`):
a case is a URL builder over the `MatrixWorld` and a table of outcomes by persona; personas not
named get `DEFAULT` (404, nothing shown, nothing logged).

Personas: the t1 personas by name (`wraparound.core.tests.personas.PERSONAS`) and two of the
other network's, "t2.network_admin" and "t2.partner_staff_a".

Probes: "<student>.<fact>" with student one of own, consented, other_school, other_network and
fact one of name (family name), dob (ISO birth date), email, guardian (a guardian's e-mail,
consented only). Each is a distinctive string: present in the body iff the outcome `shows` it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse

from wraparound.core.models import Disclosure
from wraparound.core.tests.personas import PERSONAS
from wraparound.students.models import StudentGuardian
from wraparound.students.tests.world import StudentWorld, student_world

T2_PERSONAS = ["t2.network_admin", "t2.partner_staff_a"]
ALL_PERSONAS = [*PERSONAS, *T2_PERSONAS]

# Who reads school 0's students whole, and who answers a parent's request for the log there.
OFFICIALS_0 = (
    "network_admin",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
)
NETWORK_OFFICIALS = ("network_admin", "network_supervisor")
LOG_PRINTERS_0 = ("network_admin", "coordinator", "principal")
# Roles that see no student through the school side at all (the API list answers them 403).
NO_STUDENT_ROLES = (
    "evaluator",
    "partner_admin",
    "partner_staff_a",
    "partner_staff_b",
    "coalition_member",
    "outsider",
    "t2.partner_staff_a",
)

STUDENTS = ("own", "consented", "other_school", "other_network")
FACTS = ("name", "dob", "email")


def whole(*students: str) -> frozenset[str]:
    """Every probed fact of the students (what a school official's record shows)."""
    probes = {f"{s}.{f}" for s in students for f in FACTS}
    if "consented" in students:
        probes.add("consented.guardian")
    return frozenset(probes)


def names(*students: str) -> frozenset[str]:
    return frozenset(f"{s}.name" for s in students)


@dataclass(frozen=True)
class Outcome:
    status: int
    shows: frozenset[str] = frozenset()
    discloses: bool = False


DEFAULT = Outcome(404)


@dataclass
class MatrixWorld:
    world: StudentWorld
    t1: Any
    t2: Any
    probes: dict[str, str]

    def user(self, persona: str) -> Any:
        if persona.startswith("t2."):
            return self.t2.users[persona[3:]]
        return self.t1.users[persona]

    def student(self, key: str) -> Any:
        return getattr(self.world, key)


def matrix_world(t1: Any, t2: Any) -> MatrixWorld:
    """`student_world(t1, t2)` with distinctive names and birth dates, so that a probe string
    appears in a body only when that fact of that student is shown."""
    world = student_world(t1, t2)
    probes: dict[str, str] = {}
    for i, key in enumerate(STUDENTS):
        student = getattr(world, key)
        student.family_name = f"Qx{key.replace('_', '')}zq"
        student.birth_date = dt.date(2010 + i, 1 + i, 11 + i)
        student.email = f"probe-{key.replace('_', '')}@pupils.example"
        student.save(update_fields=["family_name", "birth_date", "email"])
        probes[f"{key}.name"] = student.family_name
        probes[f"{key}.dob"] = student.birth_date.isoformat()
        probes[f"{key}.email"] = student.email
    link = StudentGuardian.objects.select_related("guardian").get(student=world.consented)
    link.guardian.email = "probe-guardian@family.example"
    link.guardian.save(update_fields=["email"])
    probes["consented.guardian"] = link.guardian.email
    return MatrixWorld(world=world, t1=t1, t2=t2, probes=probes)


@dataclass
class Case:
    name: str
    url: Callable[[MatrixWorld], str]
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def outcome(self, persona: str) -> Outcome:
        return self.outcomes.get(persona, DEFAULT)


def each(personas: Iterable[str], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(personas, outcome)


def check_case(case: Case, mw: MatrixWorld, client: Client) -> list[str]:
    """Every persona against one case; the list of what went wrong (empty: all well)."""
    failures: list[str] = []
    url = case.url(mw)
    for persona in ALL_PERSONAS:
        expected = case.outcome(persona)
        user = mw.user(persona)
        client.force_login(user)
        before = Disclosure.objects.filter(viewer=user).count()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        logged = Disclosure.objects.filter(viewer=user).count() - before
        where = f"{case.name} as {persona} ({url})"
        if response.status_code != expected.status:
            failures.append(f"{where}: status {response.status_code}, not {expected.status}")
        shown = expected.shows if expected.status == 200 else frozenset()
        for probe, value in mw.probes.items():
            if probe in shown and value not in text:
                failures.append(f"{where}: {probe} missing")
            if probe not in shown and value in text:
                failures.append(f"{where}: {probe} LEAKED")
        if expected.discloses and logged == 0:
            failures.append(f"{where}: the partner read wrote no Disclosure")
        if not expected.discloses and logged:
            failures.append(f"{where}: {logged} Disclosure row(s) written, none expected")
    return failures


# --- URL builders ---------------------------------------------------------------------------------


def roster(school: Callable[[MatrixWorld], Any]) -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse("student_school_list", args=[school(mw).pk])


def roster_csv(school: Callable[[MatrixWorld], Any]) -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse("student_school_export", args=[school(mw).pk])


def record(student: str, name: str = "student_detail") -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse(name, args=[mw.student(student).pk])


def partner(org: Callable[[MatrixWorld], Any], name: str) -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse(name, args=[org(mw).pk])


def partner_record(org: Callable[[MatrixWorld], Any], student: str) -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse("student_partner_detail", args=[org(mw).pk, mw.student(student).pk])


def api(path: Callable[[MatrixWorld], str]) -> Callable[[MatrixWorld], str]:
    return lambda mw: "/api/v1" + path(mw)


def school_0(mw: MatrixWorld) -> Any:
    return mw.t1.schools[0]


def school_3(mw: MatrixWorld) -> Any:
    return mw.t1.schools[3]


def t2_school_0(mw: MatrixWorld) -> Any:
    return mw.t2.schools[0]


def org_a(mw: MatrixWorld) -> Any:
    return mw.t1.org_a


def org_b(mw: MatrixWorld) -> Any:
    return mw.t1.org_b


def t2_org_a(mw: MatrixWorld) -> Any:
    return mw.t2.org_a


# What the partners see (world.py): org A's staff name, grade and notes of `own` under the
# agreement (not its admin: the agreement opens nothing to partner admins); org B's staff name
# and contact of `consented` under the family's consent; nothing of the draft or of school 3.
A_STAFF = Outcome(200, names("own"), discloses=True)
A_ADMIN = Outcome(200)
B_STAFF = Outcome(200, frozenset({"consented.name", "consented.email"}), discloses=True)
B_STAFF_RECORD = Outcome(
    200, frozenset({"consented.name", "consented.email", "consented.guardian"}), discloses=True
)


def _partner_a(staff: Outcome = A_STAFF) -> dict[str, Outcome]:
    return {"partner_staff_a": staff, "partner_admin": A_ADMIN}


CASES: list[Case] = [
    # The school's roster: officials of the school, nobody else (partners never).
    Case(
        "roster, own school",
        roster(school_0),
        each(OFFICIALS_0, Outcome(200, names("own", "consented"))),
    ),
    Case(
        "roster, other school",
        roster(school_3),
        each(NETWORK_OFFICIALS, Outcome(200, names("other_school"))),
    ),
    Case(
        "roster, other network",
        roster(t2_school_0),
        {"t2.network_admin": Outcome(200, names("other_network"))},
    ),
    Case(
        "roster CSV, own school",
        roster_csv(school_0),
        each(OFFICIALS_0, Outcome(200, whole("own", "consented") - {"consented.guardian"})),
    ),
    Case(
        "roster CSV, other school",
        roster_csv(school_3),
        each(NETWORK_OFFICIALS, Outcome(200, whole("other_school"))),
    ),
    # One student, whole.
    Case("record, own school", record("own"), each(OFFICIALS_0, Outcome(200, whole("own")))),
    Case(
        "record with guardian",
        record("consented"),
        each(OFFICIALS_0, Outcome(200, whole("consented"))),
    ),
    Case(
        "record, other school",
        record("other_school"),
        each(NETWORK_OFFICIALS, Outcome(200, whole("other_school"))),
    ),
    Case(
        "record, other network",
        record("other_network"),
        {"t2.network_admin": Outcome(200, whole("other_network"))},
    ),
    # The partner's students: only through referrals, only the allowed fields, each read logged.
    Case("partner list, org A", partner(org_a, "student_partner_list"), _partner_a()),
    Case(
        "partner list, org B", partner(org_b, "student_partner_list"), {"partner_staff_b": B_STAFF}
    ),
    Case(
        "partner list, other network",
        partner(t2_org_a, "student_partner_list"),
        {"t2.partner_staff_a": Outcome(200)},
    ),
    Case("partner record, referred", partner_record(org_a, "own"), _partner_a()),
    Case("partner record, draft only", partner_record(org_a, "consented")),
    Case(
        "partner record, nothing shared",
        partner_record(org_a, "other_school"),
        _partner_a(Outcome(200)),
    ),
    Case(
        "partner record, consent",
        partner_record(org_b, "consented"),
        {"partner_staff_b": B_STAFF_RECORD},
    ),
    Case("partner record, not referred", partner_record(org_b, "own")),
    Case("partner CSV, org A", partner(org_a, "student_partner_export"), _partner_a()),
    Case(
        "partner CSV, org B", partner(org_b, "student_partner_export"), {"partner_staff_b": B_STAFF}
    ),
    # The record of disclosures: officials who answer parents; other officials 403.
    Case(
        "disclosure log",
        record("own", "student_disclosures"),
        {
            **each(OFFICIALS_0, Outcome(403)),
            **each(LOG_PRINTERS_0, Outcome(200, names("own"))),
        },
    ),
    Case(
        "disclosure log, printable",
        record("own", "student_disclosures_print"),
        {
            **each(OFFICIALS_0, Outcome(403)),
            **each(LOG_PRINTERS_0, Outcome(200, names("own"))),
        },
    ),
    Case(
        "disclosure log, other school",
        record("other_school", "student_disclosures"),
        {"network_admin": Outcome(200, names("other_school")), "network_supervisor": Outcome(403)},
    ),
    # The API: the same rules.
    Case(
        "API students of a school",
        api(lambda mw: f"/students?school={mw.t1.schools[0].pk}"),
        {
            **each(NO_STUDENT_ROLES, Outcome(403)),
            **each(OFFICIALS_0, Outcome(200, whole("own", "consented") - {"consented.guardian"})),
        },
    ),
    Case(
        "API all my students",
        api(lambda mw: "/students"),
        {
            **each(NO_STUDENT_ROLES, Outcome(403)),
            **each(OFFICIALS_0, Outcome(200, whole("own", "consented") - {"consented.guardian"})),
            **each(
                NETWORK_OFFICIALS,
                Outcome(200, whole("own", "consented", "other_school") - {"consented.guardian"}),
            ),
            "t2.network_admin": Outcome(200, whole("other_network")),
        },
    ),
    Case(
        "API one student",
        api(lambda mw: f"/students/{mw.world.consented.pk}"),
        each(OFFICIALS_0, Outcome(200, whole("consented"))),
    ),
    Case(
        "API partner students, org A",
        api(lambda mw: f"/organizations/{mw.t1.org_a.pk}/students"),
        _partner_a(),
    ),
    Case(
        "API partner students, org B",
        api(lambda mw: f"/organizations/{mw.t1.org_b.pk}/students"),
        {"partner_staff_b": B_STAFF},
    ),
]
