"""URLs of this part of the agreements app (included by agreements/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
