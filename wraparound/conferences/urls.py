"""Family team conference pages."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("conferences/", views.conference_list, name="conference_list"),
    path("conferences/new/", views.conference_new, name="conference_new"),
    path("conferences/<int:pk>/", views.conference_detail, name="conference_detail"),
    path("conferences/<int:pk>/edit/", views.conference_edit, name="conference_edit"),
    path(
        "conferences/<int:pk>/follow-ups/<int:action_pk>/status/",
        views.follow_up_status,
        name="conference_follow_up_status",
    ),
]
