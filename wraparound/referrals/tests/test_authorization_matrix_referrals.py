"""The authorization matrix (`wraparound.students.tests.matrix`) over referrals, service sessions
and case notes: every persona × every page, form and endpoint of this app that shows a student,
in the same world (built once for the module). Forms are opened (GET), never submitted.

What partners see (world.py): org A's staff the name (grade, reason) of `own` on `to_a`, nothing
of `other_school` (no agreement covers school 3) and nothing of `consented` (a draft only); org
A's admin nothing (the agreement names staff); org B's staff the name and e-mail of `consented`
on the family's consent. Each partner read that shows a fact writes a Disclosure about that
student; school officials' reads write none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from wraparound.students.tests.matrix import (
    A_ADMIN,
    A_STAFF,
    ALL_PERSONAS,
    B_STAFF,
    NETWORK_OFFICIALS,
    OFFICIALS_0,
    Case,
    MatrixWorld,
    Outcome,
    api,
    check_case,
    each,
    module_world,
    names,
    page,
    whole,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def mw(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MatrixWorld]:
    with module_world(django_db_blocker, tmp_path_factory.mktemp("private")) as world:
        yield world


def school(index: int, name: str, tenant: str = "t1", query: str = "") -> Callable[..., str]:
    return lambda mw: reverse(name, args=[getattr(mw, tenant).schools[index].pk]) + query


def org(key: str, name: str, query: Callable[[MatrixWorld], str] | None = None) -> Any:
    """A URL of t1's org A or B ("a", "b") or t2's org A ("t2.a")."""

    def build(mw: MatrixWorld) -> str:
        tenant = mw.t2 if key.startswith("t2.") else mw.t1
        organization = tenant.org_a if key.endswith("a") else tenant.org_b
        return reverse(name, args=[organization.pk]) + (query(mw) if query else "")

    return build


def referral(attr: str, name: str = "referral_detail") -> Callable[[MatrixWorld], str]:
    return lambda mw: reverse(name, args=[getattr(mw.world, attr).pk])


def api_referral(attr: str) -> Callable[[MatrixWorld], str]:
    return api(lambda mw: f"/referrals/{getattr(mw.world, attr).pk}")


def roster_query(school_index: int, with_service: bool = True) -> Callable[[MatrixWorld], str]:
    def query(mw: MatrixWorld) -> str:
        q = f"?school={mw.t1.schools[school_index].pk}"
        return q + (f"&service={mw.world.service_a.pk}" if with_service else "")

    return query


# Referrals: the school's officials (evaluators, who read the school, 403); making one needs
# `can_refer` (the principal and the network's clinical supervisor 403).
REFERRERS_0 = ("network_admin", "coordinator", "staff", "supervisor")
SCHOOL_SIDE = {**each(OFFICIALS_0, Outcome(403)), "evaluator": Outcome(403)}
NETWORK_SIDE = {**each(NETWORK_OFFICIALS, Outcome(403)), "evaluator": Outcome(403)}
WHOLE_OWN_CONSENTED = whole("own", "consented") - {"consented.guardian"}
NOTHING = Outcome(200)

REFERRAL_CASES: list[Case] = [
    Case(
        "referrals, own school",
        school(0, "referral_school_list"),
        {**SCHOOL_SIDE, **each(OFFICIALS_0, Outcome(200, names("own", "consented")))},
    ),
    Case(
        "referrals, other school",
        school(3, "referral_school_list"),
        {**NETWORK_SIDE, **each(NETWORK_OFFICIALS, Outcome(200, names("other_school")))},
    ),
    Case(
        "referrals, other network",
        school(0, "referral_school_list", "t2"),
        {"t2.network_admin": Outcome(200, names("other_network"))},
    ),
    Case(
        "new referral for a student",
        lambda mw: (
            reverse("referral_new", args=[mw.t1.schools[0].pk]) + f"?student={mw.world.own.pk}"
        ),
        {**SCHOOL_SIDE, **each(REFERRERS_0, Outcome(200, names("own")))},
    ),
    # A student of another school named in the query: the form does not show them.
    Case(
        "new referral for another school's student",
        lambda mw: (
            reverse("referral_new", args=[mw.t1.schools[0].pk])
            + f"?student={mw.world.other_school.pk}"
        ),
        {**SCHOOL_SIDE, **each(REFERRERS_0, NOTHING)},
    ),
    Case(
        "new referral for another network's student",
        lambda mw: (
            reverse("referral_new", args=[mw.t1.schools[0].pk])
            + f"?student={mw.world.other_network.pk}"
        ),
        {**SCHOOL_SIDE, **each(REFERRERS_0, NOTHING)},
    ),
    Case(
        "referral shared under the agreement",
        referral("to_a"),
        {
            **each(OFFICIALS_0, Outcome(200, whole("own"))),
            "partner_staff_a": A_STAFF,
            "partner_admin": A_ADMIN,
        },
    ),
    Case(
        "referral shared on consent",
        referral("to_b"),
        {
            **each(OFFICIALS_0, Outcome(200, whole("consented") - {"consented.guardian"})),
            "partner_staff_b": B_STAFF,
        },
    ),
    Case(
        "draft referral",
        referral("draft_to_a"),
        each(OFFICIALS_0, Outcome(200, whole("consented") - {"consented.guardian"})),
    ),
    Case(
        "referral, nothing shared",
        referral("other_school_to_a"),
        {
            **each(NETWORK_OFFICIALS, Outcome(200, whole("other_school"))),
            "partner_staff_a": NOTHING,
            "partner_admin": NOTHING,
        },
    ),
    Case(
        "referral, other network",
        referral("other_network_referral"),
        {"t2.network_admin": Outcome(200, whole("other_network")), "t2.partner_staff_a": NOTHING},
    ),
    Case(
        "partner inbox, org A",
        org("a", "referral_partner_inbox"),
        {"network_admin": Outcome(403), "partner_staff_a": A_STAFF, "partner_admin": A_ADMIN},
    ),
    Case(
        "partner inbox, org B",
        org("b", "referral_partner_inbox"),
        # The inbox lists names, not e-mails (the read still logs the contact it was given).
        {
            "network_admin": Outcome(403),
            "partner_staff_b": Outcome(200, names("consented"), discloses=True),
        },
    ),
    Case(
        "partner inbox, other network",
        org("t2.a", "referral_partner_inbox"),
        {"t2.network_admin": Outcome(403), "t2.partner_staff_a": NOTHING},
    ),
    Case(
        "API referrals",
        api(lambda mw: "/referrals"),
        {
            # Whoever has neither side is answered 403 (nothing is looked up).
            **each(ALL_PERSONAS, Outcome(403)),
            **each(OFFICIALS_0, Outcome(200, WHOLE_OWN_CONSENTED)),
            **each(
                NETWORK_OFFICIALS,
                Outcome(200, whole("own", "consented", "other_school") - {"consented.guardian"}),
            ),
            "partner_staff_a": A_STAFF,
            "partner_admin": A_ADMIN,
            "partner_staff_b": B_STAFF,
            "t2.network_admin": Outcome(200, whole("other_network")),
            "t2.partner_staff_a": NOTHING,
        },
    ),
    Case(
        "API referral shared under the agreement",
        api_referral("to_a"),
        {
            **each(OFFICIALS_0, Outcome(200, whole("own"))),
            "partner_staff_a": A_STAFF,
            "partner_admin": A_ADMIN,
        },
    ),
    Case(
        "API referral shared on consent",
        api_referral("to_b"),
        {
            **each(OFFICIALS_0, Outcome(200, whole("consented") - {"consented.guardian"})),
            "partner_staff_b": B_STAFF,
        },
    ),
    Case(
        "API draft referral",
        api_referral("draft_to_a"),
        each(OFFICIALS_0, Outcome(200, whole("consented") - {"consented.guardian"})),
    ),
    Case(
        "API referral, nothing shared",
        api_referral("other_school_to_a"),
        {
            **each(NETWORK_OFFICIALS, Outcome(200, whole("other_school"))),
            "partner_staff_a": NOTHING,
            "partner_admin": NOTHING,
        },
    ),
    Case(
        "API referral, other network",
        api_referral("other_network_referral"),
        {"t2.network_admin": Outcome(200, whole("other_network")), "t2.partner_staff_a": NOTHING},
    ),
]

# Sessions. Lists name nobody; a session's page names its attendance as the viewer may see it;
# logging needs `can_log_school_session` (the principal and network supervisor 403) or a
# partner role at the organization (the network's admin, who reads its sessions, 403).
SCHOOL_LOGGERS_0 = ("network_admin", "coordinator", "staff", "supervisor")
ORG_A_READERS = ("network_admin", "partner_staff_a", "partner_admin")
ORG_A_LOGGERS = {"network_admin": Outcome(403), "partner_admin": NOTHING}

SESSION_CASES: list[Case] = [
    Case("sessions of org A", org("a", "session_org_list"), each(ORG_A_READERS, NOTHING)),
    Case(
        "sessions of org B",
        org("b", "session_org_list"),
        each(("network_admin", "partner_staff_b"), NOTHING),
    ),
    Case(
        "sessions of another network's org",
        org("t2.a", "session_org_list"),
        each(("t2.network_admin", "t2.partner_staff_a"), NOTHING),
    ),
    Case(
        "sessions of own school",
        school(0, "session_school_list"),
        {**SCHOOL_SIDE, **each(OFFICIALS_0, NOTHING)},
    ),
    Case(
        "sessions of other school",
        school(3, "session_school_list"),
        {**NETWORK_SIDE, **each(NETWORK_OFFICIALS, NOTHING)},
    ),
    Case(
        "sessions of other network's school",
        school(0, "session_school_list", "t2"),
        {"t2.network_admin": NOTHING},
    ),
    Case(
        "partner session, agreement covers one of two",
        page("session_detail", "session_a"),
        {
            **each(OFFICIALS_0, Outcome(200, names("own", "consented"))),
            "partner_staff_a": A_STAFF,
            "partner_admin": A_ADMIN,
        },
    ),
    Case(
        "school's own session",
        page("session_detail", "session_school"),
        each(OFFICIALS_0, Outcome(200, names("own"))),
    ),
    Case(
        "partner session, nothing shared",
        page("session_detail", "session_far_a"),
        {
            **each(NETWORK_OFFICIALS, Outcome(200, names("other_school"))),
            "partner_staff_a": NOTHING,
            "partner_admin": NOTHING,
        },
    ),
    Case(
        "session, other network",
        page("session_detail", "session_far"),
        {"t2.network_admin": Outcome(200, names("other_network")), "t2.partner_staff_a": NOTHING},
    ),
    Case(
        "session edit form, partner session",
        page("session_edit", "session_a"),
        {
            **each(OFFICIALS_0, Outcome(403)),
            "partner_staff_a": A_STAFF,
            "partner_admin": A_ADMIN,
        },
    ),
    Case(
        "session edit form, school session",
        page("session_edit", "session_school"),
        {
            **each(OFFICIALS_0, Outcome(403)),
            **each(("staff", "coordinator"), Outcome(200, names("own"))),
        },
    ),
    Case(
        "a student's sessions, own school",
        page("student_sessions", "own"),
        each(OFFICIALS_0, Outcome(200, names("own"))),
    ),
    Case(
        "a student's sessions, other school",
        page("student_sessions", "other_school"),
        each(NETWORK_OFFICIALS, Outcome(200, names("other_school"))),
    ),
    Case(
        "a student's sessions, other network",
        page("student_sessions", "other_network"),
        {"t2.network_admin": Outcome(200, names("other_network"))},
    ),
    Case(
        "delivered against promised",
        lambda mw: reverse("partnership_delivery", args=[mw.world.partnership_a.pk]),
        {
            **each((*OFFICIALS_0, "partner_admin", "partner_staff_a"), NOTHING),
            "evaluator": Outcome(403),
        },
    ),
    Case(
        "partner session form with the roster, school 0",
        org("a", "session_org_log", roster_query(0)),
        {**ORG_A_LOGGERS, "partner_staff_a": A_STAFF},
    ),
    Case(
        "partner roster, school 0",
        org("a", "session_org_roster", roster_query(0)),
        {**ORG_A_LOGGERS, "partner_staff_a": A_STAFF},
    ),
    Case(
        "partner roster, school 3 (nothing shared)",
        org("a", "session_org_roster", roster_query(3)),
        {**ORG_A_LOGGERS, "partner_staff_a": NOTHING},
    ),
    Case(
        "partner session upload form",
        org("a", "session_org_upload"),
        {**ORG_A_LOGGERS, "partner_staff_a": NOTHING},
    ),
    Case(
        "partner session form, org B",
        org("b", "session_org_log"),
        {"network_admin": Outcome(403), "partner_staff_b": NOTHING},
    ),
    Case(
        "school session form with the roster",
        lambda mw: (
            reverse("session_school_log", args=[mw.t1.schools[0].pk])
            + f"?service={mw.world.service_a.pk}"
        ),
        {**SCHOOL_SIDE, **each(SCHOOL_LOGGERS_0, Outcome(200, names("own")))},
    ),
    Case(
        "school session form, whole school",
        school(0, "session_school_log"),
        {**SCHOOL_SIDE, **each(SCHOOL_LOGGERS_0, Outcome(200, names("own", "consented")))},
    ),
    Case(
        "school session roster, whole school",
        school(0, "session_school_roster"),
        {**SCHOOL_SIDE, **each(SCHOOL_LOGGERS_0, Outcome(200, names("own", "consented")))},
    ),
    Case(
        "school session form, other school",
        school(3, "session_school_log"),
        {**NETWORK_SIDE, "network_admin": Outcome(200, names("other_school"))},
    ),
    Case(
        "school session upload form",
        school(0, "session_school_upload"),
        {**SCHOOL_SIDE, **each(SCHOOL_LOGGERS_0, NOTHING)},
    ),
    Case(
        "API sessions of org A",
        api(lambda mw: f"/organizations/{mw.t1.org_a.pk}/sessions"),
        each(ORG_A_READERS, NOTHING),
    ),
    Case(
        "API sessions of another network's org",
        api(lambda mw: f"/organizations/{mw.t2.org_a.pk}/sessions"),
        each(("t2.network_admin", "t2.partner_staff_a"), NOTHING),
    ),
    Case(
        "API sessions of own school",
        api(lambda mw: f"/schools/{mw.t1.schools[0].pk}/sessions"),
        {**SCHOOL_SIDE, **each(OFFICIALS_0, NOTHING)},
    ),
    Case(
        "API sessions of other school",
        api(lambda mw: f"/schools/{mw.t1.schools[3].pk}/sessions"),
        {**NETWORK_SIDE, **each(NETWORK_OFFICIALS, NOTHING)},
    ),
    Case(
        "API dosage, own school",
        api(lambda mw: f"/students/{mw.world.own.pk}/dosage"),
        each(OFFICIALS_0, NOTHING),
    ),
    Case(
        "API dosage, other school",
        api(lambda mw: f"/students/{mw.world.other_school.pk}/dosage"),
        each(NETWORK_OFFICIALS, NOTHING),
    ),
    Case(
        "API dosage, other network",
        api(lambda mw: f"/students/{mw.world.other_network.pk}/dosage"),
        {"t2.network_admin": NOTHING},
    ),
]

# Case notes: the author and clinical supervisors (of the school, or of the network) only; the
# network admin, coordinator, principal and partners get a 404 and never the note's text.
NOTE_CASES: list[Case] = [
    Case(
        "case notes, own school",
        page("case_note_list", "own"),
        each(
            ("staff", "supervisor", "network_supervisor"),
            Outcome(200, frozenset({"own.name", "own.note"})),
        ),
    ),
    Case(
        "case notes, other school",
        page("case_note_list", "other_school"),
        {"network_supervisor": Outcome(200, frozenset({"other_school.name", "other_school.note"}))},
    ),
    Case("case notes, other network", page("case_note_list", "other_network")),
    # Supervisors read it, only its author changes it.
    Case(
        "case note edit form",
        page("case_note_edit", "own", "note_own"),
        {
            "staff": Outcome(200, frozenset({"own.name", "own.note"})),
            **each(("supervisor", "network_supervisor"), Outcome(403)),
        },
    ),
    # Another student's note under this student's URL: nobody, not even its supervisor.
    Case(
        "case note edit form, other school's note",
        page("case_note_edit", "own", "note_other_school"),
    ),
]

CASES = REFERRAL_CASES + SESSION_CASES + NOTE_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(case: Case, mw: MatrixWorld, client: Client) -> None:
    failures = check_case(case, mw, client)
    assert not failures, "\n".join(failures)


def test_the_matrix_catches_a_note_shown_to_an_admin(mw: MatrixWorld, client: Client) -> None:
    """The checker itself: a case wrongly expecting the network admin to read the notes fails
    on the status, and one wrongly hiding the text from its author fails on the text."""
    wrong = Case(
        "notes, wrong",
        page("case_note_list", "own"),
        {"network_admin": Outcome(200, frozenset({"own.note"})), "staff": Outcome(200)},
    )
    failures = check_case(wrong, mw, client)
    assert any("as network_admin" in f and "status 404, not 200" in f for f in failures)
    assert any("as staff" in f and "own.note LEAKED" in f for f in failures)
