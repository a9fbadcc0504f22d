"""The demo's MOUs, data-sharing agreements and clearance (issue 5): every state, hashes that
check, the demo logins' MOUs to act on, realistic clearance records, determinism, re-seeding."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import statistics
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from wraparound.agreements.clearance import check_person, valid_through
from wraparound.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    ClearanceRecord,
    ClearanceRequirement,
    DataDestruction,
    Partnership,
    PartnershipStatus,
    Party,
    RecordStatus,
    Signature,
    StaffMember,
    VersionStatus,
)
from wraparound.agreements.mou_content import content_hash, hash_content, is_intact
from wraparound.agreements.mou_services import agreement_send, agreement_sign
from wraparound.core.access import agreement_filter, can_draft_agreement, signing_party
from wraparound.core.models import Membership, Network
from wraparound.core.roles import Role
from wraparound.demo.agreements import PAPER_NOTE, reset_agreements
from wraparound.demo.generate import DemoData, seed_demo
from wraparound.demo.profiles import SMALL
from wraparound.demo.students import reset_students
from wraparound.demo.training import reset_training

pytestmark = pytest.mark.django_db

DOCUMENTATION_NETWORKS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]


def _storage() -> Any:
    return ClearanceRecord._meta.get_field("document").storage


@pytest.fixture
def small(django_capture_on_commit_callbacks: Any) -> Iterator[DemoData]:
    # The documents are written, and deleted again, when the seed and the reset commit.
    with django_capture_on_commit_callbacks(execute=True):
        data = seed_demo(SMALL, seed=1)
    yield data
    with django_capture_on_commit_callbacks(execute=True):
        for pk in Network.objects.values_list("pk", flat=True):
            reset_students(pk)  # referrals and sessions refer to the agreements' terms
            reset_training(pk)  # training topics refer to clearance requirements
            reset_agreements(pk)


def login(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def test_every_agreement_status_and_every_kind_of_mou(small: DemoData) -> None:
    network = small.network
    today = network.today()
    expiring_days = network.agreement_expiring_days
    agreements = list(
        Agreement.objects.filter(network=network).select_related(
            "current_version", "signed_version__data_sharing", "renewed_from", "partnership"
        )
    )
    by_status = Counter(a.status for a in agreements)
    assert set(by_status) == set(AgreementStatus.values)
    assert small.counts()["MOUs"] == len(agreements)
    for status in AgreementStatus:
        assert small.counts()[f"{status.value.replace('_', ' ')} MOUs"] == by_status[status]

    for a in agreements:
        assert a.partnership.network_id == network.pk
        assert (a.school_id, a.organization_id) == (
            a.partnership.school_id,
            a.partnership.organization_id,
        )
        current, signed = a.current_version, a.signed_version
        assert current is not None
        assert current.number == a.versions.count()
        if a.status in (AgreementStatus.ACTIVE, AgreementStatus.EXPIRING):
            assert signed is not None and signed.status == VersionStatus.SIGNED
            assert signed.covers(today)
            left = (signed.term_end - today).days
            if a.status == AgreementStatus.EXPIRING:
                assert 0 <= left <= expiring_days
            else:
                assert left > expiring_days
        elif a.status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED):
            assert signed is not None and signed.status == VersionStatus.SIGNED
            assert a.partnership.status == PartnershipStatus.ENDED
            if a.status == AgreementStatus.EXPIRED:
                assert signed.term_end < today
            else:
                assert a.terminated_reason and a.status_changed_at is not None
        elif a.status == AgreementStatus.AWAITING_SIGNATURES:
            assert signed is None and current.status == VersionStatus.SENT
            assert current.signatures.count() < 2
        else:
            assert signed is None and current.status == VersionStatus.DRAFT
            assert not current.content_hash and current.sent_at is None
            assert not current.signatures.exists()

    # awaiting one of two signatures, and awaiting both (the demo logins')
    awaiting = [a for a in agreements if a.status == AgreementStatus.AWAITING_SIGNATURES]
    signed_counts = {a.current_version.signatures.count() for a in awaiting if a.current_version}
    assert signed_counts == {0, 1}
    # amended: version 1 in force, version 2 sent with a change note, waiting for signatures
    amended = [
        a
        for a in agreements
        if a.status == AgreementStatus.ACTIVE
        and a.signed_version is not None
        and a.current_version != a.signed_version
    ]
    assert amended
    for a in amended:
        assert a.current_version is not None and a.current_version.status == VersionStatus.SENT
        assert a.current_version.number == 2 and a.current_version.change_note
        assert a.signed_version is not None
        assert content_hash(a.current_version) != content_hash(a.signed_version)
    # sent again after a change before signing: version 1 withdrawn
    assert AgreementVersion.objects.filter(
        agreement__network=network, status=VersionStatus.WITHDRAWN, number=1
    ).exists()
    # renewed from last year's MOU of the same school and service
    renewed = [a for a in agreements if a.renewed_from is not None]
    assert renewed
    for a in renewed:
        last = a.renewed_from
        assert last is not None and last.status == AgreementStatus.EXPIRED
        assert last.school_id == a.school_id
        assert last.partnership.service_id == a.partnership.service_id
        assert last.partnership.school_year.end_year == a.partnership.school_year.end_year - 1
    # last year's: data destroyed and certified, or retention ended with no certificate yet
    expired = [a for a in agreements if a.status == AgreementStatus.EXPIRED]
    certified = DataDestruction.objects.filter(agreement__in=expired).select_related(
        "agreement__signed_version__data_sharing"
    )
    assert certified.exists()
    for d in certified:
        d.full_clean()
        # the organization's director certified it
        signers = Signature.objects.filter(
            version__agreement=d.agreement, party=Party.PARTNER
        ).values_list("user", flat=True)
        assert d.certified_by_id in set(signers)
        assert d.certifier_name == d.certified_by.get_full_name()
        assert d.destroyed_on < today and d.certified_at.date() < today
        version = d.agreement.signed_version
        assert version is not None and d.method == version.data_sharing.destruction_method
    due = [
        a
        for a in expired
        if a.signed_version is not None
        and a.signed_version.data_sharing.retention_ends_on < today
        and not DataDestruction.objects.filter(agreement=a).exists()
    ]
    assert due


def test_versions_have_full_terms_and_hashes_that_check(small: DemoData) -> None:
    network = small.network
    versions = list(
        AgreementVersion.objects.filter(agreement__network=network).select_related(
            "agreement__partnership__service", "data_sharing"
        )
    )
    assert versions
    for v in versions:
        v.full_clean()
        parties = set(v.responsibilities.values_list("party", flat=True))
        assert parties == {Party.SCHOOL, Party.PARTNER}
        deliverables = list(v.deliverables.all())
        assert deliverables
        for d in deliverables:
            d.full_clean()
            assert d.service_id == v.agreement.partnership.service_id
        assert deliverables[0].quantity >= 1
        sharing = v.data_sharing
        sharing.full_clean()
        assert {"name"} <= set(sharing.data_elements)
        assert set(sharing.partner_roles) <= {Role.PARTNER_ADMIN, Role.PARTNER_STAFF}
        assert sharing.retention_ends_on > v.term_end
        assert v.school_contact_name and v.partner_contact_email
        if v.status == VersionStatus.DRAFT:
            assert not v.content_hash and v.content is None
            continue
        # frozen as the services freeze a version they send: the snapshot is what the rows say
        assert v.content is not None and hash_content(v.content) == v.content_hash
        assert v.content_hash == content_hash(v) and is_intact(v)
        assert v.sent_at is not None and v.created_at <= v.sent_at
        signatures = list(v.signatures.select_related("user"))
        for s in signatures:
            s.full_clean()
            assert s.content_hash == v.content_hash
            assert s.signed_at >= v.sent_at
            address = ipaddress.ip_address(s.ip_address or "")
            assert any(address in n for n in DOCUMENTATION_NETWORKS)
            assert s.signer_name == s.user.get_full_name()
        if v.status == VersionStatus.SIGNED:
            assert {s.party for s in signatures} == {Party.SCHOOL, Party.PARTNER}
            assert v.signed_at == max(s.signed_at for s in signatures)
    # the legal bases vary
    bases = Counter(v.data_sharing.legal_basis for v in versions)
    assert len(bases) >= 2


def test_demo_logins_have_mous_to_act_on(small: DemoData) -> None:
    network = small.network
    principal, partner_admin, coordinator = (
        login(u) for u in ("principal", "partneradmin", "coordinator")
    )
    school = Membership.objects.get(user=principal, role=Role.PRINCIPAL).school
    organization = Membership.objects.get(user=partner_admin, role=Role.PARTNER_ADMIN).organization

    def waiting_for(user: Any, party: str) -> list[Agreement]:
        seen = Agreement.objects.filter(agreement_filter(user), network=network).select_related(
            "current_version"
        )
        return [
            a
            for a in seen
            if a.status == AgreementStatus.AWAITING_SIGNATURES
            and signing_party(user, a) == party
            and a.current_version is not None
            and not a.current_version.signatures.filter(party=party).exists()
        ]

    for_principal = waiting_for(principal, Party.SCHOOL)
    for_partner = waiting_for(partner_admin, Party.PARTNER)
    assert for_principal and all(a.school == school for a in for_principal)
    assert for_partner and all(a.organization == organization for a in for_partner)
    # the demo partner's partnership with the principal's school: both still to sign
    shared = set(for_principal) & set(for_partner)
    assert shared
    partnership = next(iter(shared)).partnership
    assert partnership.status == PartnershipStatus.ACTIVE and partnership.need is not None
    assert (
        small.counts()["active partnerships"]
        == Partnership.objects.filter(network=network, status=PartnershipStatus.ACTIVE).count()
    )

    drafts = Agreement.objects.filter(
        agreement_filter(coordinator), network=network, status=AgreementStatus.DRAFT
    )
    assert any(can_draft_agreement(coordinator, a.partnership) for a in drafts)
    # they signed last year's too, under their own names
    assert Signature.objects.filter(user=principal, version__agreement__network=network).exists()


def test_the_demo_logins_can_sign_and_send_with_the_services(small: DemoData) -> None:
    principal, partner_admin, coordinator = (
        login(u) for u in ("principal", "partneradmin", "coordinator")
    )
    network = small.network
    mou = Agreement.objects.get(
        agreement_filter(principal),
        agreement_filter(partner_admin),
        network=network,
        status=AgreementStatus.AWAITING_SIGNATURES,
    )
    agreement_sign(
        user=principal, agreement=mou, signer_name="Paul Nguyen", ip_address="198.51.100.7"
    )
    agreement_sign(user=partner_admin, agreement=mou, signer_name="Priya Shah")
    mou.refresh_from_db()
    assert mou.status == AgreementStatus.ACTIVE and mou.signed_version == mou.current_version
    # the partner-staff login is cleared at the principal's school now the MOU is in force
    pedro = StaffMember.objects.get(user__username="partnerstaff")
    assert mou.school is not None
    check = check_person(pedro, mou.school, network.today())
    assert check.cleared and [i.code for i in check.expiring] == ["ferpa_training"]

    draft = Agreement.objects.get(
        agreement_filter(coordinator), network=network, status=AgreementStatus.DRAFT
    )
    agreement_send(user=coordinator, agreement=draft)
    draft.refresh_from_db()
    assert draft.status == AgreementStatus.AWAITING_SIGNATURES


def test_clearance_requirements_and_records_are_realistic(small: DemoData) -> None:
    network = small.network
    today = network.today()
    requirements = {
        r.name: r for r in ClearanceRequirement.objects.filter(network=network, is_active=True)
    }
    assert {
        (name, r.kind, r.applies_to, r.validity_months, r.document_required)
        for name, r in requirements.items()
    } == {
        ("General liability insurance", "liability_insurance", "organization", 12, True),
        ("Signed MOU with the school", "signed_mou", "organization", None, False),
        ("Background check and fingerprinting", "fingerprinting", "person", 36, True),
        ("TB test", "tb_test", "person", 48, True),
        ("Child-abuse-prevention training", "child_abuse_training", "person", 24, True),
        ("FERPA training", "ferpa_training", "person", 12, True),
    }
    insurance = requirements["General liability insurance"]
    assert insurance.minimum_coverage == Decimal("1000000.00")

    records = list(
        ClearanceRecord.objects.filter(network=network).select_related("requirement", "person")
    )
    yesterday = today - dt.timedelta(days=1)
    tz = network.tzinfo
    for r in records:
        r.full_clean()
        assert r.requirement.network_id == network.pk and r.requirement.has_records
        assert (r.person is None) == (r.requirement.applies_to == "organization")
        if r.person is not None:
            assert r.person.organization_id == r.organization_id
        assert r.expires_on == valid_through(r.issued_on, r.requirement.validity_months)
        submitted = r.submitted_at.astimezone(tz).date()
        assert r.issued_on <= submitted <= yesterday
        if r.status == RecordStatus.SUBMITTED:
            assert r.reviewed_at is None and r.reviewed_by is None
        else:
            assert r.reviewed_at is not None and r.reviewed_at > r.submitted_at
            assert r.reviewed_by is not None and r.reviewed_by.username == "admin"
        assert bool(r.rejection_reason) == (r.status == RecordStatus.REJECTED)
        if r.requirement == insurance and r.status == RecordStatus.CLEARED:
            assert r.coverage_amount is not None and r.coverage_amount >= Decimal("1000000")

    cleared = [r for r in records if r.status == RecordStatus.CLEARED]
    expiring = [
        r for r in cleared if r.expires_on and today <= r.expires_on <= today + dt.timedelta(60)
    ]
    assert len(expiring) >= 3
    assert any(r.expires_on and r.expires_on < today for r in cleared)
    assert any(r.status == RecordStatus.SUBMITTED for r in records)
    assert any(r.status == RecordStatus.REJECTED and r.rejection_reason for r in records)
    # most subjects are cleared; issue dates spread over years
    assert len(cleared) > 0.8 * len(records)
    assert min(r.issued_on for r in cleared) < today - dt.timedelta(days=2 * 365)
    # days from submission to review: 3–40, about 12 at the median
    # counted on the network's wall clock: across the end of daylight saving time a review three
    # calendar days later is only 71 hours later
    tz = network.tzinfo

    def wall(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(tz).replace(tzinfo=None)

    days = [(wall(r.reviewed_at) - wall(r.submitted_at)).days for r in cleared if r.reviewed_at]
    assert min(days) >= 3 and max(days) <= 40
    assert 7 <= statistics.median(days) <= 18
    # some subjects have nothing at all
    people = StaffMember.objects.filter(network=network).count()
    person_requirements = sum(r.applies_to == "person" for r in requirements.values())
    slots = {(r.requirement_id, r.person_id) for r in records if r.person_id}
    assert len(slots) < people * person_requirements


def test_review_queue_documents_are_small_pdfs_in_private_storage(
    small: DemoData, django_capture_on_commit_callbacks: Any
) -> None:
    storage = _storage()
    records = ClearanceRecord.objects.filter(network=small.network)
    with_files = list(records.exclude(document=""))
    assert 3 <= len(with_files) == small.counts()["clearance documents"] <= 12
    waiting = records.filter(status=RecordStatus.SUBMITTED)
    assert waiting.exclude(document="").exists()
    for r in with_files:
        assert str(r.document.name).startswith(f"clearance/{small.network.pk}/{r.organization_id}/")
        with storage.open(r.document.name) as f:
            content = f.read()
        assert content.startswith(b"%PDF-") and len(content) == r.document_size
        assert r.document_type == "application/pdf" and r.document_name.endswith(".pdf")
        text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
        assert "not a real certificate" in text
        assert r.note == ""
    for r in records.filter(document=""):
        assert r.note == PAPER_NOTE and not r.document_name
    # re-seeding takes the old documents away when it commits
    names = [r.document.name for r in with_files]
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(SMALL, seed=1)
    assert not any(storage.exists(name) for name in names)
    new = ClearanceRecord.objects.exclude(document="").values_list("document", flat=True)
    assert new and all(storage.exists(name) for name in new)


def test_a_seed_that_does_not_commit_writes_no_document() -> None:
    data = seed_demo(SMALL, seed=2)  # the test's transaction is rolled back
    names = ClearanceRecord.objects.exclude(document="").values_list("document", flat=True)
    assert names and data.counts()["clearance documents"] == len(names)
    assert not any(_storage().exists(name) for name in names)


def test_campus_staff_and_the_demo_partner_staff_login(small: DemoData) -> None:
    network = small.network
    today = network.today()
    current = network.school_years.get(is_current=True)
    staff = list(StaffMember.objects.filter(network=network).prefetch_related("schools"))
    assert len(staff) == small.counts()["campus staff"]
    active = Partnership.objects.filter(
        network=network, school_year=current, status=PartnershipStatus.ACTIVE
    )
    schools_of: dict[int, set[int]] = {}
    for p in active:
        schools_of.setdefault(p.organization_id, set()).add(p.school_id or 0)
    per_org = Counter(m.organization_id for m in staff)
    assert set(per_org) == set(schools_of)
    assert all(1 <= n <= 4 for n in per_org.values())
    assigned = [m for m in staff if m.schools.all()]
    assert assigned and len(assigned) < len(staff)
    for m in staff:
        m.full_clean()
        assert {s.pk for s in m.schools.all()} <= schools_of[m.organization_id]
        assert m.title and m.email

    partner_admin = Membership.objects.get(user__username="partneradmin")
    organization = partner_admin.organization
    assert organization is not None and per_org[organization.pk] >= 2
    pedro = StaffMember.objects.get(user__username="partnerstaff")
    assert pedro.organization == organization and pedro.full_name == "Pedro Alves"
    school = Membership.objects.get(user__username="principal").school
    assert school is not None and list(pedro.schools.all()) == [school]
    # cleared in every requirement but the MOU both sides still have to sign; FERPA due soon
    check = check_person(pedro, school, today)
    assert [i.code for i in check.missing] == ["signed_mou"]
    assert [i.code for i in check.expiring] == ["ferpa_training"]


def snapshot(slug: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the generator decides, comparable across runs (names and dates, no keys)."""
    return {
        "agreements": list(
            Agreement.objects.filter(network__slug=slug)
            .order_by("title", "status")
            .values_list("title", "status", "renewed_from__title", "terminated_reason")
        ),
        "versions": list(
            AgreementVersion.objects.filter(agreement__network__slug=slug)
            .order_by("agreement__title", "number")
            .values_list("number", "status", "term_start", "term_end", "sent_at", "change_note")
        ),
        "signatures": list(
            Signature.objects.filter(version__agreement__network__slug=slug)
            .order_by("signed_at", "party")
            .values_list("signer_name", "party", "signed_at", "ip_address")
        ),
        "staff": list(
            StaffMember.objects.filter(network__slug=slug)
            .order_by("organization__name", "last_name", "first_name")
            .values_list("organization__name", "first_name", "last_name", "title", "email")
        ),
        "records": list(
            ClearanceRecord.objects.filter(network__slug=slug)
            .order_by("submitted_at", "requirement__name")
            .values_list(
                "requirement__name",
                "organization__name",
                "person__last_name",
                "status",
                "issued_on",
                "expires_on",
                "reviewed_at",
                "reference",
            )
        ),
    }


