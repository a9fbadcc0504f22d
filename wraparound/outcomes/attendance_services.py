"""Attendance imports: run one and record it (`AttendanceImport`), with an audit event.

The check-and-write core is `attendance.importer.run_attendance_import` (a source, a network,
dry_run → errors and summary). The command line runs it at once
(`attendance_import_execute`); the web page stores the upload and queues it
(`attendance_import_create`), and a Celery task runs it after the commit, inline without a
broker (`attendance_import_run`), as roster imports do (`students.roster_services`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.agreements.uploads import check_name
from wraparound.core import access
from wraparound.core.models import Network, SchoolYear
from wraparound.core.private_files import delete_file
from wraparound.core.services import audit_record
from wraparound.students.models import Student

from .attendance.importer import run_attendance_import
from .attendance.source import AttendanceSource, ZipSource, check_zip_upload
from .attendance.summaries import recompute_months
from .models import AttendanceImport, AttendanceImportStatus, InstructionalDay
from .rollup import INLINE_REFRESH_MAX_STUDENTS, refresh_after_change

logger = logging.getLogger(__name__)


def _taken_through(network: Network, through: dt.date | None) -> dt.date:
    """The last day an import's files cover: as given, or the network's today. A day after
    today cannot have been taken (it would count the rest of the calendar as present)."""
    today = network.today()
    if through is None:
        return today
    if through > today:
        raise ValidationError(
            {
                "taken_through": _(
                    "Attendance cannot have been taken after today (%(today)s): give the last "
                    "day the files cover."
                )
                % {"today": today.isoformat()}
            }
        )
    return through


def attendance_taken_through(network: Network) -> dt.date:
    """The last day the network's stored attendance covers: the latest day its imports that
    wrote say they cover, else (no import yet: the demo's generated attendance) its today."""
    latest = (
        AttendanceImport.objects.filter(
            network=network,
            status=AttendanceImportStatus.DONE,
            dry_run=False,
            taken_through__isnull=False,
        )
        .order_by("-taken_through")
        .values_list("taken_through", flat=True)
        .first()
    )
    return min(latest, network.today()) if latest else network.today()


def attendance_import_create(
    *,
    user: Any,
    network: Network,
    upload: UploadedFile,
    dry_run: bool,
    through: dt.date | None = None,
) -> AttendanceImport:
    """Store an uploaded attendance zip and queue its run. PermissionDenied unless the user is
    a network admin of the network; ValidationError (under "file") for a bad upload, (under
    "taken_through") for a day after today."""
    if not access.is_network_admin(user, network.pk):
        raise PermissionDenied
    taken_through = _taken_through(network, through)
    try:
        name = check_name(upload.name)
        check_zip_upload(upload, name, upload.size or 0, int(settings.WRAPAROUND_UPLOAD_MAX_BYTES))
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    with transaction.atomic():
        run = AttendanceImport.objects.create(
            network=network,
            created_by=user,
            source_name=name,
            dry_run=dry_run,
            taken_through=taken_through,
            status=AttendanceImportStatus.QUEUED,
        )
        run.file.save(name, upload, save=True)
        audit_record(
            actor=user,
            action="attendance_import.create",
            target=run,
            network=network,
            data={"file": name, "dry_run": dry_run, "taken_through": taken_through.isoformat()},
        )
        pk = run.pk

        def enqueue() -> None:
            from .tasks import attendance_import_run_task

            attendance_import_run_task.delay(pk)

        transaction.on_commit(enqueue)
    return run


def _claim(attendance_import_id: int) -> bool:
    """Queued → running, once: two deliveries of the same task cannot both run it."""
    return bool(
        AttendanceImport.objects.filter(
            pk=attendance_import_id, status=AttendanceImportStatus.QUEUED
        ).update(status=AttendanceImportStatus.RUNNING, started_at=timezone.now())
    )


def attendance_import_run(*, attendance_import_id: int) -> AttendanceImport:
    """Run a queued import from its stored zip. An import already running or finished is
    returned as it is."""
    if not _claim(attendance_import_id):
        return AttendanceImport.objects.get(pk=attendance_import_id)
    run = AttendanceImport.objects.select_related("network", "created_by").get(
        pk=attendance_import_id
    )
    try:
        with run.file.open("rb") as handle:
            source = ZipSource(handle)
            try:
                return _execute(run, source)
            finally:
                source.close()
    except ValidationError as error:
        errors = [
            {"file": run.source_name, "row": 0, "column": "", "message": m} for m in error.messages
        ]
        return _finish(
            run,
            status=AttendanceImportStatus.INVALID,
            errors=errors,
            error_count=len(errors),
            summary={},
        )


def attendance_uploads_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the uploaded zips of imports finished more than the retention period ago (every
    student's absences by day); the import's record stays. Idempotent: returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WRAPAROUND_IMPORT_UPLOAD_RETENTION_DAYS)
    purged = 0
    finished = AttendanceImport.objects.filter(finished_at__lt=cutoff).exclude(file="")
    for run in finished.exclude(
        status__in=[AttendanceImportStatus.QUEUED, AttendanceImportStatus.RUNNING]
    ):
        delete_file(run.file)
        run.file_deleted_at = now
        run.save(update_fields=["file", "file_deleted_at"])
        purged += 1
    return purged


# A network's attendance file imports in well under a minute; one still running after this long
# has lost its worker, and one still queued has lost its task.
STALLED_AFTER = dt.timedelta(hours=2)


def attendance_imports_fail_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark imports whose run ended without finishing as failed, saying so, so that their page
    stops polling. Nothing of them was written: the write is one transaction, which a dead
    worker never committed. Idempotent: returns how many it marked."""
    now = now or timezone.now()
    cutoff = now - STALLED_AFTER
    marked = 0
    for status, started, message in (
        (
            AttendanceImportStatus.RUNNING,
            "started_at__lt",
            _(
                "The import stopped before it finished (its worker ended). Nothing was written: "
                "run it again."
            ),
        ),
        (
            AttendanceImportStatus.QUEUED,
            "created_at__lt",
            _(
                "The import never started (its task was lost). Nothing was written: upload it "
                "again."
            ),
        ),
    ):
        for run in AttendanceImport.objects.filter(status=status, **{started: cutoff}):
            # Claimed by a conditional UPDATE: a sweep running twice marks each import once.
            if AttendanceImport.objects.filter(pk=run.pk, status=status).update(
                status=AttendanceImportStatus.FAILED,
                finished_at=now,
                stage="",
                error_count=1,
                errors=[{"file": run.source_name, "row": 0, "column": "", "message": str(message)}],
            ):
                marked += 1
                logger.warning("attendance import %s marked failed: %s", run.pk, status)
    return marked


def attendance_import_execute(
    *,
    source: AttendanceSource,
    network: Network,
    dry_run: bool,
    source_name: str = "",
    user: Any = None,
    through: dt.date | None = None,
    on_stage: Callable[[str], object] | None = None,
) -> AttendanceImport:
    """Check and (unless a dry run) write `source`, recording the run and its outcome.
    `through` is the last day the files cover (default: the network's today; ValidationError
    under "taken_through" for a day after it). The caller (the command line) has decided the
    user may import. `on_stage` is also told each step as it starts (the benchmark times
    them)."""
    run = AttendanceImport.objects.create(
        network=network,
        created_by=user if user is not None and user.is_authenticated else None,
        source_name=source_name[:255],
        dry_run=dry_run,
        taken_through=_taken_through(network, through),
        status=AttendanceImportStatus.RUNNING,
        started_at=timezone.now(),
    )
    return _execute(run, source, echo=on_stage)


class _StageWriter:
    """Stores the import's step on its row, committed at once so that the polling page sees
    it. On PostgreSQL the import reports its steps from inside its transaction, so they go
    through a second connection of their own, in autocommit (the import's transaction never
    locks the AttendanceImport row). On SQLite (one writer at a time) they go through the main
    connection: the row-by-row path reports them outside its write transaction. Inside a
    caller's transaction (tests) nobody else could see the row: the main connection."""

    def __init__(self, pk: int, echo: Callable[[str], object] | None) -> None:
        self.pk = pk
        self.echo = echo
        self.side: Any = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.side = connections.create_connection("default")

    def __call__(self, stage: str) -> None:
        if self.echo is not None:
            self.echo(stage)
        if self.side is None:
            AttendanceImport.objects.filter(pk=self.pk).update(stage=stage)
            return
        table = self.side.ops.quote_name(AttendanceImport._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET stage = %s WHERE id = %s", [stage, self.pk])  # noqa: S608

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _execute(
    run: AttendanceImport,
    source: AttendanceSource,
    echo: Callable[[str], object] | None = None,
) -> AttendanceImport:
    """Check and (unless a dry run) write `source` for a run already marked running."""
    network, dry_run = run.network, run.dry_run
    on_stage = _StageWriter(run.pk, echo)
    try:
        outcome = run_attendance_import(
            source=source,
            network=network,
            dry_run=dry_run,
            # A run queued before this field existed covers up to the day it runs.
            through=run.taken_through or network.today(),
            on_stage=on_stage,
        )
    except Exception:
        logger.exception("attendance import %s failed", run.pk)
        _finish(run, status=AttendanceImportStatus.FAILED, errors=[], error_count=0, summary={})
        raise
    finally:
        on_stage.close()
    if not outcome.ok:
        status = AttendanceImportStatus.INVALID
    elif dry_run:
        status = AttendanceImportStatus.CHECKED
    else:
        status = AttendanceImportStatus.DONE
        refresh_after_change(network.pk)
    return _finish(
        run,
        status=status,
        errors=list(outcome.errors),
        error_count=outcome.error_count,
        summary=outcome.summary,
    )


def _finish(
    run: AttendanceImport,
    *,
    status: str,
    errors: list[Any],
    error_count: int,
    summary: dict[str, Any],
) -> AttendanceImport:
    run.status = status
    run.errors = errors
    run.error_count = error_count
    run.summary = summary
    run.finished_at = timezone.now()
    run.stage = ""
    run.save(update_fields=["status", "errors", "error_count", "summary", "finished_at", "stage"])
    audit_record(
        actor=run.created_by,
        action="attendance_import.run",
        target=run,
        network=run.network_id,
        data={"status": status, "dry_run": run.dry_run, "errors": error_count, **summary},
    )
    return run


# --- after a roster import ---------------------------------------------------------------------


def attendance_recompute_after_roster(network_id: int) -> int:
    """Recompute the student × month summaries of the network's current school year (its
    schools' months with instructional days), then the outcome rollups. Enrollment dates decide
    which instructional days count as enrolled, and a roster import may have changed them.
    Idempotent. Returns the school-months recomputed."""
    year = (
        SchoolYear.objects.filter(network_id=network_id, is_current=True)
        .select_related("network")
        .first()
    )
    if year is None:
        return 0
    scope = set(
        InstructionalDay.objects.filter(
            network_id=network_id, date__gte=year.start_date, date__lte=year.end_date
        )
        .annotate(month=TruncMonth("date"))
        .values_list("school_id", "month")
        .distinct()
    )
    if not scope:
        return 0
    with transaction.atomic():
        recomputed = recompute_months(scope, through=attendance_taken_through(year.network))
        refresh_after_change(network_id)
    return recomputed


def attendance_after_roster_import(sender: Any, *, network_id: int, **kwargs: Any) -> None:
    """`students.signals.roster_imported`: queue the recomputation for the worker. Without a
    worker tasks run inline, so only a network of up to `INLINE_REFRESH_MAX_STUDENTS` students is
    recomputed at once (a city-sized one would hold the import's caller for minutes); a larger
    one is recomputed by its next attendance import."""
    from .tasks import attendance_after_roster_import_task

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and (
        Student.objects.filter(network_id=network_id).count() > INLINE_REFRESH_MAX_STUDENTS
    ):
        return
    transaction.on_commit(lambda: attendance_after_roster_import_task.delay(network_id))
