"""Template helpers for links to the outcome dashboards."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_organization_outcomes(context: Any, organization: Any) -> bool:
    from wraparound.core import access

    return access.can_view_organization_outcomes(context["request"].user, organization)
