"""The dashboard pages serve their figures from the cache until a recompute succeeds or an assumption or plan changes;
what differs by user (the recompute button, whether records can be seen) is never cached."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benefits.models import Assumption, AssumptionKey, FinancePlan, MetricValue, RecomputeRun, RunStatus

MONTHS = [datetime.date(2025, month, 1) for month in range(1, 13)]
RANGE = {"period": "month", "start": "2025-01-01", "end": "2025-12-31"}
PAGES = [
    ("benefits:dashboard", ()),
    ("benefits:board_pack", ()),
    ("benefits:metric", ("admissions_avoided",)),
    ("benefits:finance", ()),
]


def succeeded_run():
    now = timezone.now()
    return RecomputeRun.objects.create(trigger="nightly", status=RunStatus.SUCCEEDED, started_at=now, finished_at=now)


@pytest.fixture
def figures(teams):
    """A year of admissions avoided (all of OCIT: 70 in January to 81 in December; Newfield House: 3 in March,
    else 20+), the UCR 2-hour share and the total saving, and a successful run."""
    lit, now = teams["newfield-house"], timezone.now()
    rows = []
    for i, month in enumerate(MONTHS):
        rows += [
            MetricValue(metric="admissions_avoided", period="month", period_start=month, value=70 + i, records=70 + i),
            MetricValue(
                metric="admissions_avoided",
                period="month",
                period_start=month,
                team=lit,
                value=3 if month.month == 3 else 20 + i,
                records=3 if month.month == 3 else 20 + i,
            ),
            MetricValue(metric="ucr_2_hour", period="month", period_start=month, value=72.5, records=200),
            MetricValue(metric="total_saving", period="month", period_start=month, value=100_000, records=40),
        ]
    for row in rows:
        row.computed_at = now
    MetricValue.objects.bulk_create(rows)
    succeeded_run()
    return lit


def page(client, user, name, *args, **params):
    client.force_login(user)
    response = client.get(reverse(name, args=args), {**RANGE, **params})
    assert response.status_code == 200
    return response.content.decode()


def a_new_december(value):
    """December's figure for all of OCIT changed, as the next recompute would change it."""
    MetricValue.objects.filter(metric="admissions_avoided", team=None, period_start=MONTHS[-1]).update(value=value)


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_a_second_request_for_the_same_filters_reads_no_stored_figures(client, board_member, figures, name, args):
    client.force_login(board_member)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse(name, args=args), RANGE)
    with CaptureQueriesContext(connection) as second:
        client.get(reverse(name, args=args), RANGE)
    assert any("benefits_metricvalue" in query["sql"] for query in first)
    assert not any("benefits_metricvalue" in query["sql"] for query in second)
    assert len(second) < len(first)


# December's figure as each page shows it: in the dashboard's table, and in the board pack's chart (its point).
SHOWN = [("benefits:dashboard", ">{}<"), ("benefits:board_pack", "Dec 2025: {} (")]


@pytest.mark.parametrize(("name", "shown"), SHOWN)
def test_a_new_successful_run_gives_fresh_figures(client, board_member, figures, name, shown):
    assert shown.format(81) in page(client, board_member, name)
    a_new_december(500)
    assert shown.format(81) in page(client, board_member, name)  # served from the cache: the last run's figures
    succeeded_run()
    assert shown.format(500) in page(client, board_member, name)


def test_a_new_successful_run_gives_a_metric_page_and_its_export_fresh_figures(client, board_member, figures):
    page(client, board_member, "benefits:metric", "admissions_avoided")
    a_new_december(500)
    succeeded_run()
    assert ">500<" in page(client, board_member, "benefits:metric", "admissions_avoided")
    export = page(client, board_member, "benefits:export_csv", "admissions_avoided")
    assert export.splitlines()[-1].split(",")[5:7] == ["2025-12-01", "500.0"]


