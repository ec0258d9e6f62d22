"""`make fuzz`: schemathesis over /api/schema/ against a live server (gunicorn, production settings, PostgreSQL), as
each of the five roles, with every check. Prints, per role, the cases run and the failures by check, and exits
non-zero on any server error or failure of conformance.

    python -m tests.fuzz [--examples 30] [--phases examples,coverage,fuzzing,stateful] [--roles coordinator,...]

The data: `seed_demo --scale small` in a throwaway database (BENCH_POSTGRES_URL names the server, as for the
benchmarks), dropped afterwards. Tasks run in-process (no Redis), as in the zero-setup demo.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ROLES = ["coordinator", "practitioner", "ward", "board", "admin"]  # the demo logins, <role>@ocit.test
CONFIG = ROOT / "tests" / "schemathesis.toml"


def admin(sql):
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(sql)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30, help="test cases per operation and phase")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args()

    database = f"ocit_fuzz_{os.getpid()}"
    admin(f'CREATE DATABASE "{database}"')
    os.environ.update(
        DATABASE_URL=f"{SERVER.rsplit('/', 1)[0]}/{database}",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEMO_PASSWORD=secrets.token_urlsafe(16),
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="ocit.settings",
    )
    os.environ.pop("REDIS_URL", None)
    try:
        sys.exit(run(args))
    finally:
        from django.db import connections

        connections.close_all()
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run(args):
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command

    from tests.workers import free_port, session_for, wait_for_port

    call_command("migrate", verbosity=0)
    call_command("seed_demo", scale="small", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:ocit.gunicorn_conf", "ocit.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", "2",
    ]  # fmt: skip
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    failed = False
    try:
        wait_for_port(port)
        for role in args.roles.split(","):
            failed |= fuzz_as(role, port, args, session_for)
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text()
    if "Traceback" in server_log:
        print(f"The server logged errors:\n{server_log}")
        failed = True
    return 1 if failed else 0


def fuzz_as(role, port, args, session_for):
    from ocit.models import User

    login = session_for(User.objects.get(email=f"{role}@ocit.test"))
    report = Path(tempfile.mkdtemp()) / "report.json"
    cookie = f"sessionid={login['session']}; csrftoken={login['csrf']}"
    command = [
        str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run",
        f"http://127.0.0.1:{port}/api/schema/", "--checks", "all", "--phases", args.phases,
        "--max-examples", str(args.examples), "--workers", "1", "--no-color",
        "--header", f"Cookie: {cookie}", "--header", f"X-CSRFToken: {login['csrf']}",
        "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip
    finished = subprocess.run(command, cwd=report.parent, capture_output=True, text=True)  # its cache stays there
    if not report.exists():
        print(finished.stdout, finished.stderr)
        return True
    results = json.loads(report.read_text())
    failures = {failure["code"]: failure["count"] for failure in results["failures"]}
    errors = len(results["errors"])
    print(
        json.dumps(
            {
                "role": role,
                "cases": results["test_cases"]["generated"],
                "operations": results["operations"]["tested"],
                "server_errors": failures.get("ST101", 0) + failures.get("ST102", 0),
                "failures": failures,
                "errors": errors,
            }
        ),
        flush=True,
    )
    if failures or errors or finished.returncode:
        print(finished.stdout[-20_000:])
        return True
    return False


if __name__ == "__main__":
    main()
