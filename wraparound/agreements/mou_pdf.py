"""The MOU of one agreement version as a printable PDF (docs/decisions/0004).

WeasyPrint renders `agreements/mou/pdf.html` (US Letter, the network's name in the running
header, "Page N of M" in the footer). Labels are translated in the active language; times are on
the network's clock. Nothing is fetched while rendering: the stylesheet is inlined and the URL
fetcher refuses every URL but `data:`, so a term that smuggles in an `<img src="http://…">` (it
cannot: every value is escaped) or a stylesheet import could not make the server call out.

The hash printed at the bottom is the one recorded when the version was sent, the hash of the
exact terms the parties signed; a draft shows the hash of its terms as they stand now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from weasyprint import HTML, default_url_fetcher

from wraparound.core.roles import Role

from .models import AgreementVersion, DataElement, DataSharingAgreement, Party
from .models.mou import Deliverable, Signature, VersionStatus
from .mou_content import content_hash, is_intact

TEMPLATE = "agreements/mou/pdf.html"
# Signed-at stamps: unambiguous in every language, with the zone's abbreviation (EDT, CST…).
SIGNED_AT_FORMAT = "Y-m-d H:i T"


def refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint URL fetcher: inline `data:` URLs only, never the network or the disk."""
    if url.lower().startswith("data:"):
        result: dict[str, Any] = default_url_fetcher(url, *args, **kwargs)
        return result
    raise ValueError(f"MOU PDFs fetch no external resources (refused {url[:80]!r})")


def css_string(text: str) -> str:
    """`text` as a quoted CSS string: anything but letters, digits and spaces hex-escaped, so no
    quote, backslash, newline or `</style>` can leave the string."""
    escaped = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def css_page_counter(template: str) -> str:
    """A translated "Page %(page)s of %(pages)s" as a CSS `content` value with counters."""
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    parts = re.split(r"(%\(pages?\)s)", template)
    return " ".join(counters.get(p) or css_string(p) for p in parts if p)


@dataclass
class SignatureBlock:
    """One party's place at the bottom: its signature, or empty lines to sign on paper."""

    party: str
    party_label: str
    signature: Signature | None = None
    signed_at_local: str = ""
    hash_matches: bool = False


@dataclass
class ResponsibilityGroup:
    party_label: str
    items: list[str] = field(default_factory=list)


def _signature_blocks(
    version: AgreementVersion, signatures: list[Signature], expected_hash: str
) -> list[SignatureBlock]:
    agreement = version.agreement
    tz = agreement.network.tzinfo
    by_party = {s.party: s for s in signatures}
    parties = [agreement.school_party, Party.PARTNER]
    parties += [p for p in by_party if p not in parties]  # should not happen; never hide one
    blocks = []
    for party in parties:
        sig = by_party.get(party)
        block = SignatureBlock(party=party, party_label=str(Party(party).label), signature=sig)
        if sig is not None:
            block.signed_at_local = formats.date_format(
                timezone.localtime(sig.signed_at, tz), SIGNED_AT_FORMAT
            )
            block.hash_matches = bool(expected_hash) and sig.content_hash == expected_hash
        blocks.append(block)
    return blocks


def _responsibilities(version: AgreementVersion) -> list[ResponsibilityGroup]:
    groups: dict[str, ResponsibilityGroup] = {}
    for r in version.responsibilities.all():
        group = groups.setdefault(r.party, ResponsibilityGroup(str(Party(r.party).label)))
        group.items.append(r.description)
    order = [Party.SCHOOL, Party.NETWORK, Party.PARTNER]
    return [groups[p] for p in order if p in groups]


def _deliverable_rows(deliverables: list[Deliverable]) -> list[dict[str, Any]]:
    return [
        {
            "description": d.description,
            "service": d.service.name if d.service else "",
            "tier": d.tier,
            "quantity": d.quantity,
            "unit": d.get_unit_display(),
            "frequency": d.get_frequency_display(),
            "target_students": d.target_students,
        }
        for d in deliverables
    ]


