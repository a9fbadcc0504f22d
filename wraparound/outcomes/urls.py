"""Outcomes pages: attendance imports (network admins)."""

from django.urls import include, path

from . import views_import

urlpatterns = [
    path(
        "networks/<slug:slug>/attendance/imports/",
        views_import.attendance_import_list,
        name="attendance_import_list",
    ),
    path(
        "networks/<slug:slug>/attendance/imports/<int:pk>/",
        views_import.attendance_import_detail,
        name="attendance_import_detail",
    ),
    path(
        "networks/<slug:slug>/attendance/imports/<int:pk>/progress/",
        views_import.attendance_import_progress,
        name="attendance_import_progress",
    ),
]

urlpatterns += [path("", include("wraparound.outcomes.urls_goals"))]
