"""Case notes (restricted: the author and clinical supervisors only)."""

from django.urls import path

from . import views_notes as views

urlpatterns = [
    path("students/<int:student_pk>/notes/", views.case_note_list, name="case_note_list"),
    path(
        "students/<int:student_pk>/notes/<int:pk>/edit/",
        views.case_note_edit,
        name="case_note_edit",
    ),
]
