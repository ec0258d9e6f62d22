"""What the dashboard pages show, built from stored figures only: series, charts, tiles, finance.

Everything a page renders (and its CSV/XLSX export) comes from here, so the export is exactly
what is on screen. LIT-level figures made from fewer than 5 records are suppressed.
"""

import datetime
import hashlib
import logging
from dataclasses import dataclass, field

import redis
from django.core.cache import cache
from django.utils import timezone

from benefits import metrics, selectors, spc
from benefits.models import Assumption, AssumptionKey, FinancePlan, Period, RunStatus
from caseload import selectors as caseload_selectors

logger = logging.getLogger(__name__)

SMALL_NUMBER = 5
STALE_AFTER = datetime.timedelta(hours=36)
DEFAULT_MONTHS = 24
DEFAULT_WEEKS = 52
# Cached figures are keyed by everything they are made from, so a new run or assumption gives new keys at once;
# the old entries just expire after a day.
CACHE_TIMEOUT = 24 * 60 * 60


@dataclass(frozen=True)
class Filters:
    period: str
    start: datetime.date
    end: datetime.date
    team: object = None  # a Team, or None for all of OCIT

    @property
    def lit_name(self):
        return self.team.name if self.team else "All of OCIT"

    @property
    def key(self):
        """The filters in a cache key: the LIT by its id."""
        return (self.period, self.start, self.end, self.team.pk if self.team else None)


def default_filters(*, period=Period.MONTH, today=None):
    today = today or timezone.localdate()
    if period == Period.WEEK:
        start = today - datetime.timedelta(weeks=DEFAULT_WEEKS)
    else:
        start = (today.replace(day=1) - datetime.timedelta(days=31 * (DEFAULT_MONTHS - 1))).replace(day=1)
    return Filters(period=period, start=start, end=today)


