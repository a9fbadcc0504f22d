"""URLs of this part of the agreements app (included by agreements/urls.py)."""

from django.urls import path

from . import views_compliance

urlpatterns = [
    path(
        "networks/<slug:slug>/compliance/",
        views_compliance.compliance_dashboard,
        name="compliance_dashboard",
    ),
]
