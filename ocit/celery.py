import os

import redis
from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocit.settings")

app = Celery("ocit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def broker_answers(timeout=0.5):
    """Whether the broker (Redis) answers a ping within `timeout` seconds; always, when tasks run in-process."""
    if not settings.REDIS_URL:
        return True
    try:
        return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout).ping()
    except redis.RedisError:
        return False
