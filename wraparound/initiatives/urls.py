"""Initiative pages."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "networks/<slug:slug>/initiatives/",
        views.network_initiatives,
        name="network_initiatives",
    ),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative_detail"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    path("initiatives/<int:pk>/delete/", views.initiative_delete, name="initiative_delete"),
    path("initiatives/<int:pk>/goals/", views.initiative_goal_add, name="initiative_goal_add"),
    path(
        "initiatives/<int:pk>/feeder-patterns/",
        views.feeder_patterns,
        name="initiative_feeder_patterns",
    ),
    path(
        "initiatives/<int:pk>/schools/<int:school_pk>/",
        views.school_plan,
        name="initiative_school_plan",
    ),
    path(
        "initiatives/goals/<int:pk>/edit/",
        views.initiative_goal_edit,
        name="initiative_goal_edit",
    ),
    path(
        "initiatives/goals/<int:pk>/delete/",
        views.initiative_goal_delete,
        name="initiative_goal_delete",
    ),
    path(
        "initiatives/plans/<int:pk>/activities/",
        views.activity_add,
        name="initiative_activity_add",
    ),
    path(
        "initiatives/activities/<int:pk>/edit/",
        views.activity_edit,
        name="initiative_activity_edit",
    ),
    path(
        "initiatives/activities/<int:pk>/delete/",
        views.activity_delete,
        name="initiative_activity_delete",
    ),
    path("schools/<int:pk>/initiatives/", views.school_initiatives, name="school_initiatives"),
]
