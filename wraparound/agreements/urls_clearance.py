"""URLs of clearance (included by agreements/urls.py): the network's requirements and review
queue, an organization's campus staff and submissions, a record's private document, the check
and the front desk's week."""

from django.urls import URLPattern, path

from . import views_clearance as views

urlpatterns: list[URLPattern] = [
    path(
        "networks/<slug:slug>/clearance/requirements/",
        views.clearance_requirements,
        name="clearance_requirements",
    ),
    path(
        "networks/<slug:slug>/clearance/requirements/<int:pk>/",
        views.clearance_requirement_edit,
        name="clearance_requirement_edit",
    ),
    path(
        "networks/<slug:slug>/clearance/review/",
        views.clearance_review,
        name="clearance_review",
    ),
    path(
        "networks/<slug:slug>/clearance/review/<int:pk>/",
        views.clearance_review_decide,
        name="clearance_review_decide",
    ),
    path("organizations/<int:org_pk>/staff/", views.organization_staff, name="organization_staff"),
    path(
        "organizations/<int:org_pk>/staff/add/",
        views.organization_staff_add,
        name="organization_staff_add",
    ),
    path(
        "organizations/<int:org_pk>/staff/<int:pk>/edit/",
        views.organization_staff_edit,
        name="organization_staff_edit",
    ),
    path(
        "organizations/<int:org_pk>/staff/<int:pk>/deactivate/",
        views.organization_staff_deactivate,
        name="organization_staff_deactivate",
    ),
    path(
        "organizations/<int:org_pk>/staff/<int:pk>/reactivate/",
        views.organization_staff_reactivate,
        name="organization_staff_reactivate",
    ),
    path(
        "organizations/<int:org_pk>/clearance/submit/",
        views.organization_clearance_submit,
        name="organization_clearance_submit",
    ),
    path(
        "clearance/records/<int:pk>/document/",
        views.clearance_record_document,
        name="clearance_record_document",
    ),
    path("clearance/check/", views.clearance_check, name="clearance_check"),
    path("schools/<int:school_pk>/campus/", views.school_campus_list, name="school_campus_list"),
]
