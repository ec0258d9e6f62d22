"""A real Celery worker in a subprocess, consuming its own queue against the test database."""

import contextlib
import os
import subprocess
import sys
import uuid

from django.conf import settings
from django.db import connection


def database_url():
    db = connection.settings_dict  # the test database, not the one named in DATABASE_URL
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(log):
    """Start a worker on a queue of its own, writing to `log`; yields the queue name, then stops the worker."""
    queue = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
    options = f"--pool=solo --queues {queue} --hostname {queue}@%h --without-gossip --without-mingle --loglevel INFO"
    command = [sys.executable, "-m", "celery", "-A", "ocit", "worker", *options.split()]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
