from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "wraparound.directory"
    label = "directory"
    verbose_name = _("Partner directory")
    default_auto_field = "django.db.models.BigAutoField"
