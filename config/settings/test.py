"""Test settings: PostgreSQL and Redis on localhost, as CI and these machines have them."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env.str("SECRET_KEY", default="test-only-secret-key-not-for-production-use-0123456789")
DEBUG = False
DATABASES = {
    "default": env.db_url(
        "TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/programoffice"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
CELERY_BROKER_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The worker integration test starts a Celery worker that must send over real SMTP; the test
# process itself always uses locmem (pytest-django also forces it).
_test_email_url = env.str("TEST_EMAIL_URL", default="")
if _test_email_url:
    vars().update(env.email_url_config(_test_email_url))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
AXES_FAILURE_LIMIT = 5
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# WhiteNoise warns on every request when STATIC_ROOT is missing; tests serve through the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Tests rebuild rows with the same ids and versions: rendered rows must not leak between tests.
CACHES["fragments"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}  # noqa: F405
