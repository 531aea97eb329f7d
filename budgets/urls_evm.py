"""The earned value page (included by budgets/urls.py)."""

from django.urls import path

from .views import evm as views

urlpatterns = [
    path("evm/", views.EarnedValueView.as_view(), name="evm"),
]
