"""Briefing subscription and delivery API routes under /api/v1/programs/<code>/ (included by
reporting/api/urls.py)."""

from django.urls import path

from . import delivery as api

S = "programs/<str:code>/subscriptions/"
D = S + "<int:id>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(S, api.SubscriptionViewSet.as_view(LIST), name="reporting_subscription_list"),
    path(D, api.SubscriptionViewSet.as_view(ROW), name="reporting_subscription_detail"),
    path(
        D + "send-now/",
        api.SubscriptionSendNowView.as_view(),
        name="reporting_subscription_send_now",
    ),
    path(
        "programs/<str:code>/deliveries/",
        api.DeliveryViewSet.as_view({"get": "list"}),
        name="reporting_delivery_list",
    ),
]
