"""The notifications page: a user sees and marks only their own notifications (another user's is
a 404), newest first, paginated, unread ones marked; reading one follows its link when it is a
path on this site; the header's unread count costs one query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from wraparound.core.models import Notification
from wraparound.core.tests.personas import PERSONAS

pytestmark = pytest.mark.django_db


def notify(user: Any, message: str, *, url: str = "", minutes_ago: int = 0, read: bool = False):
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user, message=message, url=url, created_at=at, read_at=at if read else None
    )


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_every_role_sees_only_their_own(t1: Any, t2: Any, as_user: Any) -> None:
    for persona in PERSONAS:
        user = t1.users[persona]
        notify(user, f"<{persona}> older", minutes_ago=5)
        notify(user, f"<{persona}> newer", minutes_ago=1, read=True)
        notify(t2.users[persona], "Other tenant's")
    for persona in PERSONAS:
        response = as_user(t1.users[persona]).get(reverse("notifications"))
        assert response.status_code == 200
        shown = [n.message for n in response.context["page"].object_list]
        assert shown == [f"<{persona}> newer", f"<{persona}> older"]
        assert response.context["unread"] == 1
        body = response.content.decode()
        assert "Other tenant" not in body
        assert not [p for p in PERSONAS if p != persona and f"&lt;{p}&gt;" in body]


def test_unread_ones_are_marked(t1: Any, as_user: Any) -> None:
    user = t1.users["partner_admin"]
    notify(user, "Read already", read=True)
    notify(user, "Not read yet")
    body = as_user(user).get(reverse("notifications")).content.decode()
    assert 'class="unread"' in body
    assert body.count('class="unread"') == 1
    assert "Unread:" in body
    assert "1 unread notification." in body


def test_the_list_is_paginated(t1: Any, as_user: Any) -> None:
    user = t1.users["coordinator"]
    Notification.objects.bulk_create(
        [
            Notification(
                user=user, message=f"N{i}", created_at=timezone.now() - dt.timedelta(minutes=i)
            )
            for i in range(30)
        ]
    )
    client = as_user(user)
    first = client.get(reverse("notifications"))
    assert [n.message for n in first.context["page"].object_list][:2] == ["N0", "N1"]
    assert len(first.context["page"].object_list) == 25
    second = client.get(reverse("notifications"), {"page": 2})
    assert [n.message for n in second.context["page"].object_list] == [
        f"N{i}" for i in range(25, 30)
    ]
    assert client.get(reverse("notifications"), {"page": "x"}).status_code == 200


def test_mark_all_read_touches_only_mine(t1: Any, as_user: Any) -> None:
    mine = [notify(t1.users["staff"], f"Mine {i}") for i in range(3)]
    theirs = notify(t1.users["principal"], "Theirs")
    client = as_user(t1.users["staff"])
    assert client.get(reverse("notifications_read_all")).status_code == 405
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("notifications")
    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert "Every notification was already read." in response.content.decode()


def test_reading_one_follows_its_local_link(t1: Any, as_user: Any) -> None:
    user = t1.users["partner_admin"]
    local = notify(user, "Expiring", url="/organizations/1/")
    client = as_user(user)
    response = client.post(reverse("notification_read", args=[local.pk]))
    assert response.status_code == 302 and response["Location"] == "/organizations/1/"
    local.refresh_from_db()
    first_read = local.read_at
    assert first_read is not None
    client.post(reverse("notification_read", args=[local.pk]))
    local.refresh_from_db()
    assert local.read_at == first_read  # read once, kept


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_link_off_the_site_is_not_followed(t1: Any, as_user: Any, url: str) -> None:
    user = t1.users["partner_admin"]
    notification = notify(user, "Odd link", url=url)
    response = as_user(user).post(reverse("notification_read", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_without_a_link_reading_returns_to_the_list(t1: Any, as_user: Any) -> None:
    notification = notify(t1.users["evaluator"], "Plain")
    response = as_user(t1.users["evaluator"]).post(
        reverse("notification_read", args=[notification.pk])
    )
    assert response["Location"] == reverse("notifications")


def test_another_users_notification_is_a_404(t1: Any, t2: Any, as_user: Any) -> None:
    theirs = notify(t1.users["network_admin"], "Theirs")
    other_tenant = notify(t2.users["partner_admin"], "Other tenant")
    client = as_user(t1.users["partner_admin"])
    for pk in (theirs.pk, other_tenant.pk, 10**9):
        assert client.post(reverse("notification_read", args=[pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.get(pk=other_tenant.pk).read_at is None
    assert client.get(reverse("notification_read", args=[theirs.pk])).status_code == 405


def test_the_unread_count_tag(t1: Any, django_assert_num_queries: Any) -> None:
    user = t1.users["coordinator"]
    notify(user, "One")
    notify(user, "Two")
    notify(user, "Read", read=True)
    notify(t1.users["staff"], "Someone else's")
    request = RequestFactory().get("/")
    request.user = user
    page = Template(
        "{% load notifications %}{% unread_notifications_count as n %}{{ n }}"
        "/{% unread_notifications_count %}"
    )
    with django_assert_num_queries(1):
        assert page.render(Context({"request": request, "user": user})) == "2/2"
    anonymous = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    anonymous.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert page.render(Context({"request": anonymous})) == "0/0"
