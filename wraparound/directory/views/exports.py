"""TODO(exports): filled by the directory work in progress."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
