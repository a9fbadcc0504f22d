from django.contrib import admin
from django.urls import include, path

from wraparound.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("hsds/", include("wraparound.directory.hsds.api")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("wraparound.core.urls")),
    path("", include("wraparound.core.urls_notifications")),
    path("", include("wraparound.directory.urls")),
    path("", include("wraparound.assessments.urls")),
    path("", include("wraparound.agreements.urls")),
    path("", include("wraparound.matching.urls")),
    path("", include("wraparound.students.urls")),
    path("", include("wraparound.referrals.urls")),
    path("", include("wraparound.outcomes.urls")),
    path("", include("wraparound.coalitions.urls")),
    path("", include("wraparound.meetings.urls")),
    path("", include("wraparound.training.urls")),
    path("", include("wraparound.initiatives.urls")),
    path("", include("wraparound.conferences.urls")),
]
