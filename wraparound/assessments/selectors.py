"""Reads for the assessment pages, starting from `core.access` scoping: a school or an assessment
the user may not see is a 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import School, SchoolYear
from wraparound.core.need_index import need_indexes
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.search import term_label
from wraparound.directory.taxonomy import PILLARS

from .models import Asset, Need, NeedsAssessment, Participant

# --- schools and assessments ----------------------------------------------------------------------


def get_school_for_assessments(user: Any, school_pk: Any) -> School:
    """The school whose assessments the user may read; 404 otherwise."""
    school = access.get_school_for_user(user, school_pk)
    if not access.can_view_assessment(user, school):
        raise Http404
    return school


def get_assessment_for_user(user: Any, pk: Any) -> NeedsAssessment:
    """An assessment of a school the user may read (with its school, network, year and who
    submitted it); 404 otherwise."""
    try:
        assessment = (
            NeedsAssessment.objects.filter(school__in=access.visible_schools(user))
            .select_related(
                "school__network", "school_year", "submitted_by", "copied_from__school_year"
            )
            .get(pk=pk)
        )
    except (NeedsAssessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.can_view_assessment(user, assessment.school):
        raise Http404
    return assessment


def _count(model: type[Need | Asset | Participant]) -> Coalesce:
    rows = (
        model._default_manager.filter(assessment=OuterRef("pk"))
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def school_assessments(school: School) -> QuerySet[NeedsAssessment]:
    """The school's assessments, latest year first, with how many needs, assets and participants
    each records (one query)."""
    return (
        NeedsAssessment.objects.filter(school=school)
        .select_related("school_year", "submitted_by")
        .annotate(n_needs=_count(Need), n_assets=_count(Asset), n_participants=_count(Participant))
        .order_by("-school_year__end_year")
    )


def startable_years(school: School) -> list[SchoolYear]:
    """The network's school years in which the school has no assessment yet, latest first."""
    return list(
        SchoolYear.objects.filter(network_id=school.network_id)
        .exclude(assessments__school=school)
        .order_by("-end_year")
    )


def has_earlier_assessment(school: School) -> bool:
    return NeedsAssessment.objects.filter(school=school).exists()


def get_need(assessment: NeedsAssessment, pk: Any) -> Need:
    try:
        return Need.objects.select_related("category").get(assessment=assessment, pk=pk)
    except (Need.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_asset(assessment: NeedsAssessment, pk: Any) -> Asset:
    try:
        return Asset.objects.select_related("category").get(assessment=assessment, pk=pk)
    except (Asset.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_participant(assessment: NeedsAssessment, pk: Any) -> Participant:
    try:
        return Participant.objects.get(assessment=assessment, pk=pk)
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the category taxonomy, by pillar -------------------------------------------------------------


@dataclass
class Pillar:
    code: str
    term: TaxonomyTerm
    # (term id, label) of the categories beneath the pillar, at any depth, in reading order
    categories: list[tuple[int, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return term_label(self.term)

    @property
    def description(self) -> str:
        return self.term.description


@dataclass
class Categories:
    """The network's pillars and the categories beneath each (one query)."""

    pillars: list[Pillar]
    terms: dict[int, TaxonomyTerm]
    pillar_of: dict[int, str]  # term id → its pillar's code

    def pillar(self, code: str) -> Pillar | None:
        return next((p for p in self.pillars if p.code == code), None)

    def grouped(self) -> list[tuple[str, list[tuple[int, str]]]]:
        return [(p.label, p.categories) for p in self.pillars if p.categories]

    def label(self, term_id: int) -> str:
        term = self.terms.get(term_id)
        return term_label(term) if term is not None else ""


def categories(network_id: int) -> Categories:
    terms = {t.pk: t for t in TaxonomyTerm.objects.filter(network_id=network_id).order_by("name")}
    children: dict[int, list[TaxonomyTerm]] = {}
    for term in terms.values():
        if term.parent_id is not None:
            children.setdefault(term.parent_id, []).append(term)
    pillars: list[Pillar] = []
    pillar_of: dict[int, str] = {}
    tops = {t.code: t for t in terms.values() if t.parent_id is None and t.code in PILLARS}
    for code in PILLARS:
        top = tops.get(code)
        if top is None:
            continue
        pillar = Pillar(code=code, term=top)
        pillar_of[top.pk] = code
        # depth first, each level by name; a sub-category is labelled with its parent's name
        stack: list[tuple[TaxonomyTerm, str]] = [
            (c, "") for c in reversed(sorted(children.get(top.pk, []), key=term_label))
        ]
        seen: set[int] = set()
        while stack:
            term, prefix = stack.pop()
            if term.pk in seen:
                continue  # a cycle in imported data must not loop forever
            seen.add(term.pk)
            label = f"{prefix} › {term_label(term)}" if prefix else term_label(term)
            pillar.categories.append((term.pk, label))
            pillar_of[term.pk] = code
            stack.extend(
                (c, label) for c in reversed(sorted(children.get(term.pk, []), key=term_label))
            )
        pillars.append(pillar)
    return Categories(pillars=pillars, terms=terms, pillar_of=pillar_of)


# --- the assessment page --------------------------------------------------------------------------


@dataclass
class PillarNeeds:
    pillar: Pillar
    needs: list[Need]


@dataclass
class NeedsByPillar:
    sections: list[PillarNeeds]
    # needs whose category sits under no pillar (imported terms): listed, never hidden
    other: list[Need]

    @property
    def count(self) -> int:
        return sum(len(s.needs) for s in self.sections) + len(self.other)


def needs_by_pillar(assessment: NeedsAssessment, cats: Categories) -> NeedsByPillar:
    needs = list(Need.objects.filter(assessment=assessment).select_related("category"))
    sections = [PillarNeeds(pillar=p, needs=[]) for p in cats.pillars]
    by_code = {s.pillar.code: s for s in sections}
    other: list[Need] = []
    for need in needs:
        section = by_code.get(cats.pillar_of.get(need.category_id, ""))
        (section.needs if section else other).append(need)
    return NeedsByPillar(sections=sections, other=other)


def assessment_assets(assessment: NeedsAssessment) -> list[Asset]:
    return list(Asset.objects.filter(assessment=assessment).select_related("category"))


def assessment_participants(assessment: NeedsAssessment) -> list[Participant]:
    return list(Participant.objects.filter(assessment=assessment))


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _percent(value: Decimal | None) -> str:
    if value is None:
        return _("not known")
    return f"{float(value) * 100:.0f}%"


def school_facts(school: School) -> list[Fact]:
    """What the school's data says about its students, for the aside beside the form."""
    enrollment = school.enrollment
    return [
        Fact(_("Enrollment"), str(enrollment) if enrollment is not None else _("not known")),
        Fact(_("Chronically absent"), _percent(school.chronic_absenteeism_rate)),
        Fact(_("English learners"), _percent(school.share_english_learners)),
        Fact(_("Students with disabilities"), _percent(school.share_students_with_disabilities)),
        Fact(_("Economically disadvantaged"), _percent(school.share_economically_disadvantaged)),
    ]


def school_need_index(school: School) -> float | None:
    return need_indexes(school.network, [school]).get(school.pk)
