"""Benchmarks: seed a scale into a throwaway PostgreSQL database and print figures as JSON lines.

    python bench/run.py --scale coventry        (or: make bench SCALE=coventry)

Each line is {"name", "value", "unit", "scale"}. Figures are printed, never asserted: compare runs.
BENCH_POSTGRES_URL points at the server (default postgres://postgres@127.0.0.1:5432/postgres).
With BENCH_KEEP_DB=1 the seeded database (ocit_bench_<scale>) is kept, and a later run with it set uses it
again without seeding (the recompute's figures are made afresh each time).
"""

import argparse
import contextlib
import io
import json
import os
import secrets
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def emit(name, value, unit, scale):
    print(json.dumps({"name": name, "value": value, "unit": unit, "scale": scale}), flush=True)


def admin(sql):
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(sql)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "coventry", "ics"], default="coventry")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    with seeded_database(args.scale, args.seed) as database:
        run(args.scale, kept=database == f"ocit_bench_{args.scale}")


@contextlib.contextmanager
def seeded_database(scale, seed):
    """A PostgreSQL database holding the scale's demo data, with Django set up against it (the settings in the
    environment, for any process started inside); dropped afterwards unless BENCH_KEEP_DB is set."""
    keep = os.environ.get("BENCH_KEEP_DB", "").lower() in ("1", "true", "yes")
    database = f"ocit_bench_{scale}" if keep else f"ocit_bench_{os.getpid()}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
    if not exists:
        admin(f'CREATE DATABASE "{database}"')
    try:
        os.environ.update(
            DATABASE_URL=f"{SERVER.rsplit('/', 1)[0]}/{database}",
            SECRET_KEY=secrets.token_urlsafe(50),
            DEMO_PASSWORD=secrets.token_urlsafe(16),
            DEBUG="false",
            HTTPS="false",
            ALLOWED_HOSTS="testserver,127.0.0.1",
            DJANGO_SETTINGS_MODULE="ocit.settings",
        )
        os.environ.pop("REDIS_URL", None)
        sys.path.insert(0, str(ROOT))
        seed_if_empty(scale, seed)
        yield database
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def seed_if_empty(scale, seed):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from caseload.models import Patient

    call_command("migrate", verbosity=0)
    if not Patient.objects.exists():
        progress = io.StringIO() if scale == "small" else sys.stderr
        started = time.perf_counter()
        call_command("seed_demo", scale=scale, seed=seed, force=True, stdout=progress)
        emit("seed_demo", round(time.perf_counter() - started, 2), "s", scale)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def run(scale, kept):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        emit("database_size", round(cursor.fetchone()[0] / 1024**2, 1), "MiB", scale)

    import pages

    pages.run(emit, scale, caseload_pages(scale) + discharge_pages(scale) + dashboard_pages())

    import plans

    plans.run(scale)

    import recompute

    recompute.run(emit, scale)

    import adt

    # The feed admits thousands of people: a kept database gets a copy to admit them into, so that it stays as
    # seeded for the next run (and for bench/load.py).
    with scratch_copy() if kept else contextlib.nullcontext():
        adt.run(emit, scale)


@contextlib.contextmanager
def scratch_copy():
    """Point Django (every connection opened from here on, in any thread) at a copy of its database, dropped after."""
    from django.db import connections

    settings = connections["default"].settings_dict  # the dict each new connection is made from
    original = settings["NAME"]
    copy = f"{original}_scratch"
    connections.close_all()
    admin(f'DROP DATABASE IF EXISTS "{copy}"')
    admin(f'CREATE DATABASE "{copy}" TEMPLATE "{original}" STRATEGY FILE_COPY')
    settings["NAME"] = copy
    try:
        yield
    finally:
        connections.close_all()
        settings["NAME"] = original
        admin(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def dashboard_pages():
    """The programme board's dashboard and one metric's chart page (stored figures only)."""
    from django.urls import reverse

    from ocit.models import User

    board = User.objects.get(email="board@ocit.test")
    return [
        ("benefits_dashboard", board, reverse("benefits:dashboard")),
        ("benefits_metric_chart", board, reverse("benefits:metric", args=["admissions_avoided"])),
    ]


def discharge_pages(scale):
    """The ward board (LIT in-reach: every ward) and the pull list for all three LITs, with its two lower lists."""
    from django.urls import reverse

    from discharge.models import Spell
    from ocit.models import User

    coordinator = User.objects.get(email="coordinator@ocit.test")
    emit("open_spells", Spell.objects.filter(discharged_at=None).count(), "spells", scale)
    return [
        ("ward_board", coordinator, reverse("discharge:ward_board")),
        ("pull_list", coordinator, reverse("referrals:pull_list") + "?lit=all"),
        # The two lists below the referrals, which the pull list fetches once shown (here as their own pages).
        ("pull_list_not_referred", coordinator, reverse("referrals:pull_list_not_referred") + "?lit=all"),
        ("pull_list_in_hospital", coordinator, reverse("referrals:pull_list_in_hospital") + "?lit=all"),
    ]


def caseload_pages(scale):
    """The shared caseload's busiest screens and API list, a name search with a typo in it, and the patient page
    of the person with the longest history."""
    from django.db.models import Count
    from django.urls import reverse

    from caseload.models import Episode, Patient
    from ocit.models import User

    coordinator = User.objects.get(email="coordinator@ocit.test")
    episodes = Episode.objects.exclude(status="closed")
    emit("open_episodes", episodes.count(), "episodes", scale)
    emit("patients", Patient.objects.count(), "patients", scale)
    # The patient with the longest history on the caseload, for the patient page (the whole story).
    longest = Patient.objects.annotate(n=Count("episodes")).order_by("-n", "pk").values_list("pk", flat=True)[0]
    surname = Patient.objects.order_by("pk").values_list("family_name", flat=True)[7]
    typo = surname[0] + surname[2] + surname[1] + surname[3:] if len(surname) > 3 else surname + "e"
    return [
        ("triage_board", coordinator, reverse("caseload:triage")),
        ("team_caseload", coordinator, reverse("caseload:team") + "?lit=all"),
        ("episode_list_api", coordinator, "/api/v1/episodes/?status=active"),
        ("search_by_name", coordinator, reverse("caseload:search") + f"?q={typo}"),
        ("patient_page", coordinator, reverse("caseload:patient_detail", args=[longest])),
    ]


if __name__ == "__main__":
    main()
