"""The roles of DESIGN.md §1 and the scope each one is held at."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    NETWORK_ADMIN = "network_admin", _("Network admin")
    NETWORK_EVALUATOR = "network_evaluator", _("Network evaluator")
    SCHOOL_COORDINATOR = "school_coordinator", _("School coordinator")
    SCHOOL_STAFF = "school_staff", _("School staff")
    CLINICAL_SUPERVISOR = "clinical_supervisor", _("Clinical supervisor")
    PRINCIPAL = "principal", _("Principal")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_STAFF = "partner_staff", _("Partner staff")
    COALITION_MEMBER = "coalition_member", _("Coalition member")


class Scope(models.TextChoices):
    NETWORK = "network", _("Network")
    SCHOOL = "school", _("School")
    ORGANIZATION = "organization", _("Organization")
    COALITION = "coalition", _("Coalition")


# Which scopes each role may be held at (a clinical supervisor works for a school or a network).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.NETWORK_ADMIN: frozenset({Scope.NETWORK}),
    Role.NETWORK_EVALUATOR: frozenset({Scope.NETWORK}),
    Role.SCHOOL_COORDINATOR: frozenset({Scope.SCHOOL}),
    Role.SCHOOL_STAFF: frozenset({Scope.SCHOOL}),
    Role.CLINICAL_SUPERVISOR: frozenset({Scope.SCHOOL, Scope.NETWORK}),
    Role.PRINCIPAL: frozenset({Scope.SCHOOL}),
    Role.PARTNER_ADMIN: frozenset({Scope.ORGANIZATION}),
    Role.PARTNER_STAFF: frozenset({Scope.ORGANIZATION}),
    Role.COALITION_MEMBER: frozenset({Scope.COALITION}),
}

# Roles whose holders can see identifiable student data; two-factor is mandatory for them when
# WRAPAROUND_REQUIRE_2FA is on. Evaluators see de-identified aggregates only, partner admins
# manage the organization but are not given students.
STUDENT_DATA_ROLES: frozenset[str] = frozenset(
    {
        Role.NETWORK_ADMIN,
        Role.SCHOOL_COORDINATOR,
        Role.SCHOOL_STAFF,
        Role.CLINICAL_SUPERVISOR,
        Role.PRINCIPAL,
        Role.PARTNER_STAFF,
    }
)

NETWORK_WIDE_ROLES: frozenset[str] = frozenset({Role.NETWORK_ADMIN, Role.NETWORK_EVALUATOR})
SCHOOL_ROLES: frozenset[str] = frozenset(
    {Role.SCHOOL_COORDINATOR, Role.SCHOOL_STAFF, Role.CLINICAL_SUPERVISOR, Role.PRINCIPAL}
)
PARTNER_ROLES: frozenset[str] = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_STAFF})
