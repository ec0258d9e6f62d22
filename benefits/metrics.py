"""The metric catalogue: what the programme board sees, and how each figure is made from the records.

Each metric is one small definition. Its `sql` is a SELECT over the facts tables built by the
recompute (one row per episode, spell, NCTR period, referral, therapy contact or imported figure,
with dates as day numbers) that returns `(start_day, team_id, value, records)` for one kind of period.
Placeholders:

- `{b[received]}`: the period an event falls in, from the fact's `received_day` / `received_month`;
- `{median[expression]}`, `{true}`, `{false}`, `{today}`, `{first}`: what differs between databases,
  today, and the first day with any record;
- `{team}` / `{by_team}`: per LIT (`team_id` / `, team_id`) or for all of OCIT (`NULL` / nothing):
  grouped metrics run twice, once per LIT and once for all;
- `{period}`: "week" or "month", to join the calendar table `c` (one row per period with its days,
  the days OCIT was live, and the assumptions in force at its start), the day table `d` (one row per
  day since go-live with the assumptions in force that day) or figures already computed (`s`, staging).

A metric made straight from records says which (`records`): the same condition makes the figure in the
recompute and the list of records behind it on the drill-down page, so the two cannot disagree.

Derived metrics (savings, rates per population, beds released) read earlier metrics from staging or
the running totals of `benefits_stock`, so a metric appears in the list after everything it is made
from. The SQL is built only from the constants in this module, never from input.

Every saving is counterfactual [domain.md, "How the seeds turn activity into money"]: (what the
baseline says would have happened without OCIT − what the records say happened) × a unit cost, from
the day OCIT went live (the `ocit_live` assumption), only for activity OCIT took on, and only for
periods that have the records the line needs: a period without them has no figure, never the baseline.
"""
# ruff: noqa: S608

import datetime
from dataclasses import dataclass, field

from benefits.models import AssumptionKey as A
from benefits.models import ExternalMeasureKey as X
from caseload.models import CARE_HOME_SEQUELS, FollowUp, Sequel, Source
from caseload.models import LONG_TERM_SEQUELS as LONG_TERM

GO_LIVE = datetime.date(2024, 7, 1)  # OCIT roll-out [seed 001]: the default of `ocit_live`, charts re-based here


class Area:
    FRONT_DOOR = "front_door"
    AMBULANCE = "ambulance"
    ACUTE_FLOW = "acute_flow"
    BED_BASE = "bed_base"
    SOCIAL_CARE = "social_care"
    FINANCE = "finance"
    OUTCOMES = "outcomes"


AREAS = {
    Area.FRONT_DOOR: "Front door pressure",
    Area.AMBULANCE: "Ambulance turnaround",
    Area.ACUTE_FLOW: "Acute flow",
    Area.BED_BASE: "Right-sizing the emergency bed base",
    Area.SOCIAL_CARE: "Adult social care capacity",
    Area.FINANCE: "Financial benefits",
    Area.OUTCOMES: "Resident outcomes and activity",
}

# Which records a facts table holds, for the drill-down: the kind of record and its label.
KINDS = {
    "episode": "episodes",
    "spell": "hospital stays",
    "referral": "referrals",
    "nctr": "periods with no criteria to reside",
    "contact": "people",
}


@dataclass(frozen=True)
class Records:
    """The records a figure is made from: facts `table` rows whose `day` falls in the period (or, with
    `until`, whose interval from `day` to `until` overlaps it) and that meet `where`. `distinct` counts
    people rather than records; `met` is the condition a share counts."""

    table: str  # episode, spell, nctr, referral or contact
    day: str
    where: str = "1 = 1"
    distinct: str = ""
    met: str = ""
    until: str = ""

    @property
    def facts(self):
        return f"benefits_{self.table}_facts"

    @property
    def counts_people(self):
        """The figure counts different people (its list is of patients)."""
        return bool(self.distinct) or self.table == "contact"

    @property
    def kind(self):
        return "people" if self.counts_people else KINDS[self.table]


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    area: str
    unit: str  # count, %, days, beds, hours, £, minutes, per 100,000
    better: str  # higher, lower or neither
    description: str  # how it is made, in words the board uses
    sql: str
    grouped: bool = True  # run once per LIT and once for all of OCIT
    target: str = ""  # the assumption holding the target, if any
    assumptions: tuple = field(default=())  # assumptions the figure depends on
    formula: str = ""  # the sum shown beside the figure
    zero_when_empty: bool = False  # a period with no records is 0, not missing
    headline: bool = False  # the figure on the area's summary tile
    records: Records | None = None  # the records behind the figure, for the drill-down
    part_of: str = ""  # shown on the page of the metric it adds up to, not in the area's list
    can_be_negative: bool = False  # a saving or a difference; otherwise the chart's limits stop at 0
    family: str = ""  # metrics whose one SQL makes all their figures (it selects a `metric` column)

    @property
    def per_lit(self):
        """Savings and the figures made from system-wide baselines are reported for all of OCIT only."""
        return self.grouped or (self.area != Area.FINANCE and self.key not in SYSTEM_WIDE)

    @property
    def bounds(self):
        """The lowest and highest values the figure can take (the chart's process limits stop there)."""
        if self.unit == "%":
            return (0.0, 100.0)
        return (None, None) if self.can_be_negative else (0.0, None)

    @property
    def counts_records(self):
        """The figure is the number of records (or people) listed on its drill-down page."""
        return self.unit == "count" and self.records is not None and not self.records.until


