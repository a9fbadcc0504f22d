"""Writes of the network allocation: run it (both plans kept), edit the optimal plan, accept it
(kept assignments become *proposed* partnerships) or discard it. Network admins only."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.agreements.models import (
    OPEN_STATUSES,
    Partnership,
    PartnershipSource,
    PartnershipStatus,
)
from wraparound.assessments.gaps import gaps_for
from wraparound.core import access
from wraparound.core.models import Network, SchoolYear, UnclearedServices
from wraparound.core.services import audit_record

from . import allocation as a
from .eligibility import Context, failures, load_services, sustained_pairs
from .models import AllocationItem, AllocationRun, AllocationUnmet, RunStatus, Strategy
from .network import Problem, build_problem, solve

logger = logging.getLogger(__name__)


def _require_admin(actor: Any, network: Network) -> None:
    if not access.is_network_admin(actor, network.pk):
        raise PermissionDenied


def allocation_run_create(
    *, actor: Any, network: Network, school_year: SchoolYear
) -> AllocationRun:
    """Build the year's problem, solve it both ways and keep both plans for review — here and
    now (the tests, a shell). The page starts it as a task: `allocation_run_start`."""
    run = _run_new(actor=actor, network=network, school_year=school_year)
    return allocation_run_compute(run_id=run.pk)


def allocation_run_start(*, actor: Any, network: Network, school_year: SchoolYear) -> AllocationRun:
    """A run, computed by a Celery task (a city takes about ten seconds: not in a request).
    Without a broker the task runs inline, so the run is ready when this returns."""
    from .tasks import allocation_run_compute as task

    run = _run_new(actor=actor, network=network, school_year=school_year)
    # The run row is committed (no transaction is open here), so a worker finds it.
    try:
        task.delay(run.pk)
    except Exception:
        # Inline (no broker), a failed solve surfaces here; the run is marked failed with the
        # error, which its page shows: the admin gets that page, not a server error.
        logger.exception("allocation run %s failed", run.pk)
    run.refresh_from_db()
    return run


def _run_new(*, actor: Any, network: Network, school_year: SchoolYear) -> AllocationRun:
    _require_admin(actor, network)
    if school_year.network_id != network.pk:
        raise ValidationError({"school_year": _("Choose a school year of this network.")})
    with transaction.atomic():
        # One run at a time per network: two would plan the same capacity twice.
        Network.objects.select_for_update().filter(pk=network.pk).first()
        if AllocationRun.objects.filter(network=network, status=RunStatus.RUNNING).exists():
            raise ValidationError(
                _("An allocation is already running for this network; wait for it to finish.")
            )
        run = AllocationRun.objects.create(
            network=network, school_year=school_year, status=RunStatus.RUNNING, created_by=actor
        )
        audit_record(actor=actor, action="allocation.start", target=run, network=network)
    return run


def allocation_run_compute(*, run_id: int) -> AllocationRun:
    """Solve a running run and keep both plans (the task's body). Idempotent: a run that is no
    longer running is left as it is; a retry replaces what a failed attempt wrote."""
    run = AllocationRun.objects.select_related("network", "school_year").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run
    try:
        problem = build_problem(run.network, run.school_year)
        optimal = solve(problem, "optimal")
        greedy = solve(problem, "greedy")
    except Exception as error:
        AllocationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.RUNNING:
            return run
        run.items.all().delete()
        run.unmet.all().delete()
        for strategy, plan in ((Strategy.OPTIMAL, optimal), (Strategy.GREEDY, greedy)):
            AllocationItem.objects.bulk_create(
                (
                    AllocationItem(
                        run=run,
                        strategy=strategy,
                        need_id=x.need_id,
                        service_id=x.service_id,
                        units=x.units,
                        proposed_units=x.units,
                        benefit=x.benefit,
                    )
                    for x in plan.assignments
                ),
                batch_size=2000,
            )
            AllocationUnmet.objects.bulk_create(
                (
                    AllocationUnmet(
                        run=run,
                        strategy=strategy,
                        need_id=u.need_id,
                        units=u.units,
                        reason=u.reason,
                    )
                    for u in plan.unmet
                ),
                batch_size=2000,
            )
        run.status = RunStatus.DRAFT
        run.objective = optimal.objective
        run.greedy_objective = greedy.objective
        run.stats = {"optimal": optimal.stats, "greedy": greedy.stats, **_empty(problem)}
        run.save(update_fields=["status", "objective", "greedy_objective", "stats"])
        audit_record(
            actor=run.created_by,
            action="allocation.run",
            target=run,
            network=run.network_id,
            data={
                "objective": optimal.objective,
                "greedy_objective": greedy.objective,
                "assignments": len(optimal.assignments),
            },
        )
    return run


def _empty(problem: Problem) -> dict[str, Any]:
    return {"empty_reason": problem.empty_reason} if problem.empty_reason else {}


def _require_draft(run: AllocationRun) -> None:
    if run.status != RunStatus.DRAFT:
        raise ValidationError(
            _("This allocation was already %(status)s.") % {"status": run.get_status_display()}
        )


@transaction.atomic
def allocation_item_update(
    *, actor: Any, item: AllocationItem, units: int, kept: bool = True
) -> AllocationItem:
    """The admin's edit of one optimal assignment: fewer or more units (within the need's gap
    and the service's capacity left, counting the plan's other kept assignments), or leave it
    out."""
    run = AllocationRun.objects.select_for_update().get(pk=item.run_id)
    _require_admin(actor, run.network)
    _require_draft(run)
    if item.strategy != Strategy.OPTIMAL:
        raise ValidationError(
            _("Only the optimal plan is edited; the greedy plan is a comparison.")
        )
    if kept:
        if units < 1:
            raise ValidationError({"units": _("Enter at least 1, or leave the assignment out.")})
        limit = _room_for(item)
        if units > limit:
            raise ValidationError(
                {
                    "units": _(
                        "At most %(limit)s: the need's gap and the service's capacity left allow "
                        "no more."
                    )
                    % {"limit": limit}
                }
            )
    item.kept = kept
    if kept:
        item.units = units
    item.save(update_fields=["kept", "units"])
    audit_record(
        actor=actor,
        action="allocation.edit",
        target=run,
        network=run.network_id,
        data={"item": item.pk, "units": item.units, "kept": kept},
    )
    return item


def _room_for(item: AllocationItem) -> int:
    """The most units this assignment may take: the need's unplanned gap and the service's
    capacity left, less what the plan's other kept assignments take of them."""
    run = item.run
    school = item.need.assessment.school
    gap = gaps_for(network=run.network, school_year=run.school_year, schools=[school]).get(
        item.need_id
    )
    need_room = gap.unplanned if gap else 0
    facts = load_services(run.network, run.school_year).get(item.service_id)
    capacity = facts.capacity_left or 0 if facts else 0
    others = AllocationItem.objects.filter(run=run, strategy=Strategy.OPTIMAL, kept=True).exclude(
        pk=item.pk
    )
    need_room -= sum(others.filter(need_id=item.need_id).values_list("units", flat=True))
    capacity -= sum(others.filter(service_id=item.service_id).values_list("units", flat=True))
    return max(0, min(need_room, capacity))


