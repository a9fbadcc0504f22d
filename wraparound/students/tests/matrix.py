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
consented only), note (the text of a case note: own and other_school only). Each is a
distinctive string: present in the body iff the outcome `shows` it. A partner read (`discloses`)
must write a Disclosure row about each student whose fact it shows, and about nobody else.

The world (`matrix_world`) is `student_world` plus what the other pages read — tiers, sessions
with attendance, case notes, a consent scan and a roster import — in `MatrixWorld.things`; build
it once per test module with `module_world` (the tests then run in savepoints inside it).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from wraparound.agreements.models.clearance import private_storage
from wraparound.core.models import Disclosure
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.core.tests.personas import PERSONAS, make_tenant
from wraparound.referrals.models import Referral, ReferralStatus, SessionKind
from wraparound.referrals.tests.factories import (
    CaseNoteFactory,
    ServiceSessionFactory,
    SessionAttendanceFactory,
)
from wraparound.students.models import ImportStatus, RosterImport, Student, StudentGuardian
from wraparound.students.tests.factories import ConsentFactory, TierAssignmentFactory
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
    things: dict[str, Any] = field(default_factory=dict)

    def user(self, persona: str) -> Any:
        if persona.startswith("t2."):
            return self.t2.users[persona[3:]]
        return self.t1.users[persona]

    def student(self, key: str) -> Any:
        return getattr(self.world, key)

    def pk(self, key: str) -> int:
        """The id of a student ("own") or of one of `things` ("session_a")."""
        if key in STUDENTS:
            return int(self.student(key).pk)
        return int(self.things[key].pk)


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def matrix_world(t1: Any, t2: Any) -> MatrixWorld:
    """`student_world(t1, t2)` with distinctive names and birth dates, so that a probe string
    appears in a body only when that fact of that student is shown; then `_more` for the
    other pages. Needs a writable private storage (`module_world` gives one) for the scan."""
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
    mw = MatrixWorld(world=world, t1=t1, t2=t2, probes=probes)
    _more(mw)
    return mw


