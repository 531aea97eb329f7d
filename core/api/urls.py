"""Core API routes (mounted under /api/v1/)."""

from django.urls import path

from .views import TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="auth_token"),
]
