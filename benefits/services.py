"""The recompute: every metric for every period, from the records, in set-based SQL.

1. Claim the run: a `RecomputeRun` row in state "running" (at most one, a database constraint).
   A run that stops showing signs of life for `HEARTBEAT_TIMEOUT` is marked abandoned, freeing the lock.
2. Build the facts (one temporary table per kind of record) and the calendar of complete periods.
3. Compute each metric into a staging table, one INSERT … SELECT per metric and kind of period.
4. In one transaction: upsert the staged figures keyed by metric, period and LIT, delete figures in
   the recomputed range that no longer exist, and mark the run succeeded. A failure or a killed
   worker before this point leaves the previous figures exactly as they were.
"""

import datetime
import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from benefits import metrics, selectors
from benefits.models import AssumptionKey, Period, RecomputeRun, RunStatus
from caseload import selectors as caseload_selectors

logger = logging.getLogger(__name__)

HISTORY_BEFORE_GO_LIVE = datetime.timedelta(days=5 * 365)  # the figures reach no further back than this
RECENT_DAYS = 62  # the nightly run always recomputes the last two months, changed or not

FACTS = {f"benefits_{name}_facts": facts for name, facts in selectors.FACTS.items()}
WORK_TABLES = [
    *FACTS,
    "benefits_calendar",
    "benefits_days",
    "benefits_stock",
    "benefits_population",
    "benefits_staging",
]
PARALLEL = ("parallel_setup_cost", "parallel_tuple_cost")  # zero while the facts are read: parallel when it can
YEAR = datetime.timedelta(days=366)  # the rolling-year figures look this far back from the recomputed periods
# `selectors.closure_facts` over the episode facts a full run has already built (tested to give the same rows).
CLOSURES_FROM_EPISODE_FACTS = (
    "SELECT team_id, closed_day, "  # noqa: S608
    f"CASE WHEN sequel IN ({metrics.LONG_TERM_SEQUELS}) THEN end_hours END AS long_term_hours, "
    f"CASE WHEN sequel IN ({metrics.CARE_HOME}) THEN 1 ELSE 0 END AS care_home, closed_aged_65 AS aged_65 "
    "FROM benefits_episode_facts WHERE closed_day IS NOT NULL"
)


class LockLost(Exception):
    pass


class AlreadyRunning(Exception):
    def __init__(self, run):
        super().__init__(f"A recompute started at {timezone.localtime(run.started_at):%H:%M} is still running.")
        self.run = run


def recompute(*, trigger, full=False, since=None, actor=None, today=None):
    """Recompute the stored figures and return the finished run.

    Without `full` or `since`, the periods from the earliest change since the last successful run
    (and always the last two months); `full` recomputes everything; `since` every period from a date.
    """
    now = timezone.now()
    today = today or timezone.localdate(now)
    run = _claim(trigger=trigger, actor=actor, now=now)
    try:
        start = _start_day(full=full, since=since, today=today)
        RecomputeRun.objects.filter(pk=run.pk).update(full=start is None, since=start)
        _compute(run=run, start=start, today=today, now=now)
    except Exception as exc:
        logger.exception("Recompute %s failed", run.pk)
        RecomputeRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:4000]
        )
        raise
    finally:
        _drop_work_tables()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for setting in (
                    "jit",
                    "default_statistics_target",
                    "work_mem",
                    "parallel_setup_cost",
                    "parallel_tuple_cost",
                ):
                    cursor.execute(f"RESET {setting}")
    run.refresh_from_db()
    return run


def _claim(*, trigger, actor, now):
    RecomputeRun.objects.abandon_stale(now)
    try:
        with transaction.atomic():
            return RecomputeRun.objects.create(trigger=trigger, started_by=actor, started_at=now, heartbeat_at=now)
    except IntegrityError:
        raise AlreadyRunning(RecomputeRun.objects.get(status=RunStatus.RUNNING)) from None


def _start_day(*, full, since, today):
    """The first day to recompute, or None for everything."""
    if full:
        return None
    if since:
        return since
    last = selectors.last_successful_run()
    if last is None:
        return None
    changed = selectors.earliest_change_since(last.started_at)
    recent = today - datetime.timedelta(days=RECENT_DAYS)
    return min(changed, recent) if changed else recent


