"""Referrals (school side and partner side), service sessions and case notes."""

from django.urls import include, path

urlpatterns = [
    path("", include("wraparound.referrals.urls_referrals")),
    path("", include("wraparound.referrals.urls_sessions")),
    path("", include("wraparound.referrals.urls_notes")),
    path("", include("wraparound.referrals.urls_settings")),
]
