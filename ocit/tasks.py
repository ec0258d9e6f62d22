"""Project-wide Celery tasks, found by `app.autodiscover_tasks()` in ocit/celery.py."""

from celery import shared_task

from ocit.models import User


@shared_task
def active_staff_count_task(*, role=None):
    """How many active staff accounts there are (of one role, if given).

    A read-only round trip through the broker, a worker and the database: operators can send it to
    check that workers reach the same database as the web app.
    """
    staff = User.objects.filter(is_active=True)
    if role:
        staff = staff.filter(role=role)
    return staff.count()
