"""Thin HTML views: parse → selector/service → render."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login

from . import access, selectors, services
from .forms import ApiTokenForm, SchoolFilterForm, TotpConfirmForm
from .models import ApiToken
from .roles import SCHOOL_ROLES

# --- operations ------------------------------------------------------------------------------


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# --- home and tenancy pages ------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"sections": selectors.home_sections(request.user)})


@login_required
def network_list(request: HttpRequest) -> HttpResponse:
    networks = list(selectors.network_list(request.user))
    if not networks:
        raise PermissionDenied
    return render(request, "core/network_list.html", {"networks": networks})


@login_required
def network_detail(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_network_for_user(request.user, slug)
    communities = selectors.network_communities(request.user, network)
    return render(
        request,
        "core/network_detail.html",
        {
            "network": network,
            "communities": communities,
            "school_count": selectors.school_list(request.user, network_id=network.pk).count(),
            "is_admin": access.is_network_admin(request.user, network.pk),
        },
    )


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    if not access.can_list_schools(request.user):
        raise PermissionDenied
    communities = [
        (c.pk, str(c)) for c in access.visible_communities(request.user).order_by("code")
    ]
    form = SchoolFilterForm(request.GET or None, communities=communities)
    community_id = None
    query = ""
    if form.is_valid():
        community_id = form.cleaned_data["community"]
        query = form.cleaned_data["q"]
    schools = selectors.school_list(request.user, community_id=community_id, query=query)
    page = Paginator(schools, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "core/school_list.html",
        {
            "form": form,
            "page": page,
            "querystring": params.urlencode(),
        },
    )


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = selectors.school_detail(request.user, pk)
    return render(
        request,
        "core/school_detail.html",
        {
            "school": school,
            "feeders": selectors.school_feeders(request.user, school),
            # The front desk's list is for the school's own roles and the network's admins.
            "may_see_campus": school.pk in access.grants(request.user).schools_with(*SCHOOL_ROLES)
            or access.is_network_admin(request.user, school.network_id),
            "may_see_students": access.is_school_official(request.user, school),
        },
    )


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = access.get_organization_for_user(request.user, pk)
    members = (
        organization.memberships.filter(is_active=True).select_related("user").order_by("role")
    )
    return render(
        request,
        "core/organization_detail.html",
        {
            "organization": organization,
            "members": members,
            "may_manage_staff": access.can_manage_staff(request.user, organization),
            "receives_referrals": organization.pk in access.partner_organizations(request.user),
        },
    )


# --- account: memberships, API tokens, two-factor -----------------------------------------------


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/account.html",
        {
            "memberships": selectors.membership_list(request.user),
            "has_2fa": any(True for _d in devices_for_user(request.user, confirmed=True)),
            "needs_2fa": access.requires_two_factor(request.user),
        },
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_token: str | None = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, new_token = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Token “%(name)s” created. Copy it now: it is not shown again.")
                % {"name": token.name},
            )
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=cast(User, request.user)).order_by(
        "revoked_at", "-created_at"
    )
    status = 400 if request.method == "POST" and not new_token else 200
    return render(
        request,
        "core/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=status,
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = services.api_token_revoke(user=request.user, token_id=pk)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    import segno

    device = services.totp_device_start(user=request.user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.totp_device_confirm(
                user=request.user, token=form.cleaned_data["token"]
            )
        except ValidationError as exc:
            form.add_error("token", exc.message_dict["token"])
        else:
            otp_login(request, confirmed)
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect(_next_url(request))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#1b2a3a", light="#ffffff"
    )
    secret = _base32_secret(device.bin_key)
    return render(
        request,
        "core/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": secret,
            "next": _next_url(request),
        },
        status=400 if request.method == "POST" else 200,
    )


def _base32_secret(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    devices = list(devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect("two_factor_setup")
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip().replace(" ", "")
        device = next((d for d in devices if d.verify_token(token)), None)
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("That code did not match. Try the newest code from your app."))
    return render(
        request,
        "core/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    if settings.WRAPAROUND_REQUIRE_2FA and access.requires_two_factor(request.user):
        messages.error(
            request, _("Your roles require two-factor sign-in; it cannot be turned off.")
        )
        return redirect("account")
    services.totp_device_remove(user=request.user)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("account")


# --- API guide ---------------------------------------------------------------------------------


@login_required
@require_GET
def api_guide(request: HttpRequest) -> HttpResponse:
    """The API's own page in the site: how to authenticate and which endpoints exist, read from
    the live OpenAPI schema so it cannot drift from the code."""
    from wraparound.api import api  # the API module imports this app's router

    schema = api.get_openapi_schema(path_prefix=reverse("api-v1:api-root"))
    endpoints = [
        {"method": method.upper(), "path": path, "summary": operation.get("summary", "")}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]
    return render(
        request,
        "core/api_guide.html",
        {
            "endpoints": endpoints,
            "api_root": request.build_absolute_uri(reverse("api-v1:api-root")),
        },
    )
