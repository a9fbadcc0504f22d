"""The JSON API at /api/v1/: one NinjaAPI, one router per app, the same selectors and services
as the HTML views. Authentication: a personal API token (Bearer) or the browser session."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from wraparound.agreements.api import router as partnerships_router
from wraparound.core import access, services
from wraparound.core.api import router as core_router
from wraparound.matching.api import router as matching_router


class TokenAuth(HttpBearer):
    """`Authorization: Bearer wrp_…` — a personal token made on the account page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class VerifiedSessionAuth(APIKeyCookie):
    """The browser session, with the same two-factor rule as the HTML pages."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if (
            settings.WRAPAROUND_REQUIRE_2FA
            and access.requires_two_factor(user)
            and not user.is_verified()
        ):
            return None
        return user


api = NinjaAPI(
    title="wraparound API",
    version="1",
    description="School–community partnerships. Every answer is scoped to what the caller may see.",
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _error(request: HttpRequest, message: str, status: int, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": message, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(
        request,
        "The request is not valid.",
        400,
        errors=[
            {"field": _field_name(e.get("loc", ())), "message": e.get("msg")} for e in exc.errors
        ],
    )


def _field_name(loc: Any) -> str | None:
    """A field as the client wrote it: "units", not ninja's ("body", "payload", "units") — the
    same name a service's refusal of that field uses."""
    parts = [str(p) for p in loc]
    # A body error names the body and the schema's parameter first; a query or path error, its
    # place.
    parts = parts[2:] if parts and parts[0] == "body" else parts[1:]
    return ".".join(parts) or None


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(
        request,
        "The request is not valid.",
        400,
        errors=[{"field": k, "message": " ".join(v)} for k, v in errors.items()],
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, "Your role does not allow this.", 403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, "Sign in, or send a personal API token as 'Authorization: Bearer <token>'.", 401
    )


api.add_router("/", core_router)
api.add_router("/", matching_router)
api.add_router("/", partnerships_router)
api.add_router("/", "wraparound.agreements.api_agreements.router")
api.add_router("/", "wraparound.students.api_roster.router")
api.add_router("/", "wraparound.students.api_students.router")
api.add_router("/", "wraparound.referrals.api_referrals.router")
api.add_router("/", "wraparound.referrals.api_sessions.router")
api.add_router("/", "wraparound.outcomes.api.router")
api.add_router("/", "wraparound.outcomes.api_reports.router")
api.add_router("/", "wraparound.coalitions.api.router")
api.add_router("/", "wraparound.meetings.api.router")
api.add_router("/", "wraparound.training.api.router")
api.add_router("/", "wraparound.initiatives.api.router")
api.add_router("/", "wraparound.conferences.api.router")
