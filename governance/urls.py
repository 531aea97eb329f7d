"""Governance pages: change control, decisions, RACI, compliance (/programs/<code>/governance/)."""

from django.urls import path  # noqa: F401

app_name = "governance"

urlpatterns: list = []
