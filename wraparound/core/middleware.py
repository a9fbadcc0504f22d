from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import access

# Pages a signed-in user must reach before their second factor is verified.
# Public pages (the HSDS API, the family page) need no sign-in, so no second factor either.
_EXEMPT_PREFIXES = (
    "/account/two-factor/",
    "/logout/",
    "/static/",
    "/healthz",
    "/i18n/",
    "/api/",
    "/hsds/",
    "/find/",
)


class RequireTwoFactorMiddleware:
    """When WRAPAROUND_REQUIRE_2FA is on, a user whose roles can see student data is sent to set up
    or verify TOTP before any other page. (The API applies the same rule in its auth classes.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.WRAPAROUND_REQUIRE_2FA
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]  # added by OTPMiddleware
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and access.requires_two_factor(user)
        ):
            from django_otp import devices_for_user

            has_device = any(True for _ in devices_for_user(user, confirmed=True))
            target = "two_factor_verify" if has_device else "two_factor_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