# Step-up: people referred because they were at risk of an emergency admission (an urgent community response,
# or a referral from the ED front door or an ambulance crew), never from a ward.
STEP_UP = f"source <> '{Source.WARD}' AND (service = 'ucr' OR source IN ('front_door', 'ambulance'))"
REABLEMENT = "service IN ('step_up_reablement', 'step_down_reablement')"
GOOD_SEQUELS = ", ".join(
    f"'{s}'" for s in (Sequel.NO_ONGOING_SUPPORT, Sequel.UNIVERSAL_SERVICES, Sequel.LOW_LEVEL_SUPPORT)
)
EARLY_ENDINGS = ", ".join(f"'{s}'" for s in (Sequel.DIED, Sequel.DECLINED, Sequel.ADMITTED_TO_HOSPITAL))
KNOWN_FOLLOW_UPS = ", ".join(
    f"'{f}'" for f in (FollowUp.AT_HOME, FollowUp.IN_HOSPITAL, FollowUp.CARE_HOME, FollowUp.DIED)
)
UCR_IN_HOURS = "received_minute >= c.ucr_hours_from * 60 AND received_minute < c.ucr_hours_to * 60"
LIVE = "JOIN benefits_days d ON d.day = f.{day}_day AND d.ocit_live > 0"


def _period_join(records):
    """The calendar row of the period a record falls in (for conditions that read assumptions, `c.…`)."""
    return f"JOIN benefits_calendar c ON c.period = '{{period}}' AND c.start_day = {{b[{records.day}]}}"


def _count(records):
    value = f"COUNT(DISTINCT f.{records.distinct})" if records.distinct else "COUNT(*)"
    join = _period_join(records) if "c." in records.where else ""
    return f"""
        SELECT {{b[{records.day}]}} AS start_day, {{team}} AS team_id, {value} AS value, {value} AS records
        FROM {records.facts} f {join} WHERE f.{records.day}_day IS NOT NULL AND {records.where}
        GROUP BY {{b[{records.day}]}}{{by_team}}"""


def _share(records):
    """The percentage of records meeting `met` among the records."""
    join = _period_join(records) if "c." in records.where else ""
    return f"""
        SELECT {{b[{records.day}]}} AS start_day, {{team}} AS team_id,
               100.0 * SUM(CASE WHEN {records.met} THEN 1 ELSE 0 END) / COUNT(*) AS value, COUNT(*) AS records
        FROM {records.facts} f {join} WHERE f.{records.day}_day IS NOT NULL AND {records.where}
        GROUP BY {{b[{records.day}]}}{{by_team}}"""


def _aggregate(records, expression):
    """An aggregate (mean, median) of an expression over the records."""
    return f"""
        SELECT {{b[{records.day}]}} AS start_day, {{team}} AS team_id, {expression} AS value, COUNT(*) AS records
        FROM {records.facts} WHERE {records.day}_day IS NOT NULL AND {records.where}
        GROUP BY {{b[{records.day}]}}{{by_team}}"""


def _per_day(records):
    """The mean number of records open on each day of the period (an open one runs to today).

    A record `[start, end)` overlaps the periods that begin from the one holding its start and before its end.
    """
    began, ended = f"f.{records.day}_day", f"COALESCE(f.{records.until}_day, {{today}} + 1)"
    return f"""
        SELECT c.start_day, {{team}} AS team_id,
               1.0 * SUM(CASE WHEN {ended} < c.end_day THEN {ended} ELSE c.end_day END
                         - CASE WHEN {began} > c.start_day THEN {began} ELSE c.start_day END) / c.days AS value,
               COUNT(*) AS records
        FROM {records.facts} f JOIN benefits_calendar c
          ON c.period = '{{period}}' AND c.start_day >= {{b[{records.day}]}} AND c.start_day < {ended}
        WHERE {records.where}
        GROUP BY c.start_day, c.days{{by_team}}"""


# Every source's referrals in one pass: a family (see `Metric.family`).
REFERRALS_BY_SOURCE = """
        SELECT 'referrals_' || source AS metric, {b[received]} AS start_day, {team} AS team_id,
               COUNT(*) AS value, COUNT(*) AS records
        FROM benefits_referral_facts WHERE received_day IS NOT NULL
        GROUP BY source, {b[received]}{by_team}"""


def _from(metric, expression, *, where="1 = 1"):
    """A figure made from another metric already computed this run (LIT and all rows alike)."""
    return f"""
        SELECT s.start_day, s.team_id, {expression} AS value, s.records
        FROM benefits_staging s JOIN benefits_calendar c ON c.period = s.period AND c.start_day = s.start_day
        WHERE s.metric = '{metric}' AND s.period = '{{period}}' AND {where}"""


