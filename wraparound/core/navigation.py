"""Per-role navigation: a user sees links only to what their roles open."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from . import access
from .models import Coalition, Network, Organization
from .roles import PARTNER_ROLES, SCHOOL_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str

    def is_current(self, path: str) -> bool:
        home = reverse("home")
        return path == home if self.url == home else path.startswith(self.url)


def nav_items(request: HttpRequest) -> list[NavItem]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    g = access.grants(user)
    items = [NavItem(_("Home"), reverse("home"))]
    network_ids = sorted(g.network_wide)
    if len(network_ids) == 1:
        slug = Network.objects.filter(id=network_ids[0]).values_list("slug", flat=True).first()
        if slug:
            items.append(NavItem(_("Network"), reverse("network_detail", args=[slug])))
    elif network_ids:
        items.append(NavItem(_("Networks"), reverse("network_list")))
    if access.can_list_schools(user):
        items.append(NavItem(_("Schools"), reverse("school_list")))
    if access.can_search_directory(user):
        items.append(NavItem(_("Directory"), reverse("directory_search")))
    if access.is_directory_reviewer(user):
        items.append(NavItem(_("Review"), reverse("directory_review_queue")))
    org_ids = sorted(g.organizations_with(*PARTNER_ROLES))
    if len(org_ids) == 1:
        items.append(NavItem(_("Organization"), reverse("organization_detail", args=[org_ids[0]])))
    elif org_ids:
        for org_id, name in Organization.objects.filter(id__in=org_ids).values_list("id", "name"):
            items.append(NavItem(name, reverse("organization_detail", args=[org_id])))
    coalition_ids = sorted(g.coalitions_with(Role.COALITION_MEMBER))
    for coalition_id, name in Coalition.objects.filter(id__in=coalition_ids).values_list(
        "id", "name"
    ):
        items.append(
            NavItem(
                name if len(coalition_ids) > 1 else _("Coalition"),
                reverse("coalition_detail", args=[coalition_id]),
            )
        )
    if (
        g.networks_with(Role.NETWORK_ADMIN)
        or g.schools_with(*SCHOOL_ROLES)
        or g.organizations_with(*PARTNER_ROLES)
    ):
        items.append(NavItem(_("Agreements"), reverse("agreement_list")))
    if access.can_use_training(user):
        items.append(NavItem(_("Training"), reverse("training_list")))
    if g.schools_with(*SCHOOL_ROLES):
        items.append(NavItem(_("Caseload"), reverse("caseload")))
    if access.may_hold_conferences(user):
        items.append(NavItem(_("Conferences"), reverse("conference_list")))
    if (
        g.networks_with(Role.NETWORK_ADMIN)
        or g.schools_with(*SCHOOL_ROLES)
        or g.coalitions_with(Role.COALITION_MEMBER)
        or g.organizations_with(*PARTNER_ROLES)
    ):
        items.append(NavItem(_("Action items"), reverse("my_action_items")))
    if len(org_ids) == 1:
        items.append(NavItem(_("Referrals"), reverse("referral_partner_inbox", args=[org_ids[0]])))
    if access.can_check_clearance(user):
        items.append(NavItem(_("Clearance check"), reverse("clearance_check")))
    items.append(NavItem(_("API"), reverse("api_guide")))
    items.append(NavItem(_("Account"), reverse("account")))
    return items
