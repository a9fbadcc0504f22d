"""The compliance and record computations on hand-made cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from wraparound.training import selectors, services
from wraparound.training.models import Audience, Training
from wraparound.training.services import Entry

from .world import World


def _missing(world: World, **kw: object) -> set[tuple[str, str]]:
    result = selectors.compliance(world.tenant.network, **kw)  # type: ignore[arg-type]
    return {(r.standing.topic.name, r.person.name) for r in result.rows}


def test_audience_per_topic(w1: World) -> None:
    result = selectors.compliance(w1.tenant.network)
    by_topic = {s.topic.name: s for s in result.topics}
    # Anti-bias: school roles at schools (coordinator, staff, supervisor, principal) = 4 people.
    assert by_topic["Anti-bias practice"].audience == 4
    # FERPA: partner users (3) + campus staff without a login (2).
    assert by_topic["FERPA and student privacy"].audience == 5
    names = {r.person.name for r in result.rows if r.standing.topic == w1.ferpa}
    assert "Tess Tutor" in names and "Max Mentor" in names


def test_expired_completion_counts_as_missing(w1: World) -> None:
    old = Training.objects.create(
        network=w1.tenant.network,
        topic=w1.ferpa,
        title="FERPA two years ago",
        starts_at=timezone.now() - dt.timedelta(days=800),
        hours=Decimal("1.5"),
        location="Hall",
        audience=Audience.PARTNER,
    )
    services.attendance_record(
        user=w1.users["network_admin"],
        training=old,
        entries=[Entry(status="completed", staff_member_id=w1.tutor_a.pk)],
    )
    row = next(
        r for r in selectors.compliance(w1.tenant.network).rows if r.person.name == "Tess Tutor"
    )
    assert row.standing.state == "expired"
    services.attendance_record(
        user=w1.users["network_admin"],
        training=w1.past,
        entries=[Entry(status="completed", staff_member_id=w1.tutor_a.pk)],
    )
    assert ("FERPA and student privacy", "Tess Tutor") not in _missing(w1)


def test_a_linked_login_and_staff_entry_are_one_person(w1: World) -> None:
    user = w1.users["partner_staff_a"]
    w1.tutor_a.user = user
    w1.tutor_a.save()
    people = selectors.audience_people(w1.tenant.network, organization_ids=[w1.tenant.org_a.pk])
    assert len([p for p in people if p.user_id == user.pk]) == 1
    services.attendance_record(
        user=w1.users["network_admin"],
        training=w1.past,
        entries=[Entry(status="completed", staff_member_id=w1.tutor_a.pk)],
    )
    missing = {name for _, name in _missing(w1)}
    assert user.get_full_name() not in missing


def test_filters(w1: World) -> None:
    school = w1.tenant.schools[1]  # only the coordinator works there
    rows = _missing(w1, school_id=school.pk)
    assert {name for _, name in rows} == {w1.users["coordinator"].get_full_name()}
    org_rows = _missing(w1, organization_ids=[w1.tenant.org_b.pk])
    assert {name for _, name in org_rows} == {
        "Max Mentor",
        w1.users["partner_staff_b"].get_full_name(),
    }
    assert _missing(w1, topic_id=w1.anti_bias.pk) == {
        t for t in _missing(w1) if t[0] == "Anti-bias practice"
    }


def test_user_record(w1: World) -> None:
    [record] = selectors.user_record(w1.users["staff"])
    assert [s.topic.name for s in record.standings] == ["Anti-bias practice"]
    assert record.standings[0].state == "missing"
    assert selectors.user_record(w1.users["evaluator"]) == []
