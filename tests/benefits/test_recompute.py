"""The recompute as a job: repeatable, all-or-nothing, one at a time, incremental, started from the command
line, the nightly beat schedule and a real Celery worker."""

import datetime
import io
import re
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import EagerResult
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from benefits import metrics, selectors, services
from benefits.models import HEARTBEAT_TIMEOUT, ExternalMeasure, MetricValue, RecomputeRun, RunStatus
from benefits.services import AlreadyRunning
from benefits.tasks import recompute_benefits_task
from caseload.models import Episode, EpisodeStatus, PackageStage, Sequel, Service, Source
from ocit.celery import app as celery_app
from referrals.models import Referral, ReferralStatus
from tests import factories
from tests.workers import celery_worker

LONDON = ZoneInfo("Europe/London")
TODAY = datetime.date(2025, 4, 2)  # complete periods: weeks to the one of 24 March, months to March
STEPS = len(services.FACTS) + 1 + len(metrics.METRICS) * 2 + 1  # facts, calendar, each metric twice, swap
NIGHTLY = settings.CELERY_BEAT_SCHEDULE["recompute-benefits-nightly"]


def at(day, hour=12, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def march(day):
    return datetime.date(2025, 3, day)


def records(lit="newfield-house"):
    """A little of everything in March 2025: closed and open episodes with packages, a spell with a delay
    and a ward referral, a front-door referral, a therapy contact and an imported figure."""
    team = factories.teams()[lit]
    person = factories.PatientFactory(team=team)
    episode = factories.EpisodeFactory(
        patient=person,
        service=Service.STEP_UP_REABLEMENT,
        received_at=at(march(3), 9),
        first_contact_at=at(march(3), 10),
        closed_at=at(march(12)),
        sequel=Sequel.LOW_LEVEL_SUPPORT,
    )
    factories.CarePackageFactory(episode=episode, stage=PackageStage.START, hours_per_week=Decimal(14))
    factories.CarePackageFactory(episode=episode, stage=PackageStage.END, hours_per_week=Decimal(7))
    factories.ContactFactory(episode=episode, at=at(march(5)))
    factories.EpisodeFactory(
        patient=factories.PatientFactory(team=team), service=Service.BED_BASED, received_at=at(march(10))
    )
    spell = factories.SpellFactory(patient=person, admitted_at=at(march(17)), discharged_at=at(march(24)))
    factories.NctrPeriodFactory(spell=spell, started_on=march(21))
    factories.ReferralFactory(
        patient=person, spell=spell, source=Source.WARD, received_at=at(march(18)), status=ReferralStatus.COMPLETED
    )
    factories.ReferralFactory(
        patient=factories.PatientFactory(team=team),
        source=Source.FRONT_DOOR,
        received_at=at(march(19), 9),
        decided_at=at(march(19), 10),
        status=ReferralStatus.ACCEPTED,
    )
    ExternalMeasure.objects.get_or_create(measure="ambulance_handover_minutes", on=march(4), value=Decimal(25))
    return person


def snapshot():
    """Every stored figure, exactly."""
    return list(
        MetricValue.objects.order_by("pk").values_list(
            "pk", "metric", "period", "period_start", "team_id", "value", "records", "computed_at"
        )
    )


def all_of_ocit(metric, period, start):
    return MetricValue.objects.values_list("value", "records").get(
        metric=metric, period=period, period_start=start, team=None
    )


def recompute(**kwargs):
    return services.recompute(**{"trigger": "command", "today": TODAY, **kwargs})


# Repeatable and all-or-nothing ------------------------------------------------------------------------


def test_a_second_recompute_gives_the_same_rows_with_the_same_ids(db):
    records()
    first = recompute(full=True)
    before = [row[:-1] for row in snapshot()]

    second = recompute(full=True)

    assert before and [row[:-1] for row in snapshot()] == before
    assert second.rows_written == first.rows_written == len(before)
    assert {row[-1] for row in snapshot()} == {second.started_at}  # every row rewritten by the second run


def test_a_full_run_reads_the_closures_from_its_episode_facts_as_the_selector_would(db):
    """`services.CLOSURES_FROM_EPISODE_FACTS` and `selectors.closure_facts` are two ways to the same rows."""
    records()
    for sequel, hours, born in (
        (Sequel.LONG_TERM_HIGHER, "21", datetime.date(1940, 1, 1)),
        (Sequel.NURSING_CARE, None, datetime.date(1970, 1, 1)),
        (Sequel.LONG_TERM_SAME, None, datetime.date(1960, 3, 12)),
    ):
        episode = factories.EpisodeFactory(
            patient=factories.PatientFactory(date_of_birth=born),
            received_at=at(march(11)),
            closed_at=at(march(20)),
            sequel=sequel,
        )
        if hours:
            factories.CarePackageFactory(episode=episode, stage=PackageStage.END, hours_per_week=Decimal(hours))
    columns = "team_id, closed_day, long_term_hours, care_home, aged_65"
    with connection.cursor() as cursor:
        sql, params = selectors.episode_facts(since=None, now=timezone.now())
        cursor.execute(f"CREATE TEMPORARY TABLE benefits_episode_facts AS {sql}", params)
        cursor.execute(f"SELECT {columns} FROM ({services.CLOSURES_FROM_EPISODE_FACTS}) q ORDER BY 1, 2, 3, 4, 5")  # noqa: S608
        from_episode_facts = cursor.fetchall()
        cursor.execute("DROP TABLE benefits_episode_facts")
        sql, params = selectors.closure_facts(since=None)
        cursor.execute(f"SELECT {columns} FROM ({sql}) q ORDER BY 1, 2, 3, 4, 5", params)  # noqa: S608
        from_the_selector = cursor.fetchall()
    assert len(from_episode_facts) == 4
    assert [tuple(map(_plain, row)) for row in from_episode_facts] == [
        tuple(map(_plain, row)) for row in from_the_selector
    ]


def _plain(value):
    return float(value) if value is not None else None


def test_a_figure_whose_records_are_gone_is_removed(db):
    person = records()
    recompute(full=True)
    assert MetricValue.objects.filter(metric="ward_referrals_within_24_hours").exists()

    Referral.objects.filter(patient=person, source=Source.WARD).delete()
    recompute(full=True)

    assert not MetricValue.objects.filter(metric="ward_referrals_within_24_hours").exists()


def test_a_recompute_failing_midway_leaves_the_previous_figures_exactly_as_they_were(db, monkeypatch):
    records()
    recompute(full=True)
    before = snapshot()
    records(lit="opal-centre")  # a successful run would now change the figures
    stage, calls = services._stage, []

    def fails_on_the_tenth_metric(cursor, metric, period, dialect):
        calls.append(metric.key)
        if len(calls) == 10:
            raise RuntimeError("the database server went away")
        stage(cursor, metric, period, dialect)

    monkeypatch.setattr(services, "_stage", fails_on_the_tenth_metric)

    with pytest.raises(RuntimeError, match="went away"):
        recompute(full=True)

    assert snapshot() == before
    run = RecomputeRun.objects.latest("started_at")
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: the database server went away"
    assert run.finished_at is not None
    assert run.steps_done == len(services.FACTS) + 1 + 9 < run.steps_total == STEPS
    monkeypatch.undo()
    assert recompute(full=True).status == RunStatus.SUCCEEDED  # the lock was released
    assert snapshot() != before


def test_a_failure_while_swapping_in_the_new_figures_undoes_the_whole_swap(db, monkeypatch):
    records()
    recompute(full=True)
    before = snapshot()
    records(lit="opal-centre")
    swap = services._swap

    def swaps_then_fails(**kwargs):
        assert swap(**kwargs) > 0  # every figure upserted and stale ones deleted…
        raise RuntimeError("connection lost before commit")  # …and then the transaction fails

    monkeypatch.setattr(services, "_swap", swaps_then_fails)

    with pytest.raises(RuntimeError):
        recompute(full=True)

    assert snapshot() == before
    assert RecomputeRun.objects.latest("started_at").status == RunStatus.FAILED


def test_a_metric_whose_sql_fails_leaves_the_figures_and_records_the_database_error(transactional_db, monkeypatch):
    # transactional_db: like the worker, the recompute runs in autocommit, not inside a test transaction.
    records()
    recompute(full=True)
    before = snapshot()
    broken = metrics.Metric(
        "broken",
        "Broken",
        metrics.Area.OUTCOMES,
        "count",
        "higher",
        "",
        "SELECT no_such_column FROM benefits_calendar",
        grouped=False,
    )
    middle = len(metrics.METRICS) // 2
    monkeypatch.setattr(metrics, "METRICS", [*metrics.METRICS[:middle], broken, *metrics.METRICS[middle:]])

    with pytest.raises(Exception, match="no_such_column"):
        recompute(full=True)

    assert snapshot() == before
    run = RecomputeRun.objects.latest("started_at")
    assert run.status == RunStatus.FAILED
    assert re.match(r"(OperationalError|ProgrammingError): .*no_such_column", run.error)
    assert not RecomputeRun.objects.filter(status=RunStatus.RUNNING).exists()


# One at a time ----------------------------------------------------------------------------------------


def test_a_killed_workers_run_is_marked_abandoned_by_the_next_run(db):
    records()
    long_ago = timezone.now() - HEARTBEAT_TIMEOUT - datetime.timedelta(minutes=1)
    killed = RecomputeRun.objects.create(trigger="nightly", started_at=long_ago, heartbeat_at=long_ago, steps_done=3)

    run = recompute(full=True)

    killed.refresh_from_db()
    assert killed.status == RunStatus.ABANDONED
    assert killed.finished_at == run.started_at
    assert "No sign of life for 15 minutes" in killed.error
    assert run.status == RunStatus.SUCCEEDED


def test_a_run_taken_over_by_another_worker_saves_nothing_and_stays_abandoned(db, monkeypatch):
    records()
    recompute(full=True)
    before = snapshot()
    records(lit="opal-centre")
    stage, calls = services._stage, []

    def taken_over_after_the_last_metric(cursor, metric, period, dialect):
        stage(cursor, metric, period, dialect)
        calls.append(metric.key)
        if len(calls) == 2 * len(metrics.METRICS):  # another worker found no sign of life and took over
            RecomputeRun.objects.filter(status=RunStatus.RUNNING).update(status=RunStatus.ABANDONED)

    monkeypatch.setattr(services, "_stage", taken_over_after_the_last_metric)

    with pytest.raises(services.LockLost):
        recompute(full=True)

    assert snapshot() == before
    assert RecomputeRun.objects.latest("started_at").status == RunStatus.ABANDONED


def test_a_run_showing_signs_of_life_keeps_the_lock(db):
    alive = RecomputeRun.objects.create(
        trigger="nightly", heartbeat_at=timezone.now() - HEARTBEAT_TIMEOUT + datetime.timedelta(minutes=1)
    )

    with pytest.raises(AlreadyRunning) as refused:
        recompute(trigger="dashboard")

    assert refused.value.run == alive
    assert list(RecomputeRun.objects.values_list("pk", "status")) == [(alive.pk, RunStatus.RUNNING)]


def test_the_database_refuses_a_second_running_run(db):
    RecomputeRun.objects.create(trigger="nightly", status=RunStatus.SUCCEEDED)
    RecomputeRun.objects.create(trigger="nightly")
    with pytest.raises(IntegrityError), transaction.atomic():
        RecomputeRun.objects.create(trigger="dashboard")
    RecomputeRun.objects.create(trigger="dashboard", status=RunStatus.FAILED)  # only running rows are limited


@pytest.mark.postgres
def test_a_recompute_started_while_another_runs_is_refused(transactional_db, monkeypatch):
    records()
    stage, staging, release = services._stage, threading.Event(), threading.Event()
    finished, errors = [], []

    def waits_for_the_second(*args):
        staging.set()
        release.wait(timeout=30)
        stage(*args)

    def first():
        try:
            finished.append(recompute(trigger="nightly", full=True))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    monkeypatch.setattr(services, "_stage", waits_for_the_second)
    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert staging.wait(timeout=30), "the first recompute never reached its metrics"
        with pytest.raises(AlreadyRunning) as refused:
            recompute(trigger="dashboard", full=True)
    finally:
        release.set()
        worker.join(timeout=60)

    assert not errors
    assert refused.value.run.pk == finished[0].pk
    assert list(RecomputeRun.objects.values_list("trigger", "status")) == [("nightly", RunStatus.SUCCEEDED)]
    assert MetricValue.objects.exists()


# Incremental ------------------------------------------------------------------------------------------


def test_an_incremental_run_recomputes_from_the_earliest_change_and_leaves_older_periods_alone(db):
    person = factories.PatientFactory(team=factories.teams()["newfield-house"])
    factories.EpisodeFactory(
        patient=person,
        received_at=at(datetime.date(2024, 11, 5)),
        closed_at=at(datetime.date(2024, 11, 20)),
        sequel=Sequel.NO_ONGOING_SUPPORT,
    )
    january = factories.EpisodeFactory(patient=person, received_at=at(datetime.date(2025, 1, 8)), service=Service.UCR)
    full = recompute(full=True)
    before = {row[1:5]: row[-1] for row in snapshot()}
    week_of_closing = datetime.date(2025, 1, 20)
    assert all_of_ocit("admissions_avoided", "week", week_of_closing) == (0, 0)

    # Closed months later (a direct update, as any save through the services stamps updated_at).
    Episode.objects.filter(pk=january.pk).update(
        status=EpisodeStatus.CLOSED,
        closed_at=at(datetime.date(2025, 1, 22)),
        sequel=Sequel.NO_ONGOING_SUPPORT,
        updated_at=timezone.now(),
    )
    run = recompute()

    assert (run.full, run.since) == (False, datetime.date(2025, 1, 8))  # the day the changed episode began
    after = {row[1:5]: row[-1] for row in snapshot()}
    # Nothing is lost; the closure adds figures (savings need a period with records) only where recomputed.
    assert before.keys() <= after.keys()
    for (metric, period, start, team), computed_at in after.items():
        recomputed = start >= (datetime.date(2025, 1, 6) if period == "week" else datetime.date(2025, 1, 1))
        assert computed_at == (run.started_at if recomputed else full.started_at), (metric, period, start, team)
    assert all_of_ocit("admissions_avoided", "week", week_of_closing) == (1, 1)


def test_with_nothing_changed_the_nightly_run_still_recomputes_the_last_two_months(db):
    records()
    recompute(full=True)

    run = recompute(trigger="nightly")

    assert (run.full, run.since) == (False, TODAY - datetime.timedelta(days=services.RECENT_DAYS))


def test_without_a_successful_run_before_it_the_nightly_run_recomputes_everything(db):
    records()
    RecomputeRun.objects.create(trigger="nightly", status=RunStatus.FAILED)

    run = recompute(trigger="nightly")

    assert (run.full, run.since) == (True, None)


# The command ------------------------------------------------------------------------------------------


def command(*args):
    out = io.StringIO()
    call_command("recompute_benefits", *args, stdout=out)
    return out.getvalue()


def test_the_command_recomputes_everything_with_full_and_prints_a_summary(db):
    records()

    printed = command("--full")

    run = RecomputeRun.objects.get()
    assert (run.trigger, run.full, run.since, run.status) == ("command", True, None, RunStatus.SUCCEEDED)
    summary = re.fullmatch(r"Recomputed all periods: (\d+) figures in \d+\.\d s \(run (\d+)\)\.\n", printed)
    assert summary, printed
    assert int(summary[1]) == run.rows_written == MetricValue.objects.count() > 0
    assert int(summary[2]) == run.pk


def test_the_command_recomputes_from_a_date_with_since(db):
    records()
    command("--full")
    before = {row[1:5]: row[-1] for row in snapshot()}

    printed = command("--since", "2025-03-12")

    run = RecomputeRun.objects.latest("started_at")
    assert (run.full, run.since) == (False, march(12))
    assert printed == (
        f"Recomputed periods from 12 Mar 2025: {run.rows_written} figures in "
        f"{(run.finished_at - run.started_at).total_seconds():.1f} s (run {run.pk}).\n"
    )
    after = {row[1:5]: row[-1] for row in snapshot()}
    assert after.keys() == before.keys()
    # The week of 12 March (from Monday the 10th) and the month of March on were recomputed; earlier not.
    recomputed = {key for key, computed_at in after.items() if computed_at == run.started_at}
    assert recomputed == {key for key in after if key[2] >= (march(10) if key[1] == "week" else march(1))}
    assert all(after[key] == before[key] for key in after.keys() - recomputed)
    assert {key[2] for key in after.keys() - recomputed} == {march(3)}  # only the week of 3 March kept


def test_the_command_makes_no_periods_before_the_first_record(db):
    records()  # the first on 3 March 2025

    command("--since", "2025-01-01")

    starts = MetricValue.objects.values_list("period", "period_start").distinct()
    assert min(start for period, start in starts if period == "week") == march(3)
    assert min(start for period, start in starts if period == "month") == march(1)


def test_the_command_takes_full_or_since_not_both(db):
    with pytest.raises(CommandError, match="not allowed with"):
        command("--full", "--since", "2025-03-01")
    assert not RecomputeRun.objects.exists()


def test_the_command_says_when_a_recompute_is_already_running(db):
    RecomputeRun.objects.create(trigger="nightly", started_at=at(TODAY, 2), heartbeat_at=timezone.now())

    with pytest.raises(CommandError, match=r"A recompute started at 02:00 is still running\."):
        command("--full")


# The run record ---------------------------------------------------------------------------------------


def test_the_run_records_its_progress_and_how_it_ended(db, sysadmin, monkeypatch):
    records()
    stage, progress = services._stage, []

    def watched(*args):
        progress.append(RecomputeRun.objects.values_list("status", "steps_done", "steps_total").get())
        stage(*args)

    monkeypatch.setattr(services, "_stage", watched)

    run = services.recompute(trigger="dashboard", full=True, actor=sysadmin, today=TODAY)

    # While running: one step per fact table, the calendar, then each metric for weeks and for months.
    assert progress == [
        (RunStatus.RUNNING, len(services.FACTS) + 1 + n, STEPS) for n in range(len(metrics.METRICS) * 2)
    ]
    assert (run.status, run.trigger, run.started_by, run.full, run.since) == (
        RunStatus.SUCCEEDED,
        "dashboard",
        sysadmin,
        True,
        None,
    )
    assert run.steps_done == run.steps_total == STEPS and run.percent_done == 100
    assert run.started_at <= run.finished_at <= timezone.now()
    assert abs(run.heartbeat_at - run.finished_at) < datetime.timedelta(seconds=1)
    assert run.rows_written == MetricValue.objects.count() > 0
    assert run.error == ""


# The nightly schedule and the worker ------------------------------------------------------------------


def test_the_nightly_run_is_scheduled_at_2am_london_time_and_names_a_registered_task():
    assert isinstance(NIGHTLY["schedule"], crontab)
    assert (NIGHTLY["schedule"].hour, NIGHTLY["schedule"].minute) == ({2}, {0})
    assert NIGHTLY["schedule"].day_of_week == set(range(7))
    assert settings.CELERY_TIMEZONE == celery_app.conf.timezone == "Europe/London"
    assert celery_app.conf.beat_schedule["recompute-benefits-nightly"] == NIGHTLY
    assert NIGHTLY["kwargs"] == {"trigger": "nightly"}
    celery_app.loader.import_default_modules()  # autodiscovery, as a worker starts
    assert NIGHTLY["task"] in celery_app.tasks
    assert NIGHTLY["task"] == recompute_benefits_task.name


def test_the_task_recomputes_from_a_date_given_as_text(db):
    records()

    result = recompute_benefits_task.apply(kwargs={**NIGHTLY["kwargs"], "since": "2025-03-12"}).get()

    run = RecomputeRun.objects.get()
    assert result == {"run": run.pk, "status": RunStatus.SUCCEEDED, "rows_written": run.rows_written}
    assert (run.trigger, run.since) == ("nightly", march(12))


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_runs_the_nightly_task_against_the_test_database(transactional_db, tmp_path):
    assert not celery_app.conf.task_always_eager, "with REDIS_URL set, tasks must go through the broker"
    person = factories.PatientFactory(team=factories.teams()["tile-hill"])
    received = timezone.now() - datetime.timedelta(days=20)
    factories.EpisodeFactory(patient=person, received_at=received)
    log = tmp_path / "worker.log"
    with celery_worker(log) as (queue, _):
        # The app ignores results; this test asks for the answer to wait on it.
        result = celery_app.send_task(NIGHTLY["task"], kwargs=NIGHTLY["kwargs"], queue=queue, ignore_result=False)
        assert not isinstance(result, EagerResult)
        try:
            answer = result.get(timeout=120)
        except CeleryTimeoutError:
            pytest.fail(f"no answer from the worker within 120 s. Its log:\n{log.read_text()}")

    run = RecomputeRun.objects.get()
    assert answer == {"run": run.pk, "status": "succeeded", "rows_written": run.rows_written}
    assert (run.trigger, run.status, run.full) == ("nightly", RunStatus.SUCCEEDED, True)
    assert run.rows_written == MetricValue.objects.count() > 0
    week = timezone.localdate(received) - datetime.timedelta(days=timezone.localdate(received).weekday())
    assert all_of_ocit("patients_supported", "week", week) == (1, 1)


def test_the_reconcile_check_finds_a_saving_dated_before_go_live(db):
    from benefits import reconcile

    MetricValue.objects.create(
        metric="total_saving", period="month", period_start=datetime.date(2024, 3, 1), value=1_000_000, records=1,
        computed_at=timezone.now(),
    )  # fmt: skip
    check = next(check for check in reconcile.checks() if check.section == "No saving before go-live")
    assert (check.measured, check.ok) == (1, False)
