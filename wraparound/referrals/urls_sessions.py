"""Service sessions: partner and school logs, rosters, CSV upload, a student's dosage, and a
partnership's delivery against its MOU."""

from django.urls import path

from . import views_sessions as views

urlpatterns = [
    path("organizations/<int:org_pk>/sessions/", views.session_org_list, name="session_org_list"),
    path("organizations/<int:org_pk>/sessions/new/", views.session_org_log, name="session_org_log"),
    path(
        "organizations/<int:org_pk>/sessions/roster/",
        views.session_org_roster,
        name="session_org_roster",
    ),
    path(
        "organizations/<int:org_pk>/sessions/upload/",
        views.session_org_upload,
        name="session_org_upload",
    ),
    path(
        "schools/<int:school_pk>/sessions/", views.session_school_list, name="session_school_list"
    ),
    path(
        "schools/<int:school_pk>/sessions/new/", views.session_school_log, name="session_school_log"
    ),
    path(
        "schools/<int:school_pk>/sessions/roster/",
        views.session_school_roster,
        name="session_school_roster",
    ),
    path(
        "schools/<int:school_pk>/sessions/upload/",
        views.session_school_upload,
        name="session_school_upload",
    ),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/delete/", views.session_delete, name="session_delete"),
    path("students/<int:student_pk>/sessions/", views.student_sessions, name="student_sessions"),
    path(
        "partnerships/<int:pk>/delivery/",
        views.partnership_delivery,
        name="partnership_delivery",
    ),
]
