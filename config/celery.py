"""The Celery app "dangjian": settings from Django's CELERY_* names, tasks found in each app's tasks.py.

Production runs N × ``celery -A config worker`` and exactly one ``celery -A config beat``
(docs/notifications.md). Without ``CELERY_BROKER_URL`` tasks run inline (eager) and the embedded
scheduler replaces beat.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("dangjian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
