"""Tiered supports (MTSS): a student's tiers, my caseload, a school's tier distribution."""

from django.urls import path

from . import views_tiers as views

urlpatterns = [
    path("students/<int:student_pk>/tiers/", views.tier_list, name="tier_list"),
    path("students/<int:student_pk>/tiers/assign/", views.tier_assign, name="tier_assign"),
    path("students/<int:student_pk>/tiers/<int:pk>/end/", views.tier_end, name="tier_end"),
    path("caseload/", views.caseload, name="caseload"),
    path("schools/<int:school_pk>/tiers/", views.tier_distribution, name="tier_distribution"),
]
