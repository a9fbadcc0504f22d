"""Writes to partnerships: a school proposes, the organization accepts or declines, either side
ends. Each checks the actor's role (`core.access`), runs in one transaction, records who changed
the status and when, and is audited.

A proposal is refused, with the reason in words and nothing written, when the service is not the
network's or not active, when it fails a hard rule of matching for the need it answers (the same
rules as the recommendations: `matching.eligibility`), when the students asked for exceed what
the need still lacks or the places the service has left, or when the school already has an open
partnership with the service that year."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wraparound.assessments.models import Need
from wraparound.core import access
from wraparound.core.models import School, SchoolYear
from wraparound.core.services import audit_record
from wraparound.directory.models import Service, ServiceCapacity, ServiceStatus

from .models import OPEN_STATUSES, Partnership, PartnershipSource, PartnershipStatus

REASON_MAX_LENGTH = 300


def _capacity_left(service: Service, school_year: SchoolYear) -> int | None:
    """The service's stated places (Σ available) minus the units of the year's open
    partnerships with it; None when it states no capacity."""
    stated = ServiceCapacity.objects.filter(service=service).aggregate(total=Sum("available"))[
        "total"
    ]
    if stated is None:
        return None
    held = Partnership.objects.filter(
        service=service, school_year=school_year, status__in=OPEN_STATUSES
    ).aggregate(total=Sum("units"))["total"]
    return max(0, stated - (held or 0))


def _need_failures(need: Need, service: Service, *, units: int) -> list[str]:
    """Why the service may not serve the need (the hard rules of matching), in words."""
    from wraparound.directory.selectors import stale_cutoff
    from wraparound.matching.eligibility import (
        Context,
        descendants,
        failures,
        load_services,
        sustained_pairs,
    )
    from wraparound.matching.recommend import need_facts

    assessment = need.assessment
    network = assessment.school.network
    below = descendants(network)
    facts = need_facts(need, units=max(units, 1), below=below)
    service_facts = load_services(
        network,
        assessment.school_year,
        service_ids=[service.pk],
        stale_before=stale_cutoff(network),
    ).get(service.pk)
    if service_facts is None:  # not the network's: the caller checked, but never pass it
        return [_("It is not in this network's directory.")]
    ctx = Context(
        distance_km=float(network.match_distance_km),
        sustained=sustained_pairs(network, assessment.school_year),
    )
    return [why for _code, why in failures(facts, service_facts, ctx)]


@transaction.atomic
def partnership_propose(
    *,
    actor: Any,
    need: Need | None = None,
    school: School,
    service: Service,
    units: int,
    school_year: SchoolYear,
    source: str = PartnershipSource.RECOMMENDATION,
    notes: str = "",
) -> Partnership:
    """A proposed partnership between the school and the service's organization for the year,
    for `units` students or slots; the organization accepts or declines it."""
    from wraparound.assessments.gaps import gaps_for

    if not access.can_propose_partnership(actor, school):
        raise PermissionDenied
    if school_year.network_id != school.network_id:
        raise ValidationError({"school_year": _("Choose a school year of the school's network.")})
    if source not in PartnershipSource.values:
        raise ValidationError({"source": _("Unknown source of the proposal.")})
    # One proposal at a time per service: the places left are read and taken under this lock.
    locked = (
        Service.objects.select_for_update()
        .filter(pk=service.pk, network_id=school.network_id)
        .select_related("organization")
        .first()
    )
    if locked is None:
        raise ValidationError({"service": _("Choose a service of this network's directory.")})
    service = locked
    if service.status != ServiceStatus.ACTIVE:
        raise ValidationError(
            {
                "service": _("%(service)s is not active: %(status)s.")
                % {"service": service.name, "status": service.get_status_display()}
            }
        )
    if not isinstance(units, int) or isinstance(units, bool):
        raise ValidationError({"units": _("Enter a whole number of students or slots.")})
    if units < 1:
        raise ValidationError({"units": _("Propose at least one student or slot.")})
    try:
        Partnership._meta.get_field("units").run_validators(units)
    except ValidationError as error:
        raise ValidationError({"units": error.messages}) from None
    if Partnership.objects.filter(
        school=school, service=service, school_year=school_year, status__in=OPEN_STATUSES
    ).exists():
        raise ValidationError(
            _(
                "%(school)s already has an open partnership with %(service)s for %(year)s; "
                "see the school's partnerships."
            )
            % {"school": school.name, "service": service.name, "year": school_year.label}
        )
    limit: int | None = None
    if need is not None:
        if need.assessment.school_id != school.pk or need.assessment.school_year_id != (
            school_year.pk
        ):
            raise ValidationError({"need": _("Choose a need of this school's assessment.")})
        gap = gaps_for(network=school.network, school_year=school_year, schools=[school]).get(
            need.pk
        )
        unplanned = gap.unplanned if gap is not None else need.students
        if unplanned <= 0:
            raise ValidationError(
                {
                    "units": _(
                        "Every student of this need is already covered or has a partnership "
                        "proposed."
                    )
                }
            )
        failed = _need_failures(need, service, units=unplanned)
        if failed:
            raise ValidationError(
                {
                    "service": [
                        _("%(service)s cannot serve this need: %(why)s")
                        % {"service": service.name, "why": why}
                        for why in failed
                    ]
                }
            )
        if units > unplanned:
            raise ValidationError(
                {
                    "units": ngettext(
                        "Only %(n)d student of this need has no proposal yet; propose at most "
                        "that many.",
                        "Only %(n)d students of this need have no proposal yet; propose at most "
                        "that many.",
                        unplanned,
                    )
                    % {"n": unplanned}
                }
            )
        limit = unplanned
    capacity_left = _capacity_left(service, school_year)
    if capacity_left is not None and units > capacity_left:
        raise ValidationError(
            {
                "units": ngettext(
                    "%(service)s has %(n)d place left this year; propose at most that.",
                    "%(service)s has %(n)d places left this year; propose at most that many.",
                    capacity_left,
                )
                % {"service": service.name, "n": capacity_left}
            }
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            partnership = Partnership.objects.create(
                network_id=school.network_id,
                school=school,
                organization=service.organization,
                service=service,
                school_year=school_year,
                need=need,
                units=units,
                status=PartnershipStatus.PROPOSED,
                source=source,
                notes=notes.strip(),
                proposed_by=actor,
                status_changed_at=now,
                status_changed_by=actor,
            )
    except IntegrityError:  # proposed at the same moment by someone else
        raise ValidationError(
            _("%(school)s already has an open partnership with %(service)s for %(year)s.")
            % {"school": school.name, "service": service.name, "year": school_year.label}
        ) from None
    audit_record(
        actor=actor,
        action="partnership.propose",
        target=partnership,
        network=school.network_id,
        data={
            "school": school.pk,
            "service": service.pk,
            "organization": service.organization_id,
            "school_year": school_year.end_year,
            "need": need.pk if need is not None else None,
            "units": units,
            "need_lacks": limit,
            "capacity_left": capacity_left,
            "source": source,
        },
    )
    return partnership


def _locked(partnership: Partnership) -> Partnership:
    return Partnership.objects.select_for_update().get(pk=partnership.pk)


def _clean_reason(reason: str, *, required_message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": required_message})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}}
        )
    return reason


def _set_status(
    partnership: Partnership, *, actor: Any, status: str, reason: str = ""
) -> Partnership:
    now = timezone.now()
    partnership.status = status
    partnership.status_changed_at = now
    partnership.status_changed_by = actor
    fields = ["status", "status_changed_at", "status_changed_by"]
    if status == PartnershipStatus.ACTIVE:
        partnership.activated_at = now
        fields.append("activated_at")
    if reason:
        partnership.ended_reason = reason
        fields.append("ended_reason")
    partnership.save(update_fields=fields)
    return partnership


def _wrong_status(partnership: Partnership, expected: str) -> ValidationError:
    if expected == PartnershipStatus.PROPOSED:
        message = _("Only a proposed partnership can be answered; this one is %(status)s.")
    else:
        message = _("Only an active partnership can be ended; this one is %(status)s.")
    return ValidationError(message % {"status": partnership.get_status_display()})


@transaction.atomic
def partnership_accept(*, actor: Any, partnership: Partnership) -> Partnership:
    """The organization takes the proposal on: proposed → active."""
    partnership = _locked(partnership)
    if not access.can_respond_to_partnership(actor, partnership):
        raise PermissionDenied
    if partnership.status != PartnershipStatus.PROPOSED:
        raise _wrong_status(partnership, PartnershipStatus.PROPOSED)
    _set_status(partnership, actor=actor, status=PartnershipStatus.ACTIVE)
    audit_record(
        actor=actor,
        action="partnership.accept",
        target=partnership,
        network=partnership.network_id,
        data={"units": partnership.units},
    )
    return partnership


@transaction.atomic
def partnership_decline(*, actor: Any, partnership: Partnership, reason: str) -> Partnership:
    """The organization turns the proposal down, saying why: proposed → ended."""
    partnership = _locked(partnership)
    if not access.can_respond_to_partnership(actor, partnership):
        raise PermissionDenied
    if partnership.status != PartnershipStatus.PROPOSED:
        raise _wrong_status(partnership, PartnershipStatus.PROPOSED)
    reason = _clean_reason(reason, required_message=_("Say why the proposal is declined."))
    _set_status(partnership, actor=actor, status=PartnershipStatus.ENDED, reason=reason)
    audit_record(
        actor=actor,
        action="partnership.decline",
        target=partnership,
        network=partnership.network_id,
        data={"reason": reason},
    )
    return partnership


@transaction.atomic
def partnership_end(*, actor: Any, partnership: Partnership, reason: str) -> Partnership:
    """Either side ends an active partnership, saying why: active → ended. It stays a sustained
    relationship for matching (it was once active)."""
    partnership = _locked(partnership)
    if not access.can_end_partnership(actor, partnership):
        raise PermissionDenied
    if partnership.status != PartnershipStatus.ACTIVE:
        raise _wrong_status(partnership, PartnershipStatus.ACTIVE)
    reason = _clean_reason(reason, required_message=_("Say why the partnership ends."))
    _set_status(partnership, actor=actor, status=PartnershipStatus.ENDED, reason=reason)
    audit_record(
        actor=actor,
        action="partnership.end",
        target=partnership,
        network=partnership.network_id,
        data={"reason": reason},
    )
    return partnership
