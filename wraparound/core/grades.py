"""OneRoster 1.2 grade codes (CEDS entry grade levels), in school order."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    INFANT_TODDLER = "IT", _("Infant/toddler")
    PRESCHOOL = "PR", _("Preschool")
    PREKINDERGARTEN = "PK", _("Pre-kindergarten")
    TRANSITIONAL_KINDERGARTEN = "TK", _("Transitional kindergarten")
    KINDERGARTEN = "KG", _("Kindergarten")
    G01 = "01", _("Grade 1")
    G02 = "02", _("Grade 2")
    G03 = "03", _("Grade 3")
    G04 = "04", _("Grade 4")
    G05 = "05", _("Grade 5")
    G06 = "06", _("Grade 6")
    G07 = "07", _("Grade 7")
    G08 = "08", _("Grade 8")
    G09 = "09", _("Grade 9")
    G10 = "10", _("Grade 10")
    G11 = "11", _("Grade 11")
    G12 = "12", _("Grade 12")
    G13 = "13", _("Grade 13")
    POSTSECONDARY = "PS", _("Postsecondary")
    UNGRADED = "UG", _("Ungraded")
    OTHER = "Other", _("Other")


# Ungraded/Other have no place in the sequence; spans are drawn between ordered grades only.
GRADE_ORDER: dict[str, int] = {
    code: i
    for i, code in enumerate(
        ["IT", "PR", "PK", "TK", "KG", *[f"{n:02d}" for n in range(1, 14)], "PS"]
    )
}


def grade_span_label(low: str, high: str) -> str:
    short = {"PK": "PK", "TK": "TK", "KG": "K"}

    def fmt(code: str) -> str:
        return short.get(code, code.lstrip("0") or code)

    return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"


def grades_in_span(low: str, high: str) -> list[str]:
    lo, hi = GRADE_ORDER[low], GRADE_ORDER[high]
    return [code for code, i in GRADE_ORDER.items() if lo <= i <= hi]
