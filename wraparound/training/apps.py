from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "wraparound.training"
    label = "training"
    verbose_name = _("Professional development")
    default_auto_field = "django.db.models.BigAutoField"
