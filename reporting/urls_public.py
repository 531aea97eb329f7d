"""Pages reached from a briefing e-mail without logging in, under /briefings/ (names
`briefings:*`): the signed unsubscribe link."""

from django.urls import path

from .views import delivery_public as views

app_name = "briefings"

urlpatterns: list = [
    path("unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
]
