"""The portfolio dashboard under /portfolio/ (names `portfolio:*`): every program of the user."""

from django.urls import path

from .views.portfolio import PortfolioView

app_name = "portfolio"

urlpatterns = [
    path("", PortfolioView.as_view(), name="index"),
]
