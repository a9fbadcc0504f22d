"""Goal pages."""

from django.urls import path

from . import views_goals

urlpatterns = [
    path("schools/<int:pk>/goals/", views_goals.school_goal_list, name="school_goal_list"),
    path("networks/<slug:slug>/goals/", views_goals.network_goal_list, name="network_goal_list"),
    path("goals/<int:pk>/", views_goals.goal_detail, name="goal_detail"),
    path("goals/<int:pk>/edit/", views_goals.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", views_goals.goal_delete, name="goal_delete"),
    path("goals/<int:pk>/measurements/", views_goals.goal_measure, name="goal_measure"),
]
