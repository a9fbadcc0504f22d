"""The demo's needs-and-assets assessments and existing partnerships (issue 4)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

import pytest
from django.db.models import Sum

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.assessments.models import (
    AssessmentStatus,
    Asset,
    Need,
    NeedsAssessment,
    Participant,
    ParticipantRole,
)
from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import Membership, Network, School
from wraparound.core.need_index import need_indexes
from wraparound.core.roles import Role
from wraparound.demo.generate import seed_demo
from wraparound.demo.profiles import SMALL
from wraparound.directory import models as dm
from wraparound.directory.search import LANGUAGE_NAMES
from wraparound.directory.taxonomy import PILLARS
from wraparound.matching.models import AllocationItem, AllocationRun

pytestmark = pytest.mark.django_db

OPEN = (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE)


def snapshot(slug: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the generator decides, comparable across runs (codes and HSDS ids, no keys)."""
    return {
        "assessments": list(
            NeedsAssessment.objects.filter(school__network__slug=slug)
            .order_by("school__code", "school_year__end_year")
            .values_list("school__code", "school_year__end_year", "status", "submitted_at")
        ),
        "needs": list(
            Need.objects.filter(assessment__school__network__slug=slug)
            .order_by("pk")
            .values_list(
                "assessment__school__code",
                "category__code",
                "severity",
                "tier",
                "students",
                "grade_low",
                "grade_high",
                "languages",
                "after_school",
                "evidence_figure",
            )
        ),
        "assets": list(
            Asset.objects.filter(assessment__school__network__slug=slug)
            .order_by("pk")
            .values_list("assessment__school__code", "name", "students")
        ),
        "participants": list(
            Participant.objects.filter(assessment__school__network__slug=slug)
            .order_by("pk")
            .values_list("role", "name", "count")
        ),
        "partnerships": list(
            Partnership.objects.filter(network__slug=slug)
            .order_by("pk")
            .values_list(
                "school__code",
                "service__hsds_id",
                "school_year__end_year",
                "status",
                "units",
                "need__category__code",
            )
        ),
    }


def test_every_small_school_has_this_years_assessment_and_last_years() -> None:
    data = seed_demo(SMALL, seed=1)
    network = data.network
    current = network.school_years.get(is_current=True)
    previous = network.school_years.get(is_current=False)
    assessments = NeedsAssessment.objects.filter(school__network=network)
    this_year = assessments.filter(school_year=current)
    assert this_year.count() == 12 == network.schools.count()
    assert assessments.filter(school_year=previous, status=AssessmentStatus.SUBMITTED).count() == 12

    # most are submitted, with a date; drafts are not
    submitted = this_year.filter(status=AssessmentStatus.SUBMITTED)
    assert submitted.count() >= 9
    assert not assessments.filter(status=AssessmentStatus.SUBMITTED, submitted_at=None).exists()
    assert not assessments.filter(status=AssessmentStatus.DRAFT, submitted_at__isnull=False)
    assert not assessments.filter(status=AssessmentStatus.DRAFT, submitted_by__isnull=False)
    for assessment in submitted:
        assert assessment.needs.exists() and assessment.participants.exists()
        assert assessment.summary.startswith("Our priorities this year: ")
        assert assessment.submitted_at is not None
        assert current.start_date <= assessment.submitted_at.date() <= current.end_date

    # the coordinator's first school: last year's submitted by the demo principal, this
    # year's a draft copied forward from it, to work on in the demo
    coordinator = Membership.objects.filter(
        user__username="coordinator", role=Role.SCHOOL_COORDINATOR
    ).order_by("pk")
    first, second = (m.school for m in coordinator)
    assert first is not None and second is not None
    draft = this_year.get(school=first)
    assert draft.status == AssessmentStatus.DRAFT
    assert draft.created_by is not None and draft.created_by.username == "coordinator"
    last = assessments.get(school=first, school_year=previous)
    assert draft.copied_from == last
    assert last.submitted_by is not None and last.submitted_by.username == "principal"
    assert draft.needs.count() >= 5
    # the principal and coordinator of the demo take part under their own names
    names = set(draft.participants.values_list("name", flat=True))
    assert "Paul Nguyen (principal)" in names
    assert "Carmen Diaz (community school coordinator)" in names
    # the other school shows gaps, and a proposal waiting for the organization
    assert this_year.get(school=second).status == AssessmentStatus.SUBMITTED
    assert Partnership.objects.filter(
        school=second, school_year=current, status=PartnershipStatus.PROPOSED
    ).exists()

    # the summary's counts are the database's
    counts = data.counts()
    assert counts["assessments"] == assessments.count() == 24
    assert counts["needs"] == Need.objects.filter(assessment__school__network=network).count()
    assert counts["assets"] == Asset.objects.filter(assessment__school__network=network).count()
    assert (
        counts["participants"]
        == Participant.objects.filter(assessment__school__network=network).count()
    )
    for status in PartnershipStatus:
        assert (
            counts[f"{status.value} partnerships"]
            == Partnership.objects.filter(network=network, status=status).count()
        )


