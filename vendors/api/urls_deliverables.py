"""API routes of the vendors app: deliverables (included by vendors/api/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
