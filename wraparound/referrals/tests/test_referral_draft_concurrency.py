"""Two people change one draft at the same moment (an edit against a send, an edit against an
edit): exactly one wins, the other gets a conflict, and nothing of the loser is written.

As in test_referral_concurrency.py: each thread reads the same version, both meet at a barrier,
then write. On PostgreSQL the updates really race on the row lock; SQLite's in-memory test
database takes one writer at a time, so there the threads take turns for each database step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from django.db import connection, connections

from wraparound.core import access
from wraparound.core.models import AuditEvent
from wraparound.referrals import referral_services as services
from wraparound.referrals.models import Referral, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.world import student_world

S = ReferralStatus
Write = Callable[[Referral], Referral]


def _race(writes: list[tuple[Any, Write]], pk: int) -> list[Any]:
    """Each (user, write) in its own thread from the same read; each outcome (the referral or
    the exception raised)."""
    barrier = threading.Barrier(len(writes))
    lock = threading.Lock() if connection.vendor == "sqlite" else None
    outcomes: list[Any] = [None] * len(writes)

    def guard() -> AbstractContextManager[Any]:
        return lock if lock is not None else nullcontext()

    def run(i: int, user: Any, write: Write) -> None:
        try:
            with guard():
                referral = Referral.objects.select_related("school").get(pk=pk)
                access.grants(user)
            barrier.wait(timeout=20)
            with guard():
                outcomes[i] = write(referral)
        except Exception as exc:  # the outcome under test, whatever it is
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, u, w)) for i, (u, w) in enumerate(writes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _edit(user: Any, service: Any, reason: str) -> Write:
    return lambda referral: services.referral_update_draft(
        user=user,
        referral=referral,
        expected_version=referral.version,
        service=service,
        reason=reason,
        shared_elements=["name"],
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_an_edit_and_a_send_at_once_one_wins(t1: Any, round_: int) -> None:
    w = student_world(t1)
    draft = ReferralFactory(
        student=w.own,
        service=w.service_a,
        referred_by=w.users["coordinator"],
        status=S.DRAFT,
        sent_at=None,
        reason="Reading support",
        shared_elements=["name", "grade"],
    )
    coordinator, staff = w.users["coordinator"], w.users["staff"]

    def send(referral: Referral) -> Referral:
        return services.referral_send(
            user=coordinator, referral=referral, expected_version=referral.version
        )

    outcomes = _race([(staff, _edit(staff, w.service_a, "Edited")), (coordinator, send)], draft.pk)

    conflicts = [o for o in outcomes if isinstance(o, services.ReferralConflict)]
    wins = [o for o in outcomes if isinstance(o, Referral)]
    assert (len(wins), len(conflicts)) == (1, 1), outcomes
    stored = Referral.objects.get(pk=draft.pk)
    edited = AuditEvent.objects.filter(action="referrals.referral.update").exists()
    if wins[0].status == S.SENT:
        # The send won: the draft went as it was, and the edit wrote nothing.
        assert (stored.status, stored.version, stored.reason) == (S.SENT, 2, "Reading support")
        assert not edited
    else:
        assert (stored.status, stored.version, stored.reason) == (S.DRAFT, 2, "Edited")
        assert edited and not stored.events.exists()


@pytest.mark.django_db(transaction=True)
def test_two_edits_at_once_one_wins(t1: Any) -> None:
    w = student_world(t1)
    draft = ReferralFactory(
        student=w.own,
        service=w.service_a,
        referred_by=w.users["coordinator"],
        status=S.DRAFT,
        sent_at=None,
        reason="Reading support",
    )
    coordinator, staff = w.users["coordinator"], w.users["staff"]
    outcomes = _race(
        [
            (coordinator, _edit(coordinator, w.service_a, "By the coordinator")),
            (staff, _edit(staff, w.service_b, "By the staff member")),
        ],
        draft.pk,
    )
    wins = [o for o in outcomes if isinstance(o, Referral)]
    assert len(wins) == 1 and sum(isinstance(o, services.ReferralConflict) for o in outcomes) == 1
    stored = Referral.objects.get(pk=draft.pk)
    assert (stored.version, stored.reason, stored.service_id) == (
        2,
        wins[0].reason,
        wins[0].service_id,
    )
    assert AuditEvent.objects.filter(action="referrals.referral.update").count() == 1
