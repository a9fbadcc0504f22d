"""Students and families: roster imports, consents, tiers, student records and disclosure logs."""

from django.urls import include, path

urlpatterns = [
    path("", include("wraparound.students.urls_import")),
    path("", include("wraparound.students.urls_consent")),
    path("", include("wraparound.students.urls_tiers")),
    path("", include("wraparound.students.urls_records")),
]
