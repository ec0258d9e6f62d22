"""Tasks are found by autodiscovery and run in a real Celery worker, through Redis, against the test database."""

import subprocess
import sys

import pytest
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import EagerResult
from django.conf import settings

from ocit.celery import app as celery_app
from ocit.tasks import active_staff_count_task
from tests import factories
from tests.workers import celery_worker


def test_active_staff_count_task_counts_active_staff_of_a_role(db):
    factories.UserFactory.create_batch(2, role="programme_board")
    factories.UserFactory(role="programme_board", is_active=False)
    factories.UserFactory(role="system_admin")
    assert active_staff_count_task.apply(kwargs={"role": "programme_board"}).get() == 2
    assert active_staff_count_task.apply().get() == 3


DISCOVER = """
import django; django.setup()
from ocit.celery import app
app.loader.import_default_modules()
print(sorted(name for name in app.tasks if name.startswith("ocit.")))
"""


def test_ocit_tasks_are_found_by_autodiscovery():
    # In a fresh process that never imports ocit.tasks itself, as a worker starts.
    result = subprocess.run([sys.executable, "-c", DISCOVER], cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert "ocit.tasks.active_staff_count_task" in result.stdout, result.stderr


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_runs_a_task_against_the_test_database(transactional_db, tmp_path):
    assert not celery_app.conf.task_always_eager, "with REDIS_URL set, tasks must go through the broker"
    factories.UserFactory.create_batch(3, role="ward_staff")
    log = tmp_path / "worker.log"
    with celery_worker(log) as (queue, _):
        result = active_staff_count_task.apply_async(kwargs={"role": "ward_staff"}, queue=queue, ignore_result=False)
        assert not isinstance(result, EagerResult)
        try:
            count = result.get(timeout=60)
        except CeleryTimeoutError:
            pytest.fail(f"no answer from the worker within 60 s. Its log:\n{log.read_text()}")
        assert count == 3
