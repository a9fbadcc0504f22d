import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .factories import TEST_PASSWORD, UserFactory


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2():
    user = UserFactory()
    assert user.password.startswith("argon2$")
    assert user.check_password(TEST_PASSWORD)


@pytest.mark.django_db
def test_sign_in_with_username_and_password(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


@pytest.mark.django_db
def test_lockout_after_five_failures_even_with_the_right_password(client):
    user = UserFactory()
    for _ in range(5):
        response = client.post(
            reverse("login"), {"username": user.username, "password": "wrong-guess"}
        )
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_failed_sign_in_keeps_the_username_and_says_why(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{user.username}"' in html
    assert "correct username and password" in html


@pytest.mark.django_db(transaction=True)
def test_password_reset_by_email_sets_a_new_password(client):
    user = UserFactory(email="carmen@example.org")
    response = client.post(reverse("password_reset"), {"email": "carmen@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carmen@example.org"]
    found = re.search(r"http://testserver(/password-reset/\S+/)", str(message.body))
    assert found, message.body
    link = found.group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    new = "a-new-long-passphrase-42"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


@pytest.mark.django_db(transaction=True)
def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@override_settings(WRAPAROUND_REQUIRE_2FA=True)
def test_two_factor_setup_is_forced_then_verified_on_next_sign_in(t1, client):
    user = t1.users["coordinator"]
    client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    response = client.get(reverse("school_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    response = client.get(response["Location"])
    assert response.status_code == 200 and "<svg" in response.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # a wrong code keeps the form and says why
    response = client.post(reverse("two_factor_setup"), {"token": "000000", "next": "/schools/"})
    assert response.status_code == 400 and "did not match" in response.content.decode()
    response = client.post(
        reverse("two_factor_setup"), {"token": current_code(device), "next": "/schools/"}
    )
    assert response.status_code == 302 and response["Location"] == "/schools/"
    assert client.get(reverse("school_list")).status_code == 200

    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    device.refresh_from_db()
    device.last_t = -1  # the same 30-second window's code may be reused in this test
    device.save()
    response = client.post(
        reverse("two_factor_verify"), {"token": current_code(device), "next": "/"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


@override_settings(WRAPAROUND_REQUIRE_2FA=True)
def test_public_pages_do_not_send_a_signed_in_user_to_two_factor(t1, as_user):
    client = as_user(t1.users["coordinator"])
    assert client.get(reverse("school_list")).status_code == 302  # the rule is on
    for path in ("/hsds/", f"/find/{t1.network.slug}/"):
        assert client.get(path).status_code == 200, path


@override_settings(WRAPAROUND_REQUIRE_2FA=True)
def test_roles_without_student_data_are_not_forced_into_two_factor(t1, as_user):
    assert as_user(t1.users["evaluator"]).get(reverse("home")).status_code == 200
    assert as_user(t1.users["partner_admin"]).get(reverse("home")).status_code == 200


@override_settings(WRAPAROUND_REQUIRE_2FA=True)
def test_two_factor_cannot_be_turned_off_when_mandatory(t1, as_user):
    user = t1.users["principal"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = as_user(user)
    client.post(reverse("two_factor_disable"))
    assert TOTPDevice.objects.filter(user=user).exists()


def test_two_factor_can_be_turned_off_when_optional(t1, as_user):
    user = t1.users["principal"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    as_user(user).post(reverse("two_factor_disable"))
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_next_parameter_cannot_send_users_off_site(client):
    user = UserFactory()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    response = client.post(
        reverse("two_factor_setup"),
        {"token": current_code(device), "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_user_model_is_django_default():
    assert get_user_model()._meta.label == "auth.User"