def test_a_run_that_fails_keeps_the_figures_of_the_last_that_succeeded(client, board_member, figures):
    page(client, board_member, "benefits:dashboard")
    now = timezone.now()
    RecomputeRun.objects.create(trigger="nightly", status=RunStatus.FAILED, started_at=now, finished_at=now)
    assert ">81<" in page(client, board_member, "benefits:dashboard")


def test_an_assumption_changed_in_the_admin_gives_fresh_figures(client, board_member, sysadmin, figures):
    assert "83.0%" not in page(client, board_member, "benefits:dashboard")
    target = Assumption.objects.get(key=AssumptionKey.TARGET_UCR_2H)
    client.force_login(sysadmin)
    response = client.post(
        f"/admin/benefits/assumption/{target.pk}/change/",
        {"key": target.key, "effective_from": target.effective_from.isoformat(), "value": "83.00", "source": "New"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert "83.0%" in page(client, board_member, "benefits:dashboard")
    assert "83.0%" in page(client, board_member, "benefits:metric", "ucr_2_hour")


def test_an_assumption_changed_without_the_admin_gives_fresh_figures(client, board_member, figures):
    # As seed_demo and data migrations change them: an UPDATE, with no signal and no change time.
    page(client, board_member, "benefits:board_pack")
    page(client, board_member, "benefits:metric", "ucr_2_hour")
    Assumption.objects.filter(key=AssumptionKey.TARGET_UCR_2H).update(value=Decimal("83"))
    assert "83.0%" in page(client, board_member, "benefits:board_pack")
    assert "83.0%" in page(client, board_member, "benefits:metric", "ucr_2_hour")


def test_a_source_or_plan_changed_gives_a_fresh_finance_page(client, board_member, sysadmin, figures):
    assert "£4,113,000" in page(client, board_member, "benefits:finance")
    Assumption.objects.filter(key=AssumptionKey.ACUTE_BED_DAY_COST).update(source="The 2025/26 tariff")
    assert "The 2025/26 tariff" in page(client, board_member, "benefits:finance")
    plan = FinancePlan.objects.get(year_starting=2025)
    client.force_login(sysadmin)
    response = client.post(
        f"/admin/benefits/financeplan/{plan.pk}/change/",
        {"year_starting": 2025, "short_term_beds": 641, "long_term_beds": 1342, "home_support": 2230},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert "£4,213,000" in page(client, board_member, "benefits:finance")
    export = page(client, board_member, "benefits:export_csv", "finance")
    assert "4213000.0" in export


@pytest.mark.parametrize(("name", "shown"), SHOWN)
def test_each_lit_has_its_own_figures(client, board_member, figures, name, shown):
    assert shown.format(81) in page(client, board_member, name)
    lit = page(client, board_member, name, lit=figures.pk)
    assert shown.format(31) in lit and shown.format(81) not in lit  # Newfield House's December


def test_a_lit_s_figures_are_suppressed_after_all_of_ocit_s_were_cached(client, board_member, figures):
    assert "Some periods are suppressed" not in page(client, board_member, "benefits:metric", "admissions_avoided")
    lit = page(client, board_member, "benefits:metric", "admissions_avoided", lit=figures.pk)
    assert "Some periods are suppressed" in lit


def test_what_differs_by_user_is_never_served_from_the_cache(client, board_member, coordinator, sysadmin, figures):
    assert "Recalculate now" in page(client, sysadmin, "benefits:dashboard")
    assert "Recalculate now" not in page(client, board_member, "benefits:dashboard")
    assert "(as counts)" not in page(client, coordinator, "benefits:metric", "admissions_avoided")
    assert "(as counts)" in page(client, board_member, "benefits:metric", "admissions_avoided")


def test_the_pages_stay_up_when_the_cache_does_not_answer(client, board_member, figures, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert ">81<" in page(client, board_member, "benefits:dashboard")
    assert "£4,113,000" in page(client, board_member, "benefits:finance")
