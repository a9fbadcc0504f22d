"""The "Prepare" buttons and a prepared report's page, status fragment and download: who may
(every persona, the other network, anonymous), what htmx gets, and what the pages show."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS

from ..models import ReportJob, ReportJobStatus
from .test_report_jobs import YEAR, done_job
from .test_reports_views import NETWORK_READERS, PARTNER_READERS, SCHOOL_READERS

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _prepare_urls(t) -> dict[str, tuple[str, set[str]]]:
    return {
        "network": (
            reverse("network_outcome_report_prepare", args=[t.network.slug, "pdf"]),
            NETWORK_READERS,
        ),
        "school": (
            reverse("school_outcome_report_prepare", args=[t.schools[0].pk, "xlsx"]),
            SCHOOL_READERS,
        ),
        "organization": (
            reverse("organization_outcome_report_prepare", args=[t.org_a.pk, "pdf"]),
            PARTNER_READERS,
        ),
    }


def _done_jobs(t) -> dict[str, tuple[ReportJob, set[str]]]:
    return {
        "network": (done_job(t.network), NETWORK_READERS),
        "school": (done_job(t.schools[0], fmt="xlsx", body=b"PK test"), SCHOOL_READERS),
        "organization": (done_job(t.org_a), PARTNER_READERS),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_asking_for_a_report_follows_the_direct_download_rules(t1, as_user, persona):
    client = as_user(t1.users[persona])
    for name, (url, readers) in _prepare_urls(t1).items():
        response = client.post(url, {"year": str(YEAR)})
        if persona in readers:
            assert response.status_code == 302, (name, response.status_code)
            job = ReportJob.objects.get(kind=name)
            assert response["Location"] == reverse("report_job_detail", args=[job.pk])
            assert job.requested_by == t1.users[persona] and job.year == YEAR
        else:
            assert response.status_code in (403, 404), (name, response.status_code)
            assert not ReportJob.objects.filter(kind=name).exists(), name
        ReportJob.objects.filter(kind=name).delete()


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_jobs_page_status_and_file_only_for_who_may_download_its_report(t1, as_user, persona):
    client = as_user(t1.users[persona])
    for name, (job, readers) in _done_jobs(t1).items():
        for view in ("report_job_detail", "report_job_status", "report_job_download"):
            response = client.get(reverse(view, args=[job.pk]))
            if persona in readers:
                assert response.status_code == 200, (name, view, response.status_code)
            else:
                # A job id confirms nothing: a 404 whoever the user is.
                assert response.status_code == 404, (name, view, response.status_code)
        downloads = AuditEvent.objects.filter(action="outcomes.report", actor=t1.users[persona])
        assert downloads.count() == (1 if persona in readers else 0), name
        AuditEvent.objects.filter(action="outcomes.report").delete()


def test_the_other_network_and_anonymous_get_nothing(t1, t2, client, as_user):
    jobs = _done_jobs(t1)
    urls = [url for url, _readers in _prepare_urls(t1).values()]
    for job, _readers in jobs.values():
        urls += [
            reverse(v, args=[job.pk])
            for v in ("report_job_detail", "report_job_status", "report_job_download")
        ]
    for url in urls:
        response = client.post(url) if "prepare" in url else client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    other = as_user(t2.users["network_admin"])
    for url in urls:
        response = other.post(url, {"year": "2027"}) if "prepare" in url else other.get(url)
        assert response.status_code == 404, url
    assert ReportJob.objects.count() == 3


def test_the_download_is_the_file_and_is_audited_as_a_direct_download(t1, as_user):
    job = done_job(t1.schools[0], fmt="xlsx", body=b"PK workbook")
    client = as_user(t1.users["coordinator"])
    response = client.get(reverse("report_job_download", args=[job.pk]))
    assert b"".join(response.streaming_content) == b"PK workbook"
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="report.xlsx"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="outcomes.report")
    assert event.actor == t1.users["coordinator"] and event.network_id == t1.network.pk
    assert event.target_id == str(t1.schools[0].pk)
    assert event.data == {"scope": "school", "year": YEAR, "format": "xlsx"}


def test_a_download_before_the_file_is_ready_or_after_it_was_deleted_leads_to_its_page(t1, as_user):
    client = as_user(t1.users["network_admin"])
    job = done_job(t1.network)
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJobStatus.RUNNING, file="")
    page = reverse("report_job_detail", args=[job.pk])
    assert client.get(reverse("report_job_download", args=[job.pk]))["Location"] == page
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJobStatus.DONE, file_deleted_at=timezone.now()
    )
    assert client.get(reverse("report_job_download", args=[job.pk]))["Location"] == page
    assert "was deleted" in client.get(page).content.decode()
    assert not AuditEvent.objects.filter(action="outcomes.report").exists()


def test_with_htmx_the_button_becomes_the_polled_status_then_a_download_link(t1, as_user):
    client = as_user(t1.users["network_admin"])
    url = reverse("network_outcome_report_prepare", args=[t1.network.slug, "pdf"])
    response = client.post(url, {"year": str(YEAR)}, headers=HTMX)
    assert response.status_code == 200
    job = ReportJob.objects.get()
    html = response.content.decode()
    assert f'id="report-job-network-{t1.network.pk}-pdf"' in html
    assert f'hx-get="{reverse("report_job_status", args=[job.pk])}"' in html
    assert 'hx-trigger="every 2s"' in html
    # Without JavaScript the same fragment offers a link that checks again.
    assert reverse("report_job_detail", args=[job.pk]) in html
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJobStatus.DONE, file="reports/x.pdf")
    status = client.get(reverse("report_job_status", args=[job.pk]), headers=HTMX)
    html = status.content.decode()
    assert "hx-get" not in html  # done: polling stops
    assert reverse("report_job_download", args=[job.pk]) in html


def test_a_failed_job_shows_its_error_and_offers_to_prepare_again(t1, as_user):
    client = as_user(t1.users["evaluator"])
    job = done_job(t1.org_a)
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJobStatus.FAILED, error="The report could not be prepared (Boom)."
    )
    html = client.get(reverse("report_job_status", args=[job.pk])).content.decode()
    assert "could not be prepared (Boom)" in html and 'role="alert"' in html
    assert reverse("organization_outcome_report_prepare", args=[t1.org_a.pk, "pdf"]) in html


def test_a_bad_year_is_a_400_with_a_message_and_no_job(t1, as_user):
    client = as_user(t1.users["network_admin"])
    url = reverse("network_outcome_report_prepare", args=[t1.network.slug, "pdf"])
    response = client.post(url, {"year": "twenty"})
    assert response.status_code == 400 and b"the year in which it ends" in response.content
    assert client.get(url).status_code == 405
    assert not ReportJob.objects.exists()


def test_the_reports_page_has_prepare_buttons_and_shows_the_jobs_of_the_year(t1, as_user):
    client = as_user(t1.users["network_admin"])
    school = t1.schools[1]
    job = done_job(school)
    page = client.get(reverse("outcome_reports", args=[t1.network.slug]), {"year": str(YEAR)})
    html = page.content.decode()
    for url, _readers in _prepare_urls(t1).values():
        assert f'action="{url}"' in html
    assert reverse("report_job_download", args=[job.pk]) in html
    # The direct downloads stay.
    assert reverse("network_outcome_report", args=[t1.network.slug, "pdf"]) in html
    other_year = client.get(reverse("outcome_reports", args=[t1.network.slug]), {"year": "2026"})
    assert reverse("report_job_download", args=[job.pk]) not in other_year.content.decode()


def test_the_reports_page_reads_its_jobs_in_one_query(t1, as_user, django_assert_max_num_queries):
    client = as_user(t1.users["network_admin"])
    url = reverse("outcome_reports", args=[t1.network.slug])
    client.get(url, {"year": str(YEAR)})
    with django_assert_max_num_queries(30) as few:
        client.get(url, {"year": str(YEAR)})
    for target in (t1.network, *t1.schools, t1.org_a, t1.org_b):
        done_job(target)
        done_job(target, fmt="xlsx")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, {"year": str(YEAR)})


def test_the_school_and_partner_dashboards_offer_to_prepare_their_report(t1, as_user):
    client = as_user(t1.users["network_admin"])
    school = t1.schools[0]
    html = client.get(reverse("school_outcomes", args=[school.pk])).content.decode()
    assert reverse("school_outcome_report_prepare", args=[school.pk, "pdf"]) in html
    html = client.get(reverse("organization_outcomes", args=[t1.org_a.pk])).content.decode()
    assert reverse("organization_outcome_report_prepare", args=[t1.org_a.pk, "xlsx"]) in html