def _compute(*, run, start, today, now):
    week_from = month_from = None
    if start:
        week_from = start - datetime.timedelta(days=start.weekday())
        month_from = start.replace(day=1)
    facts_from = min(week_from, month_from) if start else None
    assumptions = selectors.assumptions_by_key()
    live_from = selectors.live_from(assumptions)
    kinds = [Period.WEEK, Period.MONTH]
    steps = len(FACTS) + 1 + len(metrics.METRICS) * len(kinds) + 1
    RecomputeRun.objects.filter(pk=run.pk).update(steps_total=steps)

    _drop_work_tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Many short aggregate statements: compiling each one (JIT) would cost more than running it.
            cursor.execute("SET jit = off")
            cursor.execute("SET default_statistics_target = 10")  # a small sample is enough to plan the aggregates
            cursor.execute("SET work_mem = '64MB'")  # sorts and hashes of the facts in memory, not on disk
            # The facts are read from the tables in parallel where the server can (temporary tables, which the
            # metrics read, cannot be).
            for setting in PARALLEL:
                cursor.execute(f"SET {setting} = 0")
        for table, facts in FACTS.items():
            since = facts_from
            if facts is selectors.closure_facts and facts_from:
                # Savings build up from go-live, and rolling-year figures look back a year.
                since = min(facts_from - YEAR, live_from or facts_from)
            if facts is selectors.closure_facts and not facts_from:
                # A full run already holds every episode: the closures are read from its facts, not again.
                sql, params = CLOSURES_FROM_EPISODE_FACTS, []
            else:
                sql, params = selectors.facts_sql(facts, since=since, now=now)
            cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {sql}", params)
            cursor.execute(f"ANALYZE {table}")  # temporary tables get no statistics otherwise
            _step(run)
        if connection.vendor == "postgresql":
            for setting in PARALLEL:
                cursor.execute(f"RESET {setting}")
        earliest = selectors.earliest_record_day()  # no periods before the first record: nothing to count yet
        if earliest and live_from:
            # Nor before the years the baselines and charts look back on, whatever date a record claims.
            earliest = max(earliest, live_from - HISTORY_BEFORE_GO_LIVE)
        first = max(facts_from, earliest) if facts_from and earliest else earliest
        _days(cursor, assumptions, live_from=live_from, today=today)
        _calendar(cursor, assumptions, first=first, today=today)
        _stocks(cursor)
        _population(cursor)
        cursor.execute(
            "CREATE TEMPORARY TABLE benefits_staging (metric varchar(60), period varchar(8), start_day integer, "
            "team_id bigint, value double precision, records integer)"
        )
        _step(run)
        dialect = selectors.dialect(today=today, earliest=earliest)
        for period in kinds:
            for metric in metrics.METRICS:
                _stage(cursor, metric, period, dialect)
                _step(run)

    with transaction.atomic():
        written = _swap(week_from=week_from, month_from=month_from, now=now)
        still_ours = RecomputeRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.SUCCEEDED,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            steps_done=steps,
            rows_written=written,
        )
        if not still_ours:  # another worker found no sign of life and took over: its figures win
            raise LockLost(f"Run {run.pk} was marked abandoned while it ran; its figures were not saved.")


def _step(run):
    RecomputeRun.objects.filter(pk=run.pk).update(steps_done=F("steps_done") + 1, heartbeat_at=timezone.now())


def _periods(first, today):
    """Every complete week (Monday to Sunday) and calendar month from the one holding `first`."""
    if first is None:
        return
    week = first - datetime.timedelta(days=first.weekday())
    while week + datetime.timedelta(days=7) <= today:
        yield Period.WEEK, week, week + datetime.timedelta(days=7)
        week += datetime.timedelta(days=7)
    month = first.replace(day=1)
    while True:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        if following > today:
            break
        yield Period.MONTH, month, following
        month = following


def _assumption_columns():
    return ", ".join(f"{key} double precision" for key in AssumptionKey.values)


def _in_force(assumptions, day):
    return [float(selectors.assumption_in_force(assumptions, key, day)[0] or 0) for key in AssumptionKey.values]