def _more(mw: MatrixWorld) -> None:
    """What the consent, tier, session, note and roster-import pages read:

    - `to_a` and `other_school_to_a` in service (rosters hold them); a scan on `consent_b`; a
      consent of `other_school` to org A (`consent_far`);
    - tiers: `tier_own` and `tier_other_school` both managed by t1's staff (who sees only the
      first), `tier_other_network`;
    - sessions: `session_a` (org A at school 0: `own` on `to_a`, `consented` on no referral, so
      org A may not see that name), `session_school` (school 0's own, `own`), `session_far_a`
      (org A at school 3: `other_school`, nothing shared), `session_far` (the other network's);
    - case notes: `note_own` by t1's staff, `note_other_school` by a staff member of school 3;
    - a roster import of t1 whose error quotes `own`'s e-mail (`roster_import`), one of t2."""
    w, t1, t2 = mw.world, mw.t1, mw.t2
    Referral.objects.filter(pk__in=[w.to_a.pk, w.other_school_to_a.pk]).update(
        status=ReferralStatus.IN_SERVICE
    )
    # Through the storage the settings name now (the field kept the one of import time).
    w.consent_b.scan.name = private_storage().save("consents/matrix/scan.pdf", ContentFile(PDF))
    w.consent_b.save(update_fields=["scan"])
    staff, network_admin = t1.users["staff"], t1.users["network_admin"]
    school, school_3 = t1.schools[0], t1.schools[3]
    things: dict[str, Any] = {
        "consent_far": ConsentFactory(
            student=w.other_school, recipient_organization=t1.org_a, created_by=network_admin
        ),
        "tier_own": TierAssignmentFactory(student=w.own, case_manager=staff, created_by=staff),
        "tier_other_school": TierAssignmentFactory(
            student=w.other_school, case_manager=staff, created_by=network_admin
        ),
        "tier_other_network": TierAssignmentFactory(
            student=w.other_network, created_by=t2.users["network_admin"]
        ),
    }
    today = t1.network.today()
    session_a = ServiceSessionFactory(
        school=school,
        organization=t1.org_a,
        service=w.service_a,
        partnership=w.partnership_a,
        kind=SessionKind.GROUP,
        date=today,
        logged_by=t1.users["partner_staff_a"],
    )
    SessionAttendanceFactory(session=session_a, student=w.own, referral=w.to_a)
    SessionAttendanceFactory(session=session_a, student=w.consented, referral=None)
    session_school = ServiceSessionFactory(school=school, date=today, logged_by=staff)
    SessionAttendanceFactory(session=session_school, student=w.own)
    session_far_a = ServiceSessionFactory(
        school=school_3,
        organization=t1.org_a,
        service=w.service_a,
        kind=SessionKind.GROUP,
        date=today,
        logged_by=t1.users["partner_staff_a"],
    )
    SessionAttendanceFactory(
        session=session_far_a, student=w.other_school, referral=w.other_school_to_a
    )
    session_far = ServiceSessionFactory(
        school=t2.schools[0],
        organization=t2.org_a,
        service=w.other_network_referral.service,
        date=t2.network.today(),
        logged_by=t2.users["partner_staff_a"],
    )
    SessionAttendanceFactory(
        session=session_far, student=w.other_network, referral=w.other_network_referral
    )
    things.update(
        session_a=session_a,
        session_school=session_school,
        session_far_a=session_far_a,
        session_far=session_far,
    )
    far_staff = UserFactory(username="north_school3_staff")
    membership = MembershipFactory.build(
        user=far_staff, role=Role.SCHOOL_STAFF, network=t1.network, school=school_3
    )
    membership.full_clean()
    membership.save()
    things["note_own"] = CaseNoteFactory(
        student=w.own, author=staff, body="Qnoteownzq: sleeps badly before tests."
    )
    things["note_other_school"] = CaseNoteFactory(
        student=w.other_school, author=far_staff, body="Qnoteelsewherezq: anxious at home."
    )
    mw.probes["own.note"] = things["note_own"].body
    mw.probes["other_school.note"] = things["note_other_school"].body
    things["roster_import"] = RosterImport.objects.create(
        network=t1.network,
        created_by=network_admin,
        source_name="north-roster.zip",
        status=ImportStatus.INVALID,
        errors=[
            {
                "file": "users.csv",
                "row": 4,
                "column": "email",
                "message": f"The e-mail {mw.probes['own.email']} is used twice.",
            }
        ],
    )
    things["roster_import_t2"] = RosterImport.objects.create(
        network=t2.network, created_by=t2.users["network_admin"], source_name="south-roster.zip"
    )
    mw.things = things