def test_needs_assets_and_participants_are_valid_and_realistic() -> None:
    data = seed_demo(SMALL, seed=1)
    network = data.network
    current = network.school_years.get(is_current=True)
    needs = list(
        Need.objects.filter(assessment__school__network=network).select_related(
            "assessment__school", "category"
        )
    )
    offered: dict[int, set[str]] = defaultdict(set)
    for community_id, code in dm.Language.objects.filter(
        network=network, service__service_areas__community__isnull=False
    ).values_list("service__service_areas__community_id", "code"):
        offered[community_id].add(code)
    for need in needs:
        need.full_clean()  # the model's own checks: grade order, category of the network, …
        school = need.assessment.school
        assert 1 <= need.severity <= 5 and need.tier in (1, 2, 3)
        assert 1 <= need.students <= (school.enrollment or 0)
        assert need.category.code not in PILLARS and need.category.parent_id is not None
        assert need.category.network_id == network.pk
        if need.grade_low:
            span = GRADE_ORDER[school.grade_low], GRADE_ORDER[school.grade_high]
            assert span[0] <= GRADE_ORDER[need.grade_low] <= GRADE_ORDER[need.grade_high] <= span[1]
        for code in filter(None, need.languages.split(",")):
            assert code in LANGUAGE_NAMES and code != "en"
            assert code in offered[school.community_id], (code, school.community_id)
        assert need.evidence_source and need.evidence_figure
        assert "{" not in need.evidence_figure
    per_assessment: dict[int, int] = defaultdict(int)
    for need in needs:
        per_assessment[need.assessment_id] += 1
    assert all(8 <= n <= 20 for n in per_assessment.values())
    this_year = [n for n in needs if n.assessment.school_year_id == current.pk]
    # the tier mix: about 30 % school-wide, 50 % small group, 20 % individual
    share = {t: sum(n.tier == t for n in this_year) / len(this_year) for t in (1, 2, 3)}
    assert 0.15 <= share[1] <= 0.45 and 0.3 <= share[2] <= 0.65 and 0.08 <= share[3] <= 0.35
    # after school is the most named time
    timings = {t: sum(getattr(n, t) for n in needs) for t in ("after_school", "weekend")}
    assert timings["after_school"] > timings["weekend"]
    # neediest schools have more severe needs
    index = need_indexes(network)
    ranked = sorted(index, key=index.__getitem__)
    severity: dict[int, list[int]] = defaultdict(list)
    for need in this_year:
        severity[need.assessment.school_id].append(need.severity)
    low = statistics.mean(s for school in ranked[:6] for s in severity[school])
    high = statistics.mean(s for school in ranked[6:] for s in severity[school])
    assert high > low + 0.3

    for asset in Asset.objects.filter(assessment__school__network=network):
        asset.full_clean()
    roles = defaultdict(set)
    for participant in Participant.objects.filter(assessment__school__network=network):
        participant.full_clean()
        roles[participant.assessment_id].add(participant.role)
    submitted = NeedsAssessment.objects.filter(
        school__network=network, status=AssessmentStatus.SUBMITTED
    )
    for assessment in submitted:
        assert {ParticipantRole.PRINCIPAL, ParticipantRole.STAFF, ParticipantRole.FAMILY} <= (
            roles[assessment.pk]
        )
        assert 2 <= assessment.assets.count() <= 6

    # assets cover a modest part: most of what schools need is still an open gap
    total = sum(n.students for n in this_year)
    assets = Asset.objects.filter(
        assessment__school_year=current, assessment__school__network=network
    ).aggregate(s=Sum("students"))["s"]
    assert 0 < assets < total * 0.3


