from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "wraparound.initiatives"
    label = "initiatives"
    verbose_name = _("Initiatives")
    default_auto_field = "django.db.models.BigAutoField"
