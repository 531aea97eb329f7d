"""Brute-force protection helpers for django-axes."""

from __future__ import annotations


def axes_username(request, credentials: dict | None = None) -> str | None:
    """The name axes keys its lockout on: the e-mail address as typed, trimmed and lowercased.

    Sign-in is by e-mail, case-insensitively, so "Alice@x" and "alice@x" are one account and must
    share one failure count. (Axes' default looks for a field named after USERNAME_FIELD, "email",
    which the login form does not send: every failure was recorded without a username.)
    """
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("username") or data.get("email")
    return value.strip().lower() if isinstance(value, str) else value
