from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoalitionsConfig(AppConfig):
    name = "wraparound.coalitions"
    label = "coalitions"
    verbose_name = _("Coalitions")
    default_auto_field = "django.db.models.BigAutoField"
