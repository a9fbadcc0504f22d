"""URLs of the MOU pages (included by agreements/urls.py)."""

from django.urls import URLPattern, path

from . import views_mou, views_pdf, views_settings

urlpatterns: list[URLPattern] = [
    path("agreements/", views_mou.agreement_list, name="agreement_list"),
    path(
        "networks/<slug:slug>/agreements/settings/",
        views_settings.network_agreement_settings,
        name="network_agreement_settings",
    ),
    path(
        "partnerships/<int:partnership_pk>/agreement/",
        views_mou.agreement_create,
        name="agreement_create",
    ),
    path("agreements/<int:pk>/", views_mou.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views_mou.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/send/", views_mou.agreement_send, name="agreement_send"),
    path("agreements/<int:pk>/sign/", views_mou.agreement_sign, name="agreement_sign"),
    path("agreements/<int:pk>/revise/", views_mou.agreement_revise, name="agreement_revise"),
    path(
        "agreements/<int:pk>/terminate/",
        views_mou.agreement_terminate,
        name="agreement_terminate",
    ),
    path("agreements/<int:pk>/renew/", views_mou.agreement_renew, name="agreement_renew"),
    path(
        "agreements/<int:pk>/destruction/",
        views_mou.agreement_destruction,
        name="agreement_destruction",
    ),
    path(
        "agreements/<int:pk>/versions/<int:number>/",
        views_mou.agreement_version,
        name="agreement_version",
    ),
    path(
        "agreements/<int:pk>/versions/<int:number>/pdf/",
        views_pdf.agreement_pdf,
        name="agreement_pdf",
    ),
]
