"""Outcomes pages: attendance imports (network admins), and the goal, dashboard, report and
evaluation pages from their own modules."""

from django.urls import URLPattern, URLResolver, include, path

from . import views_import

urlpatterns: list[URLPattern | URLResolver] = [
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
    path("", include("wraparound.outcomes.urls_goals")),
    path("", include("wraparound.outcomes.urls_dashboards")),
    path("", include("wraparound.outcomes.urls_reports")),
    path("", include("wraparound.outcomes.urls_evaluation")),
]
