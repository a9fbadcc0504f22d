import pytest
from django.urls import reverse

from wraparound.core.models import ApiToken, AuditEvent


def test_create_shows_the_token_once_and_stores_only_its_hash(t1, as_user):
    client = as_user(t1.users["coordinator"])
    response = client.post(reverse("api_tokens"), {"name": "attendance sync"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("wrp_")
    token = ApiToken.objects.get(user=t1.users["coordinator"])
    assert token.token_hash == ApiToken.hash(raw) and raw not in token.token_hash
    assert AuditEvent.objects.filter(
        action="api_token.create", actor=t1.users["coordinator"]
    ).exists()
    # the list page afterwards shows only the prefix
    html = client.get(reverse("api_tokens")).content.decode()
    assert raw not in html and token.prefix in html


def test_bad_input_keeps_what_was_typed_and_writes_nothing(t1, as_user):
    client = as_user(t1.users["coordinator"])
    response = client.post(reverse("api_tokens"), {"name": "   ", "expires_at": "2001-01-01T10:00"})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
    assert "This field is required" in response.content.decode()
    response = client.post(reverse("api_tokens"), {"name": "old", "expires_at": "2001-01-01T10:00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "must be in the future" in html and 'value="old"' in html
    assert ApiToken.objects.count() == 0


def test_revoke_own_token_only(t1, t2, as_user):
    from wraparound.core import services

    mine, _raw = services.api_token_create(user=t1.users["coordinator"], name="mine")
    theirs, _raw = services.api_token_create(user=t2.users["coordinator"], name="theirs")
    client = as_user(t1.users["coordinator"])
    assert client.post(reverse("api_token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("api_token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_revoke_needs_post(t1, as_user):
    from wraparound.core import services

    token, _raw = services.api_token_create(user=t1.users["staff"], name="x")
    assert (
        as_user(t1.users["staff"]).get(reverse("api_token_revoke", args=[token.pk])).status_code
        == 405
    )


@pytest.mark.django_db
def test_tokens_page_needs_login(client):
    assert client.get(reverse("api_tokens")).status_code == 302