@contextmanager
def module_world(django_db_blocker: Any, private_dir: Path) -> Iterator[MatrixWorld]:
    """The matrix world of both tenants, built once and rolled back at the end: each test's own
    transaction (the `db` fixture) is a savepoint inside this one."""
    storages: dict[str, Any] = copy.deepcopy(settings.STORAGES)
    storages["private"]["OPTIONS"]["location"] = str(private_dir)
    with (
        override_settings(STORAGES=storages),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield matrix_world(make_tenant("North"), make_tenant("South"))
        transaction.set_rollback(True)


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
        last = Disclosure.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        rows = Disclosure.objects.filter(viewer=user, pk__gt=last)
        logged = rows.count()
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
        if expected.discloses:
            failures += _disclosed_subjects(where, mw, rows, shown)
        if not expected.discloses and logged:
            failures.append(f"{where}: {logged} Disclosure row(s) written, none expected")
    return failures


def _disclosed_subjects(where: str, mw: MatrixWorld, rows: Any, shown: frozenset[str]) -> list[str]:
    """Each student shown has a Disclosure row of its own; nobody not shown has one."""
    student_type = ContentType.objects.get_for_model(Student)
    logged = set(rows.filter(subject_type=student_type).values_list("subject_id", flat=True))
    seen = {probe.split(".")[0] for probe in shown}
    failures = []
    for key in STUDENTS:
        pk = mw.student(key).pk
        if key in seen and pk not in logged:
            failures.append(f"{where}: {key} shown without a Disclosure row about them")
        if key not in seen and pk in logged:
            failures.append(f"{where}: a Disclosure row about {key}, who is not shown")
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


# --- consents, tiers and roster imports ----------------------------------------------------------


def page(name: str, *keys: str, query: str = "") -> Callable[[MatrixWorld], str]:
    """A URL by name over students ("own") and `things` ("consent_far") of the world."""
    return lambda mw: reverse(name, args=[mw.pk(k) for k in keys]) + query


def consent_b(mw: MatrixWorld) -> str:
    return reverse("consent_detail", args=[mw.world.consented.pk, mw.world.consent_b.pk])


def on_consent_b(name: str, student: str = "consented") -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse(name, args=[mw.pk(student), mw.world.consent_b.pk])


def network_page(name: str, tenant: str, *keys: str) -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse(
        name, args=[getattr(mw, tenant).network.slug, *(mw.pk(k) for k in keys)]
    )


# Who records, requests and revokes consents, and who sets tiers, at school 0 (other officials
# of the school get a 403: the page reveals nothing they cannot read).
CONSENT_WRITERS_0 = ("network_admin", "coordinator", "staff")
TIER_WRITERS_0 = ("network_admin", "coordinator", "staff", "supervisor")
SCHOOL_ROLE_PERSONAS = ("coordinator", "staff", "supervisor", "principal")
# Members of t1's network who are not its admins (the roster import pages answer them 403).
T1_MEMBERS = tuple(p for p in PERSONAS if p != "outsider")


def writers(readers: Iterable[str], can_write: Iterable[str], shows: frozenset[str]) -> Any:
    return {**each(readers, Outcome(403)), **each(can_write, Outcome(200, shows))}


# The consent forms offer the guardians by name and e-mail (a request is e-mailed to one).
CONSENTED_AND_GUARDIAN = frozenset({"consented.name", "consented.guardian"})

CONSENT_CASES: list[Case] = [
    Case(
        "consents, own school",
        page("consent_list", "consented"),
        each(OFFICIALS_0, Outcome(200, names("consented"))),
    ),
    Case(
        "consents, other school",
        page("consent_list", "other_school"),
        each(NETWORK_OFFICIALS, Outcome(200, names("other_school"))),
    ),
    Case(
        "consents, other network",
        page("consent_list", "other_network"),
        {"t2.network_admin": Outcome(200, names("other_network"))},
    ),
    Case("consent", consent_b, each(OFFICIALS_0, Outcome(200, names("consented")))),
    Case(
        "consent, other school",
        page("consent_detail", "other_school", "consent_far"),
        each(NETWORK_OFFICIALS, Outcome(200, names("other_school"))),
    ),
    # Another student's consent under this student's URL: nobody.
    Case("consent under the wrong student", on_consent_b("consent_detail", "own")),
    Case(
        "consent form, record",
        page("consent_record", "consented"),
        writers(OFFICIALS_0, CONSENT_WRITERS_0, CONSENTED_AND_GUARDIAN),
    ),
    Case(
        "consent form, request",
        page("consent_request", "consented"),
        writers(OFFICIALS_0, CONSENT_WRITERS_0, CONSENTED_AND_GUARDIAN),
    ),
    Case(
        "consent form, record, other school",
        page("consent_record", "other_school"),
        writers(NETWORK_OFFICIALS, ["network_admin"], names("other_school")),
    ),
    Case(
        "consent revoke form",
        on_consent_b("consent_revoke"),
        writers(OFFICIALS_0, CONSENT_WRITERS_0, names("consented")),
    ),
    Case("consent scan", on_consent_b("consent_scan"), each(OFFICIALS_0, Outcome(200))),
    Case("consent scan under the wrong student", on_consent_b("consent_scan", "own")),
]

TIER_CASES: list[Case] = [
    Case(
        "tiers, own school", page("tier_list", "own"), each(OFFICIALS_0, Outcome(200, names("own")))
    ),
    Case(
        "tiers, other school",
        page("tier_list", "other_school"),
        each(NETWORK_OFFICIALS, Outcome(200, names("other_school"))),
    ),
    Case(
        "tiers, other network",
        page("tier_list", "other_network"),
        {"t2.network_admin": Outcome(200, names("other_network"))},
    ),
    Case(
        "tier end form",
        page("tier_end", "own", "tier_own"),
        writers(OFFICIALS_0, TIER_WRITERS_0, names("own")),
    ),
    Case(
        "tier end form, other school",
        page("tier_end", "other_school", "tier_other_school"),
        writers(NETWORK_OFFICIALS, ["network_admin"], names("other_school")),
    ),
    Case("tier end under the wrong student", page("tier_end", "own", "tier_other_school")),
    # The staff member manages both tiers but sees only their school's student.
    Case(
        "my caseload",
        lambda mw: reverse("caseload"),
        {
            **each(ALL_PERSONAS, Outcome(403)),
            **each(SCHOOL_ROLE_PERSONAS, Outcome(200)),
            "staff": Outcome(200, names("own")),
        },
    ),
    # Counts only: no student is named, whoever reads it.
    Case(
        "tier distribution, own school",
        lambda mw: reverse("tier_distribution", args=[mw.t1.schools[0].pk]),
        {**each(OFFICIALS_0, Outcome(200)), "evaluator": Outcome(403)},
    ),
    Case(
        "tier distribution, other school",
        lambda mw: reverse("tier_distribution", args=[mw.t1.schools[3].pk]),
        {**each(NETWORK_OFFICIALS, Outcome(200)), "evaluator": Outcome(403)},
    ),
    Case(
        "tier distribution, other network",
        lambda mw: reverse("tier_distribution", args=[mw.t2.schools[0].pk]),
        {"t2.network_admin": Outcome(200)},
    ),
]

# Only network admins; the import's error quotes a student's e-mail, which they alone may read.
ROSTER_IMPORT_CASES: list[Case] = [
    Case(
        "roster imports",
        network_page("roster_import_list", "t1"),
        {**each(T1_MEMBERS, Outcome(403)), "network_admin": Outcome(200)},
    ),
    Case(
        "roster import",
        network_page("roster_import_detail", "t1", "roster_import"),
        {
            **each(T1_MEMBERS, Outcome(403)),
            "network_admin": Outcome(200, frozenset({"own.email"})),
        },
    ),
    Case(
        "roster import progress",
        network_page("roster_import_progress", "t1", "roster_import"),
        {
            **each(T1_MEMBERS, Outcome(403)),
            "network_admin": Outcome(200, frozenset({"own.email"})),
        },
    ),
    Case(
        "roster imports, other network",
        network_page("roster_import_list", "t2"),
        {"t2.network_admin": Outcome(200), "t2.partner_staff_a": Outcome(403)},
    ),
    Case(
        "roster import, other network's",
        network_page("roster_import_detail", "t1", "roster_import_t2"),
        {**each(T1_MEMBERS, Outcome(403)), "network_admin": Outcome(404)},
    ),
    Case(
        "API roster import",
        api(lambda mw: f"/rosters/{mw.pk('roster_import')}"),
        {
            **each(T1_MEMBERS, Outcome(403)),
            "network_admin": Outcome(200, frozenset({"own.email"})),
            "t2.partner_staff_a": Outcome(403),
        },
    ),
]

# Writes answer no GET: whoever asks gets a 405 (before any lookup: it reveals nothing).
POST_ONLY_CASES: list[Case] = [
    Case("tier assign (POST only)", page("tier_assign", "own"), each(ALL_PERSONAS, Outcome(405))),
    Case(
        "referral transition (POST only)",
        lambda mw: reverse("referral_transition", args=[mw.world.to_a.pk]),
        each(ALL_PERSONAS, Outcome(405)),
    ),
    Case(
        "session delete (POST only)",
        page("session_delete", "session_a"),
        each(ALL_PERSONAS, Outcome(405)),
    ),
    Case(
        "API one student, other school",
        api(lambda mw: f"/students/{mw.world.other_school.pk}"),
        each(NETWORK_OFFICIALS, Outcome(200, whole("other_school"))),
    ),
    Case(
        "API one student, other network",
        api(lambda mw: f"/students/{mw.world.other_network.pk}"),
        {"t2.network_admin": Outcome(200, whole("other_network"))},
    ),
]

CASES += CONSENT_CASES + TIER_CASES + ROSTER_IMPORT_CASES + POST_ONLY_CASES
