from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "wraparound.referrals"
    label = "referrals"
    verbose_name = _("Referrals and service sessions")
    default_auto_field = "django.db.models.BigAutoField"
