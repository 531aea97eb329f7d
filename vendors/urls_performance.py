"""Pages of the vendors app: performance (included by vendors/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
