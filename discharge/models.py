from django.db import models
from django.db.models import Q
from django.utils import timezone

from caseload.models import FollowUp, Patient
from ocit.bounds import NOTES, LimitedTextField, in_range, plausible_date, plausible_moment


class Ward(models.Model):
    """A UHCW ward (reference data)."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    specialty = models.CharField(max_length=100)
    site = models.CharField(max_length=100, default="University Hospital Coventry")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AdmissionMethod(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    ELECTIVE = "elective", "Elective"


class Pathway(models.IntegerChoices):
    P0 = 0, "Pathway 0: home, no new care"
    P1 = 1, "Pathway 1: home with new or extra support"
    P2 = 2, "Pathway 2: short-term community bed"
    P3 = 3, "Pathway 3: care home to assess long-term needs"


class Destination(models.TextChoices):
    USUAL_RESIDENCE = "usual_residence", "Usual place of residence"
    COMMUNITY_BED = "community_bed", "Short-term community bed"
    CARE_HOME = "care_home", "Care home"
    OTHER_HOSPITAL = "other_hospital", "Another hospital"
    DIED = "died", "Died in hospital"
    OTHER = "other", "Other"


class Spell(models.Model):
    """An inpatient stay, from admission to discharge. Length of stay and delays are derived, never typed."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="spells")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="spells", help_text="The current ward.")
    admitted_at = models.DateTimeField(
        validators=[plausible_moment],
    )
    admission_method = models.CharField(
        max_length=16, choices=AdmissionMethod.choices, default=AdmissionMethod.EMERGENCY
    )
    visit_number = models.CharField(
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text="The hospital's visit number (HL7 PV1-19), for a stay that came through the ADT feed.",
    )
    expected_discharge_on = models.DateField(
        validators=[plausible_date], null=True, blank=True, verbose_name="Expected date of discharge (EDD)"
    )
    clinical_criteria = LimitedTextField(max_length=NOTES, blank=True, verbose_name="Clinical criteria for discharge")
    discharged_at = models.DateTimeField(validators=[plausible_moment], null=True, blank=True)
    destination = models.CharField(max_length=24, choices=Destination.choices, blank=True)
    pathway = models.PositiveSmallIntegerField(choices=Pathway.choices, null=True, blank=True)
    follow_up_91 = models.CharField(
        max_length=16,
        choices=FollowUp.choices,
        default=FollowUp.NOT_DUE,
        verbose_name="91 days after discharge",
        help_text="Where the person was 91 days after a discharge into reablement or rehabilitation.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-admitted_at"]
        constraints = [
            in_range("spell", "admitted_at", moment=True),
            in_range("spell", "discharged_at", moment=True),
            in_range("spell", "expected_discharge_on", moment=False),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(discharged_at__isnull=True),
                name="one_open_spell_per_patient",
                violation_error_message="This patient is already in hospital: discharge the open stay first.",
            ),
            models.CheckConstraint(
                name="spell_discharge_after_admission",
                condition=Q(discharged_at__isnull=True) | Q(discharged_at__gte=models.F("admitted_at")),
                violation_error_message="Discharge cannot be before admission.",
            ),
        ]
        indexes = [
            models.Index(fields=["ward"], condition=Q(discharged_at__isnull=True), name="spell_open_by_ward"),
            models.Index(fields=["admitted_at", "id"], name="spell_admitted"),  # the API list's order
            models.Index(fields=["discharged_at"], name="spell_discharged_at"),
            models.Index(fields=["patient", "admitted_at"], name="spell_patient_admitted"),
        ]

    def __str__(self):
        return f"{self.patient} on {self.ward} from {self.admitted_at:%d %b %Y}"

    def length_of_stay_days(self, today=None):
        """Calendar days from admission to discharge (or today), as the ward counts them."""
        end = timezone.localdate(self.discharged_at) if self.discharged_at else today or timezone.localdate()
        return (end - timezone.localdate(self.admitted_at)).days


class WardStay(models.Model):
    """Which ward a spell was on, from when to when: a transfer ends one row and starts another."""

    spell = models.ForeignKey(Spell, on_delete=models.PROTECT, related_name="ward_stays")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="stays")
    started_at = models.DateTimeField(
        validators=[plausible_moment],
    )
    ended_at = models.DateTimeField(validators=[plausible_moment], null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            in_range("ward_stay", "started_at", moment=True),
            in_range("ward_stay", "ended_at", moment=True),
            models.UniqueConstraint(
                fields=["spell"], condition=Q(ended_at__isnull=True), name="one_current_ward_per_spell"
            ),
            models.CheckConstraint(
                name="ward_stay_ends_after_start",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
            ),
        ]

    def __str__(self):
        return f"{self.ward} from {self.started_at:%d %b %Y %H:%M}"


class NctrPeriod(models.Model):
    """A period with no criteria to reside. The discharge ready date is the start of the latest one."""

    spell = models.ForeignKey(Spell, on_delete=models.PROTECT, related_name="nctr_periods")
    started_on = models.DateField(validators=[plausible_date], verbose_name="No criteria to reside from")
    ended_on = models.DateField(
        validators=[plausible_date], null=True, blank=True, help_text="When the patient met the criteria again."
    )
    recorded_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_on", "id"]
        verbose_name = "no-criteria-to-reside period"
        constraints = [
            in_range("nctr_period", "started_on", moment=False),
            in_range("nctr_period", "ended_on", moment=False),
            models.UniqueConstraint(  # its index is also how a stay's open period is found
                fields=["spell"],
                condition=Q(ended_on__isnull=True),
                name="one_open_nctr_period_per_spell",
                violation_error_message="The patient already has no criteria to reside.",
            ),
            models.CheckConstraint(
                name="nctr_period_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self):
        return f"NCTR from {self.started_on:%d %b %Y}"


class DelayReason(models.Model):
    """Reference data: why a patient with no criteria to reside is still in hospital (editable)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Delay(models.Model):
    """The reason for a delayed discharge, from one day to another; a change of reason is a new row."""

    spell = models.ForeignKey(Spell, on_delete=models.PROTECT, related_name="delays")
    reason = models.ForeignKey(DelayReason, on_delete=models.PROTECT, related_name="delays")
    started_on = models.DateField(
        validators=[plausible_date],
    )
    ended_on = models.DateField(validators=[plausible_date], null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            in_range("delay", "started_on", moment=False),
            in_range("delay", "ended_on", moment=False),
            models.UniqueConstraint(  # its index is also how a stay's current delay is found
                fields=["spell"], condition=Q(ended_on__isnull=True), name="one_current_delay_reason_per_spell"
            ),
            models.CheckConstraint(
                name="delay_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self):
        return f"{self.reason} from {self.started_on:%d %b %Y}"
