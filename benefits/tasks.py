import contextlib
import datetime

from celery import shared_task
from celery.exceptions import Retry
from django.db import DatabaseError

from benefits import selectors, services
from benefits.models import RunStatus
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


def recompute_request(*, actor, full, trigger):
    """Queue a recompute unless one is running; False when one is."""
    latest = selectors.latest_run()
    if latest is not None and latest.status == RunStatus.RUNNING:
        return False
    # Without a broker the task runs here, and may find another recompute got there first.
    with contextlib.suppress(AlreadyRunning, Retry):
        recompute_benefits_task.delay(trigger=trigger, full=full, actor_id=actor.pk)
    return True
