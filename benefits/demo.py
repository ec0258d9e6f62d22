"""Demo data for the dashboard: daily external measures, as a performance team would import them."""

import datetime
from decimal import Decimal

from django.utils import timezone

from benefits.metrics import GO_LIVE
from benefits.models import Assumption, AssumptionKey, ExternalMeasure, ExternalMeasureKey, MetricValue
from ocit.demo import Row

# The default baselines are for Coventry (benefits/migrations); a demo of another size scales them with its number
# of patients a year.
COVENTRY = {
    AssumptionKey.BASELINE_LONG_TERM_HOURS: Decimal(170),
    AssumptionKey.BASELINE_SHORT_TERM_BEDS: Decimal(30),
    AssumptionKey.BASELINE_CARE_HOME_ADMISSIONS: Decimal(130),
    AssumptionKey.POPULATION_65_PLUS: Decimal(58000),
}
BASELINES_FROM = datetime.date(2024, 4, 1)


def clear():
    MetricValue.objects.all().delete()
    ExternalMeasure.objects.all().delete()


def seed(ctx):
    _scale_baselines(ctx)
    _external_measures(ctx)


def _scale_baselines(ctx):
    """The default baselines are Coventry's; a demo of another size gets them in proportion."""
    if ctx.size == 1 and not Assumption.objects.filter(source__startswith="Demo data").exists():
        return
    for key, coventry in COVENTRY.items():
        Assumption.objects.filter(key=key, effective_from=BASELINES_FROM).update(
            value=(coventry * Decimal(ctx.size)).quantize(Decimal("0.01")),
            source=f"Demo data: Coventry's baseline × {ctx.size:g} for a demo of this size",
        )


def _external_measures(ctx):
    """One figure a day for each measure, easing as OCIT beds in (handovers and escalation beds fall)."""
    rng = ctx.rng
    day, last = timezone.localdate(ctx.start), ctx.today - datetime.timedelta(days=1)
    rows = []
    while day <= last:
        live_months = max(0, (day - GO_LIVE).days / 30)
        easing = min(live_months / 18, 1)  # the full effect after 18 months
        winter = 1 if day.month in (12, 1, 2) else 0
        handovers = max(round(rng.gauss(95 + 15 * winter, 8)), 1)
        within_15 = min(rng.betavariate(40, 60) + 0.25 * easing - 0.08 * winter, 1)  # about 40% to 62%
        within_30 = min(within_15 + rng.uniform(0.25, 0.35), 0.99)
        within_60 = min(within_30 + rng.uniform(0.05, 0.1), 1)
        figures = {
            ExternalMeasureKey.AMBULANCE_HANDOVERS: handovers,
            ExternalMeasureKey.HANDOVERS_WITHIN_15: round(handovers * max(within_15, 0)),
            ExternalMeasureKey.HANDOVERS_WITHIN_30: round(handovers * within_30),
            ExternalMeasureKey.HANDOVERS_WITHIN_60: round(handovers * within_60),
            ExternalMeasureKey.AMBULANCE_HANDOVER_MINUTES: rng.gauss(38 - 14 * easing + 6 * winter, 4),
            ExternalMeasureKey.BED_OCCUPANCY: min(rng.gauss(99.2 - 4 * easing + winter, 0.8), 104),
            ExternalMeasureKey.ESCALATION_BEDS: max(rng.gauss(64 - 40 * easing + 10 * winter, 6), 0),
            ExternalMeasureKey.ED_ATTENDANCES: max(rng.gauss(420 - 25 * easing + 30 * winter, 25), 0),
        }
        rows.extend(
            Row(measure=measure, on=day, value=Decimal(f"{max(value, 0):.1f}")) for measure, value in figures.items()
        )
        day += datetime.timedelta(days=1)
    ctx.insert(ExternalMeasure, rows, "external measures")
