"""Demo MOUs, data-sharing agreements and clearance (issue 5).

Clearance. Each network requires what a New York City school asks of its partners: of each
organization, general liability insurance (at least $1,000,000 a occurrence, renewed yearly) and
a signed MOU with the school; of each person who works with students, a fingerprint-based
background check (36 months), a TB test (48 months), child-abuse-prevention training (24 months)
and FERPA training (12 months). Organizations with an active partnership list 1–4 campus staff
(tutors, mentors, counselors, teaching artists, coaches), some assigned to particular schools;
the demo partner-staff login is one of its organization's. Most people and organizations are
fully cleared, with issue dates spread over the past years so that expiries fall where they
would: some within the next eight weeks, some already past; a few records were rejected with a
reason, some wait for review, some were never sent. Reviews took 3–40 days, about 12 at the
median. In `small` the records waiting for review (and the demo organization's insurance) carry a
one-page PDF in the private storage, so that the review queue has documents to open; the others
were seen on paper.

MOUs. Every partnership of this year and last year has an MOU, in every state an MOU goes
through: drafts, sent and waiting for one or both signatures, in force, in force and expiring (a
fall-semester MOU ending within the network's `agreement_expiring_days`), amended (version 1 in
force, version 2 sent with a change note), sent again after a change (version 1 withdrawn),
renewed from last year's, last year's expired (the shared data destroyed and certified, or
retention ended with no certificate yet, or still kept) and terminated early with a reason. Each
version lists both parties' responsibilities, the deliverables of the partnership's service, and
its data-sharing terms (legal basis, data elements, partner roles, retention); sent versions
carry the snapshot of their canonical content and its hash, as `mou_content.freeze` makes them,
and signatures the hash of what was signed. The demo principal and partner admin sign for their
school and organization, and both have an MOU waiting for their signature; the demo coordinator
has a draft to finish.
Other schools' principals and organizations' directors sign as users of their own, without a
password (`<network>-signer-…`).

Rows go in with `bulk_create`, or with multi-row INSERTs where nobody needs their keys back (as
in assessments.py: the city's twelve thousand records and fifteen thousand lines of MOU terms);
everything is drawn from the entity's own random stream, and dates are counted from `today` (the
network's clock), so a seed gives the same data on the same day.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import connection, transaction
from django.db.models import ForeignKey, Model
from django.utils.text import slugify

from wraparound.agreements.clearance import valid_through
from wraparound.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    ClearanceRecord,
    ClearanceRequirement,
    DataDestruction,
    DataSharingAgreement,
    Deliverable,
    LegalBasis,
    MeetingCadence,
    Partnership,
    PartnershipSource,
    PartnershipStatus,
    Party,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    Responsibility,
    Signature,
    StaffMember,
    VersionStatus,
)
from wraparound.agreements.models.mou import (
    DeliverableFrequency,
    DeliverableUnit,
    DestructionMethod,
)
from wraparound.agreements.mou_content import canonical_content, hash_content
from wraparound.assessments.models import Need
from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import Network, Organization, School, SchoolYear, VettingStatus
from wraparound.core.roles import Role
from wraparound.directory import models as dm
from wraparound.directory.taxonomy import TERMS_BY_CODE

from .bulk import insert_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from faker import Faker

    from .generate import DemoData, Names

# The tables this module fills (the seed refreshes their planner statistics).
ANALYZED: tuple[type[Model], ...] = (
    ClearanceRequirement,
    StaffMember,
    ClearanceRecord,
    Agreement,
    AgreementVersion,
    Responsibility,
    Deliverable,
    DataSharingAgreement,
    Signature,
)

SIGNER_PREFIX = "{slug}-signer-"  # usernames of the demo's other signers, by network slug
PDF_FILES_IN_SMALL = 12  # the records of `small` that carry a document in private storage
CAPACITY_SHARE = 0.5  # as assessments.py: partnerships take at most half of stated places

# --- clearance: what the network requires ----------------------------------------------------


@dataclass(frozen=True)
class RequirementSpec:
    name: str
    kind: RequirementKind
    applies_to: RequirementSubject
    months: int | None
    document: bool
    description: str
    minimum_coverage: Decimal | None = None


REQUIREMENTS: tuple[RequirementSpec, ...] = (
    RequirementSpec(
        "General liability insurance",
        RequirementKind.LIABILITY_INSURANCE,
        RequirementSubject.ORGANIZATION,
        12,
        True,
        "A certificate of insurance for general liability of at least $1,000,000 per "
        "occurrence, naming the school and the network as additional insured, renewed yearly.",
        Decimal("1000000.00"),
    ),
    RequirementSpec(
        "Signed MOU with the school",
        RequirementKind.SIGNED_MOU,
        RequirementSubject.ORGANIZATION,
        None,
        False,
        "An MOU with the school, signed by the principal and the organization, in force on the "
        "day of the visit.",
    ),
    RequirementSpec(
        "Background check and fingerprinting",
        RequirementKind.FINGERPRINTING,
        RequirementSubject.PERSON,
        36,
        True,
        "Fingerprint-based criminal history check and State Central Register clearance, "
        "before any unsupervised contact with students.",
    ),
    RequirementSpec(
        "TB test",
        RequirementKind.TB_TEST,
        RequirementSubject.PERSON,
        48,
        True,
        "A negative tuberculosis test (skin test or blood test) or a clinician's letter.",
    ),
    RequirementSpec(
        "Child-abuse-prevention training",
        RequirementKind.CHILD_ABUSE_TRAINING,
        RequirementSubject.PERSON,
        24,
        True,
        "The certificate of a state-approved course on identifying and reporting child abuse "
        "and maltreatment.",
    ),
    RequirementSpec(
        "FERPA training",
        RequirementKind.FERPA_TRAINING,
        RequirementSubject.PERSON,
        12,
        True,
        "The network's yearly training on student privacy (FERPA) and the data-sharing terms.",
    ),
)

DOCUMENT_NAMES: dict[str, str] = {
    RequirementKind.LIABILITY_INSURANCE: "certificate-of-insurance.pdf",
    RequirementKind.FINGERPRINTING: "fingerprint-clearance-letter.pdf",
    RequirementKind.TB_TEST: "tb-test-result.pdf",
    RequirementKind.CHILD_ABUSE_TRAINING: "child-abuse-prevention-certificate.pdf",
    RequirementKind.FERPA_TRAINING: "ferpa-training-certificate.pdf",
}
DOCUMENT_TITLES: dict[str, str] = {
    RequirementKind.LIABILITY_INSURANCE: "Certificate of liability insurance",
    RequirementKind.FINGERPRINTING: "Fingerprint clearance letter",
    RequirementKind.TB_TEST: "Tuberculosis test result",
    RequirementKind.CHILD_ABUSE_TRAINING: "Child-abuse-prevention training certificate",
    RequirementKind.FERPA_TRAINING: "FERPA training certificate",
}
REJECTIONS: dict[str, tuple[str, ...]] = {
    RequirementKind.LIABILITY_INSURANCE: (
        "Coverage is $500,000 per occurrence; the network requires at least $1,000,000.",
        "The certificate does not name the school and the network as additional insured.",
        "The policy period on the certificate has already ended.",
    ),
    RequirementKind.FINGERPRINTING: (
        "The letter is for another organization; the clearance must be sponsored by yours.",
        "The scan is cut off: the clearance date and the applicant's name are not readable.",
    ),
    RequirementKind.TB_TEST: (
        "The result is not signed by a clinician.",
        "The test date is missing from the document.",
    ),
    RequirementKind.CHILD_ABUSE_TRAINING: (
        "The certificate has no completion date.",
        "This is a registration confirmation, not the certificate of completion.",
    ),
    RequirementKind.FERPA_TRAINING: (
        "The certificate is for last year's training; please complete this year's.",
        "The name on the certificate does not match the staff member's.",
    ),
}
INSURERS = (
    "Hudson Mutual Insurance", "Empire Nonprofit Risk Group", "Five Boroughs Casualty",
    "Atlantic Community Insurers", "Harbor Nonprofit Insurance Trust",
)  # fmt: skip
PAPER_NOTE = "Seen on paper at the network office; no scan kept."


class Outcome(StrEnum):
    VALID = "valid"  # cleared, valid for more than 60 days
    EXPIRING = "expiring"  # cleared, ends within 1–8 weeks
    EXPIRED = "expired"  # cleared once, ended, nothing newer
    RENEWAL = "renewal"  # cleared and ending or ended, a renewal waiting for review
    SUBMITTED = "submitted"  # first submission, waiting for review
    REJECTED = "rejected"  # the last submission was rejected, with a reason
    MISSING = "missing"  # never submitted


OUTCOME_WEIGHTS: tuple[tuple[Outcome, float], ...] = (
    (Outcome.VALID, 72),
    (Outcome.EXPIRING, 9),
    (Outcome.EXPIRED, 5),
    (Outcome.RENEWAL, 3),
    (Outcome.SUBMITTED, 4),
    (Outcome.REJECTED, 2.5),
    (Outcome.MISSING, 4.5),
)

# --- campus staff -----------------------------------------------------------------------------

TITLE_BY_CATEGORY: dict[str, str] = {
    "tutoring": "Tutor", "literacy": "Tutor", "stem": "Teaching artist", "arts": "Teaching artist",
    "mentoring": "Mentor", "college-career": "Mentor", "attendance": "Mentor",
    "counseling": "Counselor", "social-emotional": "Counselor", "family-support": "Counselor",
    "sports": "Coach", "after-school": "Coach", "summer": "Coach",
    "health-vision": "Vision screener", "health-dental": "Dental hygienist",
    "health-medical": "Nurse practitioner", "housing": "Case manager", "food": "Case manager",
    "benefits": "Benefits counselor", "legal-aid": "Paralegal", "newcomers": "Family worker",
    "adult-education": "ESL instructor", "early-childhood": "Early childhood educator",
    "parent-leadership": "Family organizer",
}  # fmt: skip
TITLES = ("Tutor", "Mentor", "Counselor", "Teaching artist", "Coach")
OTHER_TITLES = ("Program coordinator", "Site supervisor", "Youth worker")
PARTNER_TITLES = (
    "Executive director", "Executive director", "Program director",
    "Director of school partnerships", "Chief executive officer",
)  # fmt: skip

# --- MOUs ---------------------------------------------------------------------------------------


class Plan(StrEnum):
    DRAFT = "draft"  # v1 being drafted
    SENT = "sent"  # v1 sent, neither party has signed yet
    HALF_SIGNED = "half_signed"  # v1 sent, one of two signatures
    RESENT = "resent"  # v1 withdrawn before it was signed, v2 sent
    ACTIVE = "active"  # v1 signed, in force
    EXPIRING = "expiring"  # a fall-semester MOU, in force, ending soon
    AMENDED = "amended"  # v1 in force, v2 sent with a change note
    EXPIRED = "expired"  # last year's, signed, the term ended
    TERMINATED = "terminated"  # last year's, ended early


class Retention(StrEnum):
    KEPT = "kept"  # retention has not ended yet
    DESTROYED = "destroyed"  # ended, the partner certified the data destroyed
    DUE = "due"  # ended, no certificate yet


THIS_YEAR_PLANS: tuple[tuple[Plan, float], ...] = (
    (Plan.ACTIVE, 55),
    (Plan.HALF_SIGNED, 11),
    (Plan.SENT, 4),
    (Plan.DRAFT, 8),
    (Plan.EXPIRING, 9),
    (Plan.AMENDED, 7),
    (Plan.RESENT, 3),
)
STATUS_OF_PLAN: dict[Plan, AgreementStatus] = {
    Plan.DRAFT: AgreementStatus.DRAFT,
    Plan.SENT: AgreementStatus.AWAITING_SIGNATURES,
    Plan.HALF_SIGNED: AgreementStatus.AWAITING_SIGNATURES,
    Plan.RESENT: AgreementStatus.AWAITING_SIGNATURES,
    Plan.ACTIVE: AgreementStatus.ACTIVE,
    Plan.EXPIRING: AgreementStatus.EXPIRING,
    Plan.AMENDED: AgreementStatus.ACTIVE,
    Plan.EXPIRED: AgreementStatus.EXPIRED,
    Plan.TERMINATED: AgreementStatus.TERMINATED,
}
TERMINATION_REASONS = (
    "The partner's funding for the program ended in the middle of the year.",
    "The organization could not staff the program after its site lead left.",
    "The school and the partner agreed to end early: the program moved to another site.",
)
FAMILY_CODES = frozenset(
    {"family-support", "adult-education", "benefits", "legal-aid", "parent-leadership",
     "housing", "food", "newcomers"}
)  # fmt: skip
HEALTH_CODES = frozenset({"health-medical", "health-vision", "health-dental"})
ELEMENTS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "tutoring": ("attendance", "grades", "test_scores", "english_learner"),
    "literacy": ("attendance", "test_scores", "english_learner"),
    "stem": ("attendance", "grades"),
    "mentoring": ("attendance", "contact", "tiers", "grades"),
    "attendance": ("attendance", "contact", "tiers"),
    "counseling": ("contact", "iep_504", "tiers", "notes", "date_of_birth"),
    "social-emotional": ("tiers", "iep_504", "notes", "attendance"),
    "health-medical": ("date_of_birth", "contact", "health"),
    "health-vision": ("date_of_birth", "contact", "health"),
    "health-dental": ("date_of_birth", "contact", "health"),
    "college-career": ("grades", "attendance", "contact", "test_scores"),
    "benefits": ("contact", "economic", "english_learner"),
    "food": ("contact", "economic"),
    "housing": ("contact", "economic", "notes"),
    "newcomers": ("contact", "english_learner", "date_of_birth"),
}
DEFAULT_ELEMENTS = ("attendance", "contact", "english_learner")
EVALUATION_ELEMENTS = (
    "student_id", "attendance", "grades", "demographics", "economic", "english_learner",
)  # fmt: skip
ELEMENT_ORDER = {
    e: i
    for i, e in enumerate(
        ("name", "student_id", "date_of_birth", "grade", "school", "contact", "attendance",
         "grades", "test_scores", "iep_504", "english_learner", "demographics", "economic",
         "health", "tiers", "notes")
    )
}  # fmt: skip
LEGAL_BASES: tuple[tuple[str, float], ...] = (
    (LegalBasis.SCHOOL_OFFICIAL, 50),
    (LegalBasis.CONSENT, 33),
    (LegalBasis.AUDIT_EVALUATION, 12),
    (LegalBasis.STUDIES, 5),
)
DESTRUCTION: tuple[tuple[str, str, float], ...] = (
    (DestructionMethod.SECURE_DELETION,
     "Delete the student list and attendance records from the program's database and shared "
     "drive within 30 days.", 70),
    (DestructionMethod.SHREDDING,
     "Cross-cut shred the paper attendance sheets and consent forms.", 15),
    (DestructionMethod.RETURN,
     "Return the paper records to the community school coordinator.", 10),
    (DestructionMethod.OTHER,
     "Return the records on an encrypted drive, then delete the partner's copies.", 5),
)  # fmt: skip
SCHOOL_DUTIES = (
    "Provide a room for the program and a place to store its materials.",
    "Name the community school coordinator as the day-to-day contact and introduce partner "
    "staff to the school's team.",
    "Identify and refer students who would benefit, with their families' consent where it is "
    "needed.",
    "Share the data listed in the data-sharing terms, and nothing more, through the platform.",
    "Include partner staff in the school's safety drills and emergency procedures.",
    "Tell families about the program in their home languages.",
)
PARTNER_DUTIES = (
    "Deliver {service} as described below, with staff cleared under the network's "
    "requirements before they start.",
    "Keep attendance at every session and record it in the platform within a week.",
    "Tell the school at least two weeks before any change of staff or schedule.",
    "Protect student data as the data-sharing terms require and destroy it when retention ends.",
    "Report any concern about a child's safety at once, following the school's procedures.",
    "Send the school a short report on the program at the end of each term.",
)
MEETING_TIMES = (
    "first Tuesday of the month at 3:30 pm", "second Wednesday of the month at 8:00 am",
    "last Thursday of the month at 3:15 pm", "Friday mornings at 8:15 am",
)  # fmt: skip
CADENCES: tuple[tuple[str, float], ...] = (
    (MeetingCadence.MONTHLY, 50),
    (MeetingCadence.BIWEEKLY, 20),
    (MeetingCadence.QUARTERLY, 15),
    (MeetingCadence.WEEKLY, 10),
    (MeetingCadence.TERMLY, 5),
)
CHANGE_NOTES = {
    "more": "Raises the number served from {old} to {new} {unit} from February.",
    "contact": "Updates the partner contact: {name} now leads the program.",
    "data": "Adds attendance to the data shared, for the new attendance check-ins.",
    "dates": "Corrects the meeting schedule and the contacts before signing.",
}


@dataclass
class _Terms:
    """One version's terms as plain data (copied and changed for an amendment)."""

    start: dt.date
    end: dt.date
    school_contact: tuple[str, str, str]
    partner_contact: tuple[str, str, str]
    purpose: str
    cadence: str
    meeting_details: str
    evaluation: str
    other_terms: str
    responsibilities: list[tuple[str, str]]
    deliverables: list[dict[str, Any]]
    sharing: dict[str, Any]


