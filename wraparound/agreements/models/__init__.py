"""The agreements app's records: partnerships (partnership.py), their MOUs and data-sharing
agreements (mou.py), and the network's clearance requirements and records (clearance.py)."""

from .clearance import (
    ClearanceRecord,
    ClearanceRequirement,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from .mou import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    DataDestruction,
    DataElement,
    DataSharingAgreement,
    Deliverable,
    DestructionMethod,
    LegalBasis,
    MeetingCadence,
    Party,
    Responsibility,
    Signature,
    VersionStatus,
)
from .partnership import (
    OPEN_STATUSES,
    Partnership,
    PartnershipSource,
    PartnershipStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Agreement",
    "AgreementStatus",
    "AgreementVersion",
    "ClearanceRecord",
    "ClearanceRequirement",
    "DataDestruction",
    "DataElement",
    "DataSharingAgreement",
    "Deliverable",
    "DestructionMethod",
    "LegalBasis",
    "MeetingCadence",
    "Partnership",
    "PartnershipSource",
    "PartnershipStatus",
    "Party",
    "RecordStatus",
    "RequirementKind",
    "RequirementSubject",
    "Responsibility",
    "Signature",
    "StaffMember",
    "VersionStatus",
]
