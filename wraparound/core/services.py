"""Writes of the core app. Keyword-only, atomic, permission-checked, audited (DESIGN.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import access
from .models import ApiToken, AuditEvent, Membership, Network
from .roles import Role


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    network: Network | int | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    from django.contrib.contenttypes.models import ContentType

    network_id = network.pk if isinstance(network, Network) else network
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        network_id=network_id,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
        ip_address=ip_address,
    )


# --- API tokens ---------------------------------------------------------------------------------

MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def api_token_create(
    *, user: Any, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal token; return it with its raw value, shown once and never stored."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the token a name, so that you can tell it apart later.")
    elif len(name) > 100:
        errors["name"] = _("Keep the name under 100 characters.")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry date must be in the future.")
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        errors["name"] = _("You have %(n)d active tokens; revoke one first.") % {"n": active}
    if errors:
        raise ValidationError(errors)
    raw, prefix, token_hash = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=token_hash, expires_at=expires_at
    )
    audit_record(actor=user, action="api_token.create", target=token, data={"name": name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: Any, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if token is None:
        from django.http import Http404

        raise Http404
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action="api_token.revoke", target=token)
    return token


def api_token_authenticate(raw: str) -> Any | None:
    """The user a raw token belongs to, or None; records when the token was last used."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=ApiToken.hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not token.is_active:
        return None
    now = timezone.now()
    # One write a minute at most: the column says "recently", not every hit.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- memberships --------------------------------------------------------------------------------


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    user: Any,
    role: str,
    network: Network,
    school: Any = None,
    organization: Any = None,
    coalition: Any = None,
    title: str = "",
) -> Membership:
    """Give a user a role. Only a network admin of the network (or a superuser) may."""
    if not (getattr(actor, "is_superuser", False) or access.is_network_admin(actor, network.pk)):
        raise PermissionDenied
    membership = Membership(
        user=user,
        role=role,
        network=network,
        school=school,
        organization=organization,
        coalition=coalition,
        title=title,
    )
    membership.full_clean()
    membership.save()
    access.forget(user)
    audit_record(
        actor=actor,
        action="membership.grant",
        target=membership,
        network=network,
        data={"user": user.pk, "role": role, "scope": membership.scope},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    if not (
        getattr(actor, "is_superuser", False)
        or access.is_network_admin(actor, membership.network_id)
    ):
        raise PermissionDenied
    if (
        membership.role == Role.NETWORK_ADMIN
        and not Membership.objects.filter(
            network_id=membership.network_id, role=Role.NETWORK_ADMIN, is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(_("A network keeps at least one network admin."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    access.forget(membership.user)
    audit_record(
        actor=actor, action="membership.revoke", target=membership, network=membership.network_id
    )


# --- two-factor ---------------------------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, user: Any) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator, created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: Any, token: str) -> TOTPDevice:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError({"token": _("Start the set-up again: no authenticator is waiting.")})
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ValidationError(
            {
                "token": _(
                    "That code did not match. Check the clock of your phone; try the newest code."
                )
            }
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="two_factor.enable", target=device)
    return device


@transaction.atomic
def totp_device_remove(*, user: Any) -> int:
    deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action="two_factor.disable", target=None)
    return deleted
