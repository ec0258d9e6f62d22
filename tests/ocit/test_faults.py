"""Faults, made for real: a Redis of the test's own stopped and started again, a Celery worker killed mid-task, every
database connection dropped under gunicorn with persistent connections. Nothing hangs, nothing is lost, nothing
fails once the part is back."""

import datetime
import json
import time

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from benefits.models import HEARTBEAT_TIMEOUT, RecomputeRun, RunStatus
from ocit.celery import app as celery_app
from ocit.tasks import active_staff_count_task
from tests import factories
from tests.workers import celery_worker, database_url, live_app, redis_server


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {timeout} s")


def waiting_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def drop_every_other_connection():
    """What a PostgreSQL restart does to the connections the app and the worker keep."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


# Redis down ------------------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_a_recompute_is_refused_at_once_and_health_answers_within_a_second(tmp_path):
    admin = factories.UserFactory(role="system_admin")
    coordinator = factories.UserFactory(role="lit_coordinator", team=factories.teams()["tile-hill"])
    with redis_server() as redis, live_app(tmp_path / "app.log", REDIS_URL=redis.url) as app:
        login = app.session_for(admin)
        assert app.request("GET", "/healthz")[0] == 200
        redis.stop()

        # The LITs each process keeps are checked against a version in the cache: without it, read afresh.
        status, _, body, took = app.request(
            "GET", "/caseload/triage/?lit=tile-hill", login=app.session_for(coordinator)
        )
        assert status == 200 and took < 2 and '<option value="tile-hill" selected>Tile Hill LIT</option>' in body

        status, headers, body, took = app.request("POST", "/api/v1/recompute-runs/", login=login, body={"full": False})
        assert status == 503 and took < 2, (status, took, body)
        assert headers["Content-Type"] == "application/problem+json"
        assert "task queue is not answering" in json.loads(body)["detail"]

        status, _, body, took = app.request(
            "POST", reverse("benefits:recompute"), login=login, headers={"HX-Request": "true"}
        )
        assert status == 200 and took < 2 and "the recalculation could not be started" in body

        status, _, body, took = app.request("GET", "/healthz")
        checks = json.loads(body)["checks"]
        assert status == 200 and took < 1, (status, took)
        assert checks["database"]["status"] == "ok" and checks["redis"]["status"] == "error"

        redis.start()
        status, _, body, took = app.request("POST", "/api/v1/recompute-runs/", login=login, body={"full": False})
        assert status == 202 and took < 2, (status, took, body)
    assert not RecomputeRun.objects.exists()  # queued on the test's Redis, which is gone: no worker ran it


# A killed recompute ----------------------------------------------------------------------------------


def test_a_run_whose_worker_was_killed_neither_blocks_the_next_nor_shows_as_running(client, db, in_process_tasks):
    long_ago = timezone.now() - HEARTBEAT_TIMEOUT - datetime.timedelta(minutes=1)
    killed = RecomputeRun.objects.create(
        trigger="dashboard", started_at=long_ago, heartbeat_at=long_ago, steps_done=30, steps_total=82
    )
    client.force_login(factories.UserFactory(role="system_admin"))

    page = client.get(reverse("benefits:dashboard")).content.decode()
    assert "step 30 of 82" not in page and "did not finish" in page
    assert client.get("/api/v1/recompute-runs/").json()["results"][0]["status"] == "abandoned"
    assert client.post("/api/v1/recompute-runs/", {"full": False}, content_type="application/json").status_code == 202

    killed.refresh_from_db()
    assert killed.status == RunStatus.ABANDONED
    assert RecomputeRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_is_killed_mid_run_is_run_again(tmp_path):
    """acks_late: the message stays unacknowledged while the task runs; the worker is killed (SIGKILL, the whole
    process) while the task waits on a lock; after the visibility timeout another worker runs it."""
    log = tmp_path / "worker.log"
    blocker = psycopg.connect(database_url())
    blocker.execute("LOCK TABLE benefits_recomputerun IN ACCESS EXCLUSIVE MODE")  # in a transaction: held
    try:
        with celery_worker(log, CELERY_VISIBILITY_TIMEOUT="2") as (queue, worker):
            celery_app.send_task("benefits.tasks.recompute_benefits_task", kwargs={"trigger": "nightly"}, queue=queue)
            wait_for(lambda: waiting_on_a_lock() > 0, 60, f"the task to start. Worker log:\n{log.read_text()}")
            worker.kill()
            worker.wait()
    finally:
        blocker.rollback()
        blocker.close()
    assert not RecomputeRun.objects.exists()

    with celery_worker(log, queue=queue, CELERY_VISIBILITY_TIMEOUT="2"):
        wait_for(
            lambda: RecomputeRun.objects.filter(status=RunStatus.SUCCEEDED).exists(),
            90,
            f"the task to run again. Worker log:\n{log.read_text()}",
        )
    assert RecomputeRun.objects.count() == 1


# The database drops its connections ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_request_fails_after_the_database_drops_every_kept_connection(tmp_path):
    coordinator = factories.UserFactory(
        role="lit_coordinator", discipline="coordinator", team=factories.teams()["tile-hill"]
    )
    with live_app(tmp_path / "app.log", workers=2, DATABASE_CONN_MAX_AGE="60") as app:
        login = app.session_for(coordinator)
        before = [app.request("GET", "/api/v1/patients/", login=login)[0] for _ in range(8)]
        assert drop_every_other_connection() >= 1  # the gunicorn workers that answered kept theirs
        after = [app.request("GET", "/api/v1/patients/", login=login)[0] for _ in range(16)]
    assert before == [200] * 8
    assert after == [200] * 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_what_the_web_server_refuses_itself_is_problem_details_too(tmp_path):
    with live_app(tmp_path / "app.log", workers=1) as app:
        status, headers, text, _ = app.request("GET", "/api/v1/episodes/?lit=" + "x" * 9000)
    assert status == 414 and headers["Content-Type"] == "application/problem+json"
    assert json.loads(text)["status"] == 414


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_survives_the_database_dropping_its_connection(tmp_path):
    factories.UserFactory(role="ward_staff")
    log = tmp_path / "worker.log"

    def staff_count():
        task = active_staff_count_task.apply_async(kwargs={"role": "ward_staff"}, queue=queue, ignore_result=False)
        return task.get(timeout=60)

    with celery_worker(log, DATABASE_CONN_MAX_AGE="60") as (queue, worker):
        first = staff_count()
        drop_every_other_connection()
        again = staff_count()
        assert worker.poll() is None
    assert first == again == 1
