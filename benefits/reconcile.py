"""The dashboard against the programme's own numbers: the savings plan, the first-year outcomes OCIT published,
and the baselines measured from the records of the year before go-live.

A figure the board cannot reconcile with these is a question to answer before it is shown: a saving ten times
the plan is a bug, not a success. `manage.py benefits_reconcile` prints every check.
"""

import dataclasses
import datetime

from benefits import metrics, reports, selectors
from benefits.models import AssumptionKey, MetricValue, Period

PLAN_BOUNDS = (0.5, 2.0)  # a year's saving within half to twice its plan line
OUTCOME_BOUNDS = (0.75, 1.25)  # the first year's outcomes within a quarter of what OCIT published
BASELINE_BOUNDS = (0.8, 1.25)  # a baseline assumption within a fifth of what the records before go-live say

# What OCIT published of its first year [seed 000], and the metric that counts it.
FIRST_YEAR_OUTCOMES = [
    ("Patients cared for", "patients_supported", 6_000),
    ("Admissions avoided", "admissions_avoided", 840),
    ("Given therapy at or near home", "therapy_at_home", 1_420),
    ("Supported for a short while at or near home", "short_term_support", 2_000),
]
# Baselines against the monthly figures of the year before go-live: (assumption, metric, how the months combine).
BASELINES = [
    (AssumptionKey.BASELINE_LONG_TERM_HOURS, "long_term_hours_started", "mean"),
    (AssumptionKey.BASELINE_SHORT_TERM_BEDS, "short_term_beds_in_use", "mean"),
    (AssumptionKey.BASELINE_CARE_HOME_ADMISSIONS, "care_home_admissions", "sum"),
]
# The delay OCIT is measured against is that of the stays it took on.
OCIT_DELAYS = metrics.Records("spell", "discharged", "ready_day IS NOT NULL AND ocit_accepted = {true}")


@dataclasses.dataclass(frozen=True)
class Check:
    section: str
    name: str
    measured: float | None
    expected: float | None
    bounds: tuple | None = None  # the ratio measured / expected must fall within these
    exact: bool = False  # measured must equal expected

    @property
    def ratio(self):
        if self.measured is None or not self.expected:
            return None
        return self.measured / self.expected

    @property
    def ok(self):
        if self.exact:
            return self.measured == self.expected
        if self.bounds is None:
            return True
        return self.ratio is not None and self.bounds[0] <= self.ratio <= self.bounds[1]


def checks(*, year=2025, today=None):
    """Every check, in the order the board would read them."""
    assumptions = selectors.assumptions_by_key()
    go_live = selectors.live_from(assumptions) or metrics.GO_LIVE
    return [*_plan(year), *_before_go_live(go_live), *_first_year(go_live, today), *_baselines(go_live, assumptions)]


def _plan(year):
    label = f"{year}/{(year + 1) % 100:02d}"
    for plan_year in reports.plan_against_actual():
        if plan_year.label != label:
            continue
        section = f"Savings {label} against the plan ({plan_year.months_with_figures} of {plan_year.months} months)"
        for line in plan_year.lines:
            if line.planned is not None:
                yield Check(section, line.metric.name, line.achieved, line.to_date, PLAN_BOUNDS)
        return
    yield Check(f"Savings {label} against the plan", "No figures or plan for the year", None, None, PLAN_BOUNDS)


def _before_go_live(go_live):
    savings = [metric.key for metric in metrics.METRICS if metric.area == metrics.Area.FINANCE]
    early = MetricValue.objects.filter(metric__in=savings, period_start__lt=go_live).exclude(value=None).count()
    yield Check("No saving before go-live", f"Savings figures dated before {go_live:%-d %B %Y}", early, 0, exact=True)


def _first_year(go_live, today):
    end = go_live.replace(year=go_live.year + 1)
    section = f"First year ({go_live:%-d %b %Y} to {end - datetime.timedelta(days=1):%-d %b %Y}) against OCIT's own"
    for name, key, published in FIRST_YEAR_OUTCOMES:
        records = metrics.BY_KEY[key].records
        rows = selectors.figure_records(records=records, start=go_live, end=end, today=today)
        counted = len({row.patient_id for row in rows}) if records.distinct else len(rows)
        yield Check(section, name, counted, published, OUTCOME_BOUNDS)
    outcome = selectors.figure_records(records=metrics.SHORT_TERM_OUTCOME, start=go_live, end=end, today=today)
    share = 100 * sum(row.met for row in outcome) / len(outcome) if outcome else None
    yield Check(section, "More independent after reablement (short-term outcome, %: the majority)", share, 50, (1, 2))
    before = _care_home_share(go_live.replace(year=go_live.year - 1), go_live, today)
    after = _care_home_share(go_live, end, today)
    fewer = 100 * (1 - after / before) if before and after is not None else None
    yield Check(section, "Fewer needing a care-home bed after reablement (%)", fewer, 86, OUTCOME_BOUNDS)


def _care_home_share(start, end, today):
    """The share of reablement leavers who moved permanently into a care home."""
    leavers = selectors.figure_records(
        records=metrics.Records("episode", "closed", metrics.REABLEMENT, met=f"sequel IN ({metrics.CARE_HOME})"),
        start=start,
        end=end,
        today=today,
    )
    return sum(row.met for row in leavers) / len(leavers) if leavers else None


def _baselines(go_live, assumptions):
    start = go_live.replace(year=go_live.year - 1)
    section = f"Baselines against the records of the year before go-live ({start:%b %Y} to {go_live:%b %Y})"
    for key, metric, combine in BASELINES:
        values = list(
            MetricValue.objects.filter(
                metric=metric, period=Period.MONTH, team__isnull=True, period_start__gte=start, period_start__lt=go_live
            ).values_list("value", flat=True)
        )
        values = [value for value in values if value is not None]
        measured = None
        if values:
            measured = sum(values) if combine == "sum" else sum(values) / len(values)
        yield _baseline_check(section, key, measured, assumptions, go_live)
    delays = selectors.figure_records(
        records=OCIT_DELAYS, start=start, end=go_live, value="f.discharged_day - f.ready_day"
    )
    measured = sum(row.value for row in delays) / len(delays) if delays else None
    yield _baseline_check(section, AssumptionKey.BASELINE_DELAY_DAYS, measured, assumptions, go_live)
    to_ready = selectors.figure_records(
        records=OCIT_DELAYS, start=start, end=go_live, value="f.ready_day - f.admitted_day"
    )
    measured = sum(row.value for row in to_ready) / len(to_ready) if to_ready else None
    yield _baseline_check(section, AssumptionKey.BASELINE_DAYS_TO_READY, measured, assumptions, go_live)


def _baseline_check(section, key, measured, assumptions, day):
    assumed = selectors.assumption_in_force(assumptions, key, day)[0]
    expected = float(assumed) if assumed is not None else None
    return Check(section, dict(AssumptionKey.choices)[key], measured, expected, BASELINE_BOUNDS)
