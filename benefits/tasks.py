import datetime

from celery import shared_task
from django.db import DatabaseError

from benefits import services
from benefits.services import AlreadyRunning
from ocit.models import User


@shared_task(
    autoretry_for=(AlreadyRunning, DatabaseError),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
)
def recompute_benefits_task(*, trigger="nightly", full=False, since=None, actor_id=None):
    """Recompute the dashboard's figures (nightly from the beat schedule, or when an administrator asks).

    Retried with backoff when another recompute holds the lock or the database fails; a run that a
    killed worker left behind frees the lock after `services.LOCK_TIMEOUT`.
    """
    run = services.recompute(
        trigger=trigger,
        full=full,
        since=datetime.date.fromisoformat(since) if since else None,
        actor=User.objects.get(pk=actor_id) if actor_id else None,
    )
    return {"run": run.pk, "status": run.status, "rows_written": run.rows_written}
