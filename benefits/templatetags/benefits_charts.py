"""Making Data Count charts and icons for the benefits dashboard, drawn on the server as inline SVG.

`{% load benefits_charts %}` gives:

- `{% xmr_chart chart title="Delayed days" unit="days" %}`: an accessible XmR chart of a
  `benefits.spc.Chart`, with a legend and the figures as a table for screen-reader users;
- `{% mdc_variation_icon chart %}` and `{% mdc_assurance_icon chart %}`: the Making Data Count summary
  icons (add `label=True` to show the words next to the icon);
- `{{ value|metric_value:unit }}`: a figure in its unit ("£12,300", "45.2%", "3.5 days", "1,204").

No JavaScript and no external assets. Colours are set as SVG presentation attributes (allowed by the
content security policy, unlike inline styles) and repeated as classes for `_charts.scss`. Making Data
Count colours only: improvement blue, concern orange, neither purple, common cause grey — never
red/amber/green.
"""

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import dateformat
from django.utils.text import slugify

register = template.Library()

COLOURS = {
    "improvement": "#005eb8",  # NHS blue
    "concern": "#ed8b00",  # NHS orange
    "neither": "#330072",  # NHS purple
    "common": "#768692",  # NHS mid grey
}
LINE_COLOUR = "#425563"  # NHS dark grey: the series line
MEAN_COLOUR = "#212b32"  # NHS black
LIMIT_COLOUR = "#4c6272"  # NHS secondary text
TARGET_COLOUR = "#212b32"
GRID_COLOUR = "#d8dde0"  # NHS border grey

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 56, 24, 40  # margins in viewBox units
INSET = 8  # space between the y axis and the first point

UNITS = ("count", "%", "days", "beds", "hours", "£", "minutes", "per 100,000")
_NOUNS = {"days": "day", "beds": "bed", "hours": "hour", "minutes": "minute"}
_INTEGER_UNITS = ("count", "£")

DIRECTION_WORDS = {
    "improvement": "improvement",
    "concern": "concern",
    "neither": "neither improvement nor concern",
}
VARIATION_LABELS = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause variation – improvement (high)",
    "improvement_low": "Special cause variation – improvement (low)",
    "concern_high": "Special cause variation – concern (high)",
    "concern_low": "Special cause variation – concern (low)",
    "neither_high": "Special cause variation – neither improvement nor concern (high)",
    "neither_low": "Special cause variation – neither improvement nor concern (low)",
}
ASSURANCE_LABELS = {
    "pass": "Assurance – the process will consistently meet the target",
    "fail": "Assurance – the process will consistently fail the target",
    "hit_and_miss": "Assurance – hit and miss: the process will sometimes meet the target",
}
PROVISIONAL_NOTE = "Provisional limits (fewer than 12 points)"


# Values ---------------------------------------------------------------------------------------------


def _round(number, places):
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded  # no "-0"


def format_metric(value, unit="count"):
    """A figure in its unit, as the dashboard shows it; ``None`` (missing or suppressed) is "–".

    "count": a whole number with thousands separators ("1,204"); "£": whole pounds ("£12,300");
    "%": one decimal place ("45.2%"); anything else at most one decimal place, with the unit after
    it ("3.5 days", "1 bed", "12 per 100,000").
    """
    if value is None or value == "":
        return "–"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return "–"
    if unit == "count":
        return f"{_round(number, 0):,}"
    if unit == "£":
        pounds = _round(number, 0)
        return f"-£{-pounds:,}" if pounds < 0 else f"£{pounds:,}"
    if unit == "%":
        return f"{_round(number, 1):,.1f}%"
    rounded = _round(number, 1)
    text = f"{rounded:,.0f}" if rounded == rounded.to_integral_value() else f"{rounded:,.1f}"
    if not unit:
        return text
    noun = _NOUNS.get(unit, unit) if rounded == 1 else unit
    return f"{text} {noun}"


