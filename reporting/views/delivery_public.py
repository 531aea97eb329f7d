"""The unsubscribe page a briefing e-mail links to: no login, the signed token is the key.

GET only shows what the link would do (mail scanners follow links: a GET must never
unsubscribe anyone); POST unsubscribes. A tampered or truncated token gets a clear 400 page."""

from __future__ import annotations

from django.shortcuts import render
from django.views import View

from ..emails import read_unsubscribe_token
from ..models import SubscriptionRecipient
from ..services.subscriptions import recipient_unsubscribe

TEMPLATE = "reporting/delivery/unsubscribe.html"


class UnsubscribeView(View):
    access_policy = "public"  # the signed token is the key; GET changes nothing

    def _bad(self, request):
        return render(request, TEMPLATE, {"state": "invalid"}, status=400)

    def _gone(self, request):
        return render(request, TEMPLATE, {"state": "gone"}, status=404)

    def get(self, request, token: str):
        ids = read_unsubscribe_token(token)
        if ids is None:
            return self._bad(request)
        recipient = (
            SubscriptionRecipient.objects.select_related("subscription__program", "user")
            .filter(pk=ids[0], subscription_id=ids[1])
            .first()
        )
        if recipient is None:
            return self._gone(request)
        state = "already" if recipient.unsubscribed_at else "confirm"
        return render(request, TEMPLATE, {"state": state, "recipient": recipient, "token": token})

    def post(self, request, token: str):
        ids = read_unsubscribe_token(token)
        if ids is None:
            return self._bad(request)
        recipient, changed = recipient_unsubscribe(recipient_id=ids[0], subscription_id=ids[1])
        if recipient is None:
            return self._gone(request)
        state = "done" if changed else "already"
        return render(request, TEMPLATE, {"state": state, "recipient": recipient, "token": token})