def test_same_seed_same_agreements_other_seed_others_and_nothing_piles_up() -> None:
    users = get_user_model().objects
    first_data = seed_demo(SMALL, seed=3)
    first = snapshot("demo")
    signers = users.filter(username__startswith="demo-signer-").count()
    assert signers > 0

    # someone signs the demo MOU in between: re-seeding still replaces everything
    agreement = Agreement.objects.filter(
        network=first_data.network, status=AgreementStatus.AWAITING_SIGNATURES
    ).first()
    assert agreement is not None and agreement.current_version is not None
    Signature.objects.create(
        version=agreement.current_version,
        party=Party.PARTNER,
        user=users.get(username="admin"),
        signer_name="Someone",
        content_hash=agreement.current_version.content_hash,
    )

    again = seed_demo(SMALL, seed=3)
    assert snapshot("demo") == first
    assert again.counts() == first_data.counts()
    assert users.filter(username__startswith="demo-signer-").count() == signers
    counts = again.counts()
    assert Agreement.objects.count() == counts["MOUs"] == len(first["agreements"])
    assert (
        ClearanceRecord.objects.count()
        == counts["clearance records"] + counts["clearance records from training"]
    )
    assert StaffMember.objects.count() == counts["campus staff"]
    assert ClearanceRequirement.objects.count() == counts["clearance requirements"] == 6
    assert Network.objects.filter(slug="demo").count() == 1

    seed_demo(SMALL, seed=4)
    other = snapshot("demo")
    assert other["records"] != first["records"]
    assert other["staff"] != first["staff"]
    demo = Network.objects.get(slug="demo").pk
    reset_students(demo)
    reset_agreements(demo)
    assert not users.filter(username__startswith="demo-signer-").exists()
    assert not ClearanceRecord.objects.exists() and not Agreement.objects.exists()