def test_partnerships_are_eligible_and_within_capacity() -> None:
    data = seed_demo(SMALL, seed=1)
    network = data.network
    current = network.school_years.get(is_current=True)
    previous = network.school_years.get(is_current=False)
    available = dict(
        dm.ServiceCapacity.objects.filter(network=network)
        .values("service")
        .annotate(s=Sum("available"))
        .values_list("service", "s")
    )
    categories: dict[int, set[int]] = defaultdict(set)
    for service_id, term_id in dm.Attribute.objects.filter(network=network).values_list(
        "service_id", "taxonomy_term_id"
    ):
        categories[service_id].add(term_id)
    areas: dict[int, set[int]] = defaultdict(set)
    for service_id, community_id in dm.ServiceArea.objects.filter(network=network).values_list(
        "service_id", "community_id"
    ):
        areas[service_id].add(community_id)

    partnerships = list(
        Partnership.objects.filter(network=network).select_related(
            "school", "service__organization", "need__assessment"
        )
    )
    used: dict[tuple[int, int], int] = defaultdict(int)
    for p in partnerships:
        p.full_clean()
        assert p.school is not None and p.service is not None
        assert p.organization_id == p.service.organization_id
        assert p.service.status == dm.ServiceStatus.ACTIVE
        assert p.service.organization.vetting_status == "vetted"
        assert p.school.community_id in areas[p.service.pk]
        used[p.service.pk, p.school_year_id] += p.units
        if p.need is not None:
            assert p.need.assessment.school_id == p.school_id
            assert p.need.assessment.school_year_id == p.school_year_id
            assert p.need.category_id in categories[p.service.pk]
            assert p.units <= p.need.students
        if p.status == PartnershipStatus.ACTIVE:
            assert p.school_year == current and p.need is not None
            assert p.activated_at is not None and p.source == PartnershipSource.DIRECT
        elif p.status == PartnershipStatus.PROPOSED:
            assert p.school_year == current and p.activated_at is None
            assert p.source == PartnershipSource.RECOMMENDATION
        else:
            assert p.school_year == previous and p.activated_at is not None and p.ended_reason
    # never more than the service states it has, in any year
    for (service_id, _year), units in used.items():
        assert units <= available.get(service_id, 0), service_id
    by_status = {s: [p for p in partnerships if p.status == s] for s in PartnershipStatus}
    assert by_status[PartnershipStatus.ACTIVE]
    assert by_status[PartnershipStatus.PROPOSED]
    assert by_status[PartnershipStatus.ENDED]  # "already partners with this school" shows
    # gaps differ: some schools have active partnerships, others none
    schools = {p.school_id for p in by_status[PartnershipStatus.ACTIVE]}
    assert 2 <= len(schools) <= 8
    # the allocation keeps most of the directory's capacity to work with
    committed = sum(p.units for p in partnerships if p.status in OPEN and p.school_year == current)
    assert committed < sum(available.values()) / 2


def test_same_seed_same_assessments_other_seed_others() -> None:
    seed_demo(SMALL, seed=5)
    first = snapshot("demo")
    seed_demo(SMALL, seed=5)
    assert snapshot("demo") == first
    seed_demo(SMALL, seed=6)
    other = snapshot("demo")
    assert other["needs"] != first["needs"]
    assert other["partnerships"] != first["partnerships"]
    # re-seeding replaced everything, nothing piled up
    assert NeedsAssessment.objects.count() == len(other["assessments"]) == 24
    assert Need.objects.count() == len(other["needs"])
    assert Partnership.objects.count() == len(other["partnerships"])


def test_reseeding_after_an_allocation_run_replaces_it() -> None:
    data = seed_demo(SMALL, seed=1)
    network = data.network
    current = network.school_years.get(is_current=True)
    need = Need.objects.filter(assessment__school_year=current).first()
    service = dm.Service.objects.filter(network=network).first()
    assert need is not None and service is not None
    run = AllocationRun.objects.create(network=network, school_year=current)
    AllocationItem.objects.create(
        run=run, strategy="optimal", need=need, service=service, units=3, proposed_units=3,
        benefit=1.0,
    )  # fmt: skip
    seed_demo(SMALL, seed=1)
    assert not AllocationRun.objects.exists()
    assert Network.objects.filter(slug="demo").count() == 1
    assert School.objects.count() == 12
    assert NeedsAssessment.objects.count() == 24
