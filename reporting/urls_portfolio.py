"""The portfolio dashboard under /portfolio/ (names `portfolio:*`): every program of the user."""

app_name = "portfolio"

urlpatterns: list = []
