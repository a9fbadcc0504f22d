"""Roster imports (OneRoster 1.2 CSV): network admins' pages."""

from django.urls import path

from . import views_import

urlpatterns = [
    path(
        "networks/<slug:slug>/rosters/", views_import.roster_import_list, name="roster_import_list"
    ),
    path(
        "networks/<slug:slug>/rosters/<int:pk>/",
        views_import.roster_import_detail,
        name="roster_import_detail",
    ),
    path(
        "networks/<slug:slug>/rosters/<int:pk>/progress/",
        views_import.roster_import_progress,
        name="roster_import_progress",
    ),
]
