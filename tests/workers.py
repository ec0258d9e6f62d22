"""Real processes for the tests, against the test database: a Celery worker, the web app under gunicorn, and a
Redis server of the test's own (to stop and start)."""

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection


def database_url():
    db = connection.settings_dict  # the test database, not the one named in DATABASE_URL
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process, how=signal.SIGTERM):
    process.send_signal(how)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def celery_worker(log, queue=None, **env):
    """Start a worker on a queue of its own (or `queue`), writing to `log`; yields the queue name and the process,
    then stops the worker (if the test has not killed it)."""
    queue = queue or f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, **env}
    options = f"--pool=solo --queues {queue} --hostname {queue}@%h --without-gossip --without-mingle --loglevel INFO"
    command = [sys.executable, "-m", "celery", "-A", "ocit", "worker", *options.split()]
    with log.open("a") as output:
        worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield queue, worker
    finally:
        if worker.poll() is None:
            _stop(worker)


class RedisServer:
    """A Redis of the test's own on a free port, to stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            _stop(self.process)


@contextlib.contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


def session_for(user):
    """A session cookie and CSRF token for `user`, made in the database (the server must share SECRET_KEY)."""
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "ocit.backends.UserBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return {"session": session.session_key, "csrf": secrets.token_hex(16)}


class LiveApp:
    """The web app under gunicorn, as in production: yields itself; `request` sends as a signed-in user."""

    def __init__(self, port, log):
        self.port, self.log = port, log

    session_for = staticmethod(session_for)

    def request(self, method, path, *, login=None, body=None, headers=None):
        """(status, headers, body text, seconds taken)."""
        headers = {"Host": "127.0.0.1", **(headers or {})}
        if login:
            headers["Cookie"] = f"sessionid={login['session']}; csrftoken={login['csrf']}"
            headers["X-CSRFToken"] = login["csrf"]
        if isinstance(body, dict):
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.monotonic()
        try:
            client.request(method, path, body=body, headers=headers)
            response = client.getresponse()
            text = response.read().decode()
        finally:
            client.close()
        return response.status, dict(response.getheaders()), text, time.monotonic() - started


@contextlib.contextmanager
def live_app(log, workers=2, **env):
    """gunicorn serving the app against the test database, with `env` on top of production-like settings."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL or "",
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions made here are signed with it
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:ocit.gunicorn_conf", "ocit.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
    ]  # fmt: skip
    with log.open("a") as output:
        server = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield LiveApp(port, log)
    finally:
        _stop(server)