@register.filter
def metric_value(value, unit="count"):
    """`{{ value|metric_value:"days" }}`: see `format_metric`."""
    return format_metric(value, unit)


def _tick_label(value, decimals, unit):
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and float(text.replace(",", "")) != 0 else ""
    if unit == "£":
        return f"{sign}£{text}"
    if unit == "%":
        return f"{sign}{text}%"
    return f"{sign}{text}"


def _nice_ticks(low, high, *, integer, count=5):
    """Round-numbered ticks covering ``low``..``high``: a step of 1, 2, 2.5 or 5 times a power of ten."""
    if high - low < 1e-9:
        pad = abs(high) * 0.1 or 1
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    multiple = next(m for m in multiples if m * magnitude >= raw - 1e-12)
    step = max(1, round(multiple * magnitude)) if integer else multiple * magnitude
    # as many decimal places as the step needs: 0.25 → 2, 2.5 → 1, 25 → 0
    decimals = 0 if integer else max(0, -math.floor(math.log10(magnitude) + 1e-9) + (multiple == 2.5))
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)], decimals


# The chart ------------------------------------------------------------------------------------------


def _period_format(points):
    """ "Jul 2024" when there is one point a month or fewer, else "1 Jul 2024"."""
    months = [(p.start.year, p.start.month) for p in points]
    return "M Y" if len(set(months)) == len(months) else "j M Y"


def _fmt(number):
    return f"{number:.1f}"


def _special_text(point):
    if point.value is None:
        return "–"
    if not point.special:
        return "No"
    return f"Yes – {DIRECTION_WORDS[point.direction]} ({point.side})"


def _describe(chart, unit, periods, judged):
    """The text alternative for the chart: what a sighted reader takes from it at a glance."""
    valued = [(p, label) for p, label in zip(chart.points, periods, strict=True) if p.value is not None]
    first, latest = valued[0], valued[-1]
    sentences = [f"XmR chart of {len(valued)} values from {first[1]} to {latest[1]}"]
    sentences.append(f"Latest value {format_metric(latest[0].value, unit)} ({latest[1]})")
    if chart.mean is not None:
        sentences.append(
            f"Mean {format_metric(chart.mean, unit)}; process limits {format_metric(chart.lower, unit)}"
            f" to {format_metric(chart.upper, unit)}"
        )
    if chart.target is not None:
        sentences.append(f"Target {format_metric(chart.target, unit)}")
    if chart.variation:
        sentences.append(VARIATION_LABELS[chart.variation])
    if chart.assurance:
        sentences.append(ASSURANCE_LABELS[chart.assurance])
    special = sum(1 for p in judged if p.special)
    if chart.mean is not None:
        sentences.append(f"{special} {'point shows' if special == 1 else 'points show'} special cause variation")
    if chart.rebased_at:
        sentences.append(f"Limits re-based from {dateformat.format(chart.rebased_at, 'j M Y')}")
    if chart.mean is None:
        sentences.append("Too few values to calculate a mean and process limits")
    elif chart.provisional:
        sentences.append(PROVISIONAL_NOTE)
    return ". ".join(sentences) + "."