def _days(cursor, assumptions, *, live_from, today):
    """One row per day from go-live to yesterday with the assumptions in force that day (none before go-live:
    no saving is counted before it)."""
    windows = ", ".join(f"window_{line} integer" for line in metrics.STOCKS)
    cursor.execute(
        f"CREATE TEMPORARY TABLE benefits_days (day integer, week integer, {windows}, {_assumption_columns()})"
    )
    rows = []
    day = live_from
    while day and day < today:
        number = selectors.day_number(day)
        # How many days a stock line's reductions last (its length in weeks), rounded the same on any database.
        lasting = [
            int(7 * float(selectors.assumption_in_force(assumptions, stock.length, day)[0] or 0) + 0.5)
            for stock in metrics.STOCKS.values()
        ]
        rows.append([number, number - (number + 5) % 7, *lasting, *_in_force(assumptions, day)])
        day += datetime.timedelta(days=1)
    placeholders = ", ".join(["%s"] * (2 + len(metrics.STOCKS) + len(AssumptionKey.values)))
    cursor.executemany(f"INSERT INTO benefits_days VALUES ({placeholders})", rows)  # noqa: S608
    cursor.execute("CREATE INDEX benefits_days_day ON benefits_days (day)")
    cursor.execute("ANALYZE benefits_days")


def _calendar(cursor, assumptions, *, first, today):
    """Every complete period from `first`, with its days, the days OCIT was live, and the assumptions in force
    at its start."""
    cursor.execute(
        "CREATE TEMPORARY TABLE benefits_calendar (period varchar(8), start_day integer, end_day integer, "
        f"year_before_end integer, days integer, live_days double precision, {_assumption_columns()})"
    )
    rows = []
    for period, start, end in _periods(first, today):
        live_days = sum(
            float(
                selectors.assumption_in_force(assumptions, AssumptionKey.OCIT_LIVE, start + datetime.timedelta(n))[0]
                or 0
            )
            for n in range((end - start).days)
        )
        rows.append(
            [
                period,
                selectors.day_number(start),
                selectors.day_number(end),
                selectors.day_number(_year_before(end)),
                (end - start).days,
                live_days,
                *_in_force(assumptions, start),
            ]
        )
    placeholders = ", ".join(["%s"] * (6 + len(AssumptionKey.values)))
    cursor.executemany(f"INSERT INTO benefits_calendar VALUES ({placeholders})", rows)  # noqa: S608
    cursor.execute("CREATE INDEX benefits_calendar_periods ON benefits_calendar (period, start_day)")
    cursor.execute("ANALYZE benefits_calendar")


def _year_before(day):
    """The same day a year earlier (28 February for 29 February)."""
    return day.replace(year=day.year - 1) if (day.month, day.day) != (2, 29) else day.replace(year=day.year - 1, day=28)


def _stocks(cursor):
    """The daily running totals of the savings that build up (`metrics.STOCKS`), for all of OCIT.

    Each live day, the reduction is (baseline per day − what closed episodes started that day), but only in
    a week in which some episode closed (a week without records saves nothing, never the whole baseline).
    What was avoided in the last `length` weeks is still being saved: the stock on a day is the running total
    of reductions less the running total `length` weeks before. A day's saving is the stock × the cost of one
    for a week ÷ 7.
    """
    cursor.execute(
        "CREATE TEMPORARY TABLE benefits_stock (line varchar(20), day integer, stock double precision, "
        "saving double precision, records integer)"
    )
    for line, stock in metrics.STOCKS.items():
        cursor.execute(
            f"""
            INSERT INTO benefits_stock (line, day, stock, saving, records)
            WITH started AS (
                SELECT closed_day, SUM(COALESCE({stock.value}, 0)) AS amount, COUNT(*) AS records
                FROM benefits_closure_facts GROUP BY closed_day
            ), weeks AS (
                SELECT closed_day - (closed_day + 5) % 7 AS week, COUNT(*) AS records
                FROM benefits_closure_facts GROUP BY closed_day - (closed_day + 5) % 7
            ), daily AS (
                SELECT d.day, d.window_{line} AS length, d.{stock.cost} AS cost, COALESCE(x.records, 0) AS records,
                       CASE WHEN w.records > 0
                            THEN d.ocit_live * (d.{stock.baseline} / {stock.per} - COALESCE(x.amount, 0))
                            ELSE 0 END AS reduction
                FROM benefits_days d
                LEFT JOIN started x ON x.closed_day = d.day
                LEFT JOIN weeks w ON w.week = d.week
            ), running AS (
                SELECT day, length, cost, records, SUM(reduction) OVER (ORDER BY day) AS total FROM daily
            )
            SELECT '{line}', r.day, r.total - COALESCE(e.total, 0), (r.total - COALESCE(e.total, 0)) * r.cost / 7.0,
                   r.records
            FROM running r LEFT JOIN running e ON e.day = r.day - r.length
            """  # noqa: S608
        )
    cursor.execute("CREATE INDEX benefits_stock_days ON benefits_stock (line, day)")
    cursor.execute("ANALYZE benefits_stock")


