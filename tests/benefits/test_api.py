"""The benefits API: the metric catalogue, each metric's figures (suppressed per LIT), and recompute runs."""

import datetime

import pytest
from django.utils import timezone

from benefits import metrics
from benefits.models import MetricValue, RecomputeRun, RunStatus

API = "/api/v1"


@pytest.fixture
def figures(teams):
    now = timezone.now()
    lit = teams["newfield-house"]
    rows = []
    for month in range(1, 7):
        start = datetime.date(2025, month, 1)
        rows += [
            MetricValue(
                metric="admissions_avoided",
                period="month",
                period_start=start,
                value=60 + month,
                records=60 + month,
                computed_at=now,
            ),
            MetricValue(
                metric="admissions_avoided",
                period="month",
                period_start=start,
                team=lit,
                value=month,
                records=month,
                computed_at=now,
            ),
        ]
    rows.append(
        MetricValue(
            metric="admissions_avoided",
            period="week",
            period_start=datetime.date(2025, 1, 6),
            value=15,
            records=15,
            computed_at=now,
        )
    )
    MetricValue.objects.bulk_create(rows)
    return lit


def test_the_catalogue_lists_every_metric_with_its_area_and_direction(client, board_member):
    client.force_login(board_member)
    body = client.get(f"{API}/metrics/").json()
    assert [row["key"] for row in body] == [metric.key for metric in metrics.METRICS]
    ucr = next(row for row in body if row["key"] == "ucr_2_hour")
    assert ucr["area_name"] == "Resident outcomes and activity"
    assert ucr["better"] == "higher"
    assert ucr["target"] == "target_ucr_2h"


def test_a_metric_s_values_default_to_monthly_figures_for_all_of_ocit(client, board_member, figures):
    client.force_login(board_member)
    body = client.get(f"{API}/metrics/admissions_avoided/values/").json()
    assert len(body["results"]) == 6
    assert [row["value"] for row in body["results"]] == [61, 62, 63, 64, 65, 66]
    assert {row["lit"] for row in body["results"]} == {None}


def test_lit_values_under_five_are_suppressed(client, board_member, figures):
    client.force_login(board_member)
    rows = client.get(f"{API}/metrics/admissions_avoided/values/", {"lit": figures.code}).json()["results"]
    assert [(row["value"], row["suppressed"]) for row in rows] == [
        (None, True),
        (None, True),
        (None, True),
        (None, True),
        (5, False),
        (6, False),
    ]


def test_values_filter_by_period_and_dates(client, coordinator, figures):
    client.force_login(coordinator)
    weekly = client.get(f"{API}/metrics/admissions_avoided/values/", {"period": "week"}).json()
    assert [row["period_start"] for row in weekly["results"]] == ["2025-01-06"]
    spring = client.get(
        f"{API}/metrics/admissions_avoided/values/", {"date_from": "2025-03-01", "date_to": "2025-04-30"}
    )
    assert [row["period_start"] for row in spring.json()["results"]] == ["2025-03-01", "2025-04-01"]


def test_bad_filters_are_a_400_with_field_errors(client, board_member, figures):
    client.force_login(board_member)
    response = client.get(f"{API}/metrics/admissions_avoided/values/", {"period": "fortnight", "date_from": "soon"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"period", "date_from"}


def test_an_unknown_metric_is_a_404(client, board_member):
    client.force_login(board_member)
    assert client.get(f"{API}/metrics/nothing_here/values/").status_code == 404


@pytest.mark.parametrize("user", ["practitioner", "ward_nurse"])
def test_the_figures_are_for_the_board_coordinators_and_administrators(client, request, db, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(f"{API}/metrics/").status_code == 403
    assert client.get(f"{API}/recompute-runs/").status_code == 403


def test_recompute_runs_are_listed_newest_first(client, board_member):
    RecomputeRun.objects.create(
        trigger="nightly", status=RunStatus.SUCCEEDED, started_at=timezone.now() - datetime.timedelta(days=1)
    )
    RecomputeRun.objects.create(trigger="dashboard", status=RunStatus.FAILED, error="boom")
    client.force_login(board_member)
    rows = client.get(f"{API}/recompute-runs/").json()["results"]
    assert [(row["trigger"], row["status"]) for row in rows] == [("dashboard", "failed"), ("nightly", "succeeded")]


def test_only_administrators_start_a_recompute(client, board_member, sysadmin, in_process_tasks):
    client.force_login(board_member)
    assert client.post(f"{API}/recompute-runs/", {}, content_type="application/json").status_code == 403
    client.force_login(sysadmin)
    response = client.post(f"{API}/recompute-runs/", {"full": True}, content_type="application/json")
    assert response.status_code == 202
    run = RecomputeRun.objects.get()  # the task ran in the request (in_process_tasks)
    assert (run.status, run.full, run.trigger) == (RunStatus.SUCCEEDED, True, "api")


def test_a_recompute_while_one_runs_is_a_409(client, sysadmin):
    RecomputeRun.objects.create(trigger="nightly")
    client.force_login(sysadmin)
    assert client.post(f"{API}/recompute-runs/", {}, content_type="application/json").status_code == 409
