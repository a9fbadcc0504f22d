from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "wraparound.assessments"
    label = "assessments"
    verbose_name = _("Needs-and-assets assessments")
    default_auto_field = "django.db.models.BigAutoField"