def _sum(*parts, all_only=False):
    """The sum of other metrics already computed this run, per LIT and for all (a missing part adds nothing)."""
    keys = ", ".join(f"'{part}'" for part in parts)
    teams = "AND s.team_id IS NULL" if all_only else ""
    return f"""
        SELECT s.start_day, s.team_id, SUM(s.value) AS value, SUM(s.records) AS records
        FROM benefits_staging s
        WHERE s.period = '{{period}}' AND s.metric IN ({keys}) {teams}
        GROUP BY s.start_day, s.team_id"""


def _stock(line, value):
    """A figure for all of OCIT from the daily running total of a stock line (see `STOCKS`): `stock` or
    `saving`, summed over the period's days; a period in which no episode closed has no figure."""
    return f"""
        SELECT c.start_day, NULL AS team_id, {value} AS value, SUM(k.records) AS records
        FROM benefits_calendar c
        JOIN benefits_stock k ON k.line = '{line}' AND k.day >= c.start_day AND k.day < c.end_day
        WHERE c.period = '{{period}}'
        GROUP BY c.start_day, c.days HAVING SUM(k.records) > 0"""


def _external(measure, aggregate="AVG"):
    return f"""
        SELECT {{b[on]}} AS start_day, NULL AS team_id, {aggregate}(value) AS value, COUNT(*) AS records
        FROM benefits_external_facts WHERE measure = '{measure}'
        GROUP BY {{b[on]}}"""


def _external_share(part, whole):
    """The percentage `part` makes of `whole`, both daily counts summed over the days that have both."""
    return f"""
        SELECT {{b[on]}} AS start_day, NULL AS team_id, 100.0 * SUM(part) / NULLIF(SUM(whole), 0) AS value,
               COUNT(*) AS records
        FROM (SELECT on_day, on_month,
                     SUM(CASE WHEN measure = '{part}' THEN value END) AS part,
                     SUM(CASE WHEN measure = '{whole}' THEN value END) AS whole
              FROM benefits_external_facts WHERE measure IN ('{part}', '{whole}')
              GROUP BY on_day, on_month) d
        WHERE part IS NOT NULL AND whole IS NOT NULL
        GROUP BY {{b[on]}}"""


@dataclass(frozen=True)
class Stock:
    """A saving that builds up: each day OCIT is live, (baseline − what started that day) of something that
    lasts `length` weeks once started (a long-term package, a care-home place) was avoided; what was avoided
    in the last `length` weeks is still being saved today. `value` is what a closed episode started (a
    column of the closure facts)."""

    value: str
    baseline: str  # the assumption: how many started before OCIT, per `per` days
    per: float
    length: str  # the assumption: how many weeks one lasts
    cost: str  # the assumption: the cost of one for a week


STOCKS = {
    "long_term_hours": Stock(
        "long_term_hours", A.BASELINE_LONG_TERM_HOURS, 7, A.LONG_TERM_PACKAGE_WEEKS, A.CARE_HOUR_COST
    ),
    "care_home": Stock(
        "care_home", A.BASELINE_CARE_HOME_ADMISSIONS, 365.25, A.CARE_HOME_STAY_WEEKS, A.LONG_TERM_BED_WEEK_COST
    ),
}


def _pathway_share(pathway, better, target, where, planning):
    records = Records(
        "spell", "discharged", "pathway IS NOT NULL AND destination <> 'died'", met=f"pathway = {pathway}"
    )
    return Metric(
        f"pathway_{pathway}_share",
        f"Discharges on pathway {pathway}",
        Area.ACUTE_FLOW,
        "%",
        better,
        f"Of people discharged in the period with a pathway recorded (not those who died), the share discharged "
        f"{where} (pathway {pathway}). National planning share: {planning}.",
        _share(records),
        target=target,
        records=records,
    )


AVOIDED = Records("episode", "closed", f"{STEP_UP} AND admitted_within_7_days = {{false}}")
REDIRECTED = Records("referral", "decided", "source = 'front_door' AND status IN ('accepted', 'completed')")
CONVEYANCES_AVOIDED = Records(
    "episode",
    "received",
    "service = 'ucr' AND source = 'ambulance' AND conveyed_within_24_hours = {false} AND received_day < {today} - 1",
)
WARD_REFERRALS = Records("referral", "received", "source = 'ward' AND from_spell = 1", met="ward_within_24_hours = 1")
SHORT_TERM_OUTCOME = Records(
    "episode",
    "closed",
    f"{REABLEMENT} AND sequel <> '' AND sequel NOT IN ({EARLY_ENDINGS})",
    met=f"sequel IN ({GOOD_SEQUELS})",
)
AT_HOME_91_DAYS = Records(
    "spell",
    "discharged",
    f"pathway IN (1, 2) AND aged_65 = 1 AND follow_up_91 IN ({KNOWN_FOLLOW_UPS})",
    met=f"follow_up_91 = '{FollowUp.AT_HOME}'",
)
SUPPORTED = Records("episode", "received", distinct="patient_id")
SHORT_TERM_SUPPORT = Records("episode", "received", f"({REABLEMENT} OR service = 'bed_based')", distinct="patient_id")
UCR_SEEN = Records(
    "episode", "received", f"service = 'ucr' AND response_known = 1 AND {UCR_IN_HOURS}", met="response_met = 1"
)
THERAPY = Records("contact", "at", distinct="patient_id")
OCIT_SPELLS = Records("spell", "discharged", "ocit_accepted = {true}")
DELAYED = Records("spell", "discharged", "ready_day IS NOT NULL")
LONG_TERM_SEQUELS = ", ".join(f"'{s}'" for s in LONG_TERM)
LONG_TERM_STARTED = Records("episode", "closed", f"end_hours IS NOT NULL AND sequel IN ({LONG_TERM_SEQUELS})")
CARE_HOME = ", ".join(f"'{s}'" for s in CARE_HOME_SEQUELS)
CARE_HOME_ADMISSIONS = Records("episode", "closed", f"sequel IN ({CARE_HOME})")
SHORT_TERM_BEDS = Records("episode", "received", "f.service = 'bed_based'", until="closed")
NCTR = Records("nctr", "began", until="ended")

