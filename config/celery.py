import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("wraparound")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs, run by `celery -A config beat` beside the workers.
app.conf.beat_schedule = {
    # Meeting series: every active series' meetings kept three months ahead.
    "meetings-series-extend": {
        "task": "wraparound.meetings.tasks.meeting_series_extend_task",
        "schedule": crontab(hour=1, minute=15),
    },
    # Action items that became overdue: the owner is told, once per item.
    "meetings-overdue-action-items": {
        "task": "wraparound.meetings.tasks.overdue_action_items_notify_task",
        "schedule": crontab(hour=7, minute=20),
    },
    "directory-stale-reminders": {
        "task": "wraparound.directory.tasks.stale_reminders_send",
        "schedule": crontab(hour=7, minute=30),
    },
    # Statuses first (active → expiring → expired), then the reminders that read them.
    "agreements-statuses-refresh": {
        "task": "wraparound.agreements.tasks.agreement_statuses_refresh",
        "schedule": crontab(hour=6, minute=45),
    },
    "agreements-expiry-reminders": {
        "task": "wraparound.agreements.tasks.expiry_reminders_send",
        "schedule": crontab(hour=7, minute=0),
    },
    # Referrals still unanswered after the network's business days: remind and alert, once.
    "referrals-overdue-reminders": {
        "task": "wraparound.referrals.tasks.overdue_referrals_remind_task",
        "schedule": crontab(hour=7, minute=15),
    },
    # Roster imports whose worker died (or whose task was lost): failed, with a message.
    "students-stalled-roster-imports": {
        "task": "wraparound.students.tasks.roster_imports_fail_stalled_task",
        "schedule": crontab(minute="*/30"),
    },
    # The same for attendance imports.
    "outcomes-stalled-attendance-imports": {
        "task": "wraparound.outcomes.tasks.attendance_imports_fail_stalled_task",
        "schedule": crontab(minute="*/30"),
    },
    # Uploaded roster and attendance zips past their retention, then private files that no
    # row refers to any more (a deleted record's document, a reset network's uploads).
    "students-roster-uploads-purge": {
        "task": "wraparound.students.tasks.roster_uploads_purge_task",
        "schedule": crontab(hour=3, minute=20),
    },
    "outcomes-attendance-uploads-purge": {
        "task": "wraparound.outcomes.tasks.attendance_uploads_purge_task",
        "schedule": crontab(hour=3, minute=25),
    },
    # Reports prepared in the background: lost jobs failed; files past their retention.
    "outcomes-stalled-report-jobs": {
        "task": "wraparound.outcomes.tasks.report_jobs_fail_stalled_task",
        "schedule": crontab(minute="*/30"),
    },
    "outcomes-report-files-purge": {
        "task": "wraparound.outcomes.tasks.report_files_purge_task",
        "schedule": crontab(hour=3, minute=30),
    },
    "core-private-orphans-purge": {
        "task": "wraparound.core.tasks.private_orphans_purge_task",
        "schedule": crontab(hour=3, minute=40),
    },
    # The outcome rollup (the network dashboards' figures): every network's current year.
    "outcomes-rollups-refresh": {
        "task": "wraparound.outcomes.tasks.outcome_rollups_refresh_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
