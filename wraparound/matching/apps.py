from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "wraparound.matching"
    label = "matching"
    verbose_name = _("Matching and allocation")
    default_auto_field = "django.db.models.BigAutoField"
