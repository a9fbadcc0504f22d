"""Consent pages (FERPA 34 CFR 99.30): a student's consents and the guardian's public link."""

from django.urls import path

from . import views_consent as views

urlpatterns = [
    path("students/<int:student_pk>/consents/", views.consent_list, name="consent_list"),
    path(
        "students/<int:student_pk>/consents/record/",
        views.consent_record,
        name="consent_record",
    ),
    path(
        "students/<int:student_pk>/consents/request/",
        views.consent_request,
        name="consent_request",
    ),
    path(
        "students/<int:student_pk>/consents/<int:pk>/",
        views.consent_detail,
        name="consent_detail",
    ),
    path(
        "students/<int:student_pk>/consents/<int:pk>/revoke/",
        views.consent_revoke,
        name="consent_revoke",
    ),
    path(
        "students/<int:student_pk>/consents/<int:pk>/scan/",
        views.consent_scan,
        name="consent_scan",
    ),
    path("consent/<str:token>/", views.consent_sign, name="consent_sign"),
]
