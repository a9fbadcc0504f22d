"""The authorization matrix (`wraparound.students.tests.matrix`) over the draft's edit page:
every persona × the edit form of a draft and of referrals that are no longer drafts (GET, with
what each body shows), then every persona posting a valid edit of the draft.

`draft_to_a` (of `consented`, at school 0) is edited by those who may refer for school 0; the
school's other officials get a 403; partners never see a draft (404). A referral past draft is
a 403 for whoever sees it (a partner included: no partner edits a referral) and a 404 for the
rest; the 403 page names no student.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from wraparound.referrals.models import Referral
from wraparound.students.tests.matrix import (
    ALL_PERSONAS,
    NETWORK_OFFICIALS,
    OFFICIALS_0,
    Case,
    MatrixWorld,
    Outcome,
    check_case,
    each,
    module_world,
    names,
)

pytestmark = pytest.mark.django_db

REFERRERS_0 = ("network_admin", "coordinator", "staff", "supervisor")


@pytest.fixture(scope="module")
def mw(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MatrixWorld]:
    with module_world(django_db_blocker, tmp_path_factory.mktemp("private")) as world:
        yield world


def edit(attr: str) -> Any:
    return lambda mw: reverse("referral_edit", args=[getattr(mw.world, attr).pk])


CASES: list[Case] = [
    Case(
        "edit a draft",
        edit("draft_to_a"),
        {
            **each(OFFICIALS_0, Outcome(403)),
            **each(REFERRERS_0, Outcome(200, names("consented"))),
        },
    ),
    Case(
        "edit a referral in service",
        edit("to_a"),
        each((*OFFICIALS_0, "partner_staff_a", "partner_admin"), Outcome(403)),
    ),
    Case(
        "edit a referral shared on consent",
        edit("to_b"),
        each((*OFFICIALS_0, "partner_staff_b"), Outcome(403)),
    ),
    Case(
        "edit a referral of another school",
        edit("other_school_to_a"),
        each((*NETWORK_OFFICIALS, "partner_staff_a", "partner_admin"), Outcome(403)),
    ),
    Case(
        "edit a referral of another network",
        edit("other_network_referral"),
        each(("t2.network_admin", "t2.partner_staff_a"), Outcome(403)),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(case: Case, mw: MatrixWorld, client: Client) -> None:
    failures = check_case(case, mw, client)
    assert not failures, "\n".join(failures)


def test_every_persona_posting_an_edit_of_the_draft(mw: MatrixWorld, client: Client) -> None:
    draft = mw.world.draft_to_a
    url = reverse("referral_edit", args=[draft.pk])
    expected = dict.fromkeys(ALL_PERSONAS, 404) | dict.fromkeys(OFFICIALS_0, 403)
    expected |= dict.fromkeys(REFERRERS_0, 302)
    failures = []
    for persona in ALL_PERSONAS:
        version = Referral.objects.get(pk=draft.pk).version
        client.force_login(mw.user(persona))
        response = client.post(
            url,
            {
                "expected_version": version,
                "service": draft.service_id,
                "reason": f"Edited by {persona}",
                "shared_elements": ["name"],
                "action": "draft",
            },
        )
        stored = Referral.objects.get(pk=draft.pk)
        edited = (stored.reason, stored.version) == (f"Edited by {persona}", version + 1)
        if response.status_code != expected[persona] or edited != (expected[persona] == 302):
            failures.append(f"{persona}: {response.status_code}, edited={edited}")
    assert not failures, "\n".join(failures)
