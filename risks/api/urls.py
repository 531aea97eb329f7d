"""RAID API routes under /api/v1/programs/<code>/raid/ (namespace `api_v1`, names `raid_*`)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
