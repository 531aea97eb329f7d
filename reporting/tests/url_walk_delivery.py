"""Subscription and delivery rows for the URL walk (merged by reporting/tests/url_walk.py).

Routes with "subscriptions/<int:pk>" act on the base subscription (the manager is its
recipient); Deactivate and "Send now" are POST actions
whose GET goes back to the list; the public unsubscribe page answers the walk's made-up token
with its 400 page ("this link is not valid")."""

from __future__ import annotations

from django.urls import reverse

from reporting.views import delivery as views
from reporting.views import delivery_public as public


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    pk = str(base["subscription"].pk)
    return {"subscriptions": {"pk": pk, "id": pk}}


def _list(s) -> str:
    return reverse("reporting:subscription_list", kwargs={"code": s.program.code})


def _log(s) -> str:
    return reverse("reporting:delivery_list", kwargs={"code": s.program.code})


ALLOWED_GET = {
    views.SubscriptionDeactivateView: lambda s: (302, _list(s)),
    views.SubscriptionSendNowView: lambda s: (302, _list(s)),
    public.UnsubscribeView: lambda s: (400, None),
}
ALLOWED_POST = {
    views.SubscriptionCreateView: lambda s: (400, None),
    views.SubscriptionEditView: lambda s: (400, None),
    views.SubscriptionDeactivateView: lambda s: (302, _list(s)),
    views.SubscriptionSendNowView: lambda s: (302, _log(s)),
    public.UnsubscribeView: lambda s: (400, None),
}