def _population(cursor):
    """Each LIT's share of the 65+ population (team 0: all of OCIT); every active LIT has a row."""
    populations = caseload_selectors.team_populations()
    total = sum(populations.values())
    teams = sorted({*populations, *caseload_selectors.teams().values_list("pk", flat=True)})
    cursor.execute("CREATE TEMPORARY TABLE benefits_population (team_id bigint, share double precision)")
    rows = [[0, 1.0]] + [[team, populations.get(team, 0) / total if total else 0.0] for team in teams]
    cursor.executemany("INSERT INTO benefits_population VALUES (%s, %s)", rows)


class _Bucket:
    """`{b[closed]}`: the period a fact's date falls in, as a day number."""

    def __init__(self, period):
        self.period = period

    def __getitem__(self, name):
        if self.period == Period.WEEK:
            return f"({name}_day - (({name}_day + 5) % 7))"  # day 0 is a Saturday; weeks start on Monday
        return f"{name}_month"


def _selects(metric, period, dialect):
    """The metric's SELECTs for one kind of period: per LIT and for all of OCIT in one pass where the database
    can (PostgreSQL's GROUPING SETS), otherwise one SELECT each."""
    if not metric.grouped:
        return [metric.sql.format(b=_Bucket(period), team="", by_team="", period=period, **dialect)]
    if connection.vendor == "postgresql":
        select = metric.sql.format(b=_Bucket(period), team="team_id", by_team="", period=period, **dialect)
        head, _, keys = select.rpartition("GROUP BY")  # every grouped metric ends with its GROUP BY
        return [f"{head}GROUP BY GROUPING SETS (({keys.strip()}, team_id), ({keys.strip()}))"]
    return [
        metric.sql.format(b=_Bucket(period), team=team, by_team=by_team, period=period, **dialect)
        for team, by_team in (("team_id", ", team_id"), ("NULL", ""))
    ]


class _Token:
    """`{b[received]}` as a marker, for rewriting a metric's SQL to make weeks and months in one pass."""

    def __getitem__(self, name):
        return f"__bucket_{name}__"


def _one_pass(metric):
    """A grouped metric that reads only the facts (no calendar, staging or stock) can make its weeks and months,
    per LIT and for all, in one pass on PostgreSQL."""
    return (
        connection.vendor == "postgresql"
        and metric.grouped
        and not any(table in metric.sql for table in ("benefits_calendar", "benefits_staging", "benefits_stock"))
    )


def _weeks_and_months(metric, dialect):
    """The metric's SELECT for weeks and months at once: GROUPING SETS over both buckets, LIT and all, with the
    kind of period told by GROUPING(). A family's SQL groups by its own key (the source, say) first."""
    select = metric.sql.format(b=_Token(), team="team_id", by_team="", period="", **dialect)
    head, _, keys = select.rpartition("GROUP BY")
    *family, token = [key.strip() for key in keys.split(",")]
    name = token.removeprefix("__bucket_").removesuffix("__")
    week, month = _Bucket(Period.WEEK)[name], _Bucket(Period.MONTH)[name]
    head = head.replace(
        f"{token} AS start_day",
        f"CASE WHEN GROUPING({week}) = 0 THEN 'week' ELSE 'month' END AS period, "
        f"COALESCE({week}, {month}) AS start_day",
    )
    assert "__bucket_" not in head, f"{metric.key}: the bucket is used outside its SELECT and GROUP BY"
    sets = ", ".join(
        "(" + ", ".join([*family, bucket, *team]) + ")" for bucket in (week, month) for team in (["team_id"], [])
    )
    return f"{head}GROUP BY GROUPING SETS ({sets})"


