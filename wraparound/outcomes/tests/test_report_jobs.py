"""Reports prepared in the background (reports/jobs.py): a request queues one job and reuses it,
the task builds once, a failure is recorded, lost jobs are failed, old files are purged."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from wraparound.core.models import AuditEvent
from wraparound.core.private_files import private_storage

from ..models import ReportJob, ReportJobStatus
from ..reports import jobs
from ..reports.jobs import (
    report_files_purge,
    report_job_open,
    report_job_request,
    report_job_run,
    report_jobs_fail_stalled,
)
from ..tasks import report_files_purge_task, report_job_run_task, report_jobs_fail_stalled_task

pytestmark = pytest.mark.django_db

YEAR = 2027


def _request(t, target=None, fmt="xlsx", user="network_admin", **kwargs):
    return report_job_request(
        user=t.users[user], target=target or t.network, year=YEAR, fmt=fmt, language="en", **kwargs
    )


def done_job(target, *, fmt="pdf", finished_at=None, body=b"%PDF-1.7 test", language="en"):
    """A job as the task leaves it, with a small file (no report is built)."""
    kind = jobs.target_kind(target)
    job = ReportJob.objects.create(
        network=target if kind == "network" else target.network,
        kind=kind,
        school=target if kind == "school" else None,
        organization=target if kind == "organization" else None,
        year=YEAR,
        format=fmt,
        language=language,
        status=ReportJobStatus.DONE,
        filename=f"report.{fmt}",
        started_at=finished_at or timezone.now(),
        finished_at=finished_at or timezone.now(),
    )
    job.file.save(f"report.{fmt}", ContentFile(body), save=True)
    return job


# --- request: permission, bad input, one job per report -----------------------------------------


def test_a_request_queues_one_job_audits_it_and_enqueues_its_task(
    t1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _request(t1)
    assert job.status == ReportJobStatus.QUEUED
    assert (job.kind, job.network, job.year, job.format) == ("network", t1.network, YEAR, "xlsx")
    assert job.requested_by == t1.users["network_admin"]
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="outcomes.report.prepare")
    assert event.data == {"scope": "network", "year": YEAR, "format": "xlsx", "job": job.pk}


def test_the_same_report_asked_again_reuses_the_job_under_way(
    t1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = _request(t1)
        again = _request(t1, user="evaluator")  # a colleague asks for the same report
        running = ReportJob.objects.filter(pk=first.pk).update(
            status=ReportJobStatus.RUNNING, started_at=timezone.now()
        )
        while_running = _request(t1)
    assert running == 1
    assert again.pk == first.pk == while_running.pk
    assert len(callbacks) == 1 and ReportJob.objects.count() == 1


def test_another_format_scope_year_or_language_is_another_job(t1):
    first = _request(t1)
    others = [
        _request(t1, fmt="pdf"),
        _request(t1, target=t1.schools[0]),
        _request(t1, target=t1.org_a),
        report_job_request(
            user=t1.users["network_admin"], target=t1.network, year=YEAR - 1, fmt="xlsx"
        ),
        report_job_request(
            user=t1.users["network_admin"], target=t1.network, year=YEAR, fmt="xlsx", language="es"
        ),
    ]
    assert len({first.pk, *(o.pk for o in others)}) == 6


def test_a_report_done_minutes_ago_is_offered_again_an_older_one_is_rebuilt(t1):
    recent = done_job(t1.network, fmt="xlsx", finished_at=timezone.now() - dt.timedelta(minutes=3))
    assert _request(t1).pk == recent.pk
    ReportJob.objects.filter(pk=recent.pk).update(
        finished_at=timezone.now() - jobs.REUSE_DONE_FOR - dt.timedelta(minutes=1)
    )
    fresh = _request(t1)
    assert fresh.pk != recent.pk and fresh.status == ReportJobStatus.QUEUED


def test_a_failed_job_is_not_reused(t1):
    failed = _request(t1)
    ReportJob.objects.filter(pk=failed.pk).update(status=ReportJobStatus.FAILED)
    assert _request(t1).pk != failed.pk


def test_a_lost_job_is_failed_by_the_next_request_which_queues_a_new_one(t1):
    lost = _request(t1)
    ReportJob.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - jobs.STALLED_AFTER - dt.timedelta(minutes=1)
    )
    fresh = _request(t1)
    lost.refresh_from_db()
    assert fresh.pk != lost.pk
    assert lost.status == ReportJobStatus.FAILED and "never started" in lost.error


@pytest.mark.parametrize(
    ("user", "target"),
    [
        ("coordinator", "network"),  # a member of the network, not a reader of its outcomes
        ("partner_staff_b", "org_a"),  # another partner's staff
        ("outsider", "school"),
        ("coalition_member", "school"),
    ],
)
def test_only_who_may_download_the_report_may_ask_for_it(t1, user, target):
    obj = {"network": t1.network, "org_a": t1.org_a, "school": t1.schools[0]}[target]
    with pytest.raises(PermissionDenied):
        _request(t1, target=obj, user=user)
    assert not ReportJob.objects.exists()


def test_a_bad_format_or_year_is_a_clear_validation_error(t1):
    with pytest.raises(ValidationError) as error:
        _request(t1, fmt="docx")
    assert "PDF or XLSX" in str(error.value.message_dict["format"])
    with pytest.raises(ValidationError) as error:
        report_job_request(user=t1.users["network_admin"], target=t1.network, year=27, fmt="pdf")
    assert "such as 2027" in str(error.value.message_dict["year"])
    assert not ReportJob.objects.exists()


# --- the task: builds once, records a failure --------------------------------------------------


def test_the_task_builds_and_stores_the_report_once(t1):
    job = _request(t1, target=t1.schools[0])
    assert report_job_run_task(job.pk) == ReportJobStatus.DONE
    job.refresh_from_db()
    assert job.status == ReportJobStatus.DONE and job.error == ""
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert job.filename.endswith(".xlsx") and job.file.name.startswith(f"reports/{t1.network.pk}/")
    with private_storage().open(job.file.name, "rb") as handle:
        assert handle.read(2) == b"PK"  # an xlsx is a zip
    name = job.file.name
    with mock.patch.object(jobs, "build_report") as build:
        assert report_job_run_task(job.pk) == ReportJobStatus.DONE  # delivered again
    build.assert_not_called()
    job.refresh_from_db()
    assert job.file.name == name


def test_the_task_leaves_a_running_or_failed_job_alone_and_a_deleted_one_is_nothing(t1):
    job = _request(t1)
    for status in (ReportJobStatus.RUNNING, ReportJobStatus.FAILED):
        ReportJob.objects.filter(pk=job.pk).update(status=status)
        with mock.patch.object(jobs, "build_report") as build:
            again = report_job_run(report_job_id=job.pk)
        assert again is not None and again.status == status
        build.assert_not_called()
    assert report_job_run_task(job.pk + 1000) == "deleted"


def test_a_failure_is_recorded_on_the_job_with_a_message(t1):
    job = _request(t1, fmt="pdf")
    with mock.patch.object(jobs, "build_report", side_effect=RuntimeError("boom")):
        assert report_job_run_task(job.pk) == ReportJobStatus.FAILED
    job.refresh_from_db()
    assert job.status == ReportJobStatus.FAILED and job.finished_at
    assert "could not be prepared" in job.error and "RuntimeError" in job.error
    assert job.file.name == ""
    # ...and the report can be asked for again.
    assert _request(t1, fmt="pdf").pk != job.pk


def test_a_job_failed_as_lost_while_building_keeps_no_file(t1):
    job = _request(t1)
    real_render = jobs._render

    def render_then_lose(j):
        result = real_render(j)
        ReportJob.objects.filter(pk=j.pk).update(status=ReportJobStatus.FAILED)
        return result

    before = set(_stored())
    with mock.patch.object(jobs, "_render", side_effect=render_then_lose):
        report_job_run(report_job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ReportJobStatus.FAILED and job.file.name == ""
    assert set(_stored()) == before


def _stored() -> list[str]:
    storage = private_storage()
    try:
        folders, _files = storage.listdir("reports")
    except FileNotFoundError:
        return []
    return [f"{d}/{f}" for d in folders for f in storage.listdir(f"reports/{d}")[1]]


def test_requested_in_a_transaction_the_report_is_built_after_the_commit(
    t1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _request(t1, target=t1.org_a)
    job.refresh_from_db()
    assert job.status == ReportJobStatus.DONE and job.file.name


# --- the sweeps ----------------------------------------------------------------------------------


def test_the_sweep_fails_lost_jobs_once(t1):
    old = timezone.now() - jobs.STALLED_AFTER - dt.timedelta(minutes=5)
    queued = _request(t1)
    running = _request(t1, fmt="pdf")
    recent = _request(t1, target=t1.schools[0])
    ReportJob.objects.filter(pk=queued.pk).update(created_at=old)
    ReportJob.objects.filter(pk=running.pk).update(status=ReportJobStatus.RUNNING, started_at=old)
    assert report_jobs_fail_stalled_task() == 2
    assert report_jobs_fail_stalled() == 0
    queued.refresh_from_db()
    running.refresh_from_db()
    recent.refresh_from_db()
    assert queued.status == running.status == ReportJobStatus.FAILED
    assert "never started" in queued.error and "worker ended" in running.error
    assert recent.status == ReportJobStatus.QUEUED


def test_the_purge_deletes_files_past_their_retention_and_marks_them(t1, settings):
    settings.WRAPAROUND_REPORT_FILE_RETENTION_DAYS = 7
    now = timezone.now()
    old = done_job(t1.network, finished_at=now - dt.timedelta(days=8))
    kept = done_job(t1.schools[0], finished_at=now - dt.timedelta(days=6))
    old_name = old.file.name
    assert private_storage().exists(old_name)
    assert report_files_purge_task() == 1
    assert report_files_purge(now=now) == 0  # idempotent
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.file.name == "" and old.file_deleted_at is not None
    assert not private_storage().exists(old_name)
    assert kept.file.name and kept.file_deleted_at is None
    assert private_storage().exists(kept.file.name)
    # A purged job is neither offered again nor opened.
    with pytest.raises(ValidationError):
        report_job_open(user=t1.users["network_admin"], job=old)


def test_opening_a_done_job_checks_access_again_and_audits_as_a_direct_download(t1):
    job = done_job(t1.schools[0])
    with pytest.raises(PermissionDenied):
        report_job_open(user=t1.users["partner_staff_a"], job=job)
    with report_job_open(user=t1.users["principal"], job=job) as handle:
        assert handle.read() == b"%PDF-1.7 test"
    event = AuditEvent.objects.get(action="outcomes.report")
    assert event.actor == t1.users["principal"] and event.network_id == t1.network.pk
    assert event.target_id == str(t1.schools[0].pk)
    assert event.data == {"scope": "school", "year": YEAR, "format": "pdf"}


def test_the_database_holds_one_queued_or_running_job_per_report_and_a_matching_scope(t1):
    from django.db import IntegrityError, transaction

    job = _request(t1, target=t1.schools[0])
    twin = {
        "network": t1.network,
        "kind": "school",
        "school": t1.schools[0],
        "year": YEAR,
        "format": job.format,
        "language": "en",
    }
    for status in (ReportJobStatus.QUEUED, ReportJobStatus.RUNNING):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportJob.objects.create(**twin, status=status)
    ReportJob.objects.create(**twin, status=ReportJobStatus.DONE)  # done ones may be many
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(**{**twin, "school": None})  # a school report of no school
