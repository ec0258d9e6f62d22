"""Savings against a counterfactual, reproducing the seeds' own derivations by hand.

Every saving is (what the baseline says would have happened without OCIT − what the records say
happened) × a unit cost, from go-live (Monday 1 July 2024, the `ocit_live` assumption) and only in
periods with the records the line needs [domain.md, "How the seeds turn activity into money"]:

- ~5 fewer long-term care hours started a week, each lasting an 80-week package: 400 hours a week
  saved, × 52 × £20 = £416,000 a year ("over £415k");
- ~2 fewer short-term beds in use × 52 × £673 a week = £69,992 ("about £70k");
- ~250 fewer long-term bed weeks a year × £800 = about £200,000.

Weeks run Monday to Sunday; go-live is a Monday, so week n of OCIT starts 7n days after it.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pytest import approx

from benefits import services
from benefits.models import Assumption, AssumptionKey, MetricValue
from caseload.models import PackageStage, Sequel, Service, Source
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
GO_LIVE = datetime.date(2024, 7, 1)
TODAY = datetime.date(2027, 1, 13)  # 132 complete weeks after go-live


def week(n):
    """The Monday starting week n of OCIT (week 0 is go-live)."""
    return GO_LIVE + datetime.timedelta(weeks=n)


def at(day, hour=12):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def assume(key, value):
    """Set a default assumption (in force from April 2024) for the test."""
    Assumption.objects.filter(key=key).update(value=Decimal(value))


def recompute():
    return services.recompute(trigger="command", full=True, today=TODAY)


def weekly(metric):
    rows = MetricValue.objects.filter(metric=metric, period="week", team__isnull=True).order_by("period_start")
    return {row.period_start: row.value for row in rows}


def closing(day, *, sequel=Sequel.NO_ONGOING_SUPPORT, long_term_hours=None):
    """An episode closing at noon on a day; with `long_term_hours`, into a long-term package of that size."""
    episode = factories.EpisodeFactory(
        service=Service.STEP_DOWN_REABLEMENT,
        source=Source.WARD,
        received_at=at(day - datetime.timedelta(days=14)),
        closed_at=at(day),
        sequel=sequel,
    )
    if long_term_hours is not None:
        factories.CarePackageFactory(
            episode=episode, stage=PackageStage.END, hours_per_week=Decimal(long_term_hours), effective_on=day
        )
    return episode


def a_closure_every_week(weeks, **kwargs):
    """One episode closing on the Wednesday of each week: every week has the records the lines need."""
    for n in range(weeks):
        closing(week(n) + datetime.timedelta(days=2), **kwargs)


def test_five_fewer_long_term_hours_a_week_build_up_to_400_hours_saved_worth_416000_a_year():
    assume(AssumptionKey.BASELINE_LONG_TERM_HOURS, "5")  # 5 hours a week started before OCIT, none now
    a_closure_every_week(132)

    recompute()

    saved = weekly("care_hours_saved")
    # Each live day adds 5/7 of a weekly hour; a package lasts 80 weeks (560 days), so on day k of OCIT the
    # hours being saved are min(k + 1, 560) × 5/7. Week 0: days 0..6 → (1 + … + 7)/7 × 5/7 = 4 × 5/7.
    assert saved[week(0)] == approx(4 * 5 / 7)
    assert saved[week(1)] == approx(11 * 5 / 7)
    assert saved[week(79)] == approx(557 * 5 / 7)  # days 553..559: still building
    # From week 80 every day holds the full 80 weeks: 5 × 80 = 400 hours a week saved.
    assert all(saved[week(n)] == approx(400) for n in range(80, 132))
    # Worth 400 hours × £20 = £8,000 a week; a year of it is 400 × 52 × £20 = £416,000 (the seeds' "over £415k").
    money = weekly("home_care_saving")
    assert money[week(80)] == approx(8_000)
    assert sum(money[week(n)] for n in range(80, 132)) == approx(400 * 52 * 20) == 416_000


def test_long_term_hours_started_reduce_the_saving_for_as_long_as_the_package_lasts():
    assume(AssumptionKey.BASELINE_LONG_TERM_HOURS, "14")  # 2 weekly hours a day before OCIT
    assume(AssumptionKey.LONG_TERM_PACKAGE_WEEKS, "2")  # a package lasts 14 days
    a_closure_every_week(6)
    closing(week(1) + datetime.timedelta(days=2), sequel=Sequel.LONG_TERM_SAME, long_term_hours="21")

    recompute()

    saved = weekly("care_hours_saved")
    # Days 0..13 each add 2: week 0 mean (2 + 4 + … + 14)/7 = 8. Day 9 (Wednesday of week 1) adds 2 - 21 = -19.
    # Week 1, days 7..13: 16, 18, -1, 1, 3, 5, 7 → 49/7 = 7.
    assert saved[week(0)] == approx(8)
    assert saved[week(1)] == approx(7)
    # Week 2, days 14..20: the 14 days to each day; day 9 still inside until day 22: 28 - 21 = 7 for days 14..22.
    assert saved[week(2)] == approx(7)
    # Week 3, days 21..27: day 9 drops out from day 23 (the package has run its 14 days): 7, 7, 28 × 5 → 154/7.
    assert saved[week(3)] == approx(154 / 7)
    assert weekly("long_term_hours_started")[week(1)] == approx(21)


def test_no_saving_before_go_live_and_none_in_a_week_without_records():
    assume(AssumptionKey.BASELINE_LONG_TERM_HOURS, "7")  # 1 weekly hour a day
    for n in range(-8, 0):
        closing(week(n) + datetime.timedelta(days=2))  # before go-live
    for n in (0, 1, 3):
        closing(week(n) + datetime.timedelta(days=2))  # nothing closed in week 2

    recompute()

    saved = weekly("care_hours_saved")
    assert min(saved) == week(0)  # nothing dated before go-live
    assert not MetricValue.objects.filter(metric__endswith="_saving", period_start__lt=GO_LIVE).exists()
    # Week 2 had no records: no figure, and it adds nothing to the hours saved (never the whole baseline).
    assert week(2) not in saved and week(2) not in weekly("home_care_saving")
    # Days 0..13 add 1 each; days 14..20 add nothing; days 21..27 add 1 each: week 3 (15 + … + 21)/7 = 18.
    assert saved[week(1)] == approx(11)
    assert saved[week(3)] == approx(18)


def test_two_fewer_short_term_beds_save_about_70000_a_year():
    assume(AssumptionKey.BASELINE_SHORT_TERM_BEDS, "3")  # 3 beds in use before OCIT; 1 now
    factories.EpisodeFactory(
        service=Service.BED_BASED,
        source=Source.WARD,
        received_at=at(GO_LIVE, 0),
        closed_at=at(week(52), 0),  # open every day of weeks 0..51
        sequel=Sequel.NO_ONGOING_SUPPORT,
    )

    recompute()

    beds = weekly("short_term_beds_saved")
    assert all(beds[week(n)] == approx(2) for n in range(52))
    money = weekly("short_term_bed_saving")
    # 2 beds × £673 a week = £1,346; a year: 2 × 52 × £673 = £69,992 (the seeds' "about £70k").
    assert money[week(0)] == approx(1_346)
    assert sum(money[week(n)] for n in range(52)) == approx(2 * 52 * 673) == 69_992
    # After the last bed closed there are no short-term bed records: no figure, not 3 beds' worth.
    assert week(52) not in money and week(52) not in beds


def test_about_250_fewer_long_term_bed_weeks_a_year_save_about_200000():
    # 4.82 fewer permanent care-home admissions a year than before OCIT (none now), each place lasting 52 weeks.
    assume(AssumptionKey.BASELINE_CARE_HOME_ADMISSIONS, "4.82")
    assume(AssumptionKey.CARE_HOME_STAY_WEEKS, "52")
    a_closure_every_week(104)

    recompute()

    beds = weekly("long_term_beds_saved")
    # Each day avoids 4.82/365.25 of a place; after 52 weeks (364 days) 4.82 × 364/365.25 ≈ 4.80 beds are saved.
    steady = 4.82 * 364 / 365.25
    assert all(beds[week(n)] == approx(steady) for n in range(52, 104))
    # A year of that: 52 × 4.80 ≈ 250 bed weeks, × £800 ≈ £200,000 (the seeds' "almost 250 … almost £200k").
    bed_weeks = sum(beds[week(n)] for n in range(52, 104))
    assert 249 < bed_weeks < 250
    money = weekly("long_term_bed_saving")
    assert sum(money[week(n)] for n in range(52, 104)) == approx(bed_weeks * 800)
    assert 199_000 < bed_weeks * 800 < 200_000


def test_a_permanent_care_home_admission_cancels_the_saving_it_would_have_made():
    assume(AssumptionKey.BASELINE_CARE_HOME_ADMISSIONS, "365.25")  # one a day before OCIT
    assume(AssumptionKey.CARE_HOME_STAY_WEEKS, "1")
    a_closure_every_week(3)
    closing(week(1) + datetime.timedelta(days=2), sequel=Sequel.RESIDENTIAL_CARE)
    closing(week(1) + datetime.timedelta(days=3), sequel=Sequel.NURSING_CARE)

    recompute()

    beds = weekly("long_term_beds_saved")
    # Day k holds the last 7 days' reductions of 1 each; days 9 and 10 each had an admission (1 - 1 = 0).
    # Week 0: (1 + … + 7)/7 = 4. Week 1, days 7..13: 7, 7, 6, 5, 5, 5, 5 → 40/7. Week 2, days 14..20: days 9 and
    # 10 leave the 7-day window on days 16 and 17: 5, 5, 6, 7, 7, 7, 7 → 44/7.
    assert beds[week(0)] == approx(4)
    assert beds[week(1)] == approx(40 / 7)
    assert beds[week(2)] == approx(44 / 7)
    # The money is the beds × £800 a week.
    assert weekly("long_term_bed_saving")[week(1)] == approx(40 / 7 * 800)


def test_the_total_and_the_system_benefit_add_up_the_lines():
    assume(AssumptionKey.BASELINE_LONG_TERM_HOURS, "7")
    assume(AssumptionKey.BASELINE_SHORT_TERM_BEDS, "3")
    a_closure_every_week(2)
    factories.EpisodeFactory(
        service=Service.BED_BASED,
        source=Source.WARD,
        received_at=at(GO_LIVE, 0),
        closed_at=at(week(2), 0),
        sequel=Sequel.NO_ONGOING_SUPPORT,
    )

    recompute()

    home = weekly("home_care_saving")[week(0)]
    short = weekly("short_term_bed_saving")[week(0)]
    long = weekly("long_term_bed_saving")[week(0)]
    assert home == approx(4 * 20)  # mean stock 4 hours a week (1..7 over the week) × £20
    assert short == approx(2 * 673)
    assert weekly("total_saving")[week(0)] == approx(home + short + long)
    acute = weekly("acute_bed_day_saving").get(week(0), 0)
    assert weekly("system_benefit")[week(0)] == approx(home + short + long + acute)