@register.inclusion_tag("benefits/_xmr_chart.html")
def xmr_chart(chart, *, title, unit="count", chart_id="", drill="", table_at=""):
    """`{% xmr_chart chart title="Delayed days" unit="days" %}`: an XmR chart as inline SVG, and its table or a link.

    ``chart`` is a `benefits.spc.Chart`; ``title`` names the chart (SVG title and table caption); ``unit`` is
    one of `UNITS`; ``chart_id`` (default ``xmr-<slug of title>``) prefixes the element ids, so give it
    when two charts on one page share a title. ``drill`` (a URL ending in ``start=``) links each figure to the
    records behind it. ``table_at`` (a URL) links to the page that shows the figures as a table instead of
    carrying the table: the board pack's fifty charts would otherwise be mostly tables (1.3 of its 1.9 MB).
    """
    chart_id = chart_id or f"xmr-{slugify(title) or 'chart'}"
    points = chart.points
    n = len(points)
    period_format = _period_format(points)
    periods = [dateformat.format(p.start, period_format) for p in points]
    first_judged = 0
    if chart.rebased_at:
        first_judged = next(i for i, p in enumerate(points) if p.start >= chart.rebased_at)
    judged = points[first_judged:]

    rows = [
        {
            "period": period,
            "value": format_metric(p.value, unit),
            "missing": p.value is None,
            "mean": format_metric(chart.mean if i >= first_judged else None, unit),
            "lower": format_metric(chart.lower if i >= first_judged else None, unit),
            "upper": format_metric(chart.upper if i >= first_judged else None, unit),
            "special": _special_text(p) if i >= first_judged else "–",
            "href": f"{drill}{p.start:%Y-%m-%d}" if drill and p.value is not None else "",
        }
        for i, (p, period) in enumerate(zip(points, periods, strict=True))
        if not table_at
    ]
    context = {
        "chart": chart,
        "chart_id": chart_id,
        "title": title,
        "unit": unit,
        "rows": rows,
        "table_at": table_at,
        "provisional_note": PROVISIONAL_NOTE if chart.provisional and chart.mean is not None else "",
        "has_data": any(p.value is not None for p in points),
    }
    if not context["has_data"]:
        return context

    # Vertical scale: every value, the limits and the target fit, on round-numbered ticks.
    candidates = [p.value for p in points if p.value is not None]
    candidates += [v for v in (chart.upper, chart.lower, chart.target) if v is not None]
    ticks, decimals = _nice_ticks(min(candidates), max(candidates), integer=unit in _INTEGER_UNITS)
    low, high = ticks[0], ticks[-1]
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def y(value):
        return plot_top + (high - value) / (high - low) * (plot_bottom - plot_top)

    step = (plot_right - plot_left - 2 * INSET) / max(n - 1, 1)

    def x(index):
        return plot_left + INSET + (index * step if n > 1 else (plot_right - plot_left - 2 * INSET) / 2)

    # The series: one path, broken where a value is missing.
    segments, pen_down = [], False
    for i, p in enumerate(points):
        if p.value is None:
            pen_down = False
            continue
        segments.append(f"{'L' if pen_down else 'M'}{_fmt(x(i))} {_fmt(y(p.value))}")
        pen_down = True

    markers = []
    for i, p in enumerate(points):
        if p.value is None:
            continue
        kind = p.direction if p.special else "common"
        what = f"special cause, {DIRECTION_WORDS[p.direction]}" if p.special else "common cause"
        markers.append(
            {
                "x": _fmt(x(i)),
                "y": _fmt(y(p.value)),
                "r": "5" if p.special else "3.5",
                "kind": kind,
                "fill": COLOURS[kind],
                "label": f"{periods[i]}: {format_metric(p.value, unit)} ({what})",
            }
        )

    label_every = max(1, math.ceil(n / 6))
    rebase_x = None
    if chart.rebased_at:
        rebase_x = x(first_judged) if first_judged == 0 else (x(first_judged - 1) + x(first_judged)) / 2
    line_start = _fmt(rebase_x if rebase_x is not None else plot_left)

    def hline(value):
        return None if value is None else {"y": _fmt(y(value)), "x1": line_start, "x2": _fmt(plot_right)}

    kinds = ["neither"] if chart.better == "neither" else ["improvement", "concern"]
    context.update(
        {
            "width": WIDTH,
            "height": HEIGHT,
            "desc": _describe(chart, unit, periods, judged),
            "plot": {
                "left": plot_left,
                "right": plot_right,
                "top": plot_top,
                "bottom": plot_bottom,
                "tick_x": plot_left - 8,
                "label_y": plot_bottom + 24,
                "target_label_x": plot_right + 6,
            },
            "y_ticks": [{"y": _fmt(y(t)), "label": _tick_label(t, decimals, unit)} for t in ticks],
            "x_labels": [{"x": _fmt(x(i)), "label": periods[i]} for i in range(0, n, label_every)],
            "axis_caption": "" if unit in ("count", "%", "£") else unit.capitalize(),
            "line_path": " ".join(segments),
            "markers": markers,
            "mean_line": hline(chart.mean),
            "upper_line": hline(chart.upper),
            "lower_line": hline(chart.lower),
            "target_line": None
            if chart.target is None
            else {"y": _fmt(y(chart.target)), "x1": _fmt(plot_left), "x2": _fmt(plot_right)},
            "rebase": None
            if rebase_x is None
            else {
                "x": _fmt(rebase_x),
                # the label reads away from the marker, towards the middle of the chart
                "label_x": _fmt(rebase_x + 4 if rebase_x < WIDTH / 2 else rebase_x - 4),
                "anchor": "start" if rebase_x < WIDTH / 2 else "end",
                "label": f"Re-based {dateformat.format(chart.rebased_at, 'j M Y')}",
            },
            "colours": {
                "line": LINE_COLOUR,
                "mean": MEAN_COLOUR,
                "limit": LIMIT_COLOUR,
                "target": TARGET_COLOUR,
                "grid": GRID_COLOUR,
                **COLOURS,
            },
            "legend_points": [
                {"kind": "common", "fill": COLOURS["common"], "label": "Common cause"},
                *(
                    {
                        "kind": kind,
                        "fill": COLOURS[kind],
                        "label": f"Special cause – {DIRECTION_WORDS[kind]}",
                    }
                    for kind in kinds
                ),
            ],
        }
    )
    return context


