from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConferencesConfig(AppConfig):
    name = "wraparound.conferences"
    label = "conferences"
    verbose_name = _("Family team conferences")
    default_auto_field = "django.db.models.BigAutoField"
