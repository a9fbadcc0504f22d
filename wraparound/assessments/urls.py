"""The needs-and-assets assessment pages (issue 4)."""

from django.urls import path

from . import views

urlpatterns = [
    path("schools/<int:school_pk>/assessments/", views.assessment_list, name="assessment_list"),
    path(
        "schools/<int:school_pk>/assessments/start/",
        views.assessment_start,
        name="assessment_start",
    ),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/submit/", views.assessment_submit, name="assessment_submit"),
    path(
        "assessments/<int:pk>/needs/add/<slug:pillar>/",
        views.need_add,
        name="assessment_need_add",
    ),
    path(
        "assessments/<int:pk>/needs/<int:need_pk>/edit/",
        views.need_edit,
        name="assessment_need_edit",
    ),
    path(
        "assessments/<int:pk>/needs/<int:need_pk>/delete/",
        views.need_delete,
        name="assessment_need_delete",
    ),
    path("assessments/<int:pk>/assets/add/", views.asset_add, name="assessment_asset_add"),
    path(
        "assessments/<int:pk>/assets/<int:asset_pk>/edit/",
        views.asset_edit,
        name="assessment_asset_edit",
    ),
    path(
        "assessments/<int:pk>/assets/<int:asset_pk>/delete/",
        views.asset_delete,
        name="assessment_asset_delete",
    ),
    path(
        "assessments/<int:pk>/participants/add/",
        views.participant_add,
        name="assessment_participant_add",
    ),
    path(
        "assessments/<int:pk>/participants/<int:participant_pk>/delete/",
        views.participant_delete,
        name="assessment_participant_delete",
    ),
]
