from django.urls import URLPattern, URLResolver, path

from . import views, views_network

urlpatterns: list[URLPattern | URLResolver] = [
    path("training/", views.training_list, name="training_list"),
    path("training/me/", views.my_record, name="training_me"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("training/<int:pk>/register/", views.training_register, name="training_register"),
    path(
        "training/<int:pk>/registrations/<int:attendance_pk>/withdraw/",
        views.training_unregister,
        name="training_unregister",
    ),
    path("training/<int:pk>/cancel/", views.training_cancel, name="training_cancel"),
    path("training/<int:pk>/attendance/", views.training_attendance, name="training_attendance"),
    path("training/staff/<int:pk>/", views.staff_record, name="training_staff_record"),
    path(
        "training/certificates/<str:certificate_id>/",
        views.certificate_pdf,
        name="training_certificate",
    ),
    path(
        "training/certificates/<str:certificate_id>/verify/",
        views.certificate_verify,
        name="training_certificate_verify",
    ),
    path(
        "networks/<slug:slug>/training/", views_network.network_trainings, name="network_trainings"
    ),
    path(
        "networks/<slug:slug>/training/<int:pk>/edit/",
        views_network.training_edit,
        name="training_edit",
    ),
    path("networks/<slug:slug>/training/topics/", views_network.topic_list, name="training_topics"),
    path(
        "networks/<slug:slug>/training/topics/<int:pk>/",
        views_network.topic_edit,
        name="training_topic_edit",
    ),
    path(
        "networks/<slug:slug>/training/compliance/",
        views_network.network_compliance,
        name="training_compliance",
    ),
    path(
        "networks/<slug:slug>/training/people/<int:user_pk>/",
        views_network.person_record,
        name="training_person_record",
    ),
    path(
        "organizations/<int:pk>/training/compliance/",
        views_network.organization_compliance,
        name="organization_training_compliance",
    ),
]
