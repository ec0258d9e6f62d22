import contextlib
import datetime

from celery import shared_task
from celery.exceptions import Retry
from django.db import DatabaseError
from kombu.exceptions import OperationalError

from benefits import selectors, services
from benefits.models import RunStatus
from benefits.services import AlreadyRunning
from ocit.celery import broker_answers
from ocit.errors import Unavailable
from ocit.models import User


@shared_task(
    autoretry_for=(AlreadyRunning, DatabaseError),
    retry_backoff=60,
    retry_backoff_max=10 * 60,  # under the broker's visibility timeout (settings)
    retry_jitter=True,
    max_retries=5,
)
def recompute_benefits_task(*, trigger="nightly", full=False, since=None, actor_id=None):
    """Recompute the dashboard's figures (nightly from the beat schedule, or when an administrator asks).

    Retried with backoff when another recompute holds the lock or the database fails; a run that a
    killed worker left behind frees the lock after `models.HEARTBEAT_TIMEOUT`.
    """
    run = services.recompute(
        trigger=trigger,
        full=full,
        since=datetime.date.fromisoformat(since) if since else None,
        actor=User.objects.get(pk=actor_id) if actor_id else None,
    )
    return {"run": run.pk, "status": run.status, "rows_written": run.rows_written}


QUEUE_DOWN = "The task queue is not answering, so the recalculation could not be started. Try again in a few minutes."


def recompute_request(*, actor, full, trigger):
    """Queue a recompute unless one is running (then False). Raises Unavailable, having queued nothing, when the
    broker does not answer: at once, never after a long wait."""
    latest = selectors.latest_run()
    if latest is not None and latest.status == RunStatus.RUNNING:
        return False
    if not broker_answers():
        raise Unavailable(QUEUE_DOWN)
    try:
        # Without a broker the task runs here, and may find another recompute got there first.
        with contextlib.suppress(AlreadyRunning, Retry):
            recompute_benefits_task.delay(trigger=trigger, full=full, actor_id=actor.pk)
    except OperationalError:  # the broker went away after answering the ping
        raise Unavailable(QUEUE_DOWN) from None
    return True
