"""Settings: production refuses a weak secret, passes the deploy checks, and pages carry the
security headers (CSP without inline script, nosniff, referrer policy, no framing)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Environment a production process would not have: the test server URLs, the test settings module.
CLEARED = (
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "EMAIL_URL",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests in this process
)


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", **extra)
    return env


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


IMPORT_SETTINGS = ["-c", "import django; django.setup()"]


@pytest.mark.parametrize(
    "secret_key",
    [
        None,  # unset
        "",
        "too-short",
        "django-insecure-" + "x" * 60,  # Django's startproject placeholder
        "a" * 60,  # long but not random
    ],
    ids=["unset", "empty", "short", "django-insecure", "repetitive"],
)
def test_production_settings_refuse_weak_secret_key(secret_key):
    env = _production_env() if secret_key is None else _production_env(SECRET_KEY=secret_key)

    result = _run(IMPORT_SETTINGS, env)

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set to a random value of at least 50 characters" in result.stderr


def test_production_settings_import_with_random_key():
    env = _production_env(SECRET_KEY=secrets.token_urlsafe(60))

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )

    result = _run(["-c", code], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True"]


def test_production_check_deploy_passes_with_random_key():
    env = _production_env(SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="pmo.example.com")

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_pages_carry_security_headers(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    directives = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1:]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }
    script_src = directives["script-src"][0].split()
    assert "'self'" in script_src
    assert any(source.startswith("'nonce-") for source in script_src)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in directives["style-src"][0].split()
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_csp_nonce_differs_per_response(client):
    first = client.get("/accounts/login/")["Content-Security-Policy"]
    second = client.get("/accounts/login/")["Content-Security-Policy"]

    assert first != second
