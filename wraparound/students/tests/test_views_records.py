"""The student record pages and exports: what each shows, bad input, query counts, logging.
(Who gets which status on each is in test_authorization_matrix.py.)"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.core.models import AuditEvent, Disclosure
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- roster ---------------------------------------------------------------------------------------


def test_roster_lists_searches_and_links(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    client = as_user(t1.users["coordinator"])
    url = reverse("student_school_list", args=[t1.schools[0].pk])
    body = client.get(url).content.decode()
    assert "Own, Ana" in body and "Consented, Ben" in body
    assert reverse("student_detail", args=[w.own.pk]) in body
    assert reverse("student_school_export", args=[t1.schools[0].pk]) in body
    body = client.get(url, {"q": "ben"}).content.decode()
    assert "Consented, Ben" in body and "Own, Ana" not in body


def test_roster_bad_grade_is_400_and_keeps_the_search(t1: Any, as_user: Any) -> None:
    student_world(t1)
    client = as_user(t1.users["coordinator"])
    response = client.get(
        reverse("student_school_list", args=[t1.schools[0].pk]), {"grade": "99", "q": "ana"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert 'value="ana"' in body


def test_roster_pages_of_50_with_a_fixed_number_of_queries(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    school = t1.schools[0]
    StudentFactory.create_batch(60, school=school)
    client = as_user(t1.users["coordinator"])
    url = reverse("student_school_list", args=[school.pk])
    # session, user, grants, school, count, page, header notifications
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('scope="row"') == 50
    assert client.get(url, {"page": 2}).content.decode().count('scope="row"') == 10


# --- one student ----------------------------------------------------------------------------------


def test_record_shows_the_whole_student_and_the_sections(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    body = as_user(t1.users["coordinator"]).get(reverse("student_detail", args=[w.consented.pk]))
    text = body.content.decode()
    guardian = w.consented.guardian_links.get().guardian
    for fact in (w.consented.email, w.consented.birth_date.isoformat(), guardian.email):
        assert fact in text
    assert "Mentoring" in text and "Homework Club" in text  # its referrals, draft included
    assert reverse("student_disclosures", args=[w.consented.pk]) in text
    new = reverse("referral_new", args=[t1.schools[0].pk])
    assert f"{new}?student={w.consented.pk}" in text
    for name in ("tier_list", "consent_list", "student_sessions", "case_note_list"):
        assert reverse(name, args=[w.consented.pk]) in text, name


def test_record_hides_the_disclosure_log_link_from_those_who_may_not_print_it(
    t1: Any, as_user: Any
) -> None:
    w = student_world(t1)
    text = as_user(t1.users["staff"]).get(reverse("student_detail", args=[w.own.pk])).content
    assert reverse("student_disclosures", args=[w.own.pk]).encode() not in text


def test_school_officials_reads_write_no_disclosure(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    client = as_user(t1.users["coordinator"])
    client.get(reverse("student_detail", args=[w.own.pk]))
    client.get(reverse("student_school_list", args=[t1.schools[0].pk]))
    assert not Disclosure.objects.exists()


# --- the partner's students -----------------------------------------------------------------------


def test_partner_list_shows_only_allowed_columns_and_says_not_shared(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    text = (
        as_user(t1.users["partner_staff_a"])
        .get(reverse("student_partner_list", args=[t1.org_a.pk]))
        .content.decode()
    )
    assert "Ana Own" in text
    assert f"Student {w.other_school.pk} (name not shared)" in text
    assert '<th scope="col">Grade</th>' in text
    assert "Reason for the referral" in text
    # no column for what nobody here shares
    assert "Date of birth" not in text and "Contact" not in text
    # the other school's row: grade and notes hidden, said so
    assert text.count("not shared</em>") == 2
    assert "data-sharing agreement" in text  # the basis note
    assert w.to_a.reason in text


def test_partner_list_query_count_and_one_bulk_insert(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    w = student_world(t1)

    def refer(n: int) -> None:
        for _ in range(n):
            ReferralFactory(
                student=StudentFactory(school=t1.schools[0]),
                service=w.service_a,
                partnership=w.partnership_a,
                referred_by=t1.users["coordinator"],
                basis="school_official",
            )

    client = as_user(t1.users["partner_staff_a"])
    url = reverse("student_partner_list", args=[t1.org_a.pk])
    refer(8)  # 10 referred students
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    refer(20)  # 30 referred students
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    inserts = [q for q in large.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "core_disclosure" in inserts[0]["sql"]
    assert Disclosure.objects.filter(viewer=t1.users["partner_staff_a"]).count() == 10 + 30 - 2
    # The grounds are read in batches (a query per organization and school, one for consents):
    # three times the students cost not one query more.
    assert len(large) <= len(small)  # the first request also warmed caches
    assert len(large) <= 16


def test_partner_record_unites_the_referrals_and_404s_otherwise(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    client = as_user(t1.users["partner_staff_b"])
    text = client.get(
        reverse("student_partner_detail", args=[t1.org_b.pk, w.consented.pk])
    ).content.decode()
    guardian = w.consented.guardian_links.get().guardian
    assert "Ben Consented" in text and w.consented.email in text and guardian.email in text
    assert w.consented.birth_date.isoformat() not in text
    assert "consent signed" in text
    row = Disclosure.objects.get(viewer=t1.users["partner_staff_b"])
    assert row.purpose == "partner student record" and sorted(row.fields) == ["contact", "name"]
    assert (
        client.get(reverse("student_partner_detail", args=[t1.org_b.pk, w.own.pk])).status_code
        == 404
    )


def test_partner_export_has_only_shown_columns(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    response = as_user(t1.users["partner_staff_a"]).get(
        reverse("student_partner_export", args=[t1.org_a.pk])
    )
    assert response["Content-Disposition"].startswith("attachment;")
    rows = _csv(response)
    assert set(rows[0]) == {
        "referral_id",
        "referral_status",
        "service",
        "id",
        "given_name",
        "family_name",
        "middle_name",
        "preferred_name",
        "grade",
        "referral_reason",
    }
    by_ref = {int(r["referral_id"]): r for r in rows}
    assert by_ref[w.to_a.pk]["family_name"] == "Own"
    assert by_ref[w.other_school_to_a.pk]["family_name"] == ""
    assert Disclosure.objects.get(viewer=t1.users["partner_staff_a"]).purpose == "partner export"


def test_school_export_is_audited_and_whole(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    response = as_user(t1.users["principal"]).get(
        reverse("student_school_export", args=[t1.schools[0].pk])
    )
    assert response["Content-Disposition"].startswith("attachment;")
    rows = {r["sourced_id"]: r for r in _csv(response)}
    assert set(rows) == {w.own.sourced_id, w.consented.sourced_id}
    assert rows[w.own.sourced_id]["birth_date"] == w.own.birth_date.isoformat()
    assert "note" not in ",".join(next(iter(rows.values())).keys())
    event = AuditEvent.objects.get(action="students.roster_export")
    assert event.actor == t1.users["principal"] and event.data == {"rows": 2}
    assert not Disclosure.objects.exists()


def test_exports_defuse_spreadsheet_formulas(t1: Any, as_user: Any) -> None:
    StudentFactory(school=t1.schools[0], given_name="=HYPERLINK(1)")
    response = as_user(t1.users["coordinator"]).get(
        reverse("student_school_export", args=[t1.schools[0].pk])
    )
    assert _csv(response)[0]["given_name"] == "'=HYPERLINK(1)"


# --- the record of disclosures --------------------------------------------------------------------


def test_disclosure_log_and_print(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    as_user(t1.users["partner_staff_a"]).get(reverse("student_partner_list", args=[t1.org_a.pk]))
    client = as_user(t1.users["coordinator"])
    text = client.get(reverse("student_disclosures", args=[w.own.pk])).content.decode()
    assert t1.org_a.name in text and "partner student list" in text
    assert "grade level, name, referral notes" in text
    assert reverse("agreement_version", args=[w.agreement_a.pk, 1]) in text
    today = t1.network.today().isoformat()
    printed = client.get(
        reverse("student_disclosures_print", args=[w.own.pk]), {"from": today, "to": today}
    ).content.decode()
    assert "Record of disclosures under FERPA 34 CFR 99.32" in printed
    assert "Generated on" in printed and t1.schools[0].name in printed
    assert "partner student list" in printed and "@media print" in printed


def test_disclosure_log_links_the_consent(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    as_user(t1.users["partner_staff_b"]).get(reverse("student_partner_list", args=[t1.org_b.pk]))
    text = (
        as_user(t1.users["network_admin"])
        .get(reverse("student_disclosures", args=[w.consented.pk]))
        .content.decode()
    )
    assert reverse("consent_detail", args=[w.consented.pk, w.consent_b.pk]) in text
    assert "Written consent of the parent or eligible student" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "yesterday"}, "Enter a valid date."),
        ({"from": "2026-12-05", "to": "2026-12-01"}, "The start date is after the end date."),
    ],
)
def test_disclosure_log_bad_dates_are_400(
    t1: Any, as_user: Any, query: dict[str, str], message: str
) -> None:
    w = student_world(t1)
    response = as_user(t1.users["coordinator"]).get(
        reverse("student_disclosures", args=[w.own.pk]), query
    )
    assert response.status_code == 400
    assert message in response.content.decode()
