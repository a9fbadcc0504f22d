from django.urls import path

from . import views, views_network

urlpatterns = [
    path("schools/<int:school_pk>/gaps/", views.school_gaps, name="school_gaps"),
    path(
        "schools/<int:school_pk>/gaps/propose/",
        views.school_gaps_propose,
        name="school_gaps_propose",
    ),
    # The network admin's pages (views_network): gap map, allocation, matching settings.
    path("networks/<slug:slug>/gaps/", views_network.network_gaps, name="network_gaps"),
    path(
        "networks/<slug:slug>/allocation/",
        views_network.network_allocation,
        name="network_allocation",
    ),
    path(
        "networks/<slug:slug>/allocation/<int:pk>/",
        views_network.allocation_review,
        name="allocation_review",
    ),
    path(
        "networks/<slug:slug>/allocation/<int:pk>/items/<int:item_pk>/",
        views_network.allocation_item_update,
        name="allocation_item_update",
    ),
    path(
        "networks/<slug:slug>/allocation/<int:pk>/accept/",
        views_network.allocation_accept,
        name="allocation_accept",
    ),
    path(
        "networks/<slug:slug>/allocation/<int:pk>/discard/",
        views_network.allocation_discard,
        name="allocation_discard",
    ),
    path(
        "networks/<slug:slug>/matching/settings/",
        views_network.network_matching_settings,
        name="network_matching_settings",
    ),
]
