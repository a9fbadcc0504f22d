"""Outcome dashboards: a school's, a network's and a partner's."""

from django.urls import path

from . import views_dashboards

urlpatterns = [
    path("schools/<int:pk>/outcomes/", views_dashboards.school_outcomes, name="school_outcomes"),
    path(
        "networks/<slug:slug>/outcomes/",
        views_dashboards.network_outcomes,
        name="network_outcomes",
    ),
    path(
        "networks/<slug:slug>/outcomes/refresh/",
        views_dashboards.network_outcomes_refresh,
        name="network_outcomes_refresh",
    ),
    path(
        "organizations/<int:pk>/outcomes/",
        views_dashboards.organization_outcomes,
        name="organization_outcomes",
    ),
]
