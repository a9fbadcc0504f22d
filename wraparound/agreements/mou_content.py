"""What an MOU version says, as data: the canonical content that is hashed when the version is
sent and signed, the readable lines the PDF and the amendment diff are made of, and the diff.

The hash covers every term a party agrees to (parties, term, contacts, purpose, roles and
responsibilities, deliverables, meetings, evaluation, data-sharing terms) and nothing that
changes by itself (status, timestamps, signatures), so a signature's hash can be checked against
the version at any time.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .models import AgreementVersion, DataElement, DataSharingAgreement, Party
from .models.mou import (
    DeliverableFrequency,
    DeliverableUnit,
    DestructionMethod,
    LegalBasis,
    MeetingCadence,
)


def canonical_content(version: AgreementVersion) -> dict[str, Any]:
    """The version's terms as plain JSON-able data (ids and codes, not translated labels)."""
    agreement = version.agreement
    try:
        sharing: DataSharingAgreement | None = version.data_sharing
    except DataSharingAgreement.DoesNotExist:
        sharing = None
    return {
        "agreement": agreement.pk,
        "title": agreement.title,
        "version": version.number,
        "network": {"id": agreement.network_id, "name": agreement.network.name},
        "school": (
            {
                "id": agreement.school_id,
                "code": agreement.school.code,
                "name": agreement.school.name,
            }
            if agreement.school_id and agreement.school
            else None
        ),
        "organization": {"id": agreement.organization_id, "name": agreement.organization.name},
        "term": [version.term_start.isoformat(), version.term_end.isoformat()],
        "contacts": {
            "school": [
                version.school_contact_name,
                version.school_contact_email,
                version.school_contact_phone,
            ],
            "partner": [
                version.partner_contact_name,
                version.partner_contact_email,
                version.partner_contact_phone,
            ],
        },
        "purpose": version.purpose,
        "responsibilities": [
            [r.party, r.description] for r in version.responsibilities.order_by("position", "pk")
        ],
        "deliverables": [
            {
                "service": d.service_id,
                "description": d.description,
                "tier": d.tier,
                "quantity": d.quantity,
                "unit": d.unit,
                "frequency": d.frequency,
                "target_students": d.target_students,
            }
            for d in version.deliverables.order_by("position", "pk")
        ],
        "meetings": [version.meeting_cadence, version.meeting_details],
        "evaluation": version.evaluation,
        "other_terms": version.other_terms,
        "data_sharing": (
            {
                "legal_basis": sharing.legal_basis,
                "data_elements": list(sharing.data_elements),
                "purpose": sharing.purpose,
                "partner_roles": list(sharing.partner_roles),
                "retention_ends_on": sharing.retention_ends_on.isoformat(),
                "destruction_method": sharing.destruction_method,
                "destruction_details": sharing.destruction_details,
            }
            if sharing is not None
            else None
        ),
    }


def hash_content(content: dict[str, Any]) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def content_hash(version: AgreementVersion) -> str:
    """SHA-256 of the version's canonical content as its rows stand now."""
    return hash_content(canonical_content(version))


def freeze(version: AgreementVersion) -> None:
    """Snapshot the version's content and hash it (on sending; the caller saves)."""
    version.content = canonical_content(version)
    version.content_hash = hash_content(version.content)


def frozen_content(version: AgreementVersion) -> dict[str, Any]:
    """The content as sent (the snapshot), or as it stands for a draft."""
    return version.content if version.content is not None else canonical_content(version)


# Names shown for the parties may change after signing (an organization renames itself); the
# terms may not. The parties stay identified by their ids.
_NAMES = ("network", "school", "organization")


def _terms(content: dict[str, Any]) -> dict[str, Any]:
    terms = dict(content)
    for key in _NAMES:
        if isinstance(terms.get(key), dict):
            terms[key] = terms[key].get("id")
    return terms


