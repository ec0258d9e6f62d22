"""Demo data for the dashboard: daily external measures, as a performance team would import them."""

import datetime
from decimal import Decimal

from benefits.metrics import GO_LIVE
from benefits.models import ExternalMeasure, ExternalMeasureKey, MetricValue


def clear():
    MetricValue.objects.all().delete()
    ExternalMeasure.objects.all().delete()


def seed(ctx):
    """One figure a day for each measure, easing as OCIT beds in (handovers and escalation beds fall)."""
    rng = ctx.rng
    day, last = ctx.start.date(), ctx.as_of.date() - datetime.timedelta(days=1)
    rows = []
    while day <= last:
        live_months = max(0, (day - GO_LIVE).days / 30)
        easing = min(live_months / 18, 1)  # the full effect after 18 months
        winter = 1 if day.month in (12, 1, 2) else 0
        figures = {
            ExternalMeasureKey.AMBULANCE_HANDOVER_MINUTES: rng.gauss(38 - 14 * easing + 6 * winter, 4),
            ExternalMeasureKey.BED_OCCUPANCY: min(rng.gauss(99.2 - 4 * easing + winter, 0.8), 104),
            ExternalMeasureKey.ESCALATION_BEDS: max(rng.gauss(64 - 40 * easing + 10 * winter, 6), 0),
            ExternalMeasureKey.ED_ATTENDANCES: max(rng.gauss(420 - 25 * easing + 30 * winter, 25), 0),
        }
        rows.extend(
            ExternalMeasure(measure=measure, on=day, value=Decimal(f"{max(value, 0):.1f}"))
            for measure, value in figures.items()
        )
        day += datetime.timedelta(days=1)
    ctx.bulk_create(ExternalMeasure, rows, "external measures")
