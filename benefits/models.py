"""Stored figures, the assumptions that made them, imported measures and the record of each recompute."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from caseload.models import Team
from ocit.bounds import in_range, plausible_date


class Period(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class AssumptionKey(models.TextChoices):
    """Every rate, baseline and target a figure depends on: values with effective dates, edited in the admin.

    A baseline is what would have happened without OCIT (the counterfactual): a saving is always
    (baseline − what the records say happened) × a unit cost, counted only while OCIT is live.
    """

    OCIT_LIVE = "ocit_live", "OCIT live: savings counted (1) or not yet (0)"
    # Long-term home support
    BASELINE_LONG_TERM_HOURS = "baseline_long_term_hours", "Long-term home-care hours started a week before OCIT"
    LONG_TERM_PACKAGE_WEEKS = "long_term_package_weeks", "Average length of a long-term home-care package (weeks)"
    CARE_HOUR_COST = "care_hour_cost", "Cost of a home-care hour (£)"
    # Short-term beds
    BASELINE_SHORT_TERM_BEDS = "baseline_short_term_beds", "Short-term beds in use before OCIT"
    SHORT_TERM_BED_WEEK_COST = "short_term_bed_week_cost", "Cost of a short-term bed for a week (£)"
    # Long-term beds
    BASELINE_CARE_HOME_ADMISSIONS = (
        "baseline_care_home_admissions",
        "Permanent care-home admissions a year before OCIT, of people OCIT now supports",
    )
    CARE_HOME_STAY_WEEKS = "care_home_stay_weeks", "Average length of a permanent care-home stay (weeks)"
    LONG_TERM_BED_WEEK_COST = "long_term_bed_week_cost", "Cost of a long-term care-home bed for a week (£)"
    # Acute beds
    BASELINE_DELAY_DAYS = "baseline_delay_days", "Discharge delay before OCIT (days from ready to discharge)"
    BASELINE_DAYS_TO_READY = "baseline_days_to_ready", "Days from admission to discharge ready before OCIT"
    AVOIDED_STAY_DAYS = "avoided_stay_days", "Length of the emergency stay an avoided admission would have been (days)"
    ACUTE_BED_DAY_COST = "acute_bed_day_cost", "Cost of an acute bed day (£)"
    # Definitions
    POPULATION_65_PLUS = "population_65_plus", "Population aged 65+ (all of OCIT)"
    UCR_HOURS_FROM = "ucr_hours_from", "UCR service hours: referrals received from (hour of the day)"
    UCR_HOURS_TO = "ucr_hours_to", "UCR service hours: referrals received before (hour of the day)"
    # Targets
    TARGET_UCR_2H = "target_ucr_2h", "Target: UCR seen within 2 hours (%)"
    TARGET_SHORT_TERM_OUTCOME = "target_short_term_outcome", "Target: short-term service outcome (%)"
    TARGET_HANDOVER_15 = "target_handover_15", "Target: ambulance handovers within 15 minutes (%)"
    TARGET_HANDOVER_30 = "target_handover_30", "Target: ambulance handovers within 30 minutes (%)"
    TARGET_HANDOVER_60 = "target_handover_60", "Target: ambulance handovers within 60 minutes (%)"
    TARGET_PATHWAY_0 = "target_pathway_0", "Planning share: discharges on pathway 0 (%, at least)"
    TARGET_PATHWAY_1 = "target_pathway_1", "Planning share: discharges on pathway 1 (%, at least)"
    TARGET_PATHWAY_2 = "target_pathway_2", "Planning share: discharges on pathway 2 (%, at most)"
    TARGET_PATHWAY_3 = "target_pathway_3", "Planning share: discharges on pathway 3 (%, at most)"
    TARGET_CARE_HOURS_SAVED = "target_care_hours_saved", "Roll-out goal: long-term care hours saved a week"
    TARGET_SHORT_TERM_BEDS_SAVED = "target_short_term_beds_saved", "Roll-out goal: short-term beds saved"
    TARGET_LONG_TERM_BEDS_SAVED = "target_long_term_beds_saved", "Roll-out goal: long-term beds saved"
    TARGET_BEDS_RELEASED = "target_beds_released", "Roll-out goal: acute beds released (all of OCIT)"
    TARGET_SYSTEM_BENEFIT = "target_system_benefit", "Roll-out goal: overall system benefit a year (£)"


class Assumption(models.Model):
    """One value of an assumption from a date: the value in force on a day is the latest one before it."""

    key = models.CharField(max_length=40, choices=AssumptionKey.choices)
    effective_from = models.DateField(
        validators=[plausible_date],
    )
    value = models.DecimalField(max_digits=12, decimal_places=2)
    source = models.CharField(max_length=200, blank=True, help_text="Where the figure comes from.")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "-effective_from"]
        constraints = [
            in_range("assumption", "effective_from", moment=False),
            models.UniqueConstraint(fields=["key", "effective_from"], name="one_assumption_value_per_day"),
        ]

    def __str__(self):
        return f"{self.get_key_display()}: {self.value} from {self.effective_from:%d %b %Y}"


class FinancePlan(models.Model):
    """The planned in-year savings (£000) for a financial year (April to March)."""

    year_starting = models.PositiveSmallIntegerField(unique=True, help_text="2024 for 2024/25.")
    short_term_beds = models.DecimalField(max_digits=8, decimal_places=0)
    long_term_beds = models.DecimalField(max_digits=8, decimal_places=0)
    home_support = models.DecimalField(max_digits=8, decimal_places=0, verbose_name="Long-term home support")

    class Meta:
        ordering = ["year_starting"]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return f"{self.year_starting}/{(self.year_starting + 1) % 100:02d}"

    @property
    def total(self):
        return self.short_term_beds + self.long_term_beds + self.home_support


class ExternalMeasureKey(models.TextChoices):
    AMBULANCE_HANDOVER_MINUTES = "ambulance_handover_minutes", "Ambulance handover (mean minutes)"
    AMBULANCE_HANDOVERS = "ambulance_handovers", "Ambulance handovers (count)"
    HANDOVERS_WITHIN_15 = "handovers_within_15", "Ambulance handovers within 15 minutes (count)"
    HANDOVERS_WITHIN_30 = "handovers_within_30", "Ambulance handovers within 30 minutes (count)"
    HANDOVERS_WITHIN_60 = "handovers_within_60", "Ambulance handovers within 60 minutes (count)"
    BED_OCCUPANCY = "bed_occupancy", "Acute bed occupancy (%)"
    ESCALATION_BEDS = "escalation_beds", "Escalation beds open"
    ED_ATTENDANCES = "ed_attendances", "ED attendances"


class ExternalMeasure(models.Model):
    """A daily figure the system cannot derive, imported from a CSV file."""

    measure = models.CharField(max_length=40, choices=ExternalMeasureKey.choices)
    on = models.DateField(
        validators=[plausible_date],
    )
    value = models.DecimalField(max_digits=12, decimal_places=2)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["measure", "on"]
        constraints = [
            in_range("external_measure", "on", moment=False),
            models.UniqueConstraint(fields=["measure", "on"], name="one_external_value_per_day"),
        ]

    def __str__(self):
        return f"{self.get_measure_display()} on {self.on}: {self.value}"


class MetricValue(models.Model):
    """A metric's figure for one period, for one LIT (or all of OCIT when `team` is empty)."""

    metric = models.CharField(max_length=60)
    period = models.CharField(max_length=8, choices=Period.choices)
    period_start = models.DateField()
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    value = models.FloatField(null=True)
    records = models.PositiveIntegerField(help_text="How many records the figure is made from.")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period", "period_start", "team"],
                condition=Q(team__isnull=False),
                name="one_value_per_metric_period_lit",
            ),
            models.UniqueConstraint(
                fields=["metric", "period", "period_start"],
                condition=Q(team__isnull=True),
                name="one_value_per_metric_period_all",
            ),
        ]
        indexes = [models.Index(fields=["period", "metric", "period_start"], name="metric_value_series")]

    def __str__(self):
        return f"{self.metric} {self.period} {self.period_start}: {self.value}"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned (the worker stopped)"


