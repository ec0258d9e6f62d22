"""/healthz answers 200 with the database's state, 503 when it is unreachable, and reports Redis when configured."""

from unittest import mock

import pytest
from django.db import OperationalError


def test_healthz_reports_the_database_ok_without_a_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["checks"]["database"]["status"] == "ok"


def test_healthz_answers_503_when_the_database_is_unreachable(client, db):
    with mock.patch("ocit.views.connection") as connection:
        connection.cursor.side_effect = OperationalError("connection refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == {"status": "error", "error": "OperationalError"}


@pytest.mark.redis
def test_healthz_reports_redis_ok_when_configured(client, db):
    checks = client.get("/healthz").json()["checks"]
    assert checks["redis"] == {"status": "ok"}