# The icons ------------------------------------------------------------------------------------------

_LOW_DOTS = ((10, 25), (15, 25), (20, 25), (25, 29), (30, 29))
_HIGH_DOTS = ((10, 29), (15, 29), (20, 29), (25, 25), (30, 25))
_FLAT_DOTS = ((10, 20), (15, 20), (20, 20), (25, 20), (30, 20))


def _variation_icon(variation):
    if variation not in VARIATION_LABELS:
        return None
    if variation == "common_cause":
        kind, letter, dots = "common", "", _FLAT_DOTS
    else:
        kind, side = variation.rsplit("_", 1)
        letter, dots = ("H", _HIGH_DOTS) if side == "high" else ("L", _LOW_DOTS)
    return {
        "type": "variation",
        "key": variation,
        "kind": kind,
        "colour": COLOURS[kind],
        "grey": COLOURS["common"],
        "letter": letter,
        "dots": [{"x": dx, "y": dy, "special": kind != "common" and k >= 3} for k, (dx, dy) in enumerate(dots)],
        "label": VARIATION_LABELS[variation],
    }


def _assurance_icon(assurance):
    if assurance not in ASSURANCE_LABELS:
        return None
    kind, letter = {"pass": ("improvement", "P"), "fail": ("concern", "F"), "hit_and_miss": ("common", "?")}[assurance]
    return {
        "type": "assurance",
        "key": assurance,
        "kind": kind,
        "colour": COLOURS[kind],
        "grey": COLOURS["common"],
        "letter": letter,
        "label": ASSURANCE_LABELS[assurance],
    }


@register.inclusion_tag("benefits/_mdc_icons.html")
def mdc_variation_icon(chart, *, label=False):
    """`{% mdc_variation_icon chart %}`: the variation icon for the chart's latest point (nothing without limits)."""
    return {"icon": _variation_icon(chart.variation), "show_label": label}


@register.inclusion_tag("benefits/_mdc_icons.html")
def mdc_assurance_icon(chart, *, label=False):
    """`{% mdc_assurance_icon chart %}`: target against the limits (nothing without a target or limits)."""
    return {"icon": _assurance_icon(chart.assurance), "show_label": label}
