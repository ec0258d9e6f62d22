"""Accounts lock after 5 failed logins, idle sessions end, passwords are strong and argon2-hashed, deploy is clean."""

import datetime
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories

LOCKED_OUT = "Your account is locked"


def log_in(client, user, password):
    return client.post(reverse("login"), {"username": user.email, "password": password})


def test_four_failed_logins_still_let_the_right_password_in(client, practitioner):
    for _ in range(4):
        assert log_in(client, practitioner, "wrong-password").status_code == 200
    response = log_in(client, practitioner, factories.PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(practitioner.pk)


def test_the_sixth_login_after_five_failures_is_locked_out_even_with_the_right_password(client, practitioner):
    for _ in range(5):
        log_in(client, practitioner, "wrong-password")
    response = log_in(client, practitioner, factories.PASSWORD)
    assert response.status_code == 429
    assert LOCKED_OUT in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account_not_per_address(client, practitioner, coordinator):
    for _ in range(5):
        log_in(client, practitioner, "wrong-password")
    assert log_in(client, coordinator, factories.PASSWORD).status_code == 302


def expire_session_at(client, when):
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=when)


def test_each_request_pushes_the_session_expiry_30_minutes_ahead(client, practitioner):
    client.force_login(practitioner)
    expire_session_at(client, timezone.now() + datetime.timedelta(minutes=1))
    assert client.get(reverse("home")).url == reverse("caseload:mine")  # still logged in
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expiry > timezone.now() + datetime.timedelta(minutes=29)
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_an_idle_session_ends_and_the_next_request_goes_to_login(client, practitioner):
    client.force_login(practitioner)
    expire_session_at(client, timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_signed_in_user_is_read_with_their_lit_in_one_query(client, practitioner):
    """Every page shows the user's LIT in its header: it comes with the user, not in a query of its own."""
    log_in(client, practitioner, factories.PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("caseload:search"))
    assert practitioner.team.name in response.content.decode()
    [user_query] = [q["sql"] for q in queries if 'FROM "ocit_user"' in q["sql"]]
    assert 'JOIN "caseload_team"' in user_query
    assert not [q["sql"] for q in queries if q["sql"].startswith('SELECT "caseload_team"')]


def test_a_deactivated_user_is_signed_out_at_their_next_request(client, practitioner):
    log_in(client, practitioner, factories.PASSWORD)
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])
    response = client.get(reverse("caseload:mine"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_deploy_check_is_clean_with_production_settings():
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ocit.example.nhs.uk",
        "HTTPS": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper(), output
    assert "System check identified no issues" in output


def test_passwords_are_hashed_with_argon2(db):
    user = factories.UserFactory(role="programme_board")
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert user.password.startswith("argon2$")
    assert user.check_password(factories.PASSWORD)


@pytest.mark.parametrize("password", ["Sh0rt-pass!", "password1234", "123456789012"])
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    assert validate_password("tangerine-bicycle-harbour") is None


@pytest.mark.parametrize("url", ["/caseload/triage/", "/api/v1/patients/", "/dashboard/", "/healthz"])
def test_nothing_sent_to_a_signed_in_user_is_cached(client, coordinator, url):
    client.force_login(coordinator)
    cache_control = client.get(url)["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
