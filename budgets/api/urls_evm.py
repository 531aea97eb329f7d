"""Budgets API: earned value (included by budgets/api/urls.py)."""

from django.urls import path

from .evm import EarnedValueView

urlpatterns = [
    path("programs/<str:code>/budget/evm/", EarnedValueView.as_view(), name="budgets_evm"),
]
