"""Briefing subscription and delivery pages under /programs/<code>/reports/ (included by
reporting/urls.py)."""

from django.urls import path

from .views import delivery as views

V = views
S = "subscriptions/<int:pk>/"
urlpatterns: list = [
    path("subscriptions/", V.SubscriptionListView.as_view(), name="subscription_list"),
    path("subscriptions/new/", V.SubscriptionCreateView.as_view(), name="subscription_create"),
    path(S + "edit/", V.SubscriptionEditView.as_view(), name="subscription_edit"),
    path(S + "deactivate/", V.SubscriptionDeactivateView.as_view(), name="subscription_deactivate"),
    path(S + "send-now/", V.SubscriptionSendNowView.as_view(), name="subscription_send_now"),
    path(S + "preview/", V.SubscriptionPreviewView.as_view(), name="subscription_preview"),
    path(
        S + "preview/email/",
        V.SubscriptionPreviewEmailView.as_view(),
        name="subscription_preview_email",
    ),
    path(
        S + "preview/briefing.pdf",
        V.SubscriptionPreviewPdfView.as_view(),
        {"which": "briefing"},
        name="subscription_preview_briefing",
    ),
    path(
        S + "preview/deck.pdf",
        V.SubscriptionPreviewPdfView.as_view(),
        {"which": "deck"},
        name="subscription_preview_deck",
    ),
    path("deliveries/", V.DeliveryListView.as_view(), name="delivery_list"),
]
