"""What the dashboard pages show, built from stored figures only: series, charts, tiles, finance.

Everything a page renders (and its CSV/XLSX export) comes from here, so the export is exactly
what is on screen. LIT-level figures made from fewer than 5 records are suppressed.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from benefits import metrics, selectors, spc
from benefits.models import AssumptionKey, FinancePlan, Period

SMALL_NUMBER = 5
STALE_AFTER = datetime.timedelta(hours=36)
DEFAULT_MONTHS = 24
DEFAULT_WEEKS = 52


@dataclass(frozen=True)
class Filters:
    period: str
    start: datetime.date
    end: datetime.date
    team: object = None  # a Team, or None for all of OCIT

    @property
    def lit_name(self):
        return self.team.name if self.team else "All of OCIT"


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
    rows = selectors.metric_values(period=filters.period, team=filters.team, start=filters.start, end=filters.end)
    by_metric = {}
    for row in rows:
        by_metric.setdefault(row.metric, {})[row.period_start] = row
    return by_metric


def assumption_context(metric, assumptions, day):
    names = dict(AssumptionKey.choices)
    keys = [*metric.assumptions, *([metric.target] if metric.target else [])]
    return [(names[key], *selectors.assumption_in_force(assumptions, key, day)) for key in keys]


def series_for(filters, chosen=None):
    """One Series (with its XmR chart) per metric, for the filters; `chosen` limits the metrics."""
    by_metric = _values_by_metric(filters)
    assumptions = selectors.assumptions_by_key()
    computed = [day for values in by_metric.values() for day in values]
    last = max(computed, default=None)
    starts = list(period_starts(filters.period, filters.start, min(filters.end, last))) if last else []
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
        chart = spc.xmr(points, better=metric.better, target=target, rebase=metrics.GO_LIVE)
        context = assumption_context(metric, assumptions, day)
        result.append(Series(metric, filters.period, periods, chart, target, context))
    return result


def areas(series):
    """[(area key, area name, headline series, [series…])] in catalogue order."""
    grouped = {}
    for item in series:
        grouped.setdefault(item.metric.area, []).append(item)
    return [
        (area, name, next((s for s in grouped[area] if s.metric.headline), grouped[area][0]), grouped[area])
        for area, name in metrics.AREAS.items()
        if area in grouped
    ]


def freshness(*, now=None):
    """(last successful run, latest run, stale?) for the "figures as of" line."""
    now = now or timezone.now()
    last = selectors.last_successful_run()
    latest = selectors.latest_run()
    stale = last is None or now - last.finished_at > STALE_AFTER
    return last, latest, stale


def financial_year(day):
    return day.year if day.month >= 4 else day.year - 1


FINANCE_LINES = [
    ("short_term_bed_saving", "short_term_beds"),
    ("long_term_bed_saving", "long_term_beds"),
    ("home_care_saving", "home_support"),
    ("total_saving", "total"),
    ("acute_bed_day_saving", None),
]


def finance_by_year():
    """Savings per financial year (from the monthly all-of-OCIT figures) against the plan (£)."""
    plans = {plan.year_starting: plan for plan in FinancePlan.objects.all()}
    rows = selectors.metric_values(period=Period.MONTH).filter(metric__in=[key for key, _ in FINANCE_LINES])
    actual = {}
    for row in rows:
        key = (row.metric, financial_year(row.period_start))
        actual[key] = actual.get(key, 0.0) + (row.value or 0.0)
    years = sorted({year for _, year in actual} | set(plans))
    table = []
    for year in years:
        plan = plans.get(year)
        lines = []
        for metric_key, plan_field in FINANCE_LINES:
            planned = float(getattr(plan, plan_field)) * 1000 if plan and plan_field else None
            value = actual.get((metric_key, year))
            lines.append((metrics.BY_KEY[metric_key], value, planned))
        table.append((f"{year}/{(year + 1) % 100:02d}", lines))
    return table


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