def _stage(cursor, metric, period, dialect):
    """Stage a metric's figures for one kind of period. A metric of a family is staged with its first member (one
    pass makes every member's figures); a metric that reads only the facts, with its weeks (one pass makes the
    months too, on PostgreSQL)."""
    if metric.family and metrics.family(metric)[0] is not metric:
        selects = []
    elif _one_pass(metric):
        selects = [_weeks_and_months(metric, dialect)] if period == Period.WEEK else []
    else:
        selects = [
            f"SELECT '{period}' AS period, q.* FROM ({select}) q"  # noqa: S608
            for select in _selects(metric, period, dialect)
        ]
    key = "q.metric" if metric.family else f"'{metric.key}'"
    for select in selects:
        cursor.execute(
            "INSERT INTO benefits_staging (metric, period, start_day, team_id, value, records) "  # noqa: S608
            f"SELECT {key}, q.period, q.start_day, CAST(q.team_id AS bigint), q.value, q.records "
            f"FROM ({select}) q JOIN benefits_calendar k ON k.period = q.period AND k.start_day = q.start_day"
        )
    if metric.zero_when_empty:
        _zeros(cursor, metric, period)


def _zeros(cursor, metric, period):
    """A period with no records is 0, not missing (for all of OCIT and, when grouped, each LIT), so that
    the figures made from it later in the run (finance, beds released, rates) exist for that period too."""
    teams = "" if metric.grouped else "AND p.team_id = 0"
    cursor.execute(
        "INSERT INTO benefits_staging (metric, period, start_day, team_id, value, records) "  # noqa: S608
        f"SELECT '{metric.key}', c.period, c.start_day, CASE WHEN p.team_id = 0 THEN NULL ELSE p.team_id END, 0, 0 "
        f"FROM benefits_calendar c CROSS JOIN benefits_population p WHERE c.period = '{period}' {teams} "
        f"AND NOT EXISTS (SELECT 1 FROM benefits_staging s WHERE s.metric = '{metric.key}' AND s.period = c.period "
        "AND s.start_day = c.start_day AND COALESCE(s.team_id, 0) = p.team_id)"
    )


def _swap(*, week_from, month_from, now):
    """Upsert the staged figures and remove the ones that no longer exist; returns the rows written."""
    day = "(DATE '2000-01-01' + start_day)" if connection.vendor == "postgresql" else "date(2451544.5 + start_day)"
    stamp = connection.ops.adapt_datetimefield_value(now)
    scope, scope_params = "1 = 1", []
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM benefits_staging WHERE start_day IS NULL")
        if week_from:
            cursor.execute(
                "DELETE FROM benefits_staging WHERE (period = 'week' AND start_day < %s) "
                "OR (period = 'month' AND start_day < %s)",
                [selectors.day_number(week_from), selectors.day_number(month_from)],
            )
            scope = "((period = 'week' AND period_start >= %s) OR (period = 'month' AND period_start >= %s))"
            scope_params = [
                connection.ops.adapt_datefield_value(week_from),
                connection.ops.adapt_datefield_value(month_from),
            ]
        for lit, condition in (("NOT NULL", "team_id IS NOT NULL"), ("NULL", "team_id IS NULL")):
            columns = "metric, period, period_start, team_id" if lit == "NOT NULL" else "metric, period, period_start"
            cursor.execute(
                "INSERT INTO benefits_metricvalue (metric, period, period_start, team_id, value, records, computed_at) "  # noqa: S608
                f"SELECT metric, period, {day}, team_id, value, records, %s FROM benefits_staging WHERE {condition} "
                f"ON CONFLICT ({columns}) WHERE {condition} "
                "DO UPDATE SET value = excluded.value, records = excluded.records, computed_at = excluded.computed_at",
                [stamp],
            )
        cursor.execute(
            f"DELETE FROM benefits_metricvalue WHERE computed_at <> %s AND {scope}",  # noqa: S608
            [stamp, *scope_params],
        )
        cursor.execute("SELECT COUNT(*) FROM benefits_staging")
        return cursor.fetchone()[0]


def _drop_work_tables():
    with connection.cursor() as cursor:
        for table in WORK_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