def period_starts(period, start, end):
    """The start of every period of a kind that begins between two dates."""
    if period == Period.WEEK:
        day = start - datetime.timedelta(days=start.weekday())
        if day < start:
            day += datetime.timedelta(days=7)
        step = lambda d: d + datetime.timedelta(days=7)  # noqa: E731
    else:
        day = start if start.day == 1 else (start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        step = lambda d: (d + datetime.timedelta(days=32)).replace(day=1)  # noqa: E731
    while day <= end:
        yield day
        day = step(day)


def period_end(period, start):
    """The day after a period ends."""
    if period == Period.WEEK:
        return start + datetime.timedelta(days=7)
    return (start + datetime.timedelta(days=32)).replace(day=1)


def period_label(period, start):
    return f"w/c {start:%-d %b %Y}" if period == Period.WEEK else f"{start:%b %Y}"


def suppressed(row, *, team):
    """A LIT-level figure (`team` given) from 1–4 records could identify someone."""
    return team is not None and 0 < row.records < SMALL_NUMBER


@dataclass
class Series:
    metric: metrics.Metric
    period: str
    periods: list  # [(start, value or None, suppressed)]
    chart: spc.Chart
    target: float | None
    assumptions: list = field(default_factory=list)  # [(name, value, effective_from)]

    @property
    def latest(self):
        return next(((start, value) for start, value, _ in reversed(self.periods) if value is not None), (None, None))

    @property
    def latest_label(self):
        start = self.latest[0]
        return period_label(self.period, start) if start else "No figures yet"

    @property
    def any_suppressed(self):
        return any(hidden for _, _, hidden in self.periods)


def _values_by_metric(filters):
    """{metric: {period start: row}}, the rows as named tuples: a page reads every figure of its filters (some 1,400
    at Coventry's scale), and building that many model instances was most of what a dashboard cost."""
    rows = selectors.metric_values(
        period=filters.period, team=filters.team, start=filters.start, end=filters.end
    ).values_list("metric", "period_start", "value", "records", named=True)
    by_metric = {}
    for row in rows:
        by_metric.setdefault(row.metric, {})[row.period_start] = row
    return by_metric


def assumption_context(metric, assumptions, day):
    names = dict(AssumptionKey.choices)
    keys = [*metric.assumptions, *([metric.target] if metric.target else [])]
    return [(names[key], *selectors.assumption_in_force(assumptions, key, day)) for key in keys]


def series_for(filters, chosen=None, *, assumptions=None):
    """One Series (with its XmR chart) per metric, for the filters; `chosen` limits the metrics. `assumptions` is
    `selectors.assumptions_by_key()` when the caller has already read it."""
    if assumptions is None:
        assumptions = selectors.assumptions_by_key()
    by_metric = _values_by_metric(filters)
    computed = [day for values in by_metric.values() for day in values]
    last = max(computed, default=None)
    starts = list(period_starts(filters.period, filters.start, min(filters.end, last))) if last else []
    rebase = selectors.live_from(assumptions) or metrics.GO_LIVE  # limits re-based at go-live
    result = []
    for metric in chosen or metrics.METRICS:
        if filters.team is not None and not metric.per_lit:
            continue
        values = by_metric.get(metric.key, {})
        if not values and not metric.zero_when_empty:
            periods = [(start, None, False) for start in starts]
        else:
            periods = []
            for start in starts:
                row = values.get(start)
                if row is None:
                    periods.append((start, 0.0 if metric.zero_when_empty else None, False))
                elif suppressed(row, team=filters.team):
                    periods.append((start, None, True))
                else:
                    periods.append((start, row.value, False))
        day = starts[-1] if starts else filters.end
        target = selectors.assumption_in_force(assumptions, metric.target, day)[0] if metric.target else None
        target = float(target) if target is not None else None
        points = [(start, value) for start, value, _ in periods]
        chart = spc.xmr(points, better=metric.better, target=target, rebase=rebase, bounds=metric.bounds)
        context = assumption_context(metric, assumptions, day)
        result.append(Series(metric, filters.period, periods, chart, target, context))
    return result


def records_by_lit(rows, *, people=False, suppress=True):
    """[(LIT, count)] behind a figure for every active LIT: records, or different people when the figure counts
    people. With `suppress`, a count from 1 to 4 is None ("<5"), and when only one is, the next smallest is too,
    so that it cannot be worked out from the total."""
    seen = {}
    for row in rows:
        seen.setdefault(row.team_id, set()).add(row.patient_id if people else row.id)
    cells = [(team, len(seen.get(team.pk, ()))) for team in caseload_selectors.active_teams()]
    hidden = {team.pk for team, count in cells if 0 < count < SMALL_NUMBER} if suppress else set()
    if len(hidden) == 1 and len(cells) > 1:
        hidden.add(min((count, team.pk) for team, count in cells if team.pk not in hidden)[1])
    return [(team, None if team.pk in hidden else count) for team, count in cells]


def areas(series):
    """[(area key, area name, headline series, [series…])] in catalogue order; the parts of a figure are shown on
    its own page, not in the area's list."""
    grouped = {}
    for item in series:
        if not item.metric.part_of:
            grouped.setdefault(item.metric.area, []).append(item)
    return [
        (area, name, next((s for s in grouped[area] if s.metric.headline), grouped[area][0]), grouped[area])
        for area, name in metrics.AREAS.items()
        if area in grouped
    ]


def cached(key, build, *, run):
    """`build(assumptions)`, given `selectors.assumptions_by_key()`, from the cache.

    The figures change only when a recompute succeeds or an assumption changes, yet cost most of a dashboard
    page to build. So the cache key is `key` (what is built, for which filters) with what the figures are made
    from: `run`, the last successful recompute (which wrote the stored figures), and a fingerprint of the
    assumptions, read on every call (with the run, when `selectors` read it). A new run, or an assumption changed
    by any path (the admin, a data migration, `seed_demo`'s update), gives a new key at once; old entries just
    expire. The key is made before the figures are read, so a run finishing in between can only leave newer
    figures under the older key, never older under the newer. Without a run there is nothing to key the stored
    figures by, and with the cache (Redis) down the figures are built afresh: slower, but the pages stay up.
    """
    if run is None:
        return build(selectors.assumptions_by_key())
    fingerprint = getattr(run, "assumptions_fingerprint", None) or selectors.assumptions_fingerprint()
    key = "benefits:" + hashlib.sha256(repr((*key, run.pk, run.finished_at, fingerprint)).encode()).hexdigest()
    try:
        result = cache.get(key)
    except redis.RedisError:
        logger.warning("The cache is not answering: the figures are built afresh", exc_info=True)
        return build(selectors.assumptions_by_key())
    if result is None:
        result = build(selectors.assumptions_by_key())
        try:
            cache.set(key, result, CACHE_TIMEOUT)
        except redis.RedisError:
            logger.warning("The cache is not answering: the figures are not kept", exc_info=True)
    return result


def cached_series(filters, *, run):
    """`series_for(filters)` for every metric, cached. The same for every role: what is suppressed depends on the
    filters (a LIT, or all of OCIT), never on who looks."""
    return cached(("series", *filters.key), lambda assumptions: series_for(filters, assumptions=assumptions), run=run)


def metric_series(filters, metric, *, assumptions):
    """(the metric's series or None, its parts' series) for the metric page, which caches them rendered: reading
    the whole set of series from the cache (about 100 KB) would cost the page more than drawing its one chart."""
    parts = metrics.parts_of(metric)
    [item] = series_for(filters, [metric], assumptions=assumptions) or [None]
    return item, series_for(filters, parts, assumptions=assumptions) if parts and item else []


def finance(*, run):
    """The finance page's figures: each year against its plan, the roll-out goals, and the assumptions behind each
    saving with their sources. Cached, also keyed by the sources, the plans (edited in the admin, with no run) and
    today (the goal in force)."""

    def build(assumptions):
        lines = [
            (metric, assumption_history(metric, assumptions))
            for metric in metrics.METRICS
            if metric.area == metrics.Area.FINANCE
        ]
        return {"years": plan_against_actual(), "goals": goals(), "lines": lines}

    key = (
        "finance",
        list(Assumption.objects.values_list("key", "effective_from", "source")),
        list(FinancePlan.objects.values_list("year_starting", "short_term_beds", "long_term_beds", "home_support")),
        timezone.localdate(),
    )
    return cached(key, build, run=run)


def freshness(*, now=None):
    """(last successful run, latest run, stale?) for the "figures as of" line."""
    now = now or timezone.now()
    latest = selectors.latest_run(now=now)
    last = latest if latest and latest.status == RunStatus.SUCCEEDED else selectors.last_successful_run()
    stale = last is None or now - last.finished_at > STALE_AFTER
    return last, latest, stale


def financial_year(day):
    return day.year if day.month >= 4 else day.year - 1


# Plan lines (FinancePlan fields) and the metric that achieves each; the acute bed-day saving and the system benefit
# are shown outside the plan.
PLAN_LINES = [
    ("short_term_bed_saving", "short_term_beds"),
    ("long_term_bed_saving", "long_term_beds"),
    ("home_care_saving", "home_support"),
    ("total_saving", "total"),
]
OUTSIDE_PLAN = ["acute_bed_day_saving", "system_benefit"]
# The roll-out goals [seed 001]: the figure that measures each, and how its latest value is read.
GOALS = [
    ("care_hours_saved", AssumptionKey.TARGET_CARE_HOURS_SAVED, "latest month"),
    ("short_term_beds_saved", AssumptionKey.TARGET_SHORT_TERM_BEDS_SAVED, "latest month"),
    ("long_term_beds_saved", AssumptionKey.TARGET_LONG_TERM_BEDS_SAVED, "latest month"),
    ("beds_released", AssumptionKey.TARGET_BEDS_RELEASED, "latest month"),
    ("system_benefit", AssumptionKey.TARGET_SYSTEM_BENEFIT, "last 12 months"),
]


@dataclass(frozen=True)
class PlanLine:
    metric: metrics.Metric
    planned: float | None  # the year's plan (£), None for a line outside the plan
    to_date: float | None  # the plan for the months with figures, pro rata
    achieved: float | None  # the savings of those months, None when none has a figure
    months: int = 0  # the months of the year this line has a figure for

    @property
    def variance(self):
        if self.achieved is None or self.to_date is None:
            return None
        return self.achieved - self.to_date

    @property
    def share(self):
        """Achieved as a percentage of the plan to date."""
        if self.achieved is None or not self.to_date:
            return None
        return 100 * self.achieved / self.to_date


@dataclass(frozen=True)
class PlanYear:
    label: str
    months: int  # months of the year the plan covers (from go-live in the first year)
    months_with_figures: int
    lines: list  # [PlanLine]

    @property
    def complete(self):
        return self.months_with_figures >= self.months


@dataclass(frozen=True)
class Goal:
    metric: metrics.Metric
    target: float | None
    latest: float | None
    reading: str  # how the latest value is read: "latest month" or "last 12 months"
    period: object = None  # the latest month counted

    @property
    def progress(self):
        if self.latest is None or not self.target:
            return None
        return 100 * self.latest / self.target


def plan_against_actual():
    """Each financial year of the plan: every line's plan, plan to date, achieved and variance, from the monthly
    figures for all of OCIT. A year counts from go-live (the plan for 2024/25 is for its nine months from July),
    and a line's plan to date is pro rata to the months in which that line has a figure."""
    assumptions = selectors.assumptions_by_key()
    go_live = selectors.live_from(assumptions) or metrics.GO_LIVE
    plans = {plan.year_starting: plan for plan in FinancePlan.objects.all()}
    keys = [key for key, _ in PLAN_LINES] + OUTSIDE_PLAN
    rows = selectors.metric_values(period=Period.MONTH).filter(
        metric__in=keys, period_start__gte=go_live.replace(day=1)
    )
    achieved, months = {}, {}
    for row in rows.exclude(value=None):
        key = (row.metric, financial_year(row.period_start))
        achieved[key] = achieved.get(key, 0.0) + row.value
        months.setdefault(key, set()).add(row.period_start)
    years = sorted(set(plans) | {year for _, year in months})
    table = []
    for year in years:
        plan = plans.get(year)
        first = max(datetime.date(year, 4, 1), go_live.replace(day=1))
        in_plan = max(0, (year + 1 - first.year) * 12 + 4 - first.month)  # months from `first` to the next April
        lines = []
        for key, field_name in [*PLAN_LINES, *((key, None) for key in OUTSIDE_PLAN)]:
            with_figures = len(months.get((key, year), ()))
            planned = float(getattr(plan, field_name)) * 1000 if plan and field_name else None
            to_date = planned * min(with_figures, in_plan) / in_plan if planned is not None and in_plan else None
            lines.append(PlanLine(metrics.BY_KEY[key], planned, to_date, achieved.get((key, year)), with_figures))
        total = len(months.get(("total_saving", year), ()))
        table.append(PlanYear(f"{year}/{(year + 1) % 100:02d}", in_plan, total, lines))
    return table


def goals():
    """Progress towards each roll-out goal, from the monthly figures for all of OCIT: the latest month, or the
    twelve months to it."""
    assumptions = selectors.assumptions_by_key()
    today = timezone.localdate()
    result = []
    for key, target_key, reading in GOALS:
        rows = selectors.metric_values(metric=key, period=Period.MONTH).exclude(value=None)
        latest = rows.order_by("-period_start").first()
        value = latest.value if latest else None
        if latest and reading == "last 12 months":
            year_before = (latest.period_start - datetime.timedelta(days=334)).replace(day=1)
            value = sum(row.value for row in rows.filter(period_start__gte=year_before))
        target = selectors.assumption_in_force(assumptions, target_key, today)[0]
        period = latest.period_start if latest else None
        result.append(Goal(metrics.BY_KEY[key], float(target) if target is not None else None, value, reading, period))
    return result


def assumption_history(metric, assumptions):
    """Every dated value of each assumption behind a figure: [(name, [(effective from, value, source)])]."""
    names = dict(AssumptionKey.choices)
    sources = {
        (row.key, row.effective_from): row.source for row in Assumption.objects.filter(key__in=metric.assumptions)
    }
    return [
        (
            names[key],
            [(day, value, sources.get((key, day), "")) for day, value in sorted(assumptions.get(key, []))],
        )
        for key in metric.assumptions
    ]


def plan_rows(years):
    """The plan-against-actual tables as rows."""
    header = [
        "Financial year",
        "Months of the plan",
        "Months with figures",
        "Line",
        "Plan for the year (£)",
        "Plan to date (£)",
        "Achieved (£)",
        "Variance (£)",
        "Achieved as % of plan to date",
    ]
    rows = [
        [
            year.label,
            year.months,
            line.months,
            line.metric.name,
            _rounded(line.planned),
            _rounded(line.to_date),
            _rounded(line.achieved) if line.achieved is not None else "no data",
            _rounded(line.variance),
            _rounded(line.share),
        ]
        for year in years
        for line in year.lines
    ]
    return header, rows


def export_rows(series, filters):
    """The figures on screen as rows: one per metric and period."""
    header = [
        "Area",
        "Measure",
        "Unit",
        "LIT",
        "Period",
        "Period start",
        "Value",
        "Mean",
        "Lower limit",
        "Upper limit",
        "Special cause",
        "Target",
    ]
    rows = []
    for item in series:
        for point, (start, value, hidden) in zip(item.chart.points, item.periods, strict=True):
            rows.append(
                [
                    metrics.AREAS[item.metric.area],
                    item.metric.name,
                    item.metric.unit,
                    filters.lit_name,
                    filters.period,
                    start.isoformat(),
                    "<5" if hidden else (round(value, 2) if value is not None else ""),
                    _rounded(item.chart.mean),
                    _rounded(item.chart.lower),
                    _rounded(item.chart.upper),
                    point.direction or ("yes" if point.special else "no"),
                    _rounded(item.target),
                ]
            )
    return header, rows


def summary_rows(series, filters):
    """The dashboard's tables: each measure's latest figure, target and icons."""
    from benefits.templatetags.benefits_charts import ASSURANCE_LABELS, VARIATION_LABELS

    header = ["Area", "Measure", "Unit", "LIT", "Latest period", "Latest value", "Target", "Variation", "Assurance"]
    rows = [
        [
            metrics.AREAS[item.metric.area],
            item.metric.name,
            item.metric.unit,
            filters.lit_name,
            item.latest[0].isoformat() if item.latest[0] else "",
            _rounded(item.latest[1]),
            _rounded(item.target),
            VARIATION_LABELS.get(item.chart.variation, ""),
            ASSURANCE_LABELS.get(item.chart.assurance, ""),
        ]
        for _, _, _, items in areas(series)
        for item in items
    ]
    return header, rows


def _rounded(number):
    return round(number, 2) if number is not None else ""