@transaction.atomic
def allocation_run_accept(*, actor: Any, run: AllocationRun) -> list[Partnership]:
    """Kept optimal assignments → proposed partnerships (one per school and service; units of
    a school's needs served by the same service are added up). Refused, with what changed, if
    the plan no longer fits: a service's capacity or a need's gap taken since the run, or an
    assignment that no longer passes the hard rules."""
    run = (
        AllocationRun.objects.select_for_update()
        .select_related("network", "school_year")
        .get(pk=run.pk)
    )
    _require_admin(actor, run.network)
    _require_draft(run)
    items = list(
        AllocationItem.objects.filter(run=run, strategy=Strategy.OPTIMAL, kept=True)
        .select_related("need__assessment__school", "service")
        .order_by("need__assessment__school_id", "service_id", "-units")
    )
    if not items:
        raise ValidationError(_("The plan has no assignment to accept."))
    problem_services = load_services(run.network, run.school_year)
    gaps = gaps_for(network=run.network, school_year=run.school_year)
    used: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = defaultdict(int)
    for item in items:
        used[item.service_id] += item.units
        asked[item.need_id] += item.units
    problems: list[str] = []
    for service_id, units in used.items():
        facts = problem_services.get(service_id)
        left = (facts.capacity_left or 0) if facts else 0
        if units > left:
            name = facts.name if facts else str(service_id)
            problems.append(
                _("%(service)s has %(left)s places left; the plan gives it %(units)s.")
                % {"service": name, "left": left, "units": units}
            )
    for need_id, units in asked.items():
        gap = gaps.get(need_id)
        if gap is None or units > gap.unplanned:
            problems.append(
                _("A need has %(left)s students left to plan; the plan gives it %(units)s.")
                % {"left": gap.unplanned if gap else 0, "units": units}
            )
    problems.extend(_rule_problems(run, items, problem_services))
    if problems:
        raise ValidationError(problems)
    open_pairs = set(
        Partnership.objects.filter(
            network=run.network, school_year=run.school_year, status__in=OPEN_STATUSES
        ).values_list("school_id", "service_id")
    )
    merged: dict[tuple[int, int], list[AllocationItem]] = defaultdict(list)
    for item in items:
        merged[(item.need.assessment.school_id, item.service_id)].append(item)
    now = timezone.now()
    note = _("Proposed by the network allocation of %(date)s.") % {
        "date": run.created_at.date().isoformat()
    }
    pending: list[tuple[Partnership, list[AllocationItem]]] = []
    for (school_id, service_id), group in merged.items():
        if (school_id, service_id) in open_pairs:
            problems.append(
                _("%(school)s already has an open partnership with %(service)s this year.")
                % {"school": group[0].need.assessment.school.name, "service": group[0].service.name}
            )
            continue
        pending.append(
            (
                Partnership(
                    network=run.network,
                    school_id=school_id,
                    organization_id=group[0].service.organization_id,
                    service_id=service_id,
                    school_year=run.school_year,
                    need_id=group[0].need_id,
                    units=sum(i.units for i in group),
                    status=PartnershipStatus.PROPOSED,
                    source=PartnershipSource.ALLOCATION,
                    allocation_run=run,
                    proposed_by=actor,
                    status_changed_at=now,
                    status_changed_by=actor,
                    notes=note,
                ),
                group,
            )
        )
    if problems:
        raise ValidationError(problems)
    # A city's plan is thousands of partnerships: written in batches, not one by one.
    created = Partnership.objects.bulk_create([p for p, _group in pending], batch_size=1000)
    linked: list[AllocationItem] = []
    for partnership, (_unsaved, group) in zip(created, pending, strict=True):
        for item in group:
            item.partnership = partnership
            linked.append(item)
    AllocationItem.objects.bulk_update(linked, ["partnership"], batch_size=1000)
    run.status = RunStatus.ACCEPTED
    run.decided_by = actor
    run.decided_at = now
    run.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="allocation.accept",
        target=run,
        network=run.network_id,
        data={"partnerships": len(created), "units": sum(p.units for p in created)},
    )
    return created


