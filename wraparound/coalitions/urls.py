from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("coalitions/", views.coalition_list, name="coalition_list"),
    path("coalitions/new/", views.coalition_create, name="coalition_create"),
    path("coalitions/<int:pk>/", views.coalition_detail, name="coalition_detail"),
    path("coalitions/<int:pk>/edit/", views.coalition_edit, name="coalition_edit"),
    path("coalitions/<int:pk>/members/new/", views.member_add, name="coalition_member_add"),
    path(
        "coalitions/<int:pk>/members/<int:member_pk>/",
        views.member_detail,
        name="coalition_member_detail",
    ),
    path(
        "coalitions/<int:pk>/members/<int:member_pk>/active/",
        views.member_set_active,
        name="coalition_member_set_active",
    ),
    path(
        "coalitions/<int:pk>/members/<int:member_pk>/contacts/new/",
        views.contact_add,
        name="coalition_contact_add",
    ),
    path(
        "coalitions/<int:pk>/contacts/<int:contact_pk>/edit/",
        views.contact_edit,
        name="coalition_contact_edit",
    ),
    path(
        "coalitions/<int:pk>/contacts/<int:contact_pk>/remove/",
        views.contact_remove,
        name="coalition_contact_remove",
    ),
    path(
        "coalitions/<int:pk>/commitments/new/",
        views.commitment_create,
        name="coalition_commitment_create",
    ),
    path(
        "coalitions/<int:pk>/commitments/<int:commitment_pk>/edit/",
        views.commitment_edit,
        name="coalition_commitment_edit",
    ),
    path(
        "coalitions/<int:pk>/commitments/<int:commitment_pk>/delete/",
        views.commitment_delete,
        name="coalition_commitment_delete",
    ),
    path("coalitions/<int:pk>/measures/", views.measures, name="coalition_measures"),
    path(
        "coalitions/<int:pk>/measures/entries/new/",
        views.measure_entry_create,
        name="coalition_measure_entry_create",
    ),
    path(
        "coalitions/<int:pk>/measures/entries/<int:entry_pk>/edit/",
        views.measure_entry_edit,
        name="coalition_measure_entry_edit",
    ),
    path(
        "coalitions/<int:pk>/measures/entries/<int:entry_pk>/delete/",
        views.measure_entry_delete,
        name="coalition_measure_entry_delete",
    ),
    path("coalitions/<int:pk>/board/", views.board, name="coalition_board"),
    path("coalitions/<int:pk>/board/new/", views.post_create, name="coalition_post_create"),
    path(
        "coalitions/<int:pk>/board/<int:post_pk>/",
        views.post_detail,
        name="coalition_post_detail",
    ),
    path(
        "coalitions/<int:pk>/board/<int:post_pk>/respond/",
        views.post_respond,
        name="coalition_post_respond",
    ),
    path(
        "coalitions/<int:pk>/board/<int:post_pk>/close/",
        views.post_close,
        name="coalition_post_close",
    ),
]