def _sharing(version: AgreementVersion) -> dict[str, Any] | None:
    try:
        sharing: DataSharingAgreement = version.data_sharing
    except DataSharingAgreement.DoesNotExist:
        return None

    def label(choices: Any, value: str) -> str:
        try:
            return str(choices(value).label)
        except ValueError:
            return value

    return {
        "legal_basis": sharing.get_legal_basis_display(),
        "elements": [label(DataElement, e) for e in sharing.data_elements],
        "purpose": sharing.purpose,
        "roles": [label(Role, r) for r in sharing.partner_roles],
        "retention_ends_on": sharing.retention_ends_on,
        "destruction_method": sharing.get_destruction_method_display(),
        "destruction_details": sharing.destruction_details,
    }


def _banner(version: AgreementVersion) -> tuple[str, str]:
    """(watermark, sentence) for versions that are not (or no longer) the signed terms."""
    status = version.status
    if status == VersionStatus.DRAFT:
        return (
            version.get_status_display().upper(),
            _("Draft: these terms are still being written. They are not in force."),
        )
    if status == VersionStatus.SENT:
        return (
            _("NOT SIGNED"),
            _("Sent for signature: these terms are in force only once both parties sign."),
        )
    if status == VersionStatus.WITHDRAWN:
        return (
            _("NOT SIGNED"),
            _("Withdrawn: these terms were changed before they were signed. Never in force."),
        )
    if status == VersionStatus.SUPERSEDED:
        return (
            "",
            _("Superseded: a later amendment, signed by both parties, replaced these terms."),
        )
    return ("", "")


def _hash_note(version: AgreementVersion) -> str:
    if not version.content_hash:
        return _(
            "SHA-256 of this draft's terms as they stand now (it changes with every edit; it is "
            "frozen when the version is sent for signature)."
        )
    if version.status in (VersionStatus.SIGNED, VersionStatus.SUPERSEDED):
        return _(
            "SHA-256 of this version's terms, recorded when it was sent: the hash of the exact "
            "text signed."
        )
    return _(
        "SHA-256 of this version's terms, recorded when it was sent: the hash of the exact text "
        "put to the parties for signature."
    )


def mou_pdf_context(version: AgreementVersion) -> dict[str, Any]:
    """Everything the PDF template shows, labels translated in the active language."""
    agreement = version.agreement
    network = agreement.network
    current_hash = content_hash(version)
    recorded_hash = version.content_hash
    signatures = list(version.signatures.all())
    watermark, banner = _banner(version)
    deliverables = list(version.deliverables.select_related("service"))
    return {
        "agreement": agreement,
        "version": version,
        "network": network,
        "school": agreement.school,
        "organization": agreement.organization,
        "school_party_label": Party(agreement.school_party).label,
        "partner_label": Party.PARTNER.label,
        "sent_on": network.today(version.sent_at) if version.sent_at else None,
        "watermark": watermark,
        "banner": banner,
        "responsibilities": _responsibilities(version),
        "deliverables": _deliverable_rows(deliverables),
        # The model's own (translated) field names head the deliverables table.
        "deliverable_labels": {
            name: getattr(Deliverable._meta.get_field(name), "verbose_name", name)
            for name in ("description", "tier", "quantity", "unit", "frequency", "target_students")
        },
        "sharing": _sharing(version),
        "signature_blocks": _signature_blocks(version, signatures, recorded_hash),
        # The hash of the terms as sent (what was signed); a draft's, of its terms right now.
        "content_hash": recorded_hash or current_hash,
        "hash_note": _hash_note(version),
        "hash_differs": bool(recorded_hash) and not is_intact(version),
        "current_hash": current_hash,
        "network_time_zone": network.time_zone,
        "printed_on": network.today(),
        "css_header": css_string(network.name),
        "css_title": css_string(
            _("%(title)s, version %(number)s")
            % {"title": agreement.title, "number": version.number}
        ),
        "css_page": css_page_counter(_("Page %(page)s of %(pages)s")),
    }


def render_mou_pdf(version: AgreementVersion) -> bytes:
    """The version's MOU as PDF bytes, in the active language."""
    html = render_to_string(TEMPLATE, mou_pdf_context(version))
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=refuse_fetch).write_pdf()
    return pdf
