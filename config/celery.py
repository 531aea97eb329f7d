"""The Celery application; its configuration lives in config/settings/celery.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("programoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
