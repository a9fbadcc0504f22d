from django.urls import include, path

from . import views

urlpatterns = [
    path(
        "schools/<int:school_pk>/partnerships/",
        views.school_partnerships,
        name="school_partnerships",
    ),
    path(
        "schools/<int:school_pk>/partnerships/<int:pk>/end/",
        views.school_partnership_end,
        name="school_partnership_end",
    ),
    path(
        "organizations/<int:org_pk>/partnerships/",
        views.organization_partnerships,
        name="organization_partnerships",
    ),
    path(
        "organizations/<int:org_pk>/partnerships/<int:pk>/accept/",
        views.organization_partnership_accept,
        name="organization_partnership_accept",
    ),
    path(
        "organizations/<int:org_pk>/partnerships/<int:pk>/decline/",
        views.organization_partnership_decline,
        name="organization_partnership_decline",
    ),
    path(
        "organizations/<int:org_pk>/partnerships/<int:pk>/end/",
        views.organization_partnership_end,
        name="organization_partnership_end",
    ),
    # MOUs and data sharing, clearance, the compliance dashboard and notifications.
    path("", include("wraparound.agreements.urls_mou")),
    path("", include("wraparound.agreements.urls_clearance")),
    path("", include("wraparound.agreements.urls_compliance")),
]