def _rule_problems(
    run: AllocationRun, items: list[AllocationItem], services: dict[int, Any]
) -> list[str]:
    """Assignments whose service no longer passes a hard rule for the need (a service closed,
    an organization suspended since the run)."""
    from .eligibility import descendants
    from .network import _need_facts

    gaps = gaps_for(network=run.network, school_year=run.school_year)
    wanted = {i.need_id: gaps[i.need_id] for i in items if i.need_id in gaps}
    needs = _need_facts(run.network, run.school_year, wanted, descendants(run.network))
    ctx = Context(
        distance_km=float(run.network.match_distance_km),
        sustained=sustained_pairs(run.network, run.school_year),
    )
    problems = []
    for item in items:
        need, service = needs.get(item.need_id), services.get(item.service_id)
        if need is None or service is None:
            continue
        # Capacity is checked for the plan as a whole above; here, the other rules.
        failed = [why for code, why in failures(need, service, ctx) if code != "capacity"]
        if failed:
            problems.append(
                _("%(service)s for %(school)s: %(why)s")
                % {"service": service.name, "school": need.school_name, "why": " ".join(failed)}
            )
    return problems


@transaction.atomic
def allocation_run_discard(*, actor: Any, run: AllocationRun) -> AllocationRun:
    run = AllocationRun.objects.select_for_update().get(pk=run.pk)
    _require_admin(actor, run.network)
    _require_draft(run)
    run.status = RunStatus.DISCARDED
    run.decided_by = actor
    run.decided_at = timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="allocation.discard", target=run, network=run.network_id)
    return run


