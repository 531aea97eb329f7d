"""Governance API routes, under /api/v1/programs/<code>/governance/ (namespace `api_v1`)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
