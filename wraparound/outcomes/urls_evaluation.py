"""What helped (issue 7): included by the project's urls."""

from django.urls import path

from . import views_evaluation

urlpatterns = [
    path(
        "networks/<slug:slug>/outcomes/what-helped/",
        views_evaluation.what_helped,
        name="outcomes_what_helped",
    ),
]