def plan_for(problem: Problem, strategy: str) -> a.Plan:
    """The plan without keeping it (the `allocate` command)."""
    return solve(problem, strategy)


# The need-index weights are relative (the index divides by their sum); a cap keeps typos out.
MAX_INDEX_WEIGHT = 100.0


@transaction.atomic
def network_matching_update(
    *,
    actor: Any,
    network: Network,
    weights: Mapping[str, Any],
    distance_km: Any,
    uncleared_services: str | None = None,
) -> Network:
    """The network's matching settings: the need-index weights (one per school share, each 0 or
    more, at least one above 0), the distance within which a service serves a school and, when
    given, what matching does with services of organizations not yet cleared (left out or shown
    as pending). Nothing stored is recomputed: need indexes and eligibility are computed when
    read."""
    from wraparound.core.models import NEED_INDEX_SHARES

    _require_admin(actor, network)
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(weights) - set(NEED_INDEX_SHARES))
    if unknown:
        errors["weights"] = [_("Unknown shares: %(keys)s.") % {"keys": ", ".join(unknown)}]
    cleaned: dict[str, float] = {}
    for key in NEED_INDEX_SHARES:
        raw = weights.get(key, 0)
        try:
            value = float(raw if raw is not None else 0)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0 or value > MAX_INDEX_WEIGHT:
            errors[key] = [
                _("Enter a number from 0 to %(max)s.") % {"max": f"{MAX_INDEX_WEIGHT:g}"}
            ]
        else:
            cleaned[key] = value
    if not errors and sum(cleaned.values()) <= 0:
        errors["weights"] = [_("Give at least one share a weight above 0.")]
    field = Network._meta.get_field("match_distance_km")
    try:
        distance = field.clean(distance_km, network)
    except ValidationError as error:
        errors["distance_km"] = list(error.messages)
    uncleared = network.uncleared_services
    if uncleared_services is not None:
        if uncleared_services in UnclearedServices.values:
            uncleared = uncleared_services
        else:
            errors["uncleared_services"] = [
                _("Choose whether such services are left out or shown as pending.")
            ]
    if errors:
        raise ValidationError(errors)
    before = {
        "weights": network.need_index_weights,
        "distance_km": str(network.match_distance_km),
        "uncleared_services": network.uncleared_services,
    }
    network.need_index_weights = cleaned
    network.match_distance_km = distance
    network.uncleared_services = uncleared
    network.save(update_fields=["need_index_weights", "match_distance_km", "uncleared_services"])
    audit_record(
        actor=actor,
        action="network.matching_settings",
        target=network,
        network=network,
        data={
            "before": before,
            "after": {
                "weights": cleaned,
                "distance_km": str(distance),
                "uncleared_services": uncleared,
            },
        },
    )
    return network