# A running recompute beats at every step; one silent this long has lost its worker.
HEARTBEAT_TIMEOUT = datetime.timedelta(minutes=15)


class RecomputeRunQuerySet(models.QuerySet):
    def abandon_stale(self, now=None):
        """Mark a run with no sign of life for HEARTBEAT_TIMEOUT abandoned (its worker was killed), freeing the lock.
        Everything that reads the state of the runs (the recompute itself, a request for one, the pages, the API)
        calls this first, so a killed run never blocks the next or shows as still going."""
        now = now or timezone.now()
        minutes = int(HEARTBEAT_TIMEOUT.total_seconds() // 60)
        return self.filter(status=RunStatus.RUNNING, heartbeat_at__lt=now - HEARTBEAT_TIMEOUT).update(
            status=RunStatus.ABANDONED,
            finished_at=now,
            error=f"No sign of life for {minutes} minutes: the worker stopped. Figures unchanged.",
        )


class RecomputeRun(models.Model):
    """One recompute of the stored figures: who or what started it, how far it got, and how it ended."""

    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, help_text="Last sign of life from the worker.")
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    full = models.BooleanField(default=False)
    since = models.DateField(null=True, blank=True, help_text="Periods from this date were recomputed.")
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    trigger = models.CharField(max_length=40, help_text="nightly, command or dashboard.")

    objects = RecomputeRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="one_recompute_running_at_a_time"
            )
        ]
        indexes = [models.Index(fields=["status", "-finished_at"], name="recompute_run_latest")]

    def __str__(self):
        return f"Recompute {self.started_at:%d %b %Y %H:%M}: {self.get_status_display()}"

    @property
    def percent_done(self):
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0
