"""Meeting pages: a body's under its own address (coalitions/<pk>/meetings/…,
schools/<pk>/meetings/…), one meeting under meetings/<pk>/, the user's action items under
action-items/."""

from django.urls import URLPattern, URLResolver, path

from . import views
from .bodies import COALITION, SCHOOL


def _body(kind: str) -> list[URLPattern]:
    base = f"{kind}s/<int:pk>/meetings/"
    k = {"kind": kind}
    return [
        path(base, views.body_meetings, k, name=f"{kind}_meetings"),
        path(f"{base}new/", views.meeting_new, k, name=f"{kind}_meeting_new"),
        path(f"{base}series/new/", views.series_new, k, name=f"{kind}_series_new"),
        path(f"{base}action-items/", views.body_action_items, k, name=f"{kind}_action_items"),
    ]


urlpatterns: list[URLPattern | URLResolver] = [
    *_body(COALITION),
    *_body(SCHOOL),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_record, name="meeting_record"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/change/", views.meeting_change, name="meeting_change"),
    path("meetings/series/<int:pk>/end/", views.series_end, name="meeting_series_end"),
    path("action-items/", views.my_action_items, name="my_action_items"),
    path("action-items/<int:pk>/edit/", views.action_item_edit, name="action_item_edit"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action_item_status"),
]
