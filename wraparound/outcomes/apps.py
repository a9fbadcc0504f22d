from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "wraparound.outcomes"
    label = "outcomes"
    verbose_name = _("Outcomes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wraparound.students.signals import roster_imported

        from .attendance_services import attendance_after_roster_import

        roster_imported.connect(
            attendance_after_roster_import, dispatch_uid="outcomes.attendance_after_roster_import"
        )