METRICS = [
    # Front door pressure
    Metric(
        "admissions_avoided",
        "Admissions avoided",
        Area.FRONT_DOOR,
        "count",
        "higher",
        "People referred because they were at risk of an emergency admission (an urgent community response, or a "
        "referral from the ED front door or an ambulance crew) whose episode ended in the period with no emergency "
        "admission from the referral to 7 days after it ended.",
        _count(AVOIDED),
        zero_when_empty=True,
        headline=True,
        records=AVOIDED,
    ),
    Metric(
        "front_door_redirections",
        "Front-door redirections accepted",
        Area.FRONT_DOOR,
        "count",
        "higher",
        "Referrals from the ED front door that OCIT accepted, by the day of the decision.",
        _count(REDIRECTED),
        zero_when_empty=True,
        records=REDIRECTED,
    ),
    Metric(
        "ed_attendances",
        "ED attendances",
        Area.FRONT_DOOR,
        "count",
        "lower",
        "Emergency department attendances in the period (imported).",
        _external(X.ED_ATTENDANCES, "SUM"),
        grouped=False,
    ),
    # Ambulance turnaround
    Metric(
        "conveyances_avoided",
        "Conveyances avoided",
        Area.AMBULANCE,
        "count",
        "higher",
        "Urgent community responses to an ambulance crew's referral with no emergency admission within 24 hours.",
        _count(CONVEYANCES_AVOIDED),
        zero_when_empty=True,
        headline=True,
        records=CONVEYANCES_AVOIDED,
    ),
    *[
        Metric(
            f"handovers_within_{minutes}",
            f"Ambulance handovers within {minutes} minutes",
            Area.AMBULANCE,
            "%",
            "higher",
            f"Of ambulance handovers at the hospital, the share completed within {minutes} minutes of arrival "
            "(imported daily counts). National standard: 65% within 15, 95% within 30, all within 60 minutes.",
            _external_share(band, X.AMBULANCE_HANDOVERS),
            grouped=False,
            target=target,
        )
        for minutes, band, target in (
            (15, X.HANDOVERS_WITHIN_15, A.TARGET_HANDOVER_15),
            (30, X.HANDOVERS_WITHIN_30, A.TARGET_HANDOVER_30),
            (60, X.HANDOVERS_WITHIN_60, A.TARGET_HANDOVER_60),
        )
    ],
    Metric(
        "ambulance_handover_minutes",
        "Ambulance handover time (mean)",
        Area.AMBULANCE,
        "minutes",
        "lower",
        "Mean minutes from ambulance arrival to handover, from the daily figures imported.",
        _external(X.AMBULANCE_HANDOVER_MINUTES),
        grouped=False,
    ),
    # Acute flow
    Metric(
        "median_length_of_stay",
        "Length of stay of people OCIT took on (median)",
        Area.ACUTE_FLOW,
        "days",
        "lower",
        "Median days from admission to discharge of hospital stays with a referral OCIT accepted, by the day of "
        "discharge.",
        _aggregate(OCIT_SPELLS, "{median[discharged_day - admitted_day]}"),
        records=OCIT_SPELLS,
    ),
    Metric(
        "mean_delay_days",
        "Discharge delay (mean)",
        Area.ACUTE_FLOW,
        "days",
        "lower",
        "Mean days from the discharge ready date (start of the last no-criteria-to-reside period) to discharge.",
        _aggregate(DELAYED, "AVG(1.0 * (discharged_day - ready_day))"),
        headline=True,
        assumptions=(A.BASELINE_DELAY_DAYS,),
        records=DELAYED,
    ),
    Metric(
        "median_delay_days",
        "Discharge delay (median)",
        Area.ACUTE_FLOW,
        "days",
        "lower",
        "Median days from the discharge ready date to discharge.",
        _aggregate(DELAYED, "{median[discharged_day - ready_day]}"),
        records=DELAYED,
    ),
    Metric(
        "ward_referrals_within_24_hours",
        "Ward referrals raised within 24 hours of admission",
        Area.ACUTE_FLOW,
        "%",
        "higher",
        "Of referrals from a ward for an inpatient stay, the share received within 24 hours of admission.",
        _share(WARD_REFERRALS),
        records=WARD_REFERRALS,
    ),
    Metric(
        "nctr_patients",
        "Patients with no criteria to reside",
        Area.ACUTE_FLOW,
        "count",
        "lower",
        "Patients in hospital who no longer meet the criteria to reside, averaged over the days of the period.",
        _per_day(NCTR),
        zero_when_empty=True,
        records=NCTR,
    ),
    _pathway_share(0, "higher", A.TARGET_PATHWAY_0, "home with no new care", "at least 50%"),
    _pathway_share(1, "higher", A.TARGET_PATHWAY_1, "home with new or extra support", "at least 45%"),
    _pathway_share(2, "lower", A.TARGET_PATHWAY_2, "to a short-term community bed", "at most 4%"),
    _pathway_share(3, "lower", A.TARGET_PATHWAY_3, "to a care home to assess long-term needs", "at most 1%"),
    # Right-sizing the emergency bed base
    Metric(
        "bed_days_saved_delays",
        "Acute bed days saved by shorter delays",
        Area.BED_BASE,
        "days",
        "higher",
        "For hospital stays OCIT took on, discharged since go-live: the baseline delay minus the actual delay "
        "(discharge ready date to discharge), added up.",
        f"""
        SELECT {{b[discharged]}} AS start_day, {{team}} AS team_id,
               SUM(d.baseline_delay_days - (f.discharged_day - f.ready_day)) AS value, COUNT(*) AS records
        FROM benefits_spell_facts f {LIVE.format(day="discharged")}
        WHERE f.ready_day IS NOT NULL AND f.ocit_accepted = {{true}}
        GROUP BY {{b[discharged]}}{{by_team}}""",
        assumptions=(A.BASELINE_DELAY_DAYS, A.OCIT_LIVE),
        part_of="bed_days_saved",
        can_be_negative=True,
    ),
    Metric(
        "bed_days_saved_stays",
        "Acute bed days saved by shorter stays",
        Area.BED_BASE,
        "days",
        "higher",
        "For hospital stays OCIT took on, discharged since go-live: the baseline days from admission to discharge "
        "ready minus the actual days, added up.",
        f"""
        SELECT {{b[discharged]}} AS start_day, {{team}} AS team_id,
               SUM(d.baseline_days_to_ready - (f.ready_day - f.admitted_day)) AS value, COUNT(*) AS records
        FROM benefits_spell_facts f {LIVE.format(day="discharged")}
        WHERE f.ready_day IS NOT NULL AND f.ocit_accepted = {{true}}
        GROUP BY {{b[discharged]}}{{by_team}}""",
        assumptions=(A.BASELINE_DAYS_TO_READY, A.OCIT_LIVE),
        part_of="bed_days_saved",
        can_be_negative=True,
    ),
    Metric(
        "bed_days_saved_admissions",
        "Acute bed days saved by admissions avoided",
        Area.BED_BASE,
        "days",
        "higher",
        "Admissions avoided since go-live, each worth the emergency stay it would have been.",
        f"""
        SELECT {{b[closed]}} AS start_day, {{team}} AS team_id, SUM(d.avoided_stay_days) AS value, COUNT(*) AS records
        FROM benefits_episode_facts f {LIVE.format(day="closed")}
        WHERE {AVOIDED.where}
        GROUP BY {{b[closed]}}{{by_team}}""",
        assumptions=(A.AVOIDED_STAY_DAYS, A.OCIT_LIVE),
        part_of="bed_days_saved",
    ),
    Metric(
        "bed_days_saved",
        "Acute bed days saved",
        Area.BED_BASE,
        "days",
        "higher",
        "Bed days the hospital no longer needs: from shorter delays and shorter stays of the people OCIT took on, "
        "and from admissions avoided.",
        _sum("bed_days_saved_delays", "bed_days_saved_stays", "bed_days_saved_admissions"),
        grouped=False,
        formula="bed days saved by shorter delays + by shorter stays + by admissions avoided",
        assumptions=(A.BASELINE_DELAY_DAYS, A.BASELINE_DAYS_TO_READY, A.AVOIDED_STAY_DAYS, A.OCIT_LIVE),
        can_be_negative=True,
    ),
    *[
        Metric(
            f"beds_released_{part}",
            f"Acute beds released by {label}",
            Area.BED_BASE,
            "beds",
            "higher",
            f"Acute bed days saved by {label} divided by the days in the period.",
            _from(f"bed_days_saved_{part}", "1.0 * s.value / c.days", where="s.team_id IS NULL"),
            grouped=False,
            part_of="beds_released",
            can_be_negative=True,
        )
        for part, label in (
            ("delays", "shorter delays"),
            ("stays", "shorter stays"),
            ("admissions", "admissions avoided"),
        )
    ],
    Metric(
        "beds_released",
        "Acute beds released",
        Area.BED_BASE,
        "beds",
        "higher",
        "The whole system's equivalent acute beds: bed days saved (shorter delays, shorter stays, admissions "
        "avoided) divided by the days in the period. The roll-out goal of 90 beds is for all of OCIT.",
        _from("bed_days_saved", "1.0 * s.value / c.days", where="s.team_id IS NULL"),
        grouped=False,
        target=A.TARGET_BEDS_RELEASED,
        assumptions=(A.BASELINE_DELAY_DAYS, A.BASELINE_DAYS_TO_READY, A.AVOIDED_STAY_DAYS),
        formula="(bed days saved by shorter delays + shorter stays + admissions avoided) ÷ days in the period",
        headline=True,
        can_be_negative=True,
    ),
    Metric(
        "bed_occupancy",
        "Acute bed occupancy",
        Area.BED_BASE,
        "%",
        "lower",
        "Mean daily general and acute bed occupancy (imported).",
        _external(X.BED_OCCUPANCY),
        grouped=False,
    ),
    Metric(
        "escalation_beds",
        "Escalation beds open",
        Area.BED_BASE,
        "beds",
        "lower",
        "Mean escalation beds open each day (imported).",
        _external(X.ESCALATION_BEDS),
        grouped=False,
    ),
    # Adult social care capacity
    Metric(
        "long_term_hours_started",
        "Long-term care hours started a week",
        Area.SOCIAL_CARE,
        "hours",
        "lower",
        "Weekly hours of the long-term home-care packages started when episodes closed into long-term support, "
        "per week of the period: what happened, against the baseline of before OCIT.",
        f"""
        SELECT c.start_day, {{team}} AS team_id, 7.0 * SUM(f.end_hours) / c.days AS value, COUNT(*) AS records
        FROM benefits_episode_facts f
        JOIN benefits_calendar c ON c.period = '{{period}}' AND c.start_day = {{b[closed]}}
        WHERE f.closed_day IS NOT NULL AND {LONG_TERM_STARTED.where}
        GROUP BY c.start_day, c.days{{by_team}}""",
        zero_when_empty=True,
        assumptions=(A.BASELINE_LONG_TERM_HOURS,),
        records=LONG_TERM_STARTED,
    ),
    Metric(
        "care_hours_saved",
        "Long-term care hours saved a week",
        Area.SOCIAL_CARE,
        "hours",
        "higher",
        "Each week since go-live, fewer long-term home-care hours were started than before OCIT (the baseline); "
        "each of those hours would have run for an average package's length, so the hours saved build up week by "
        "week. The figure is the weekly hours being saved, averaged over the period.",
        _stock("long_term_hours", "SUM(k.stock) / c.days"),
        grouped=False,
        target=A.TARGET_CARE_HOURS_SAVED,
        assumptions=(A.BASELINE_LONG_TERM_HOURS, A.LONG_TERM_PACKAGE_WEEKS, A.OCIT_LIVE),
        formula="sum over the last (average package length) weeks of (baseline hours started a week − hours started)",
        headline=True,
        can_be_negative=True,
    ),
    Metric(
        "short_term_beds_in_use",
        "Short-term beds in use",
        Area.SOCIAL_CARE,
        "beds",
        "lower",
        "Bed-based intermediate care (pathway 2) episodes open, averaged over the days of the period.",
        _per_day(SHORT_TERM_BEDS),
        assumptions=(A.BASELINE_SHORT_TERM_BEDS,),
        records=SHORT_TERM_BEDS,
    ),
    Metric(
        "short_term_beds_saved",
        "Short-term beds saved",
        Area.SOCIAL_CARE,
        "beds",
        "higher",
        "Short-term beds in use before OCIT (the baseline) minus the beds in use, over the days OCIT was live.",
        _from(
            "short_term_beds_in_use",
            "(c.baseline_short_term_beds - s.value) * c.live_days / c.days",
            where="s.team_id IS NULL AND s.records > 0 AND c.live_days > 0",
        ),
        grouped=False,
        target=A.TARGET_SHORT_TERM_BEDS_SAVED,
        assumptions=(A.BASELINE_SHORT_TERM_BEDS, A.OCIT_LIVE),
        formula="(baseline short-term beds − short-term beds in use) × share of the period OCIT was live",
        can_be_negative=True,
    ),
    Metric(
        "care_home_admissions",
        "Permanent care-home admissions",
        Area.SOCIAL_CARE,
        "count",
        "lower",
        "Episodes that closed with a move into residential or nursing care (a pathway 3 placement to assess is not "
        "permanent).",
        _count(CARE_HOME_ADMISSIONS),
        zero_when_empty=True,
        assumptions=(A.BASELINE_CARE_HOME_ADMISSIONS,),
        records=CARE_HOME_ADMISSIONS,
    ),
    Metric(
        "long_term_beds_saved",
        "Long-term care-home beds saved",
        Area.SOCIAL_CARE,
        "beds",
        "higher",
        "Each day since go-live, fewer people moved permanently into a care home than before OCIT (the baseline "
        "a year); each place avoided would have lasted an average stay, so the beds saved build up. The figure is "
        "the beds being saved, averaged over the period.",
        _stock("care_home", "SUM(k.stock) / c.days"),
        grouped=False,
        target=A.TARGET_LONG_TERM_BEDS_SAVED,
        assumptions=(A.BASELINE_CARE_HOME_ADMISSIONS, A.CARE_HOME_STAY_WEEKS, A.OCIT_LIVE),
        formula="sum over the last (average stay) weeks of (baseline admissions a day − admissions)",
        can_be_negative=True,
    ),
    Metric(
        "care_home_admissions_12_months",
        "Permanent care-home admissions aged 65+ in the last 12 months",
        Area.SOCIAL_CARE,
        "count",
        "lower",
        "Permanent moves into residential or nursing care of people aged 65+ in the 365 days to the end of the period.",
        """
        SELECT c.start_day, {team} AS team_id, COUNT(*) AS value, COUNT(*) AS records
        FROM benefits_calendar c
        JOIN benefits_closure_facts f ON f.closed_day >= c.year_before_end AND f.closed_day < c.end_day
        WHERE c.period = '{period}' AND f.care_home = 1 AND f.aged_65 = 1
        GROUP BY c.start_day{by_team}""",
        zero_when_empty=True,
        part_of="care_home_admissions_per_100k",
    ),
    Metric(
        "care_home_admissions_per_100k",
        "Permanent care-home admissions per 100,000 aged 65+ a year",
        Area.SOCIAL_CARE,
        "per 100,000",
        "lower",
        "Permanent admissions to residential or nursing care of people aged 65+ in the 12 months to the end of the "
        "period, per 100,000 residents aged 65+ (ASCOF, annual rate; each LIT from its localities' population).",
        """
        SELECT s.start_day, s.team_id, 100000.0 * s.value / NULLIF(c.population_65_plus * p.share, 0) AS value,
               s.records
        FROM benefits_staging s
        JOIN benefits_calendar c ON c.period = s.period AND c.start_day = s.start_day
        JOIN benefits_population p ON p.team_id = COALESCE(s.team_id, 0)
        WHERE s.metric = 'care_home_admissions_12_months' AND s.period = '{period}' AND p.share > 0
          AND c.year_before_end >= {first}""",
        grouped=False,
        assumptions=(A.POPULATION_65_PLUS,),
    ),
    Metric(
        "short_term_outcome",
        "Short-term service outcome",
        Area.SOCIAL_CARE,
        "%",
        "higher",
        "Of reablement episodes that ended (not ending early for death, admission or a decline), the share whose "
        "sequel was no ongoing support, universal services or low-level support (ASCOF 2A).",
        _share(SHORT_TERM_OUTCOME),
        target=A.TARGET_SHORT_TERM_OUTCOME,
        records=SHORT_TERM_OUTCOME,
    ),
    Metric(
        "still_at_home_91_days",
        "Still at home 91 days after hospital discharge (65+)",
        Area.SOCIAL_CARE,
        "%",
        "higher",
        "Of people aged 65+ discharged from hospital into reablement or rehabilitation (pathways 1 and 2) whose "
        "91-day follow-up is known, the share at home 91 days after discharge, by the period of discharge.",
        _share(AT_HOME_91_DAYS),
        records=AT_HOME_91_DAYS,
    ),
    # Resident outcomes and activity
    Metric(
        "patients_supported",
        "Patients supported",
        Area.OUTCOMES,
        "count",
        "higher",
        "Different people starting an episode of OCIT support in the period.",
        _count(SUPPORTED),
        zero_when_empty=True,
        headline=True,
        records=SUPPORTED,
    ),
    Metric(
        "short_term_support",
        "People supported for a short while at or near home",
        Area.OUTCOMES,
        "count",
        "higher",
        "Different people starting reablement at home or bed-based intermediate care close to home in the period.",
        _count(SHORT_TERM_SUPPORT),
        zero_when_empty=True,
        records=SHORT_TERM_SUPPORT,
    ),
    Metric(
        "ucr_2_hour",
        "UCR seen within 2 hours",
        Area.OUTCOMES,
        "%",
        "higher",
        "Of urgent community response referrals received in the service's hours whose clock has stopped (or run "
        "out), the share first seen face to face within 2 hours, in elapsed time (a call does not stop the clock).",
        _share(UCR_SEEN),
        target=A.TARGET_UCR_2H,
        assumptions=(A.UCR_HOURS_FROM, A.UCR_HOURS_TO),
        records=UCR_SEEN,
    ),
    Metric(
        "therapy_at_home",
        "Patients given therapy at or near home",
        Area.OUTCOMES,
        "count",
        "higher",
        "Different people with an attended occupational therapy or physiotherapy contact at home or in a clinic "
        "in the period.",
        _count(THERAPY),
        zero_when_empty=True,
        records=THERAPY,
    ),
    *[
        Metric(
            f"referrals_{source.value}",
            f"Referrals from: {source.label}",
            Area.OUTCOMES,
            "count",
            "neither",
            f"Referrals received from {source.label.lower()}.",
            REFERRALS_BY_SOURCE,
            zero_when_empty=True,
            records=Records("referral", "received", f"source = '{source.value}'"),
            family="referrals_by_source",
        )
        for source in Source
    ],
    # Financial benefits (all of OCIT)
    Metric(
        "home_care_saving",
        "Long-term home support saving",
        Area.FINANCE,
        "£",
        "higher",
        "The long-term care hours being saved each day (see 'Long-term care hours saved a week') at the cost of a "
        "care hour.",
        _stock("long_term_hours", "SUM(k.saving)"),
        grouped=False,
        formula="long-term care hours saved a week × weeks in the period × cost of a care hour",
        assumptions=(A.BASELINE_LONG_TERM_HOURS, A.LONG_TERM_PACKAGE_WEEKS, A.CARE_HOUR_COST, A.OCIT_LIVE),
        can_be_negative=True,
    ),
    Metric(
        "short_term_bed_saving",
        "Short-term bed saving",
        Area.FINANCE,
        "£",
        "higher",
        "Short-term beds saved (the baseline minus the beds in use) for the weeks of the period.",
        _from(
            "short_term_beds_saved",
            "s.value * c.days / 7.0 * c.short_term_bed_week_cost",
            where="s.team_id IS NULL",
        ),
        grouped=False,
        formula="(baseline short-term beds − short-term beds in use) × weeks in the period × cost of a bed week",
        assumptions=(A.BASELINE_SHORT_TERM_BEDS, A.SHORT_TERM_BED_WEEK_COST, A.OCIT_LIVE),
        can_be_negative=True,
    ),
    Metric(
        "long_term_bed_saving",
        "Long-term bed saving",
        Area.FINANCE,
        "£",
        "higher",
        "The long-term care-home beds being saved each day (see 'Long-term care-home beds saved') at the cost of "
        "a bed.",
        _stock("care_home", "SUM(k.saving)"),
        grouped=False,
        formula="long-term beds saved × weeks in the period × cost of a long-term bed week",
        assumptions=(A.BASELINE_CARE_HOME_ADMISSIONS, A.CARE_HOME_STAY_WEEKS, A.LONG_TERM_BED_WEEK_COST, A.OCIT_LIVE),
        can_be_negative=True,
    ),
    Metric(
        "total_saving",
        "Total planned-category saving",
        Area.FINANCE,
        "£",
        "higher",
        "Long-term home support, short-term bed and long-term bed savings together: the categories of the savings "
        "plan.",
        _sum("home_care_saving", "short_term_bed_saving", "long_term_bed_saving", all_only=True),
        grouped=False,
        formula="long-term home support saving + short-term bed saving + long-term bed saving",
        headline=True,
        can_be_negative=True,
    ),
    Metric(
        "acute_bed_day_saving",
        "Acute bed-day saving",
        Area.FINANCE,
        "£",
        "higher",
        "Acute bed days saved valued at the cost of a bed day: a system benefit outside the savings plan, mostly "
        "not cashable.",
        _from("bed_days_saved", "s.value * c.acute_bed_day_cost", where="s.team_id IS NULL"),
        grouped=False,
        formula="acute bed days saved × cost of an acute bed day",
        assumptions=(A.BASELINE_DELAY_DAYS, A.BASELINE_DAYS_TO_READY, A.AVOIDED_STAY_DAYS, A.ACUTE_BED_DAY_COST),
        can_be_negative=True,
    ),
    Metric(
        "system_benefit",
        "Overall system benefit",
        Area.FINANCE,
        "£",
        "higher",
        "The planned-category savings and the acute bed-day saving together: the whole system's benefit, part "
        "cashable, part not.",
        _sum("total_saving", "acute_bed_day_saving", all_only=True),
        grouped=False,
        formula="total planned-category saving + acute bed-day saving",
        can_be_negative=True,
    ),
]

# Figures whose baselines are for the whole system: reported for all of OCIT only.
SYSTEM_WIDE = {
    "beds_released",
    "beds_released_delays",
    "beds_released_stays",
    "beds_released_admissions",
    "care_hours_saved",
    "short_term_beds_saved",
    "long_term_beds_saved",
}

BY_KEY = {metric.key: metric for metric in METRICS}
assert len(BY_KEY) == len(METRICS), "metric keys must be unique"
assert all(m.sql.rstrip().endswith("{by_team}") for m in METRICS if m.grouped), "grouped SQL ends with its GROUP BY"
assert all(m.part_of in BY_KEY for m in METRICS if m.part_of), "a part adds up to a metric in the catalogue"


def for_area(area):
    """The metrics listed in an area (parts are shown on the page of what they add up to)."""
    return [metric for metric in METRICS if metric.area == area and not metric.part_of]


def family(metric):
    """The metrics made by the same SQL as this one, in catalogue order."""
    return [other for other in METRICS if other.family and other.family == metric.family]


def parts_of(metric):
    return [part for part in METRICS if part.part_of == metric.key]


def headline(area):
    return next((metric for metric in METRICS if metric.area == area and metric.headline), for_area(area)[0])
