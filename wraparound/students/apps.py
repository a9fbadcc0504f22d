from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "wraparound.students"
    label = "students"
    verbose_name = _("Students and families")
    default_auto_field = "django.db.models.BigAutoField"
