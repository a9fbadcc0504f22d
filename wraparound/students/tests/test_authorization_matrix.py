"""Every persona × every student-data page, export and endpoint (the table is in `matrix.py`):
the right status, no student fact in the body unless the persona may see it, and a Disclosure
for each partner read (none for school officials' reads). Referrals, sessions and case notes are
in `wraparound/referrals/tests/test_authorization_matrix_referrals.py`, over the same world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from wraparound.core.models import Disclosure

from .matrix import CASES, Case, MatrixWorld, Outcome, check_case, module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def mw(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MatrixWorld]:
    with module_world(django_db_blocker, tmp_path_factory.mktemp("private")) as world:
        yield world


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(case: Case, mw: MatrixWorld, client: Client) -> None:
    failures = check_case(case, mw, client)
    assert not failures, "\n".join(failures)


def test_the_matrix_catches_a_leak(mw: MatrixWorld, client: Client) -> None:
    """The checker itself: a case that wrongly expects a partner to see nothing must fail on
    the name that does show, and on the Disclosure that is written."""
    wrong = Case(
        "partner list, expecting nothing",
        lambda w: f"/organizations/{w.t1.org_a.pk}/students/",
        {"partner_staff_a": Outcome(200)},
    )
    failures = check_case(wrong, mw, client)
    assert any("own.name LEAKED" in f for f in failures)
    assert any("Disclosure row(s) written" in f for f in failures)


def test_the_matrix_wants_a_disclosure_per_student_shown(mw: MatrixWorld, client: Client) -> None:
    """A partner read must log each student it shows: claiming `consented` is shown too fails
    on the missing name and on the missing Disclosure row about them."""
    wrong = Case(
        "partner list, expecting two",
        lambda w: f"/organizations/{w.t1.org_a.pk}/students/",
        {"partner_staff_a": Outcome(200, frozenset({"own.name", "consented.name"}), True)},
    )
    failures = check_case(wrong, mw, client)
    assert any("consented.name missing" in f for f in failures)
    assert any("consented shown without a Disclosure row" in f for f in failures)
    assert not any("own shown without" in f for f in failures)


def test_partner_reads_are_logged_with_the_ground_and_the_fields(
    mw: MatrixWorld, client: Client
) -> None:
    user = mw.t1.users["partner_staff_a"]
    client.force_login(user)
    client.get(f"/organizations/{mw.t1.org_a.pk}/students/")
    rows = list(Disclosure.objects.filter(viewer=user))
    assert [(r.subject_id, sorted(r.fields), r.purpose, r.basis) for r in rows] == [
        (mw.world.own.pk, ["grade", "name", "notes"], "partner student list", "school_official")
    ]
    assert rows[0].organization_id == mw.t1.org_a.pk
