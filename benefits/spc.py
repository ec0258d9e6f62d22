"""Statistical process control for the benefits dashboard, the NHS England "Making Data Count" way.

One measure over time becomes an **XmR chart** (individuals and moving range):

- the **mean** x̄ of the values;
- the **moving ranges** MRᵢ = |xᵢ − xᵢ₋₁| between consecutive values, and their mean MR̄;
- the **process limits** x̄ ± 2.66·MR̄ (about three sigma), and the **near limits** two thirds of the
  way out (x̄ ± ⅔·2.66·MR̄, about two sigma).

A point is **special cause variation** when any of the Making Data Count rules holds:

1. it is outside the process limits (strictly above the upper or below the lower limit);
2. it is part of a **shift**: a run of 7 or more consecutive points on the same side of the mean
   (a point exactly on the mean breaks the run);
3. it is part of a **trend**: 7 or more consecutive points each strictly higher (or each strictly lower)
   than the one before;
4. it is one of **two out of three** consecutive points beyond the same near limit, on the same side of the
   mean (a point beyond the process limit is beyond the near limit too).

Everything else is **common cause variation**. A special-cause point is an *improvement* or a *concern*
depending on which way is better for the measure (or *neither* for a measure with no better direction).

The dashboard summarises each chart with two icons: the **variation icon** comes from the latest point,
the **assurance icon** from where the target sits against the process limits (will the process
consistently pass, consistently fail, or hit and miss the target?).

Missing or suppressed values (``None``) are kept as points so the time axis stays honest, but take no part
in any calculation: moving ranges, runs and trends are taken over the consecutive *valued* points.

Limits may be **re-based** at a known change such as a go-live: the mean and limits then come from the
points on or after that date only, and only those points are judged.

A measure that cannot go below a bound (a count, a length of stay) or above one (a percentage) has its
process and near limits **cut at that bound**: a lower limit of −3 patients is drawn, and judged, as 0.

Pure Python: no Django, no database. ``xmr()`` is the only entry point.
"""

import datetime
import itertools
from dataclasses import dataclass, replace
from statistics import fmean

#: Scaling factor from mean moving range to three-sigma process limits (3 / d₂, d₂ = 1.128).
LIMIT_FACTOR = 2.66
#: Near limits sit at two thirds of the distance from the mean to the process limits.
NEAR_FRACTION = 2 / 3
#: A run (shift) or a trend is this many consecutive points.
RUN_LENGTH = 7
TREND_LENGTH = 7
#: Limits calculated from fewer valued points than this are provisional.
MIN_POINTS_FOR_FIRM_LIMITS = 12

BETTER_CHOICES = ("higher", "lower", "neither")

HIGH = "high"
LOW = "low"


@dataclass(frozen=True)
class Point:
    """One period of a measure on an XmR chart.

    ``start`` is the start of the period; ``value`` is ``None`` when the figure is missing or
    suppressed. ``special`` is True when any Making Data Count rule flags the point, and ``direction``
    then says how to read it: ``"improvement"``, ``"concern"`` or ``"neither"`` (a measure with no better
    direction); ``""`` for common cause variation. ``side`` is ``"high"`` or ``"low"`` for a special-cause
    point (the side of the mean it is on, or the way its trend runs) and ``""`` otherwise.
    """

    start: datetime.date
    value: float | None
    special: bool = False
    direction: str = ""
    side: str = ""


@dataclass(frozen=True)
class Chart:
    """An XmR chart, ready to draw and to summarise.

    ``mean``, ``upper``, ``lower``, ``near_upper`` and ``near_lower`` are ``None`` when fewer than two
    valued points are available to calculate them. ``provisional`` is True when the limits come from
    fewer than 12 valued points. ``variation`` is the variation icon key for the latest valued point —
    ``"common_cause"``, ``"improvement_high"``, ``"improvement_low"``, ``"concern_high"``, ``"concern_low"``,
    ``"neither_high"`` or ``"neither_low"`` — or ``""`` without limits. ``assurance`` is ``"pass"``,
    ``"fail"``, ``"hit_and_miss"``, or ``None`` (no target, no limits, or no better direction).
    ``rebased_at`` is the re-base date when the limits were re-based, else ``None``. ``better`` is the
    measure's better direction, as given to ``xmr()``.
    """

    points: list[Point]
    mean: float | None
    upper: float | None
    lower: float | None
    near_upper: float | None
    near_lower: float | None
    provisional: bool
    variation: str
    assurance: str | None
    target: float | None
    rebased_at: datetime.date | None
    better: str = "neither"

    @property
    def latest(self) -> Point | None:
        """The latest point with a value, or ``None`` if there is none."""
        return next((p for p in reversed(self.points) if p.value is not None), None)

    @property
    def has_limits(self) -> bool:
        return self.mean is not None


