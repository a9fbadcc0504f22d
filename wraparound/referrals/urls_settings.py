"""The network's referral settings: business days to answer, holidays."""

from django.urls import path

from . import views_settings as views

urlpatterns = [
    path(
        "networks/<slug:slug>/referral-settings/", views.referral_settings, name="referral_settings"
    ),
    path(
        "networks/<slug:slug>/referral-settings/holidays/",
        views.holiday_add,
        name="holiday_add",
    ),
    path(
        "networks/<slug:slug>/referral-settings/public-holidays/",
        views.public_holidays_add,
        name="public_holidays_add",
    ),
    path(
        "networks/<slug:slug>/referral-settings/holidays/<int:pk>/remove/",
        views.holiday_remove,
        name="holiday_remove",
    ),
]
