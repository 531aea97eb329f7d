"""Account pages (login, password change and reset, profile) and the health endpoints."""

from __future__ import annotations

from urllib.parse import urlsplit

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from rest_framework.authtoken.models import Token

from .forms_accounts import ProfileForm
from .models import User
from .services import api_token_regenerate, email_enqueue


class EmailAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail address"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "email", "type": "email", "autofocus": True}
        )


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset e-mail through the outbound queue (a worker sends it, once)."""

    def get_users(self, email):
        """Active users with this address, including invited people who never set a password.

        Django skips accounts with an unusable password; here that only means "invitation not
        accepted yet", and without this an invitee whose link expired could never get in.
        """
        email = email.strip()
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.email.casefold() == email.casefold())

    def save(self, **kwargs):
        """Links and the site name come from SITE_URL/SITE_NAME, not from the request's Host."""
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        kwargs["extra_email_context"] = {
            **(kwargs.get("extra_email_context") or {}),
            "site_name": settings.SITE_NAME,
        }
        return super().save(**kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        email_enqueue(
            to=[to_email],
            subject=subject,
            body_text=body,
            idempotency_key=f"password-reset:{context['uid']}:{context['token']}",
        )


class LoginView(auth_views.LoginView):
    access_policy = "public"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    access_policy = "public"


class PasswordChangeView(auth_views.PasswordChangeView):
    access_policy = "authenticated"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    access_policy = "authenticated"


class PasswordResetView(auth_views.PasswordResetView):
    access_policy = "public"
    form_class = QueuedPasswordResetForm


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    access_policy = "public"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    access_policy = "public"

    def form_valid(self, form):
        """A new password set through the e-mailed link also lifts a brute-force lockout."""
        response = super().form_valid(form)
        axes_reset(username=form.user.email.lower())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    access_policy = "public"


@method_decorator(never_cache, name="dispatch")  # a new API token is shown once; never cache it
class ProfileView(LoginRequiredMixin, TemplateView):
    access_policy = "authenticated"
    template_name = "core/profile.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ProfileForm(instance=self.request.user))
        kwargs["token"] = Token.objects.filter(user=self.request.user).first()
        kwargs["new_token"] = self.request.session.pop("new_api_token", None)
        kwargs["memberships"] = self.request.user.memberships.select_related("program")
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Profile saved.")
            return redirect("profile")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ApiTokenRegenerateView(LoginRequiredMixin, View):
    access_policy = "authenticated"

    def get(self, request):
        return redirect("profile")

    def post(self, request):
        token = api_token_regenerate(user=request.user)
        request.session["new_api_token"] = token.key
        messages.success(request, "A new API token was created; the old one no longer works.")
        return redirect("profile")


# Both probes opt out of ATOMIC_REQUESTS: its transaction would touch the database before the view
# runs, so a database outage would turn /healthz into a 500 and /readyz into a 500 without a reason.
@transaction.non_atomic_requests
def healthz(request):
    """Alive: the process answers. No database or broker access."""
    return JsonResponse({"status": "ok"})


healthz.access_policy = "public"


@transaction.non_atomic_requests
def readyz(request):
    """Ready: the database answers a query and the Celery broker accepts a connection."""
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any driver error means not ready
        checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
        checks["broker"] = {"ok": True, "transport": str(transport)}
    except Exception as exc:  # kombu raises many kinds of connection errors
        checks["broker"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    ready = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


readyz.access_policy = "public"
