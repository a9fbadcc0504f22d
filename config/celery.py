import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("wraparound")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs, run by `celery -A config beat` beside the workers.
app.conf.beat_schedule = {
    "directory-stale-reminders": {
        "task": "wraparound.directory.tasks.stale_reminders_send",
        "schedule": crontab(hour=7, minute=30),
    },
}
