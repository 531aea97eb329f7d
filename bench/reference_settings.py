"""A bare Django reference for the list benchmarks: same database, no middleware, one view."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.reference_urls"
MIDDLEWARE: list[str] = []
DEBUG = False
SECRET_KEY = "bench-reference-only-" + "x" * 40
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
