from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "wraparound.agreements"
    label = "agreements"
    verbose_name = _("Partnerships and agreements")
    default_auto_field = "django.db.models.BigAutoField"