@dataclass
class _Bundle:
    """One agreement and everything under it, before the rows go in."""

    partnership: Partnership
    plan: Plan
    agreement: Agreement
    versions: list[AgreementVersion] = field(default_factory=list)
    # rows under the versions, by table (`_Row`s: thousands in `city`, models cost too much)
    children: dict[type[Model], list[_Row]] = field(default_factory=lambda: defaultdict(list))
    signatures: list[_Row] = field(default_factory=list)
    destruction: _Row | None = None
    signed: AgreementVersion | None = None
    renews: int | None = None  # the partnership whose agreement this one renews


# --- helpers ------------------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([k for k, _w in weighted], [w for _k, w in weighted])[0]


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _grade_text(low: str, high: str) -> str:
    def one(g: str) -> str:
        return {"PK": "pre-K", "KG": "K", "TK": "TK"}.get(g, g.lstrip("0") or g)

    if not low:
        return "all grades"
    if low == high:
        return "pre-K" if low == "PK" else f"grade {one(low)}"
    return f"grades {one(low)}–{one(high)}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def tiny_pdf(lines: Iterable[str]) -> bytes:
    """A valid one-page PDF showing these lines (Helvetica, ASCII), made by hand: header,
    five objects, a cross-reference table with exact offsets and the trailer."""

    def escape(s: str) -> str:
        return _ascii(s).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = ["BT", "/F1 13 Tf", "72 720 Td", "16 TL"]
    for line in lines:
        text.append(f"({escape(line)}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _adapter(f: Any) -> Callable[[Any], Any] | None:
    """How the database takes a field's values, straight from the backend where Django's own
    preparation only checks what the demo's values already are (aware datetimes, dates)."""
    ops, kind = connection.ops, f.get_internal_type()
    if kind == "DateTimeField":
        return cast(Callable[[Any], Any], ops.adapt_datetimefield_value)
    if kind == "DateField":
        return cast(Callable[[Any], Any], ops.adapt_datefield_value)
    if kind in ("DecimalField", "JSONField", "FileField"):
        return lambda value: f.get_db_prep_save(value, connection)
    return None


class _Row(SimpleNamespace):
    """A row to insert, as attributes named like the model's (`version` or `version_id` for a
    key): a tenth of the cost of a model instance, for rows whose keys nobody needs back."""


def _insert(model: type[Model], objs: Sequence[Model | _Row]) -> None:
    """Insert rows with multi-row INSERTs of their values, as `assessments._insert` does:
    `bulk_create` spent most of the city's seconds preparing the values one by one. A key is
    read from the related object when only it was given (it has been inserted since); a field
    a row leaves out takes its default."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapters = [_adapter(f) for f in fields]
    keys = [isinstance(f, ForeignKey) for f in fields]  # one-to-one fields too
    defaults = [None if key else f.get_default() for f, key in zip(fields, keys, strict=True)]
    rows = []
    for obj in objs:
        row = []
        for f, key, default in zip(fields, keys, defaults, strict=True):
            value = getattr(obj, f.attname, default)
            if value is None and key:
                related = (
                    getattr(obj, f.name, None)
                    if isinstance(obj, _Row)
                    else cast(ForeignKey[Any, Any], f).get_cached_value(obj, None)
                )
                value = related.pk if related is not None else None
            row.append(value)
        for i, adapt in enumerate(adapters):
            if adapt is not None and row[i] is not None:
                row[i] = adapt(row[i])
        rows.append(row)
    insert_rows(model, fields, rows)


class _InMemory:
    """What `mou_content.canonical_content` reads of a version, from the rows about to be
    inserted: the content of each sent version without two queries a version (thousands in
    `city`). The function is the app's own, so the content is the one the app computes; the
    demo tests check it against the rows in the database (`mou_content.is_intact`)."""

    class _Rows(list[_Row]):
        def order_by(self, *fields: str) -> list[_Row]:
            return sorted(self, key=lambda row: row.position)  # positions are unique

    def __init__(self, version: AgreementVersion, children: dict[type[Model], list[_Row]]) -> None:
        self._version = version
        self.responsibilities = self._Rows(
            r for r in children[Responsibility] if r.version is version
        )
        self.deliverables = self._Rows(r for r in children[Deliverable] if r.version is version)
        self.data_sharing = next(
            (r for r in children[DataSharingAgreement] if r.version is version), None
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._version, name)


class _Clock:
    """Days and times on the network's clock, never later than yesterday."""

    def __init__(self, network: Network, today: dt.date, rng: random.Random) -> None:
        self.tz = network.tzinfo
        self.today = today
        self.yesterday = today - _days(1)
        self.rng = rng

    def day(self, day: dt.date) -> dt.date:
        return min(day, self.yesterday)

    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        hour = self.rng.randint(8, 17) if hour is None else hour
        return dt.datetime.combine(
            self.day(day), dt.time(hour, self.rng.randint(0, 59)), tzinfo=self.tz
        )

    def after(self, moment: dt.datetime, days: int) -> dt.datetime:
        """`days` and a little later, but not past yesterday (and never before `moment`)."""
        later = moment + dt.timedelta(days=days, minutes=self.rng.randint(5, 180))
        limit = dt.datetime.combine(self.yesterday, dt.time(22, 0), tzinfo=self.tz)
        if later > limit:
            later = max(limit, moment + dt.timedelta(minutes=self.rng.randint(5, 90)))
        return later


# --- the demo logins and the other signers ---------------------------------------------------


class _People:
    """Who signs, submits and reviews: the demo logins where the school or organization is
    theirs, and a signer of its own (no password) for every other school and organization."""

    def __init__(self, data: DemoData, names: Names, rng: random.Random) -> None:
        self.data = data
        self.names = names
        self.rng = rng
        by_name = {u.username: u for u in data.users}
        self.admin = by_name.get("admin")
        self.coordinator = by_name.get("coordinator")
        self.principal_of: dict[int, User] = {}
        self.director_of: dict[int, User] = {}
        self.staff_login: tuple[int, User] | None = None
        self.staff_title = ""
        self.coordinator_schools: list[int] = []
        for m in data.memberships:
            if m.role == Role.PRINCIPAL and m.school_id:
                self.principal_of[m.school_id] = m.user
            elif m.role == Role.PARTNER_ADMIN and m.organization_id:
                self.director_of[m.organization_id] = m.user
            elif m.role == Role.PARTNER_STAFF and m.organization_id:
                self.staff_login = (m.organization_id, m.user)
                self.staff_title = m.title
            elif m.role == Role.SCHOOL_COORDINATOR and m.school_id:
                self.coordinator_schools.append(m.school_id)
        self.demo_organizations = set(self.director_of)
        self.demo_schools = set(self.principal_of)
        self.titles: dict[int, str] = {}  # organization → its signer's title
        self.area_codes: dict[int, tuple[str, ...]] = {
            c.pk: data.places[c.code].borough.area_codes for c in data.communities
        }

    def create_signers(self, schools: Iterable[School], organizations: Iterable[int]) -> int:
        """Users for the principals and directors who are not demo logins, in a fixed order."""
        user_model = get_user_model()
        slug = self.data.network.slug
        prefix = SIGNER_PREFIX.format(slug=slug)
        password = make_password(None)  # unusable: they sign in the demo's story, never log in
        wanted_orgs = set(organizations)
        rows: list[tuple[str, int, User]] = []
        for school in sorted(set(schools), key=lambda s: s.code):
            if school.pk in self.principal_of:
                continue
            first, last = self.names.first(), self.names.last()
            mailbox = slugify(f"{first[0]}{last}").replace("-", "") or "principal"
            user = user_model(
                username=f"{prefix}principal-{school.code.lower()}",
                first_name=first,
                last_name=last,
                email=f"{mailbox}@schools.example.org",
                password=password,
            )
            rows.append(("school", school.pk, user))
        for index, organization in enumerate(self.data.organizations):
            if organization.pk not in wanted_orgs:
                continue
            self.titles[organization.pk] = self.rng.choice(PARTNER_TITLES)
            if organization.pk in self.director_of:
                continue
            first, last = self.names.first(), self.names.last()
            domain = (organization.email or "@partner.example.org").split("@")[-1]
            mailbox = slugify(f"{first[0]}{last}").replace("-", "") or "director"
            user = user_model(
                username=f"{prefix}partner-{index:04d}",
                first_name=first,
                last_name=last,
                email=f"{mailbox}@{domain}",
                password=password,
            )
            rows.append(("organization", organization.pk, user))
        user_model.objects.bulk_create([u for _k, _pk, u in rows], batch_size=500)
        for kind, pk, user in rows:
            (self.principal_of if kind == "school" else self.director_of)[pk] = user
        return len(rows)

    def school_phone(self, school: School) -> str:
        area = self.rng.choice(self.area_codes.get(school.community_id, ("718",)))
        return f"({area}) 555-01{self.rng.randint(0, 99):02d}"

    def title(self, organization_id: int) -> str:
        if organization_id in self.demo_organizations:
            return "Executive director"  # the demo partner admin's membership title
        return self.titles.get(organization_id, "Executive director")


# --- the demo partner's partnership ----------------------------------------------------------


def _demo_partnership(
    data: DemoData, people: _People, current: SchoolYear, rows: list[Partnership]
) -> Partnership | None:
    """An active partnership of the demo partner's organization, at the demo principal's school
    when one of its services fits a need there (else at another school it serves), so that the
    demo's principal and partner admin have an MOU to sign. None when it already has one, or
    when nothing fits (its services are full, or serve no school with such a need)."""
    organization = next((o for o in data.organizations if o.pk in people.demo_organizations), None)
    if organization is None or organization.vetting_status != VettingStatus.VETTED:
        return None
    if any(
        p.organization_id == organization.pk
        and p.school_year_id == current.pk
        and p.status == PartnershipStatus.ACTIVE
        for p in rows
    ):
        return None
    services = list(
        dm.Service.objects.filter(
            organization=organization, status=dm.ServiceStatus.ACTIVE
        ).order_by("pk")
    )
    ids = [s.pk for s in services]
    categories: dict[int, set[int]] = defaultdict(set)
    for service_id, term_id in dm.Attribute.objects.filter(
        service_id__in=ids, taxonomy_term__isnull=False
    ).values_list("service_id", "taxonomy_term_id"):
        categories[service_id].add(term_id)
    areas: dict[int, set[int]] = defaultdict(set)
    for service_id, community_id in dm.ServiceArea.objects.filter(
        service_id__in=ids, community__isnull=False
    ).values_list("service_id", "community_id"):
        areas[service_id].add(community_id)
    available: dict[int, int] = defaultdict(int)
    for service_id, places in dm.ServiceCapacity.objects.filter(service_id__in=ids).values_list(
        "service_id", "available"
    ):
        available[service_id] += places
    used: dict[int, int] = defaultdict(int)
    taken: set[tuple[int | None, int | None]] = set()
    for p in rows:
        if p.school_year_id == current.pk and p.service_id is not None:
            used[p.service_id] += p.units
            if p.status in (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE):
                taken.add((p.school_id, p.service_id))

    served: set[int] = set()
    for communities in areas.values():
        served |= communities
    order = [*people.principal_of, *people.coordinator_schools]
    order += [s.pk for s in data.schools if s.community_id in served]
    seen: list[int] = []
    for pk in order:
        if pk not in seen:
            seen.append(pk)
    by_school: dict[int, list[Need]] = defaultdict(list)
    for need in (
        Need.objects.filter(assessment__school_id__in=seen, assessment__school_year=current)
        .select_related("assessment")
        .order_by("-severity", "pk")
    ):
        by_school[need.assessment.school_id].append(need)
    schools = {s.pk: s for s in data.schools}

    def overlaps(service: dm.Service, need: Need) -> bool:
        if not (service.grade_low and need.grade_low):
            return True
        low, high = GRADE_ORDER.get(service.grade_low, 0), GRADE_ORDER.get(service.grade_high, 99)
        return low <= GRADE_ORDER.get(need.grade_high, 99) and GRADE_ORDER[need.grade_low] <= high

    for school_id in seen:
        school = schools.get(school_id)
        if school is None:
            continue
        for need in by_school.get(school_id, []):
            for service in services:
                left = int(available[service.pk] * CAPACITY_SHARE) - used[service.pk]
                if (
                    need.category_id in categories[service.pk]
                    and school.community_id in areas[service.pk]
                    and left > 0
                    and (school.pk, service.pk) not in taken
                    and overlaps(service, need)
                ):
                    activated = dt.datetime.combine(
                        current.start_date + _days(21), dt.time(11, 0), tzinfo=data.network.tzinfo
                    )
                    return Partnership.objects.create(
                        network=data.network,
                        school=school,
                        organization=organization,
                        service=service,
                        school_year=current,
                        need=need,
                        units=max(1, min(left, need.students, math.ceil(need.students * 0.6))),
                        status=PartnershipStatus.ACTIVE,
                        source=PartnershipSource.DIRECT,
                        proposed_by=(
                            people.coordinator
                            if school.pk in people.coordinator_schools
                            else people.admin
                        ),
                        activated_at=activated,
                        status_changed_at=activated,
                    )
    return None


# --- clearance: requirements, campus staff, records --------------------------------------------


def _requirements(
    network: Network, clock: _Clock
) -> list[tuple[RequirementSpec, ClearanceRequirement]]:
    created = clock.at(clock.today - relativedelta(years=3), 10)
    rows = [
        ClearanceRequirement(
            network=network,
            name=spec.name,
            kind=spec.kind,
            applies_to=spec.applies_to,
            description=spec.description,
            validity_months=spec.months,
            document_required=spec.document,
            minimum_coverage=spec.minimum_coverage,
            created_at=created,
        )
        for spec in REQUIREMENTS
    ]
    ClearanceRequirement.objects.bulk_create(rows)
    return list(zip(REQUIREMENTS, rows, strict=True))


def _staff(
    data: DemoData,
    people: _People,
    names: Names,
    rng: random.Random,
    clock: _Clock,
    active: list[Partnership],
) -> list[StaffMember]:
    """1–4 campus staff for each organization with an active partnership this year, some of
    them assigned to one of its schools; the demo partner-staff login is its organization's
    first."""
    by_org: dict[int, list[Partnership]] = defaultdict(list)
    for p in active:
        by_org[p.organization_id].append(p)
    members: list[StaffMember] = []
    assigned: list[tuple[StaffMember, int]] = []
    for organization in data.organizations:
        partnerships = by_org.get(organization.pk)
        if not partnerships:
            continue
        login = (
            people.staff_login
            if people.staff_login and people.staff_login[0] == organization.pk
            else None
        )
        count = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        if login is not None:
            count = max(count, 2)
        codes = [p.need.category.code for p in partnerships if p.need is not None]
        title = TITLE_BY_CATEGORY.get(codes[0]) if codes else None
        domain = (organization.email or "@partner.example.org").split("@")[-1]
        started = min(p.activated_at or clock.at(clock.today) for p in partnerships)
        schools = sorted({p.school_id for p in partnerships if p.school_id is not None})
        for i in range(count):
            user = None
            if login is not None and i == 0:
                user = login[1]
                first, last = user.first_name, user.last_name
                role = people.staff_title or title or "Youth worker"
            else:
                first, last = names.first(), names.last()
                role = title or rng.choice(TITLES)
                if rng.random() < 0.25:
                    role = rng.choice(OTHER_TITLES)
            mailbox = f"{slugify(first).replace('-', '')}.{slugify(last).replace('-', '')}"
            area = rng.choice(("212", "347", "646", "718", "917", "929"))
            member = StaffMember(
                network=data.network,
                organization=organization,
                first_name=first,
                last_name=last,
                email=user.email if user is not None else f"{mailbox}@{domain}",
                phone=f"({area}) 555-01{rng.randint(0, 99):02d}" if rng.random() < 0.5 else "",
                title=role,
                user=user,
                is_active=user is not None or rng.random() < 0.94,
                created_at=clock.after(started - _days(rng.randint(10, 60)), 0),
                added_by=people.director_of.get(organization.pk),
            )
            members.append(member)
            if user is not None:
                demo_school = next(
                    (s for s in schools if s in people.principal_of),
                    schools[0] if schools else None,
                )
                if demo_school is not None:
                    assigned.append((member, demo_school))
            elif schools and rng.random() < 0.4:
                assigned.append((member, rng.choice(schools)))
    StaffMember.objects.bulk_create(members, batch_size=500)
    through = StaffMember.schools.through
    _insert(
        through, [through(staffmember_id=m.pk, school_id=school_id) for m, school_id in assigned]
    )
    return members


@dataclass
class _Slot:
    """One requirement for one subject (an organization, or a person of one)."""

    spec: RequirementSpec
    requirement: ClearanceRequirement
    organization: Organization
    person: StaffMember | None
    outcome: Outcome


def _draw_outcomes(
    data: DemoData,
    people: _People,
    rng: random.Random,
    requirements: list[tuple[RequirementSpec, ClearanceRequirement]],
    staff: list[StaffMember],
) -> list[_Slot]:
    org_reqs = [
        (s, r)
        for s, r in requirements
        if s.applies_to == RequirementSubject.ORGANIZATION and r.has_records
    ]
    person_reqs = [(s, r) for s, r in requirements if s.applies_to == RequirementSubject.PERSON]
    slots: list[_Slot] = []
    for organization in data.organizations:
        demo = organization.pk in people.demo_organizations
        for spec, requirement in org_reqs:
            if demo:
                outcome = Outcome.VALID
            elif organization.vetting_status == VettingStatus.VETTED:
                outcome = _pick(rng, OUTCOME_WEIGHTS)
            else:  # not vetted yet: the network has not looked at its papers
                outcome = Outcome.SUBMITTED if rng.random() < 0.4 else Outcome.MISSING
            slots.append(_Slot(spec, requirement, organization, None, outcome))
    seen_demo: dict[int, int] = defaultdict(int)
    for member in staff:
        demo = member.organization_id in people.demo_organizations
        rank = seen_demo[member.organization_id]
        if demo:
            seen_demo[member.organization_id] += 1
        for spec, requirement in person_reqs:
            if demo and rank == 0:
                # The demo partner-staff login: cleared, FERPA training due again soon.
                outcome = (
                    Outcome.EXPIRING
                    if spec.kind == RequirementKind.FERPA_TRAINING
                    else Outcome.VALID
                )
            elif demo and rank == 1:
                # A colleague's TB test waits for the network's review.
                outcome = (
                    Outcome.SUBMITTED if spec.kind == RequirementKind.TB_TEST else Outcome.VALID
                )
            elif not member.is_active:
                outcome = Outcome.VALID if rng.random() < 0.6 else Outcome.EXPIRED
            else:
                outcome = _pick(rng, OUTCOME_WEIGHTS)
            slots.append(_Slot(spec, requirement, member.organization, member, outcome))
    if data.profile.one_pattern_per_community:  # `small`: every state shows at least once
        present = {s.outcome for s in slots}
        spare = [
            s
            for s in slots
            if s.person is not None
            and s.person.is_active
            and s.organization.pk not in people.demo_organizations
            and s.outcome == Outcome.VALID
        ]
        rng.shuffle(spare)
        for outcome in (Outcome.REJECTED, Outcome.EXPIRED, Outcome.RENEWAL, Outcome.EXPIRING):
            if outcome not in present and spare:
                spare.pop().outcome = outcome
    return slots


def _records(
    data: DemoData,
    people: _People,
    rng: random.Random,
    clock: _Clock,
    slots: list[_Slot],
) -> list[tuple[_Slot, _Row]]:
    today = clock.today
    admin_id = people.admin.pk if people.admin is not None else None
    directors = {pk: user.pk for pk, user in people.director_of.items()}

    def review_days() -> int:
        # Days from submission to review: 3–40, about 12 at the median.
        return min(40, max(3, round(rng.lognormvariate(math.log(12), 0.6))))

    def reference(kind: str) -> str:
        if kind == RequirementKind.LIABILITY_INSURANCE:
            return f"{rng.choice(INSURERS)}, policy GL-{rng.randint(1_000_000, 9_999_999)}"
        if kind == RequirementKind.FINGERPRINTING:
            return f"SCR-{rng.randint(1_000_000, 9_999_999)}"
        if kind == RequirementKind.TB_TEST:
            return ""
        return f"Certificate {rng.randint(100_000, 999_999)}"

    def make(
        slot: _Slot,
        status: str,
        issued: dt.date,
        submitted: dt.datetime,
        reviewed: dt.datetime | None = None,
        reason: str = "",
    ) -> _Row:
        kind = slot.spec.kind
        coverage = None
        if kind == RequirementKind.LIABILITY_INSURANCE:
            coverage = Decimal(
                _pick(rng, (("1000000.00", 65), ("2000000.00", 30), ("3000000.00", 5)))
            )
            if reason.startswith("Coverage is $500,000"):
                coverage = Decimal("500000.00")
        org_id = slot.organization.pk
        return _Row(
            network_id=data.network.pk,
            requirement_id=slot.requirement.pk,
            organization_id=org_id,
            person_id=slot.person.pk if slot.person is not None else None,
            status=status,
            issued_on=issued,
            expires_on=valid_through(issued, slot.spec.months),
            reference=reference(kind),
            coverage_amount=coverage,
            note=PAPER_NOTE,
            submitted_at=submitted,
            submitted_by_id=directors.get(org_id, admin_id),
            reviewed_at=reviewed,
            reviewed_by_id=admin_id if reviewed is not None else None,
            rejection_reason=reason,
            document="",
            document_name="",
            document_type="",
            document_size=None,
        )

    def cleared(slot: _Slot, issued: dt.date) -> _Row:
        submitted = clock.at(issued + _days(rng.randint(0, 10)))
        return make(
            slot, RecordStatus.CLEARED, issued, submitted, clock.after(submitted, review_days())
        )

    def ending(slot: _Slot, last_day: dt.date) -> dt.date:
        """The issue day of a record valid through about `last_day`."""
        return last_day - relativedelta(months=slot.spec.months or 12)

    records: list[tuple[_Slot, _Row]] = []
    for slot in slots:
        months = slot.spec.months or 12
        outcome = slot.outcome
        if outcome == Outcome.VALID:
            low = today + _days(61) - relativedelta(months=months)
            high = today - _days(rng.randint(30, 75))
            issued = low + _days(rng.randint(0, max(0, (high - low).days)))
            if rng.random() < 0.3:  # the one before it, renewed in time
                earlier = issued - relativedelta(months=months) + _days(rng.randint(10, 40))
                records.append((slot, cleared(slot, earlier)))
            records.append((slot, cleared(slot, issued)))
        elif outcome == Outcome.EXPIRING:
            # within 1–8 weeks; the demo partner-staff login's within the month (it shows)
            soon = slot.person is not None and slot.person.user_id is not None
            left = rng.randint(10, 25) if soon else rng.randint(7, 56)
            records.append((slot, cleared(slot, ending(slot, today + _days(left)))))
        elif outcome == Outcome.EXPIRED:
            records.append((slot, cleared(slot, ending(slot, today - _days(rng.randint(1, 150))))))
        elif outcome == Outcome.RENEWAL:
            last_day = today + _days(rng.randint(-30, 40))
            records.append((slot, cleared(slot, ending(slot, last_day))))
            issued = today - _days(rng.randint(2, 20))
            submitted = clock.after(clock.at(issued), rng.randint(0, 2))
            records.append((slot, make(slot, RecordStatus.SUBMITTED, issued, submitted)))
        elif outcome == Outcome.SUBMITTED:
            issued = today - _days(rng.randint(2, 30))
            submitted = clock.after(clock.at(issued), rng.randint(0, 3))
            records.append((slot, make(slot, RecordStatus.SUBMITTED, issued, submitted)))
        elif outcome == Outcome.REJECTED:
            issued = today - _days(rng.randint(20, 150))
            submitted = clock.at(issued + _days(rng.randint(0, 7)))
            reason = rng.choice(REJECTIONS[slot.spec.kind])
            reviewed = clock.after(submitted, rng.randint(2, 10))
            records.append(
                (slot, make(slot, RecordStatus.REJECTED, issued, submitted, reviewed, reason))
            )
    return records


def _attach_documents(
    data: DemoData,
    people: _People,
    rng: random.Random,
    records: list[tuple[_Slot, _Row]],
) -> int:
    """A one-page PDF in the private storage for the records waiting for review and the demo
    organization's insurance (`small` only; the others were seen on paper). The files are
    written when the seed commits: a seed that fails leaves none behind."""
    if not data.profile.one_pattern_per_community:
        return 0
    storage = ClearanceRecord._meta.get_field("document").storage
    files: list[tuple[str, bytes]] = []
    demo = [
        i
        for i, (slot, r) in enumerate(records)
        if slot.organization.pk in people.demo_organizations
        and slot.person is None
        and r.status == RecordStatus.CLEARED
    ][-1:]
    waiting = [i for i, (_s, r) in enumerate(records) if r.status == RecordStatus.SUBMITTED]
    chosen = (demo + [i for i in waiting if i not in demo])[:PDF_FILES_IN_SMALL]
    for i in chosen:
        slot, record = records[i]
        kind = slot.spec.kind
        organization = slot.organization.name
        who = slot.person.full_name if slot.person is not None else organization
        pdf = tiny_pdf(
            (
                DOCUMENT_TITLES[kind],
                f"Issued to: {who}",
                f"Organization: {organization}",
                f"Issued on: {record.issued_on.isoformat()}",
                f"Reference: {record.reference or 'none'}",
                "",
                "Demo document made by the wraparound demo generator; not a real certificate.",
            )
        )
        name = f"clearance/{data.network.pk}/{slot.organization.pk}/{rng.getrandbits(96):024x}.pdf"
        record.document = name
        files.append((name, pdf))
        record.document_name = DOCUMENT_NAMES[kind]
        record.document_type = "application/pdf"
        record.document_size = len(pdf)
        record.note = ""
    transaction.on_commit(partial(_write_documents, storage, files))
    return len(chosen)


def _write_documents(storage: Storage, files: list[tuple[str, bytes]]) -> None:
    for name, content in files:
        if storage.exists(name):  # left by a seed of another database: ours now
            storage.delete(name)
        storage.save(name, ContentFile(content))


# --- MOUs -----------------------------------------------------------------------------------


@dataclass
class _Context:
    data: DemoData
    people: _People
    names: Names
    rng: random.Random
    clock: _Clock
    current: SchoolYear
    previous: SchoolYear | None
    expiring_days: int


def _in_force_end(end: dt.date, today: dt.date, expiring_days: int) -> dt.date:
    """The term's end, a year later (a two-year MOU) while it would already count as expiring."""
    while (end - today).days <= expiring_days + 7:
        end += relativedelta(years=1)
    return end


def _plans(
    ctx: _Context, rows: list[Partnership], demo: Partnership | None
) -> tuple[list[tuple[Partnership, Plan, Retention | None]], dict[int, int]]:
    """Which MOU each partnership gets (proposed ones mostly none), last year's first; and the
    renewals (this year's partnership → last year's of the same school and service)."""
    rng, people, current, previous = ctx.rng, ctx.people, ctx.current, ctx.previous
    small = ctx.data.profile.one_pattern_per_community
    active = [
        p for p in rows if p.school_year_id == current.pk and p.status == PartnershipStatus.ACTIVE
    ]
    proposed = [
        p for p in rows if p.school_year_id == current.pk and p.status == PartnershipStatus.PROPOSED
    ]
    ended = [
        p
        for p in rows
        if previous is not None
        and p.school_year_id == previous.pk
        and p.status == PartnershipStatus.ENDED
    ]
    last_of = {(p.school_id, p.service_id): p for p in ended}
    renewals = {
        p.pk: last_of[p.school_id, p.service_id].pk
        for p in active
        if (p.school_id, p.service_id) in last_of
    }
    renewed_last = set(renewals.values())

    # The demo principal and partner admin both have an MOU to sign: the demo partner's
    # partnership with the principal's school when there is one (made for it if need be).
    orgs, schools = people.demo_organizations, people.demo_schools
    ours = [p for p in active if p.organization_id in orgs]
    to_sign = demo or next((p for p in ours if p.school_id in schools), None)
    to_sign = to_sign or (ours[0] if ours else None)
    this_year: dict[int, Plan] = {}
    if to_sign is not None:
        this_year[to_sign.pk] = Plan.SENT
    if to_sign is None or to_sign.school_id not in schools:
        at_school = next((p for p in active if p.school_id in schools), None)
        if at_school is not None and at_school.pk not in this_year:
            this_year[at_school.pk] = Plan.SENT
    coordinator_schools = set(people.coordinator_schools)
    draft = next(
        (p for p in active if p.school_id in coordinator_schools and p.pk not in this_year),
        None,
    ) or next((p for p in proposed if p.school_id in coordinator_schools), None)
    if draft is not None:
        this_year[draft.pk] = Plan.DRAFT  # the demo coordinator's, to finish and send
    free = [p for p in active if p.pk not in this_year]
    if small:
        rng.shuffle(free)
        free.sort(key=lambda p: p.pk not in renewals)  # a renewed one takes the first (active)
        required = [Plan.ACTIVE, Plan.HALF_SIGNED, Plan.EXPIRING, Plan.AMENDED, Plan.RESENT]
        if draft is None:
            required.append(Plan.DRAFT)
        for plan, p in zip(required, free, strict=False):
            this_year[p.pk] = plan
    for p in active:
        if p.pk not in this_year:
            this_year[p.pk] = _pick(rng, THIS_YEAR_PLANS)
    for p in proposed:
        if p.pk not in this_year and rng.random() < 0.15:
            this_year[p.pk] = Plan.DRAFT  # drafted alongside the proposal

    last_year: list[tuple[Partnership, Plan, Retention | None]] = []
    early = ("The program's funding ended.", "The partner's staff changed and the program paused.")
    for p in ended:
        plan = Plan.EXPIRED
        if p.pk not in renewed_last and p.ended_reason in early and rng.random() < 0.4:
            plan = Plan.TERMINATED
        retention = _pick(
            rng, ((Retention.DESTROYED, 45), (Retention.DUE, 25), (Retention.KEPT, 30))
        )
        last_year.append((p, plan, retention))
    if small and last_year:
        plans = {plan for _p, plan, _r in last_year}
        if Plan.TERMINATED not in plans:
            for i, (p, _plan, retention) in enumerate(last_year):
                if p.pk not in renewed_last:
                    last_year[i] = (p, Plan.TERMINATED, retention)
                    break
        expired = [i for i, (_p, plan, _r) in enumerate(last_year) if plan == Plan.EXPIRED]
        for wanted in (Retention.DESTROYED, Retention.DUE):
            counts = Counter(last_year[i][2] for i in expired)
            if counts[wanted]:
                continue
            # one whose kind of retention another expired MOU shows too
            pick = next((i for i in expired if counts[last_year[i][2]] > 1), None)
            if pick is not None:
                last_year[pick] = (last_year[pick][0], last_year[pick][1], wanted)
    plans_out = list(last_year)
    plans_out += [(p, this_year[p.pk], None) for p in [*active, *proposed] if p.pk in this_year]
    return plans_out, renewals


def _terms(
    ctx: _Context, p: Partnership, start: dt.date, end: dt.date, retention_days: int
) -> _Terms:
    rng, people = ctx.rng, ctx.people
    school, organization = p.school, p.organization
    service_name = p.service.name if p.service is not None else "the program"
    need = p.need
    code = need.category.code if need is not None else ""
    category = TERMS_BY_CODE[code].name.lower() if code in TERMS_BY_CODE else ""
    grades = _grade_text(need.grade_low, need.grade_high) if need is not None else "all grades"
    family = code in FAMILY_CODES
    if school is not None:
        principal = people.principal_of[school.pk]
        school_contact = (principal.get_full_name(), principal.email, people.school_phone(school))
        where = school.name
    else:
        admin = people.admin
        school_contact = (admin.get_full_name(), admin.email, "") if admin else ("", "", "")
        where = f"the schools of {ctx.data.network.name}"
    director = people.director_of[organization.pk]
    partner_contact = (director.get_full_name(), director.email, organization.phone)

    who = f"families of students in {grades}" if family else f"students in {grades}"
    purpose = f"{service_name} for {who} at {where}"
    if category:
        purpose += (
            f", a priority of the school's {p.school_year.label} needs assessment ({category})"
        )
    purpose += "."

    side = str(Party.SCHOOL if school is not None else Party.NETWORK)
    duties: list[tuple[str, str]] = [
        (side, text)
        for text in sorted(rng.sample(SCHOOL_DUTIES, rng.randint(3, 4)), key=SCHOOL_DUTIES.index)
    ]
    partner = [PARTNER_DUTIES[0].format(service=service_name)]
    partner += sorted(rng.sample(PARTNER_DUTIES[1:], rng.randint(2, 3)), key=PARTNER_DUTIES.index)
    duties += [(str(Party.PARTNER), text) for text in partner]

    tier = need.tier if need is not None else None
    deliverables: list[dict[str, Any]] = [
        {
            "service_id": p.service_id,
            "description": service_name[:300],
            "tier": tier,
            "quantity": p.units,
            "unit": DeliverableUnit.FAMILIES if family else DeliverableUnit.STUDENTS,
            "frequency": DeliverableFrequency.YEARLY,
            "target_students": grades if not family else f"families, {grades}",
        }
    ]
    if rng.random() < 0.75:
        if code in HEALTH_CODES:
            extra = (
                "Screening days at the school",
                rng.randint(1, 2),
                DeliverableUnit.EVENTS,
                DeliverableFrequency.TERMLY,
            )
        elif family:
            extra = (
                "Family workshops",
                rng.randint(1, 2),
                DeliverableUnit.EVENTS,
                DeliverableFrequency.MONTHLY,
            )
        else:
            extra = (
                "Group sessions of 45–60 minutes",
                rng.randint(1, 3),
                DeliverableUnit.SESSIONS,
                DeliverableFrequency.WEEKLY,
            )
        deliverables.append(
            {
                "service_id": p.service_id,
                "description": extra[0],
                "tier": tier,
                "quantity": extra[1],
                "unit": extra[2],
                "frequency": extra[3],
                "target_students": grades if not family else "",
            }
        )

    basis = _pick(rng, LEGAL_BASES)
    if basis in (LegalBasis.AUDIT_EVALUATION, LegalBasis.STUDIES):
        elements = ["name", *rng.sample(EVALUATION_ELEMENTS, rng.randint(3, 5))]
        roles = ["partner_admin"]
        sharing_purpose = (
            f"To evaluate {service_name} for the school: participants' attendance and results "
            "compared with similar students, reported only in aggregate."
        )
    else:
        pool = ELEMENTS_BY_CATEGORY.get(code, DEFAULT_ELEMENTS)
        elements = ["name", "grade", "school", *rng.sample(pool, rng.randint(1, len(pool)))]
        roles = ["partner_admin", "partner_staff"] if rng.random() < 0.65 else ["partner_staff"]
        sharing_purpose = (
            f"To plan and deliver {service_name}, keep attendance and report to the school."
        )
        if basis == LegalBasis.CONSENT:
            sharing_purpose = (
                f"With each family's written consent: to plan and deliver {service_name} and "
                "follow up with the family."
            )
    method, details, _weight = rng.choices(DESTRUCTION, [w for *_x, w in DESTRUCTION])[0]
    cadence = _pick(rng, CADENCES)
    short = organization.name if len(organization.name) < 40 else "the partner"
    metric = {
        "tutoring": "Reading and math benchmark results and program attendance",
        "literacy": "Reading benchmark results and program attendance",
        "attendance": "Participants' school attendance and chronic-absence rate",
        "mentoring": "Participants' school attendance and mentors' check-ins",
        "counseling": "Sessions held, goals met on each student's plan and referrals closed",
        "social-emotional": "Sessions held and the school climate survey",
    }.get(code)
    if metric is None:
        if code in HEALTH_CODES:
            metric = "Screenings done, referrals for follow-up care and follow-ups completed"
        elif family:
            metric = "Families served, workshops held and families' feedback"
        else:
            metric = "Program attendance and participants' feedback"
    other = ["Either party may end this agreement with 30 days' written notice."]
    if rng.random() < 0.5:
        other.append("Partner staff sign in at the main office and wear visible identification.")
    return _Terms(
        start=start,
        end=end,
        school_contact=school_contact,
        partner_contact=partner_contact,
        purpose=purpose,
        cadence=cadence,
        meeting_details=(
            f"The community school coordinator and {short}'s site lead, at the school, "
            f"{rng.choice(MEETING_TIMES)}."
        )[:300],
        evaluation=f"{metric}, reviewed together in January and June.",
        other_terms=" ".join(other),
        responsibilities=duties,
        deliverables=deliverables,
        sharing={
            "legal_basis": basis,
            "data_elements": sorted(set(elements), key=ELEMENT_ORDER.__getitem__),
            "purpose": sharing_purpose,
            "partner_roles": roles,
            "retention_ends_on": end + _days(retention_days),
            "destruction_method": method,
            "destruction_details": details,
        },
    )


def _amend(ctx: _Context, terms: _Terms, kind: str) -> tuple[_Terms, str]:
    """A copy of the terms with one change, and the change note that says what changed."""
    rng, names = ctx.rng, ctx.names
    new = copy.deepcopy(terms)
    if kind == "data" and "attendance" not in new.sharing["data_elements"]:
        new.sharing["data_elements"] = sorted(
            [*new.sharing["data_elements"], "attendance"], key=ELEMENT_ORDER.__getitem__
        )
        return new, CHANGE_NOTES["data"]
    if kind == "contact":
        first, last = names.first(), names.last()
        domain = new.partner_contact[1].split("@")[-1] or "partner.example.org"
        mailbox = slugify(f"{first[0]}{last}").replace("-", "") or "director"
        new.partner_contact = (f"{first} {last}", f"{mailbox}@{domain}", new.partner_contact[2])
        return new, CHANGE_NOTES["contact"].format(name=f"{first} {last}")
    if kind == "dates":
        new.meeting_details = (
            new.meeting_details.rsplit(",", 1)[0] + f", {rng.choice(MEETING_TIMES)}."
        )
        phone = f"(718) 555-01{rng.randint(0, 99):02d}"
        new.school_contact = (new.school_contact[0], new.school_contact[1], phone)
        return new, CHANGE_NOTES["dates"]
    main = new.deliverables[0]
    old = main["quantity"]
    main["quantity"] = old + max(2, round(old * 0.3))
    note = CHANGE_NOTES["more"].format(old=old, new=main["quantity"], unit=main["unit"])
    return new, note


def _version(
    bundle: _Bundle,
    number: int,
    terms: _Terms,
    status: str,
    created: dt.datetime,
    creator: User | None,
    sent: dt.datetime | None = None,
    signed: dt.datetime | None = None,
    change_note: str = "",
) -> AgreementVersion:
    version = AgreementVersion(
        agreement=bundle.agreement,
        number=number,
        status=status,
        term_start=terms.start,
        term_end=terms.end,
        school_contact_name=terms.school_contact[0],
        school_contact_email=terms.school_contact[1],
        school_contact_phone=terms.school_contact[2],
        partner_contact_name=terms.partner_contact[0],
        partner_contact_email=terms.partner_contact[1],
        partner_contact_phone=terms.partner_contact[2],
        purpose=terms.purpose,
        meeting_cadence=terms.cadence,
        meeting_details=terms.meeting_details,
        evaluation=terms.evaluation,
        other_terms=terms.other_terms,
        change_note=change_note,
        sent_at=sent,
        signed_at=signed,
        created_by=creator,
        created_at=created,
    )
    bundle.versions.append(version)
    for position, (party, text) in enumerate(terms.responsibilities):
        bundle.children[Responsibility].append(
            _Row(version=version, party=party, description=text, position=position)
        )
    for position, fields in enumerate(terms.deliverables):
        bundle.children[Deliverable].append(_Row(version=version, position=position, **fields))
    bundle.children[DataSharingAgreement].append(_Row(version=version, **terms.sharing))
    return version


def _sign(
    ctx: _Context, bundle: _Bundle, version: AgreementVersion, party: str, at: dt.datetime
) -> User:
    people, rng = ctx.people, ctx.rng
    p = bundle.partnership
    if party == Party.PARTNER:
        user = people.director_of[p.organization_id]
        title = people.title(p.organization_id)
        ip = (
            f"192.0.2.{rng.randint(2, 254)}"
            if rng.random() < 0.8
            else f"203.0.113.{rng.randint(2, 254)}"
        )
    elif party == Party.SCHOOL and p.school_id is not None:
        user = people.principal_of[p.school_id]
        title = "Principal"
        ip = f"198.51.100.{rng.randint(2, 254)}"
    else:
        assert people.admin is not None
        user = people.admin
        title = "Network director"
        ip = f"198.51.100.{rng.randint(2, 254)}"
    bundle.signatures.append(
        _Row(
            version=version,
            party=party,
            user_id=user.pk,
            signer_name=user.get_full_name() or user.username,
            signer_title=title,
            signed_at=at,
            ip_address=ip,
            content_hash="",
        )
    )
    return user


def _bundle(ctx: _Context, p: Partnership, plan: Plan, retention: Retention | None) -> _Bundle:
    rng, clock, people = ctx.rng, ctx.clock, ctx.people
    today = clock.today
    this_year = p.school_year_id == ctx.current.pk
    year = ctx.current if this_year else (ctx.previous or ctx.current)
    school, organization = p.school, p.organization
    creator = people.coordinator if p.school_id in people.coordinator_schools else people.admin
    place = school.name if school is not None else ctx.data.network.name

    start, end = year.start_date, year.end_date
    label = f"MOU {year.label}"
    if this_year:
        end = _in_force_end(end, today, ctx.expiring_days)
        if end.year - year.end_year >= 1:
            label = f"MOU {year.label} and {end.year - 1}-{end.year % 100:02d}"
    if plan == Plan.EXPIRING:
        high = max(1, ctx.expiring_days - 5)
        end = today + _days(rng.randint(min(14, high), high))
        start = min(start, end - _days(60))
        label = f"MOU, fall semester {start.year}"
    title = f"{organization.name} and {place}: {label}"[:200]
    agreement = Agreement(
        network=ctx.data.network,
        partnership=p,
        school=school,
        organization=organization,
        title=title,
        status=STATUS_OF_PLAN[plan],
        created_by=creator,
    )
    bundle = _Bundle(partnership=p, plan=plan, agreement=agreement)

    # Data-sharing retention (decided when drafted): last year's ended, or not, by now.
    ended_on = end
    if plan == Plan.TERMINATED:
        ended_on = max(start + _days(60), end - _days(rng.randint(30, 100)))
    retention_days = rng.choice((30, 60, 90, 180, 365))
    gap = (clock.yesterday - ended_on).days
    if retention in (Retention.DESTROYED, Retention.DUE) and gap >= 20:
        retention_days = rng.randint(14, min(90, gap - 3))
    elif retention is not None:
        retention = Retention.KEPT
        retention_days = max(365, (today - ended_on).days + rng.randint(30, 180))
    terms = _terms(ctx, p, start, end, retention_days)

    activated = p.activated_at.astimezone(clock.tz).date() if p.activated_at else today
    school_party = Party.SCHOOL if p.school_id is not None else Party.NETWORK

    def signed_pair(version: AgreementVersion, sent: dt.datetime) -> tuple[dt.datetime, User]:
        parties = (
            [Party.PARTNER, school_party] if rng.random() < 0.6 else [school_party, Party.PARTNER]
        )
        first = clock.after(sent, rng.randint(0, 5))
        _sign(ctx, bundle, version, parties[0], first)
        second = clock.after(first, rng.randint(1, 12))
        return second, _sign(ctx, bundle, version, parties[1], second)

    if plan in (Plan.ACTIVE, Plan.EXPIRING, Plan.AMENDED, Plan.EXPIRED, Plan.TERMINATED):
        created = clock.at(activated - _days(rng.randint(10, 30)))
        sent = clock.after(created, rng.randint(2, 10))
        v1 = _version(bundle, 1, terms, VersionStatus.SIGNED, created, creator, sent)
        v1.signed_at, last_signer = signed_pair(v1, sent)
        bundle.signed = v1
        agreement.created_at = created
        agreement.status_changed_at = v1.signed_at
        agreement.status_changed_by = last_signer
        if plan == Plan.EXPIRING:
            agreement.status_changed_at = max(
                v1.signed_at, clock.at(end - _days(ctx.expiring_days), 6)
            )
            agreement.status_changed_by = None
        elif plan == Plan.EXPIRED:
            agreement.status_changed_at = clock.at(end + _days(1), 6)
            agreement.status_changed_by = None
        elif plan == Plan.TERMINATED:
            agreement.status_changed_at = clock.at(ended_on, rng.randint(9, 16))
            agreement.status_changed_by = creator
            agreement.terminated_reason = rng.choice(TERMINATION_REASONS)
        elif plan == Plan.AMENDED:
            change = rng.choice(("more", "contact", "data"))
            terms2, note = _amend(ctx, terms, change)
            created2 = max(
                clock.after(v1.signed_at, 14), clock.at(today - _days(rng.randint(6, 30)))
            )
            sent2 = clock.after(created2, rng.randint(1, 4))
            v2 = _version(
                bundle, 2, terms2, VersionStatus.SENT, created2, creator, sent2, change_note=note
            )
            if rng.random() < 0.5:
                _sign(ctx, bundle, v2, Party.PARTNER, clock.after(sent2, rng.randint(0, 3)))
        if retention == Retention.DESTROYED:
            retention_end: dt.date = terms.sharing["retention_ends_on"]
            destroyed = max(ended_on + _days(1), retention_end - _days(rng.randint(0, 10)))
            certified = clock.at(destroyed + _days(rng.randint(0, 3)))
            director = people.director_of[organization.pk]
            bundle.destruction = _Row(
                agreement=agreement,
                destroyed_on=clock.day(destroyed),
                method=terms.sharing["destruction_method"],
                details=terms.sharing["destruction_details"],
                certified_by_id=director.pk,
                certifier_name=director.get_full_name() or director.username,
                certified_at=certified,
                ip_address=f"192.0.2.{rng.randint(2, 254)}",
            )
    elif plan == Plan.HALF_SIGNED:
        created = clock.at(today - _days(rng.randint(8, 35)))
        sent = clock.after(created, rng.randint(1, 6))
        v1 = _version(bundle, 1, terms, VersionStatus.SENT, created, creator, sent)
        party = Party.PARTNER if rng.random() < 0.6 else school_party
        _sign(ctx, bundle, v1, party, clock.after(sent, rng.randint(0, 4)))
        agreement.created_at, agreement.status_changed_at = created, sent
        agreement.status_changed_by = creator
    elif plan == Plan.SENT:
        created = clock.at(today - _days(rng.randint(4, 15)))
        sent = max(clock.after(created, 1), clock.at(today - _days(rng.randint(1, 3))))
        _version(bundle, 1, terms, VersionStatus.SENT, created, creator, sent)
        agreement.created_at, agreement.status_changed_at = created, sent
        agreement.status_changed_by = creator
    elif plan == Plan.RESENT:
        created = clock.at(today - _days(rng.randint(20, 45)))
        sent = clock.after(created, rng.randint(1, 4))
        _version(bundle, 1, terms, VersionStatus.WITHDRAWN, created, creator, sent)
        terms2, note = _amend(ctx, terms, "dates")
        created2 = clock.after(sent, rng.randint(3, 8))
        sent2 = clock.after(created2, rng.randint(1, 3))
        v2 = _version(
            bundle, 2, terms2, VersionStatus.SENT, created2, creator, sent2, change_note=note
        )
        if rng.random() < 0.5:
            _sign(ctx, bundle, v2, school_party, clock.after(sent2, rng.randint(0, 3)))
        agreement.created_at, agreement.status_changed_at = created, sent2
        agreement.status_changed_by = creator
    else:  # Plan.DRAFT
        created = clock.at(today - _days(rng.randint(1, 12)))
        _version(bundle, 1, terms, VersionStatus.DRAFT, created, creator)
        agreement.created_at = created
    return bundle


def _agreements(ctx: _Context, rows: list[Partnership], demo: Partnership | None) -> list[_Bundle]:
    t0 = time.perf_counter()
    plans, renewals = _plans(ctx, rows, demo)
    bundles = [_bundle(ctx, p, plan, retention) for p, plan, retention in plans]
    ctx.data.timings["agreements: draw MOUs"] = time.perf_counter() - t0
    by_partnership = {b.partnership.pk: b for b in bundles}
    for bundle in bundles:
        last = renewals.get(bundle.partnership.pk)
        if last is not None and last in by_partnership:
            bundle.renews = last
            bundle.agreement.renewed_from = by_partnership[last].agreement

    t0 = time.perf_counter()
    # Last year's first: this year's renewals refer to them.
    for renewing in (False, True):
        Agreement.objects.bulk_create(
            [b.agreement for b in bundles if (b.renews is not None) == renewing], batch_size=500
        )
    # What each sent version says, frozen as the services freeze it (`mou_content.freeze`):
    # the snapshot and its hash (it names the agreement's key), before the versions go in.
    for bundle in bundles:
        for version in bundle.versions:
            if version.status != VersionStatus.DRAFT:
                stand_in = cast(AgreementVersion, _InMemory(version, bundle.children))
                version.content = canonical_content(stand_in)
                version.content_hash = hash_content(version.content)
        for signature in bundle.signatures:
            signature.content_hash = signature.version.content_hash
    ctx.data.timings["agreements: hash versions"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    AgreementVersion.objects.bulk_create([v for b in bundles for v in b.versions], batch_size=500)
    for model in (Responsibility, Deliverable, DataSharingAgreement):
        _insert(model, [row for b in bundles for row in b.children[model]])
    _insert(Signature, [s for b in bundles for s in b.signatures])
    _insert(DataDestruction, [b.destruction for b in bundles if b.destruction is not None])
    # Each agreement's latest version, and the one in force (or last in force): one statement.
    q = connection.ops.quote_name
    agreements, versions = q(Agreement._meta.db_table), q(AgreementVersion._meta.db_table)
    latest = f"SELECT v.id FROM {versions} v WHERE v.agreement_id = {agreements}.id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {agreements} SET current_version_id = ({latest} "  # noqa: S608
            "ORDER BY v.number DESC LIMIT 1), "
            f"signed_version_id = ({latest} AND v.status = %s ORDER BY v.number DESC LIMIT 1) "
            "WHERE network_id = %s",
            [VersionStatus.SIGNED.value, ctx.data.network.pk],
        )
    for bundle in bundles:
        bundle.agreement.current_version = bundle.versions[-1]
        bundle.agreement.signed_version = bundle.signed
    ctx.data.timings["agreements: insert MOUs"] = time.perf_counter() - t0
    return bundles


# --- the whole network --------------------------------------------------------------------------

# What the MOUs are written from (the city's directory rows are wide: only these are read).
PARTNERSHIP_FIELDS = (
    "network", "school", "organization", "service", "school_year", "need", "units", "status",
    "activated_at", "ended_reason", "school__network", "school__community", "school__code",
    "school__name", "organization__network", "organization__name", "organization__email",
    "organization__phone", "service__name", "service__organization", "school_year__network",
    "school_year__end_year", "school_year__start_date", "school_year__end_date", "need__tier",
    "need__grade_low", "need__grade_high", "need__students", "need__category",
    "need__category__code",
)  # fmt: skip


def generate_agreements(
    data: DemoData, rng: random.Random, fake: Faker, today: dt.date
) -> dict[str, int]:
    """Clearance requirements, campus staff and records, and the MOUs of this year's and last
    year's partnerships, as of `today` on the network's clock. Returns the summary's counts."""
    from .generate import Names

    started = time.perf_counter()
    network = data.network
    current = next(y for y in data.school_years if y.is_current)
    previous = max(
        (y for y in data.school_years if y.end_year < current.end_year),
        key=lambda y: y.end_year,
        default=None,
    )
    # Separate streams, so that more MOU draws later leave the clearance data as it is.
    clearance_rng = random.Random(rng.getrandbits(64))
    names = Names(fake, random.Random(rng.getrandbits(64)))
    clock = _Clock(network, today, rng)
    people = _People(data, names, rng)

    rows = list(
        Partnership.objects.filter(network=network)
        .select_related("school", "organization", "service", "school_year", "need__category")
        .only(*PARTNERSHIP_FIELDS)
        .order_by("pk")
    )
    demo = _demo_partnership(data, people, current, rows)
    if demo is not None:
        key = f"{PartnershipStatus.ACTIVE.value} partnerships"
        data.assessment_counts[key] = data.assessment_counts.get(key, 0) + 1
        rows.append(demo)
    active = [
        p for p in rows if p.school_year_id == current.pk and p.status == PartnershipStatus.ACTIVE
    ]
    ctx = _Context(
        data=data,
        people=people,
        names=names,
        rng=rng,
        clock=clock,
        current=current,
        previous=previous,
        expiring_days=network.agreement_expiring_days,
    )
    # Everyone who signs for a school or an organization with a partnership, and the directors
    # who submit their organizations' papers.
    people.create_signers(
        [p.school for p in rows if p.school is not None],
        [p.organization_id for p in rows],
    )
    data.timings["agreements: partnerships and signers"] = time.perf_counter() - started

    t0 = time.perf_counter()
    requirements = _requirements(network, clock)
    staff = _staff(
        data, people, names, clearance_rng, _Clock(network, today, clearance_rng), active
    )
    data.timings["agreements: campus staff"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    slots = _draw_outcomes(data, people, clearance_rng, requirements, staff)
    records = _records(data, people, clearance_rng, _Clock(network, today, clearance_rng), slots)
    files = _attach_documents(data, people, clearance_rng, records)
    data.timings["agreements: draw records"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _insert(ClearanceRecord, [r for _slot, r in records])
    data.timings["agreements: insert records"] = time.perf_counter() - t0
    t0 = time.perf_counter()

    bundles = _agreements(ctx, rows, demo)

    counts = {
        "clearance requirements": len(requirements),
        "campus staff": len(staff),
        "clearance records": len(records),
        "records waiting for review": sum(
            r.status == RecordStatus.SUBMITTED for _slot, r in records
        ),
        "clearance documents": files,
        "MOUs": len(bundles),
    }
    for status in AgreementStatus:
        label = status.value.replace("_", " ")
        counts[f"{label} MOUs"] = sum(b.agreement.status == status for b in bundles)
    return counts


def _delete_documents(storage: Storage, names: list[str], folder: str) -> None:
    for name in names:
        storage.delete(name)
    _remove_empty_folders(storage, folder)


def _remove_empty_folders(storage: Storage, name: str) -> None:
    """The network's folders of documents, once empty (a file system storage keeps them)."""
    try:
        root = Path(storage.path(name))
    except NotImplementedError:  # a storage without folders on this machine
        return
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    if not any(root.iterdir()):
        root.rmdir()


def reset_agreements(network_id: int) -> None:
    """Delete a network's MOUs, clearance records, campus staff and requirements, the documents
    of its records and the demo's other signers — before its partnerships, organizations and
    schools go (`assessments.reset_assessments`): one statement a table, leaves first. The
    documents go from the storage when the reset commits (rolled back, they are still there)."""
    from .training import reset_training  # trainings refer to requirements, staff and records

    reset_training(network_id)
    storage = ClearanceRecord._meta.get_field("document").storage
    names = list(
        ClearanceRecord.objects.filter(network_id=network_id)
        .exclude(document="")
        .values_list("document", flat=True)
    )
    transaction.on_commit(partial(_delete_documents, storage, names, f"clearance/{network_id}"))

    q = connection.ops.quote_name
    agreement = q(Agreement._meta.db_table)
    version = q(AgreementVersion._meta.db_table)
    staff = q(StaffMember._meta.db_table)
    through = StaffMember.schools.through._meta
    member_column = q(through.get_field("staffmember").column)
    of_network = f"SELECT id FROM {agreement} WHERE network_id = %s"  # noqa: S608
    versions = f"SELECT id FROM {version} WHERE agreement_id IN ({of_network})"  # noqa: S608
    statements = [
        f"UPDATE {agreement} SET current_version_id = NULL, signed_version_id = NULL, "  # noqa: S608
        "renewed_from_id = NULL WHERE network_id = %s",
        *(
            f"DELETE FROM {q(model._meta.db_table)} WHERE version_id IN ({versions})"  # noqa: S608
            for model in (Signature, Responsibility, Deliverable, DataSharingAgreement)
        ),
        f"DELETE FROM {q(DataDestruction._meta.db_table)} WHERE agreement_id IN ({of_network})",  # noqa: S608
        f"DELETE FROM {version} WHERE agreement_id IN ({of_network})",  # noqa: S608
        f"DELETE FROM {agreement} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(ClearanceRecord._meta.db_table)} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(through.db_table)} WHERE {member_column} IN "  # noqa: S608
        f"(SELECT id FROM {staff} WHERE network_id = %s)",
        f"DELETE FROM {staff} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(ClearanceRequirement._meta.db_table)} WHERE network_id = %s",  # noqa: S608
    ]
    with connection.cursor() as cursor:
        # Table and column names come from the models' metadata, never from input.
        for sql in statements:
            cursor.execute(sql, [network_id])
    slug = Network.objects.filter(pk=network_id).values_list("slug", flat=True).first()
    if slug:
        get_user_model().objects.filter(
            username__startswith=SIGNER_PREFIX.format(slug=slug)
        ).delete()
