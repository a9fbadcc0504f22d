"""Roster imports (OneRoster 1.2 CSV): create one from an upload, run it.

`roster_import_create` checks the upload and stores it; the run happens in a Celery task after
the commit (inline without a broker). `roster_import_run` claims a queued import (a finished or
running one is not run again), checks every file, then writes everything or nothing
(`oneroster.importer`), and records the errors or the counts on the RosterImport."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.agreements.uploads import check_name
from wraparound.core import access
from wraparound.core.models import Network
from wraparound.core.private_files import delete_file
from wraparound.core.services import audit_record

from .models import ImportStatus, RosterImport
from .oneroster.importer import run_import
from .oneroster.progress import Echo, Progress
from .oneroster.source import RosterSource, ZipSource, check_zip_upload
from .signals import roster_imported

logger = logging.getLogger(__name__)


def roster_import_create(
    *, user: Any, network: Network, upload: UploadedFile, dry_run: bool
) -> RosterImport:
    """Store an uploaded roster zip and queue its run. PermissionDenied unless the user is a
    network admin of the network; ValidationError (under "file") for a bad upload."""
    if not access.is_network_admin(user, network.pk):
        raise PermissionDenied
    try:
        name = check_name(upload.name)
        check_zip_upload(upload, name, upload.size or 0, int(settings.WRAPAROUND_UPLOAD_MAX_BYTES))
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    with transaction.atomic():
        roster_import = RosterImport.objects.create(
            network=network, created_by=user, source_name=name, dry_run=dry_run
        )
        roster_import.file.save(name, upload, save=True)
        audit_record(
            actor=user,
            action="roster_import.create",
            target=roster_import,
            network=network,
            data={"file": name, "dry_run": dry_run},
        )
        pk = roster_import.pk

        def enqueue() -> None:
            from .tasks import roster_import_run_task

            roster_import_run_task.delay(pk)

        transaction.on_commit(enqueue)
    return roster_import


def _claim(roster_import_id: int) -> bool:
    """Queued → running, once: two deliveries of the same task cannot both run it."""
    return bool(
        RosterImport.objects.filter(pk=roster_import_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.RUNNING, started_at=timezone.now(), stage="start"
        )
    )


def roster_import_run(*, roster_import_id: int) -> RosterImport:
    """Run a queued import from its stored zip. An import already running or finished is
    returned as it is."""
    if not _claim(roster_import_id):
        return RosterImport.objects.get(pk=roster_import_id)
    roster_import = RosterImport.objects.select_related("network").get(pk=roster_import_id)
    try:
        with roster_import.file.open("rb") as handle:
            source = ZipSource(handle)
            try:
                return roster_import_execute(roster_import=roster_import, source=source)
            finally:
                source.close()
    except ValidationError as error:
        return _finish(
            roster_import,
            status=ImportStatus.INVALID,
            errors=[
                {"file": roster_import.source_name, "row": 0, "column": "", "message": m}
                for m in error.messages
            ],
            summary={},
        )


def roster_uploads_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the uploaded zips of imports finished more than the retention period ago: they
    hold every student's name, birth date and guardians, and the import's record (counts,
    errors, who and when) is all anyone needs afterwards. Idempotent: returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WRAPAROUND_IMPORT_UPLOAD_RETENTION_DAYS)
    purged = 0
    finished = RosterImport.objects.filter(finished_at__lt=cutoff).exclude(file="")
    for roster_import in finished.exclude(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]):
        delete_file(roster_import.file)
        roster_import.file_deleted_at = now
        roster_import.save(update_fields=["file", "file_deleted_at"])
        purged += 1
    return purged


# A city's roster imports in about a minute; an import still running after this long has lost
# its worker (restarted, killed for memory), and one still queued has lost its task.
STALLED_AFTER = dt.timedelta(hours=2)


def roster_imports_fail_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark imports whose run ended without finishing as failed, saying so, so that their page
    stops showing a progress bar that never moves. Nothing of them was written: an import
    writes everything in one transaction, which a dead worker never committed. Idempotent:
    returns how many it marked."""
    now = now or timezone.now()
    cutoff = now - STALLED_AFTER
    marked = 0
    for status, started, message in (
        (
            ImportStatus.RUNNING,
            "started_at__lt",
            _(
                "The import stopped before it finished (its worker ended). Nothing was written: "
                "run it again."
            ),
        ),
        (
            ImportStatus.QUEUED,
            "created_at__lt",
            _(
                "The import never started (its task was lost). Nothing was written: upload it "
                "again."
            ),
        ),
    ):
        for roster_import in RosterImport.objects.filter(status=status, **{started: cutoff}):
            # Claimed by a conditional UPDATE: a sweep running twice marks each import once.
            if RosterImport.objects.filter(pk=roster_import.pk, status=status).update(
                status=ImportStatus.FAILED,
                finished_at=now,
                stage="finished",
                errors=[
                    {
                        "file": roster_import.source_name,
                        "row": 0,
                        "column": "",
                        "message": str(message),
                    }
                ],
            ):
                marked += 1
                logger.warning("roster import %s marked failed: %s", roster_import.pk, status)
    return marked


def roster_import_execute(
    *, roster_import: RosterImport, source: RosterSource, echo: Echo | None = None
) -> RosterImport:
    """Check and (unless a dry run) write `source` for a RosterImport already marked running.
    The command line calls it directly with a folder or zip on disk."""
    progress = Progress(roster_import.pk, echo=echo)
    try:
        outcome = run_import(
            source=source,
            network=roster_import.network,
            dry_run=roster_import.dry_run,
            progress=progress,
        )
    except Exception:
        logger.exception("roster import %s failed", roster_import.pk)
        _finish(roster_import, status=ImportStatus.FAILED, errors=[], summary={})
        raise
    finally:
        progress.close()
    summary = dict(outcome.summary)
    summary["more_errors"] = outcome.error_count - len(outcome.errors)
    if not outcome.ok:
        status = ImportStatus.INVALID
    elif roster_import.dry_run:
        status = ImportStatus.CHECKED
    else:
        status = ImportStatus.DONE
    roster_import.mode = outcome.mode
    finished = _finish(roster_import, status=status, errors=outcome.errors, summary=summary)
    if status == ImportStatus.DONE:
        roster_imported.send(
            sender=RosterImport, network_id=roster_import.network_id, roster_import=finished
        )
    return finished


def _finish(
    roster_import: RosterImport,
    *,
    status: str,
    errors: list[Any],
    summary: dict[str, Any],
) -> RosterImport:
    roster_import.status = status
    roster_import.errors = errors
    roster_import.summary = summary
    roster_import.finished_at = timezone.now()
    roster_import.stage = "finished"
    if roster_import.total == 0:
        roster_import.total = 1
    roster_import.done = roster_import.total
    roster_import.save(
        update_fields=[
            "status",
            "errors",
            "summary",
            "finished_at",
            "stage",
            "mode",
            "done",
            "total",
        ]
    )
    audit_record(
        actor=roster_import.created_by,
        action="roster_import.run",
        target=roster_import,
        network=roster_import.network_id,
        data={
            "status": status,
            "dry_run": roster_import.dry_run,
            "errors": len(errors) + int(summary.get("more_errors", 0)),
            "students": summary.get("students", 0),
        },
    )
    return roster_import