def is_intact(version: AgreementVersion) -> bool:
    """A sent version is intact when its snapshot still hashes to the recorded hash and its rows
    still say what the snapshot says (changed behind the services' back: not intact)."""
    if not version.content_hash or version.content is None:
        return False
    if hash_content(version.content) != version.content_hash:
        return False
    return _terms(canonical_content(version)) == _terms(version.content)


def _label(choices: Any, value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def readable_lines(content: dict[str, Any]) -> list[str]:
    """The terms as short lines in a fixed order: what the diff compares and people read."""
    lines = [
        _("Title: %(title)s") % {"title": content["title"]},
        _("Term: %(start)s to %(end)s") % {"start": content["term"][0], "end": content["term"][1]},
    ]
    for side, label in (("school", _("School contact")), ("partner", _("Partner contact"))):
        name, email, phone = content["contacts"][side]
        details = ", ".join(x for x in (name, email, phone) if x)
        lines.append(f"{label}: {details or '—'}")
    if content["purpose"]:
        lines.append(_("Purpose: %(text)s") % {"text": content["purpose"]})
    for party, description in content["responsibilities"]:
        lines.append(
            _("Responsibility of the %(party)s: %(text)s")
            % {"party": _label(Party, party), "text": description}
        )
    for d in content["deliverables"]:
        tier = _(", tier %(tier)s") % {"tier": d["tier"]} if d["tier"] else ""
        target = f" ({d['target_students']})" if d["target_students"] else ""
        lines.append(
            _("Deliverable: %(text)s — %(quantity)s %(unit)s %(frequency)s%(tier)s%(target)s")
            % {
                "text": d["description"],
                "quantity": d["quantity"],
                "unit": _label(DeliverableUnit, d["unit"]),
                "frequency": _label(DeliverableFrequency, d["frequency"]),
                "tier": tier,
                "target": target,
            }
        )
    cadence, details = content["meetings"]
    lines.append(
        _("Meetings: %(cadence)s%(details)s")
        % {
            "cadence": _label(MeetingCadence, cadence),
            "details": f" — {details}" if details else "",
        }
    )
    if content["evaluation"]:
        lines.append(_("Evaluation: %(text)s") % {"text": content["evaluation"]})
    if content["other_terms"]:
        lines.append(_("Other terms: %(text)s") % {"text": content["other_terms"]})
    sharing = content["data_sharing"]
    if sharing is None:
        lines.append(_("Data sharing: none agreed"))
    else:
        lines.append(
            _("Data sharing, legal basis: %(basis)s")
            % {"basis": _label(LegalBasis, sharing["legal_basis"])}
        )
        elements = ", ".join(_label(DataElement, e) for e in sharing["data_elements"])
        lines.append(_("Data elements: %(list)s") % {"list": elements or "—"})
        lines.append(_("Sharing purpose: %(text)s") % {"text": sharing["purpose"]})
        lines.append(_("Partner roles that may see the data: %(list)s") % {
            "list": ", ".join(sharing["partner_roles"]) or "—"
        })  # fmt: skip
        lines.append(
            _("Data kept until %(day)s, then %(method)s%(details)s")
            % {
                "day": sharing["retention_ends_on"],
                "method": _label(DestructionMethod, sharing["destruction_method"]),
                "details": f" ({sharing['destruction_details']})"
                if sharing["destruction_details"]
                else "",
            }
        )
    return lines


@dataclass(frozen=True)
class DiffLine:
    op: str  # "same", "added" or "removed"
    text: str


def diff_lines(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DiffLine]:
    """Line-by-line difference between two versions' contents (old None: everything added)."""
    before = readable_lines(old) if old is not None else []
    after = readable_lines(new)
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(DiffLine("same", line) for line in before[i1:i2])
            continue
        out.extend(DiffLine("removed", line) for line in before[i1:i2])
        out.extend(DiffLine("added", line) for line in after[j1:j2])
    return out
