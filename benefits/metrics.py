"""The metric catalogue: what the programme board sees, and how each figure is made from the records.

Each metric is one small definition. Its `sql` is a SELECT over the facts tables built by the
recompute (one row per episode, spell, NCTR period, referral or therapy contact, with dates as day
numbers) that returns `(start_day, team_id, value, records)` for one kind of period. Placeholders:

- `{b[received]}`: the period an event falls in, from the fact's `received_day` / `received_month`;
- `{median[expression]}`, `{true}`, `{false}`, `{today}`: what differs between databases, and today;
- `{team}` / `{by_team}`: per LIT (`team_id` / `, team_id`) or for all of OCIT (`NULL` / nothing):
  grouped metrics run twice, once per LIT and once for all;
- `{period}`: "week" or "month", to join the calendar table `c` (one row per period with its days
  and the assumptions in force at its start) or to read figures already computed (`s`, staging).

Derived metrics (finance, rates per population, beds released) read earlier metrics from staging,
so a metric appears in the list after everything it is made from. The SQL is built only from the
constants in this module, never from input.
"""
# ruff: noqa: S608

import datetime
from dataclasses import dataclass, field

from benefits.models import AssumptionKey, ExternalMeasureKey
from caseload.models import Sequel, Source

GO_LIVE = datetime.date(2024, 7, 1)  # OCIT roll-out [seed 001]: charts are re-based here


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
    formula: str = ""  # finance: the sum shown beside the figure
    zero_when_empty: bool = False  # a period with no records is 0, not missing
    headline: bool = False  # the figure on the area's summary tile

    @property
    def per_lit(self):
        """Finance is reported for all of OCIT only (its baselines are system-wide)."""
        return self.grouped or self.area != Area.FINANCE


STEP_UP = f"source <> '{Source.WARD}' AND (service = 'ucr' OR source IN ('front_door', 'gp', 'ambulance'))"
REABLEMENT = "service IN ('step_up_reablement', 'step_down_reablement')"
GOOD_SEQUELS = ", ".join(
    f"'{s}'" for s in (Sequel.NO_ONGOING_SUPPORT, Sequel.UNIVERSAL_SERVICES, Sequel.LOW_LEVEL_SUPPORT)
)
EARLY_ENDINGS = ", ".join(f"'{s}'" for s in (Sequel.DIED, Sequel.DECLINED, Sequel.ADMITTED_TO_HOSPITAL))
CARE_HOME = f"'{Sequel.RESIDENTIAL_CARE}', '{Sequel.NURSING_CARE}'"


def _count(table, day, where, *, distinct=""):
    value = f"COUNT(DISTINCT {distinct})" if distinct else "COUNT(*)"
    return f"""
        SELECT {{b[{day}]}} AS start_day, {{team}} AS team_id, {value} AS value, {value} AS records
        FROM {table} WHERE {day}_day IS NOT NULL AND {where}
        GROUP BY {{b[{day}]}}{{by_team}}"""


def _share(table, day, where, met):
    """The percentage of rows meeting `met` among the rows matching `where`."""
    return f"""
        SELECT {{b[{day}]}} AS start_day, {{team}} AS team_id,
               100.0 * SUM(CASE WHEN {met} THEN 1 ELSE 0 END) / COUNT(*) AS value, COUNT(*) AS records
        FROM {table} WHERE {day}_day IS NOT NULL AND {where}
        GROUP BY {{b[{day}]}}{{by_team}}"""


def _per_day(table, start, end, where):
    """The mean number of rows open on each day of the period (an open row runs to today).

    A row `[start, end)` overlaps the periods that begin from the one holding its start and before its end.
    """
    began, ended = f"f.{start}_day", f"COALESCE(f.{end}_day, {{today}} + 1)"
    return f"""
        SELECT c.start_day, {{team}} AS team_id,
               1.0 * SUM(CASE WHEN {ended} < c.end_day THEN {ended} ELSE c.end_day END
                         - CASE WHEN {began} > c.start_day THEN {began} ELSE c.start_day END) / c.days AS value,
               COUNT(*) AS records
        FROM {table} f JOIN benefits_calendar c
          ON c.period = '{{period}}' AND c.start_day >= {{b[{start}]}} AND c.start_day < {ended}
        WHERE {where}
        GROUP BY c.start_day, c.days{{by_team}}"""


