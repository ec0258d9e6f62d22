"""Stored figures, the assumptions that made them, imported measures and the record of each recompute."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from caseload.models import Team


class Period(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class AssumptionKey(models.TextChoices):
    """Every rate, baseline and target a figure depends on: values with effective dates, edited in the admin."""

    CARE_HOUR_COST = "care_hour_cost", "Cost of a home-care hour (£)"
    SHORT_TERM_BED_WEEK_COST = "short_term_bed_week_cost", "Cost of a short-term bed for a week (£)"
    LONG_TERM_BED_WEEK_COST = "long_term_bed_week_cost", "Cost of a long-term care-home bed for a week (£)"
    ACUTE_BED_DAY_COST = "acute_bed_day_cost", "Cost of an acute bed day (£)"
    BASELINE_DELAY_DAYS = "baseline_delay_days", "Baseline discharge delay before OCIT (days)"
    BASELINE_SHORT_TERM_BEDS = "baseline_short_term_beds", "Short-term beds in use before OCIT"
    BASELINE_CARE_HOME_RATE = "baseline_care_home_rate", "Reablement leavers going into a care home before OCIT (%)"
    LONG_TERM_PACKAGE_WEEKS = "long_term_package_weeks", "Average length of a long-term home-care package (weeks)"
    CARE_HOME_STAY_WEEKS = "care_home_stay_weeks", "Average length of a long-term care-home stay (weeks)"
    POPULATION_65_PLUS = "population_65_plus", "Population aged 65+ (all of OCIT)"
    TARGET_BEDS_RELEASED = "target_beds_released", "Target: acute beds released"
    TARGET_UCR_2H = "target_ucr_2h", "Target: UCR 2-hour compliance (%)"
    TARGET_SHORT_TERM_OUTCOME = "target_short_term_outcome", "Target: short-term service outcome (%)"
    TARGET_AMBULANCE_HANDOVER = "target_ambulance_handover", "Target: mean ambulance handover (minutes)"


class Assumption(models.Model):
    """One value of an assumption from a date: the value in force on a day is the latest one before it."""

    key = models.CharField(max_length=40, choices=AssumptionKey.choices)
    effective_from = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=2)
    source = models.CharField(max_length=200, blank=True, help_text="Where the figure comes from.")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["key", "effective_from"], name="one_assumption_value_per_day")]

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
    BED_OCCUPANCY = "bed_occupancy", "Acute bed occupancy (%)"
    ESCALATION_BEDS = "escalation_beds", "Escalation beds open"
    ED_ATTENDANCES = "ed_attendances", "ED attendances"


class ExternalMeasure(models.Model):
    """A daily figure the system cannot derive, imported from a CSV file."""

    measure = models.CharField(max_length=40, choices=ExternalMeasureKey.choices)
    on = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=2)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["measure", "on"]
        constraints = [models.UniqueConstraint(fields=["measure", "on"], name="one_external_value_per_day")]

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
