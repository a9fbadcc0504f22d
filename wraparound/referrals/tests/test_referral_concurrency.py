"""Two people act on one referral at the same moment: optimistic locking lets exactly one win.

Each thread has its own database connection (closed when the thread ends). Both read version n,
meet at a barrier, then try different moves. On PostgreSQL the two updates really race (the
second waits on the row lock, then finds the version changed). SQLite's in-memory test database
cannot take two writers at once, so there the threads take turns for each database step (a lock)
after both have read: the outcome asked of the code is the same.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from django.db import connection, connections

from wraparound.core import access
from wraparound.referrals import referral_services as services
from wraparound.referrals.models import Referral, ReferralEvent, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.world import student_world

S = ReferralStatus


def _turns() -> Any:
    """A lock on SQLite (one writer at a time), nothing on PostgreSQL (a real race)."""
    if connection.vendor == "sqlite":
        return threading.Lock()
    return None


def _race(moves: list[tuple[Any, str, str]], pk: int) -> list[Any]:
    """Run each (user, to, reason) in its own thread from the same read; return each outcome
    (the referral, or the exception raised)."""
    barrier = threading.Barrier(len(moves))
    lock = _turns()
    outcomes: list[Any] = [None] * len(moves)

    def guard() -> AbstractContextManager[Any]:
        return lock if lock is not None else nullcontext()

    def run(i: int, user: Any, to: str, reason: str) -> None:
        try:
            with guard():
                referral = Referral.objects.select_related("school").get(pk=pk)
                access.grants(user)
            barrier.wait(timeout=20)
            with guard():
                outcomes[i] = services.referral_transition(
                    user=user,
                    referral=referral,
                    to=to,
                    expected_version=referral.version,
                    reason=reason,
                )
        except Exception as exc:  # the outcome under test, whatever it is
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, user, to, reason))
        for i, (user, to, reason) in enumerate(moves)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_accept_and_withdraw_at_once_one_wins_and_nothing_is_lost(t1: Any, round_: int) -> None:
    w = student_world(t1)
    referral: Any = ReferralFactory(
        student=w.own,
        service=w.service_a,
        referred_by=w.users["coordinator"],
        status=S.SENT,
        version=4,
    )
    staff, coordinator = w.users["partner_staff_a"], w.users["coordinator"]
    outcomes = _race(
        [(staff, S.ACCEPTED, ""), (coordinator, S.WITHDRAWN, "family_declined")], referral.pk
    )
    conflicts = [o for o in outcomes if isinstance(o, services.ReferralConflict)]
    wins = [o for o in outcomes if isinstance(o, Referral)]
    assert len(wins) == 1 and len(conflicts) == 1, outcomes
    assert "reload to see the change" in conflicts[0].messages[0]
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (wins[0].status, 5)
    events = list(ReferralEvent.objects.filter(referral=referral))
    assert [(e.from_status, e.to_status) for e in events] == [(S.SENT, wins[0].status)]
    # The loser reloads and acts on what is there now: no change is overwritten.
    if wins[0].status == S.ACCEPTED:
        services.referral_withdraw(
            user=coordinator, referral=referral, expected_version=5, reason="family_declined"
        )
        assert Referral.objects.get(pk=referral.pk).status == S.WITHDRAWN
    else:
        with pytest.raises(Exception) as caught:
            services.referral_accept(user=staff, referral=referral, expected_version=5)
        assert not isinstance(caught.value, services.ReferralConflict)
    assert Referral.objects.get(pk=referral.pk).version == (
        6 if wins[0].status == S.ACCEPTED else 5
    )


@pytest.mark.django_db(transaction=True)
def test_two_partner_staff_answer_at_once(t1: Any) -> None:
    w = student_world(t1)
    referral = ReferralFactory(
        student=w.own, service=w.service_a, referred_by=w.users["coordinator"], status=S.SENT
    )
    from wraparound.core.roles import Role
    from wraparound.core.tests.factories import MembershipFactory, UserFactory

    second = UserFactory(username="second_staff")
    MembershipFactory(
        user=second, role=Role.PARTNER_STAFF, network=t1.network, organization=t1.org_a
    )
    outcomes = _race(
        [
            (w.users["partner_staff_a"], S.WAITLISTED, ""),
            (second, S.DECLINED, "No places this term"),
        ],
        referral.pk,
    )
    assert sum(isinstance(o, Referral) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, services.ReferralConflict) for o in outcomes) == 1, outcomes
    referral.refresh_from_db()
    assert referral.version == 2
    assert ReferralEvent.objects.filter(referral=referral).count() == 1
