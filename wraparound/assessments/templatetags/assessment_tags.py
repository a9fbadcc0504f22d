"""Display helpers of the assessment pages, and who may open them (for the school page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.grades import Grade, grade_span_label
from wraparound.directory.search import TIMING_LABELS, language_label

register = template.Library()


@register.simple_tag(takes_context=True)
def can_view_assessments(context: template.Context, school: Any) -> bool:
    """Whether the signed-in user may open the school's assessments (no query: grants are
    read once per request)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and access.can_view_assessment(user, school))


@register.filter
def language_names(codes: str) -> str:
    """ "es,zh" → "Spanish, Chinese"."""
    return ", ".join(language_label(code) for code in (codes or "").split(",") if code)


@register.filter
def timing_names(row: Any) -> str:
    return ", ".join(str(TIMING_LABELS[name]) for name in row.timings)


@register.filter
def grade_band(row: Any) -> str:
    low, high = row.grade_low, row.grade_high
    if low and high:
        return grade_span_label(low, high)
    if low:
        return _("%(grade)s and up") % {"grade": Grade(low).label}
    if high:
        return _("up to %(grade)s") % {"grade": Grade(high).label}
    return ""