def xmr(series, *, better, target=None, rebase=None, bounds=(None, None)) -> Chart:
    """Build an XmR chart from ``series``, a list of ``(date, value or None)`` in date order.

    ``better`` is ``"higher"``, ``"lower"`` or ``"neither"``: which way is an improvement.
    ``target`` (optional) drives the assurance icon. ``rebase`` (optional) is the date of a known change:
    when at least two valued points fall on or after it (and some before), the mean and limits come from those
    points only,
    only they are judged, and the chart records ``rebased_at``; otherwise it is ignored.
    ``bounds`` is ``(lowest, highest)`` the measure can take (``None``: unbounded); limits are cut at them.
    """
    if better not in BETTER_CHOICES:
        raise ValueError(f"better must be one of {BETTER_CHOICES}, not {better!r}")
    points = [Point(start=start, value=None if value is None else float(value)) for start, value in series]
    target = None if target is None else float(target)

    valued = [i for i, p in enumerate(points) if p.value is not None]
    rebased_at = None
    if rebase is not None:
        after = [i for i in valued if points[i].start >= rebase]
        if len(after) >= 2 and len(after) < len(valued):  # nothing to re-base when every point is after it
            valued, rebased_at = after, rebase
    provisional = len(valued) < MIN_POINTS_FOR_FIRM_LIMITS

    if len(valued) < 2:
        return Chart(
            points=points,
            mean=None,
            upper=None,
            lower=None,
            near_upper=None,
            near_lower=None,
            provisional=provisional,
            variation="",
            assurance=None,
            target=target,
            rebased_at=rebased_at,
            better=better,
        )

    values = [points[i].value for i in valued]
    mean = fmean(values)
    mr_bar = fmean(abs(b - a) for a, b in itertools.pairwise(values))
    upper, lower = _cut(mean + LIMIT_FACTOR * mr_bar, bounds), _cut(mean - LIMIT_FACTOR * mr_bar, bounds)
    near_upper = _cut(mean + NEAR_FRACTION * LIMIT_FACTOR * mr_bar, bounds)
    near_lower = _cut(mean - NEAR_FRACTION * LIMIT_FACTOR * mr_bar, bounds)

    sides = _sides(values, mean, upper, lower, near_upper, near_lower)
    for k, i in enumerate(valued):
        if sides[k]:
            points[i] = replace(points[i], special=True, direction=_direction(sides[k], better), side=sides[k])

    latest = points[valued[-1]]
    variation = f"{latest.direction}_{latest.side}" if latest.special else "common_cause"
    assurance = _assurance(better=better, target=target, upper=upper, lower=lower)
    return Chart(
        points,
        mean,
        upper,
        lower,
        near_upper,
        near_lower,
        provisional,
        variation,
        assurance,
        target,
        rebased_at,
        better,
    )


def _cut(limit, bounds):
    """A limit no further out than the values the measure can take."""
    lowest, highest = bounds
    if lowest is not None:
        limit = max(limit, lowest)
    if highest is not None:
        limit = min(limit, highest)
    return limit


def _sides(values, mean, upper, lower, near_upper, near_lower):
    """For each value, ``"high"``/``"low"`` if a special-cause rule flags it, else ``""``.

    Rules that place a point against the mean (outside the limits, a shift, two of three beyond a near
    limit) give the point's side of the mean; a point flagged by a trend alone takes the trend's direction.
    """
    n = len(values)
    relative = [HIGH if v > mean else LOW if v < mean else "" for v in values]
    by_mean = [False] * n
    by_trend = [""] * n

    # Rule 1: outside the process limits.
    for k, v in enumerate(values):
        if v > upper or v < lower:
            by_mean[k] = True

    # Rule 2: a shift, 7 or more consecutive points on one side of the mean.
    for start, end in _runs(relative, RUN_LENGTH):
        for k in range(start, end):
            by_mean[k] = True

    # Rule 3: a trend, 7 or more consecutive points each rising (or each falling).
    steps = [HIGH if b > a else LOW if b < a else "" for a, b in itertools.pairwise(values)]
    for start, end in _runs(steps, TREND_LENGTH - 1):  # 6 steps join 7 points
        for k in range(start, end + 1):
            by_trend[k] = steps[start]

    # Rule 4: two of three consecutive points beyond the same near limit (so on the same side of the mean);
    # flag those beyond. A point beyond the process limit is beyond the near limit too.
    beyond = [HIGH if v > near_upper and v > mean else LOW if v < near_lower and v < mean else "" for v in values]
    for start in range(n - 2):
        window = range(start, start + 3)
        for side in (HIGH, LOW):
            hits = [k for k in window if beyond[k] == side]
            if len(hits) >= 2:
                for k in hits:
                    by_mean[k] = True

    return [(relative[k] or by_trend[k]) if by_mean[k] else by_trend[k] for k in range(n)]


def _runs(labels, length):
    """Yield ``(start, end)`` (end exclusive) of each maximal run of one non-empty label at least ``length`` long."""
    start = 0
    for k in range(1, len(labels) + 1):
        if k == len(labels) or labels[k] != labels[start]:
            if labels[start] and k - start >= length:
                yield start, k
            start = k


def _direction(side, better):
    if better == "neither":
        return "neither"
    return "improvement" if (side == HIGH) == (better == "higher") else "concern"


def _assurance(*, better, target, upper, lower):
    """Where the target sits against the process limits: will the process consistently meet it?"""
    if target is None or better == "neither":
        return None
    if better == "higher":
        if lower >= target:
            return "pass"
        if upper < target:
            return "fail"
    else:
        if upper <= target:
            return "pass"
        if lower > target:
            return "fail"
    return "hit_and_miss"
