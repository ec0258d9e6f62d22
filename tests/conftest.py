"""Shared fixtures: the cast of users, and the real services some tests need.

Tests marked `postgres`, `redis` or `browser` are skipped, with a reason, where the service is missing.
With CI=true nothing may be skipped: a missing service fails the test, and any skip fails the run.
"""

import importlib
import os
import shutil

import pytest
from django.apps import apps
from django.conf import settings
from pytest_django.plugin import blocking_manager_key

from tests import factories

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing(marker):
    if marker == "postgres" and not settings.USING_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    if marker == "browser" and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) and (reason := _missing(marker)):
            if CI:
                pytest.fail(f"CI=true but this test {reason}")
            pytest.skip(reason)


def pytest_sessionfinish(session, exitstatus):
    if CI and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter and reporter.stats.get("skipped"):
            reporter.write_line("CI=true: tests were skipped, which CI does not allow.", red=True)
            session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The suite empties every table after a transactional test (TRUNCATE), audit tables included, which the
    database otherwise refuses (ocit/migrations/0004): allow it on the test database, for every session."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"ALTER DATABASE \"{connection.settings_dict['NAME']}\" SET ocit.audit_truncate = 'allowed'"
                )
            connection.close()  # the next session starts with the setting


# Reference data that data migrations put in place. A test in a transaction rolls back what it changes, so it finds
# the data as the migrations left it; a transactional test ends by emptying every table, so it is put back then.
REFERENCE_DATA = [
    ("caseload.migrations.0002_seed_lits_and_localities", "add_teams"),
    ("caseload.migrations.0004_response_standards_and_name_search", "add_standards"),
    ("discharge.migrations.0003_delay_reasons_and_ward_stays", "add_reasons"),
    ("referrals.migrations.0002_default_decision_standards", "add_standards"),
    ("referrals.migrations.0007_ranking_factors", "add"),
    ("benefits.migrations.0002_default_assumptions_and_plan", "add_defaults"),
    ("benefits.migrations.0004_counterfactual_assumptions", "add_defaults"),
]
TRANSACTIONAL = {"transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's fixtures are torn down (its tables emptied), put the reference data back: once
    here, rather than before every test that uses the database (a fifth of a second each, minutes in all)."""
    result = yield
    if nextitem is None:  # the last test: the test database is gone with the session's fixtures
        return result
    marker = item.get_closest_marker("django_db")
    if TRANSACTIONAL & set(item.fixturenames) or (marker is not None and marker.kwargs.get("transaction")):
        with item.config.stash[blocking_manager_key].unblock():
            for module, function in REFERENCE_DATA:
                getattr(importlib.import_module(module), function)(apps, None)
    return result


@pytest.fixture(autouse=True)
def lits_read_afresh():
    """Each test reads the LITs afresh: a process keeps them (`caseload.selectors.active_teams`) until a change it
    is told of, and a test's own changes are rolled back, or made by a queryset update, without telling it."""
    from caseload import selectors

    selectors._teams.clear()


@pytest.fixture
def teams(db):
    return factories.teams()


@pytest.fixture
def practitioner(teams):
    return factories.UserFactory(role="lit_practitioner", discipline="ot", team=teams["newfield-house"])


@pytest.fixture
def coordinator(teams):
    return factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=teams["newfield-house"])


@pytest.fixture
def ward_a(db):
    return factories.WardFactory(code="W10", name="Ward 10")


@pytest.fixture
def ward_b(db):
    return factories.WardFactory(code="W22", name="Ward 22")


@pytest.fixture
def ward_nurse(ward_a):
    user = factories.UserFactory(role="ward_staff", discipline="nurse")
    user.wards.add(ward_a)
    return user


@pytest.fixture
def board_member(db):
    return factories.UserFactory(role="programme_board")


@pytest.fixture
def sysadmin(db):
    return factories.UserFactory(role="system_admin", is_superuser=True)


@pytest.fixture
def patient(teams):
    return factories.PatientFactory(team=teams["newfield-house"])


@pytest.fixture
def in_process_tasks():
    """Celery tasks run in the calling process, as without a broker (CI has one, but no worker for these tests)."""
    from ocit.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
