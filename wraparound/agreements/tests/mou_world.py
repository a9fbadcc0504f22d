"""A small world for the MOU tests (services, selectors, pages): tenant t1's school 0 has an
active partnership with org A's homework club for the current school year (whose term ends
months from the network's today, whatever the day the tests run), and helpers that bring an
agreement to each status through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from wraparound.agreements import mou_services as svc
from wraparound.agreements.models import Agreement, AgreementStatus, PartnershipStatus
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.models import SchoolYear
from wraparound.directory.tests.factories import ServiceFactory

S = AgreementStatus


@dataclass
class World:
    t1: Any
    year: SchoolYear
    service: Any
    partnership: Any
    today: dt.date

    @property
    def users(self) -> dict[str, Any]:
        users: dict[str, Any] = self.t1.users
        return users

    def draft(self) -> Agreement:
        return svc.agreement_draft(user=self.users["coordinator"], partnership=self.partnership)

    def sent(self) -> Agreement:
        agreement = self.draft()
        svc.agreement_send(user=self.users["coordinator"], agreement=agreement)
        return reload(agreement)

    def sign(self, agreement: Agreement, persona: str) -> Any:
        return svc.agreement_sign(
            user=self.users[persona],
            agreement=agreement,
            signer_name=f"{persona.title()} Signer",
            signer_title="Title",
            ip_address="203.0.113.7",
        )

    def signed(self) -> Agreement:
        agreement = self.sent()
        self.sign(agreement, "principal")
        self.sign(agreement, "partner_admin")
        return reload(agreement)

    def at(self, status: str) -> Agreement:
        """An agreement at `status`, reached through the services (expiring and expired: an
        active one moved by the daily refresh's rule, without waiting for the calendar)."""
        if status == S.DRAFT:
            return self.draft()
        if status == S.AWAITING_SIGNATURES:
            return self.sent()
        if status == S.TERMINATED:
            agreement = self.draft()
            svc.agreement_terminate(
                user=self.users["coordinator"], agreement=agreement, reason="Cancelled."
            )
            return reload(agreement)
        agreement = self.signed()
        if status in (S.EXPIRING, S.EXPIRED):
            Agreement.objects.filter(pk=agreement.pk).update(status=status)
        return reload(agreement)


def reload(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_related(
        "network", "school", "organization", "current_version", "signed_version", "partnership"
    ).get(pk=agreement.pk)


def make_world(t1: Any) -> World:
    today = t1.network.today()
    year = SchoolYearFactory.create(network=t1.network, end_year=today.year + 1, is_current=True)
    service = ServiceFactory.create(organization=t1.org_a, name="Homework club")
    partnership = PartnershipFactory.create(
        school=t1.schools[0],
        service=service,
        school_year=year,
        units=12,
        status=PartnershipStatus.ACTIVE,
    )
    return World(t1=t1, year=year, service=service, partnership=partnership, today=today)


def edit_payload(agreement: Agreement, **changes: Any) -> dict[str, Any]:
    """The keyword arguments of `agreement_version_update` that keep the current terms, with
    `changes` applied: fields=..., responsibilities=..., deliverables=..., data_sharing=..."""
    version = agreement.current_version
    assert version is not None
    sharing = version.data_sharing
    payload: dict[str, Any] = {
        "fields": {name: getattr(version, name) for name in svc.VERSION_FIELDS},
        "responsibilities": [
            {"party": r.party, "description": r.description} for r in version.responsibilities.all()
        ],
        "deliverables": [
            {name: getattr(d, name) for name in svc.DELIVERABLE_FIELDS}
            for d in version.deliverables.all()
        ],
        "data_sharing": {name: getattr(sharing, name) for name in svc.SHARING_FIELDS},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and key in ("fields", "data_sharing"):
            payload[key] = {**payload[key], **value}
        else:
            payload[key] = value
    return payload