def _from(metric, expression, *, where="1 = 1"):
    """A figure made from another metric already computed this run (LIT and all rows alike)."""
    return f"""
        SELECT s.start_day, s.team_id, {expression} AS value, s.records
        FROM benefits_staging s JOIN benefits_calendar c ON c.period = s.period AND c.start_day = s.start_day
        WHERE s.metric = '{metric}' AND s.period = '{{period}}' AND {where}"""


def _external(measure, aggregate="AVG"):
    return f"""
        SELECT {{b[on]}} AS start_day, NULL AS team_id, {aggregate}(value) AS value, COUNT(*) AS records
        FROM benefits_external_facts WHERE measure = '{measure}'
        GROUP BY {{b[on]}}"""


METRICS = [
    # Front door pressure
    Metric(
        "admissions_avoided",
        "Admissions avoided",
        Area.FRONT_DOOR,
        "count",
        "higher",
        "Step-up episodes (UCR, or from the front door, a GP or an ambulance) that ended in the period with no "
        "emergency admission from the referral to 7 days after the episode ended.",
        _count("benefits_episode_facts", "closed", f"{STEP_UP} AND admitted_within_7_days = {{false}}"),
        zero_when_empty=True,
        headline=True,
    ),
    Metric(
        "front_door_redirections",
        "Front-door redirections accepted",
        Area.FRONT_DOOR,
        "count",
        "higher",
        "Referrals from the ED front door that OCIT accepted, by the day of the decision.",
        _count("benefits_referral_facts", "decided", "source = 'front_door' AND status IN ('accepted', 'completed')"),
        zero_when_empty=True,
    ),
    Metric(
        "ed_attendances",
        "ED attendances",
        Area.FRONT_DOOR,
        "count",
        "lower",
        "Emergency department attendances in the period (imported).",
        _external(ExternalMeasureKey.ED_ATTENDANCES, "SUM"),
        grouped=False,
    ),
    # Ambulance turnaround
    Metric(
        "conveyances_avoided",
        "Conveyances avoided",
        Area.AMBULANCE,
        "count",
        "higher",
        "UCR episodes referred by the ambulance service with no emergency admission within 24 hours of the referral.",
        _count(
            "benefits_episode_facts",
            "received",
            "service = 'ucr' AND source = 'ambulance' AND conveyed_within_24_hours = {false} "
            "AND received_day < {today} - 1",
        ),
        zero_when_empty=True,
        headline=True,
    ),
    Metric(
        "ambulance_handover_minutes",
        "Ambulance handover time",
        Area.AMBULANCE,
        "minutes",
        "lower",
        "Mean minutes from ambulance arrival to handover, from the daily figures imported.",
        _external(ExternalMeasureKey.AMBULANCE_HANDOVER_MINUTES),
        grouped=False,
        target=AssumptionKey.TARGET_AMBULANCE_HANDOVER,
    ),
    # Acute flow
    Metric(
        "median_length_of_stay",
        "Length of stay of OCIT-referred patients (median)",
        Area.ACUTE_FLOW,
        "days",
        "lower",
        "Median days from admission to discharge of spells with a referral to OCIT, by the day of discharge.",
        """
        SELECT {b[discharged]} AS start_day, {team} AS team_id,
               {median[discharged_day - admitted_day]} AS value, COUNT(*) AS records
        FROM benefits_spell_facts WHERE discharged_day IS NOT NULL AND ocit_referred = {true}
        GROUP BY {b[discharged]}{by_team}""",
    ),
    Metric(
        "mean_delay_days",
        "Discharge delay (mean)",
        Area.ACUTE_FLOW,
        "days",
        "lower",
        "Mean days from the discharge ready date (start of the last no-criteria-to-reside period) to discharge.",
        """
        SELECT {b[discharged]} AS start_day, {team} AS team_id,
               AVG(1.0 * (discharged_day - ready_day)) AS value, COUNT(*) AS records
        FROM benefits_spell_facts WHERE discharged_day IS NOT NULL AND ready_day IS NOT NULL
        GROUP BY {b[discharged]}{by_team}""",
        headline=True,
        assumptions=(AssumptionKey.BASELINE_DELAY_DAYS,),
    ),
    Metric(
        "median_delay_days",
        "Discharge delay (median)",
        Area.ACUTE_FLOW,
        "days",
        "lower",
        "Median days from the discharge ready date to discharge.",
        """
        SELECT {b[discharged]} AS start_day, {team} AS team_id,
               {median[discharged_day - ready_day]} AS value, COUNT(*) AS records
        FROM benefits_spell_facts WHERE discharged_day IS NOT NULL AND ready_day IS NOT NULL
        GROUP BY {b[discharged]}{by_team}""",
    ),
    Metric(
        "ward_referrals_within_24_hours",
        "Ward referrals raised within 24 hours of admission",
        Area.ACUTE_FLOW,
        "%",
        "higher",
        "Of referrals from a ward for an inpatient spell, the share received within 24 hours of admission.",
        _share("benefits_referral_facts", "received", "source = 'ward' AND from_spell = 1", "ward_within_24_hours = 1"),
    ),
    Metric(
        "nctr_patients",
        "Patients with no criteria to reside",
        Area.ACUTE_FLOW,
        "count",
        "lower",
        "Patients in hospital who no longer meet the criteria to reside, averaged over the days of the period.",
        _per_day("benefits_nctr_facts", "began", "ended", "1 = 1"),
        zero_when_empty=True,
    ),
    # Right-sizing the emergency bed base
    Metric(
        "bed_days_saved",
        "Acute bed days saved",
        Area.BED_BASE,
        "days",
        "higher",
        "For OCIT-referred spells discharged in the period: the baseline delay minus the actual delay, added up.",
        """
        SELECT c.start_day, {team} AS team_id,
               SUM(c.baseline_delay_days - (f.discharged_day - f.ready_day)) AS value, COUNT(*) AS records
        FROM benefits_spell_facts f JOIN benefits_calendar c ON c.period = '{period}' AND c.start_day = {b[discharged]}
        WHERE f.discharged_day IS NOT NULL AND f.ready_day IS NOT NULL AND f.ocit_referred = {true}
        GROUP BY c.start_day{by_team}""",
        assumptions=(AssumptionKey.BASELINE_DELAY_DAYS,),
        zero_when_empty=True,
    ),
    Metric(
        "beds_released",
        "Acute beds released",
        Area.BED_BASE,
        "beds",
        "higher",
        "Acute bed days saved divided by the days in the period: the beds the hospital no longer needs.",
        _from("bed_days_saved", "1.0 * s.value / c.days"),
        grouped=False,
        target=AssumptionKey.TARGET_BEDS_RELEASED,
        assumptions=(AssumptionKey.BASELINE_DELAY_DAYS,),
        headline=True,
    ),
    Metric(
        "bed_occupancy",
        "Acute bed occupancy",
        Area.BED_BASE,
        "%",
        "lower",
        "Mean daily general and acute bed occupancy (imported).",
        _external(ExternalMeasureKey.BED_OCCUPANCY),
        grouped=False,
    ),
    Metric(
        "escalation_beds",
        "Escalation beds open",
        Area.BED_BASE,
        "beds",
        "lower",
        "Mean escalation beds open each day (imported).",
        _external(ExternalMeasureKey.ESCALATION_BEDS),
        grouped=False,
    ),
    # Adult social care capacity
    Metric(
        "long_term_hours_started",
        "Long-term care hours started a week",
        Area.SOCIAL_CARE,
        "hours",
        "lower",
        "Weekly hours of the long-term packages in place when episodes ending in long-term support closed, per week.",
        """
        SELECT c.start_day, {team} AS team_id, 7.0 * SUM(f.end_hours) / c.days AS value, COUNT(*) AS records
        FROM benefits_episode_facts f JOIN benefits_calendar c ON c.period = '{period}' AND c.start_day = {b[closed]}
        WHERE f.closed_day IS NOT NULL AND f.end_hours IS NOT NULL AND f.sequel LIKE 'long_term_%'
        GROUP BY c.start_day, c.days{by_team}""",
        zero_when_empty=True,
    ),
    Metric(
        "care_hours_saved",
        "Care hours saved a week",
        Area.SOCIAL_CARE,
        "hours",
        "higher",
        "For episodes that closed: weekly care hours at the start minus at the end, added up, per week of the period.",
        """
        SELECT c.start_day, {team} AS team_id,
               7.0 * SUM(f.start_hours - f.end_hours) / c.days AS value, COUNT(*) AS records
        FROM benefits_episode_facts f JOIN benefits_calendar c ON c.period = '{period}' AND c.start_day = {b[closed]}
        WHERE f.closed_day IS NOT NULL AND f.start_hours IS NOT NULL AND f.end_hours IS NOT NULL
        GROUP BY c.start_day, c.days{by_team}""",
        zero_when_empty=True,
        headline=True,
    ),
    Metric(
        "short_term_beds_in_use",
        "Short-term beds in use",
        Area.SOCIAL_CARE,
        "beds",
        "lower",
        "Bed-based intermediate care (pathway 2) episodes open, averaged over the days of the period.",
        _per_day("benefits_episode_facts", "received", "closed", "f.service = 'bed_based'"),
        assumptions=(AssumptionKey.BASELINE_SHORT_TERM_BEDS,),
        zero_when_empty=True,
    ),
    Metric(
        "care_home_admissions",
        "Permanent care-home admissions (65+)",
        Area.SOCIAL_CARE,
        "count",
        "lower",
        "Episodes of people aged 65 or over that closed with a move into residential or nursing care.",
        _count("benefits_episode_facts", "closed", f"aged_65 = 1 AND sequel IN ({CARE_HOME})"),
        zero_when_empty=True,
    ),
    Metric(
        "care_home_admissions_per_100k",
        "Permanent care-home admissions per 100,000 aged 65+",
        Area.SOCIAL_CARE,
        "per 100,000",
        "lower",
        "Permanent care-home admissions (65+) in the period per 100,000 residents aged 65 or over "
        "(each LIT's share of the population from its localities).",
        """
        SELECT s.start_day, s.team_id, 100000.0 * s.value / (c.population_65_plus * p.share) AS value, s.records
        FROM benefits_staging s
        JOIN benefits_calendar c ON c.period = s.period AND c.start_day = s.start_day
        JOIN benefits_population p ON p.team_id = COALESCE(s.team_id, 0)
        WHERE s.metric = 'care_home_admissions' AND s.period = '{period}' AND p.share > 0""",
        grouped=False,
        assumptions=(AssumptionKey.POPULATION_65_PLUS,),
    ),
    Metric(
        "short_term_outcome",
        "Short-term service outcome",
        Area.SOCIAL_CARE,
        "%",
        "higher",
        "Of reablement episodes that ended (not ending early for death, admission or a decline), the share whose "
        "sequel was no ongoing support, universal services or low-level support (ASCOF 2A).",
        _share(
            "benefits_episode_facts",
            "closed",
            f"{REABLEMENT} AND sequel <> '' AND sequel NOT IN ({EARLY_ENDINGS})",
            f"sequel IN ({GOOD_SEQUELS})",
        ),
        target=AssumptionKey.TARGET_SHORT_TERM_OUTCOME,
    ),
    Metric(
        "still_at_home_91_days",
        "Still at home 91 days after reablement (65+)",
        Area.SOCIAL_CARE,
        "%",
        "higher",
        "Of people aged 65+ discharged from hospital into reablement whose 91-day follow-up is known, "
        "the share at home, by the month the episode closed.",
        _share(
            "benefits_episode_facts",
            "closed",
            "service = 'step_down_reablement' AND aged_65 = 1 "
            "AND follow_up_91 IN ('at_home', 'in_hospital', 'care_home', 'died')",
            "follow_up_91 = 'at_home'",
        ),
    ),
    # Resident outcomes and activity
    Metric(
        "patients_supported",
        "Patients supported",
        Area.OUTCOMES,
        "count",
        "higher",
        "Different people starting an episode of OCIT support in the period.",
        _count("benefits_episode_facts", "received", "1 = 1", distinct="patient_id"),
        zero_when_empty=True,
        headline=True,
    ),
    Metric(
        "ucr_2_hour",
        "UCR seen within 2 hours",
        Area.OUTCOMES,
        "%",
        "higher",
        "Of urgent community response referrals whose clock has ended, the share first seen within 2 hours.",
        _share("benefits_episode_facts", "received", "service = 'ucr' AND response_known = 1", "response_met = 1"),
        target=AssumptionKey.TARGET_UCR_2H,
    ),
    Metric(
        "therapy_at_home",
        "Patients given therapy at home",
        Area.OUTCOMES,
        "count",
        "higher",
        "Different people with an attended occupational therapy or physiotherapy contact at home in the period.",
        _count("benefits_contact_facts", "at", "1 = 1", distinct="patient_id"),
        zero_when_empty=True,
    ),
    *[
        Metric(
            f"referrals_{source.value}",
            f"Referrals from: {source.label}",
            Area.OUTCOMES,
            "count",
            "neither",
            f"Referrals received from {source.label.lower()}.",
            _count("benefits_referral_facts", "received", f"source = '{source.value}'"),
            zero_when_empty=True,
        )
        for source in Source
    ],
    # Financial benefits (all of OCIT)
    Metric(
        "home_care_saving",
        "Home-care saving",
        Area.FINANCE,
        "£",
        "higher",
        "The care hours a week no longer needed by people whose episodes closed, over an average long-term package.",
        _from(
            "care_hours_saved",
            "s.value * c.days / 7.0 * c.long_term_package_weeks * c.care_hour_cost",
            where="s.team_id IS NULL",
        ),
        grouped=False,
        formula="care hours saved a week × weeks in the period × average package length (weeks) × cost of a care hour",
        assumptions=(AssumptionKey.LONG_TERM_PACKAGE_WEEKS, AssumptionKey.CARE_HOUR_COST),
    ),
    Metric(
        "short_term_bed_saving",
        "Short-term bed saving",
        Area.FINANCE,
        "£",
        "higher",
        "Short-term beds in use below the baseline, for the weeks of the period.",
        _from(
            "short_term_beds_in_use",
            "(c.baseline_short_term_beds - s.value) * c.days / 7.0 * c.short_term_bed_week_cost",
            where="s.team_id IS NULL",
        ),
        grouped=False,
        formula="(baseline short-term beds − short-term beds in use) × weeks in the period × cost of a bed week",
        assumptions=(AssumptionKey.BASELINE_SHORT_TERM_BEDS, AssumptionKey.SHORT_TERM_BED_WEEK_COST),
    ),
    Metric(
        "long_term_bed_saving",
        "Long-term bed saving",
        Area.FINANCE,
        "£",
        "higher",
        "Care-home placements avoided among people leaving reablement, against the baseline rate, "
        "over a year of a long-term bed.",
        """
        SELECT c.start_day, NULL AS team_id,
               (c.baseline_care_home_rate / 100.0 * COUNT(*)
                - SUM(CASE WHEN f.sequel IN ('residential_care', 'nursing_care') THEN 1 ELSE 0 END))
               * c.care_home_stay_weeks * c.long_term_bed_week_cost AS value,
               COUNT(*) AS records
        FROM benefits_episode_facts f JOIN benefits_calendar c ON c.period = '{period}' AND c.start_day = {b[closed]}
        WHERE f.closed_day IS NOT NULL AND f.service IN ('step_up_reablement', 'step_down_reablement')
        GROUP BY c.start_day, c.baseline_care_home_rate, c.care_home_stay_weeks, c.long_term_bed_week_cost""",
        grouped=False,
        formula="(baseline care-home rate × people leaving reablement − care-home admissions among them) "
        "× long-term bed weeks each × cost of a long-term bed week",
        assumptions=(
            AssumptionKey.BASELINE_CARE_HOME_RATE,
            AssumptionKey.CARE_HOME_STAY_WEEKS,
            AssumptionKey.LONG_TERM_BED_WEEK_COST,
        ),
    ),
    Metric(
        "acute_bed_day_saving",
        "Acute bed-day saving",
        Area.FINANCE,
        "£",
        "higher",
        "Acute bed days saved valued at the cost of a bed day (a system benefit outside the savings plan).",
        _from("bed_days_saved", "s.value * c.acute_bed_day_cost", where="s.team_id IS NULL"),
        grouped=False,
        formula="acute bed days saved × cost of an acute bed day",
        assumptions=(AssumptionKey.BASELINE_DELAY_DAYS, AssumptionKey.ACUTE_BED_DAY_COST),
    ),
    Metric(
        "total_saving",
        "Total planned-category saving",
        Area.FINANCE,
        "£",
        "higher",
        "Home-care, short-term bed and long-term bed savings together: the categories of the savings plan.",
        """
        SELECT s.start_day, NULL AS team_id, SUM(s.value) AS value, SUM(s.records) AS records
        FROM benefits_staging s
        WHERE s.period = '{period}' AND s.team_id IS NULL
          AND s.metric IN ('home_care_saving', 'short_term_bed_saving', 'long_term_bed_saving')
        GROUP BY s.start_day""",
        grouped=False,
        formula="home-care saving + short-term bed saving + long-term bed saving",
        headline=True,
    ),
]

BY_KEY = {metric.key: metric for metric in METRICS}
assert len(BY_KEY) == len(METRICS), "metric keys must be unique"
assert all(m.sql.rstrip().endswith("{by_team}") for m in METRICS if m.grouped), "grouped SQL ends with its GROUP BY"


def for_area(area):
    return [metric for metric in METRICS if metric.area == area]


def headline(area):
    return next((metric for metric in METRICS if metric.area == area and metric.headline), for_area(area)[0])
