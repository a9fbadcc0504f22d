"""The student groups every outcome can be split by (issue 7; ESSA reporting groups): race and
ethnicity, gender, grade, English learners, students with disabilities, economically
disadvantaged. A split is a field of `students.Student`; its groups are the field's values.

Unknown values (blank, NULL) form their own "not reported" group so that the groups add up to
the whole."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wraparound.core.grades import Grade
from wraparound.students.models import RaceEthnicity, Sex

NOT_REPORTED = "not_reported"


@dataclass(frozen=True)
class Split:
    key: str
    label: str | Promise
    field: str  # the Student field
    groups: tuple[tuple[str, str | Promise], ...]  # (value as stored, label)

    def group_key(self, value: object) -> str:
        """The group a stored value falls in."""
        if value is None or value == "":
            return NOT_REPORTED
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def group_label(self, key: str) -> str:
        for value, label in self.groups:
            if value == key:
                return str(label)
        return str(_("not reported")) if key == NOT_REPORTED else key


_YES_NO = (("yes", _("yes")), ("no", _("no")), (NOT_REPORTED, _("not reported")))

SPLITS: dict[str, Split] = {
    s.key: s
    for s in (
        Split(
            "race_ethnicity",
            _("race/ethnicity"),
            "race_ethnicity",
            (
                *((v, label) for v, label in RaceEthnicity.choices),
                (NOT_REPORTED, _("not reported")),
            ),
        ),
        Split(
            "gender",
            _("gender"),
            "sex",
            (*((v, label) for v, label in Sex.choices), (NOT_REPORTED, _("not reported"))),
        ),
        Split(
            "grade",
            _("grade"),
            "grade",
            (*((v, label) for v, label in Grade.choices), (NOT_REPORTED, _("not reported"))),
        ),
        Split("english_learner", _("English learners"), "english_learner", _YES_NO),
        Split("disability", _("students with disabilities"), "disability", _YES_NO),
        Split(
            "economically_disadvantaged",
            _("economically disadvantaged"),
            "economically_disadvantaged",
            _YES_NO,
        ),
    )
}

SPLIT_CHOICES: list[tuple[str, str | Promise]] = [("", _("all students"))] + [
    (s.key, s.label) for s in SPLITS.values()
]


def get_split(key: str | None) -> Split | None:
    """The split named `key`, None for "all students"; unknown names raise KeyError."""
    if not key:
        return None
    return SPLITS[key]
