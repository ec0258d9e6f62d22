from django.db import models
from django.db.models import Q
from django.utils import timezone

from caseload.models import Patient


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


class Spell(models.Model):
    """An inpatient stay, from admission to discharge."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="spells")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="spells", help_text="The current ward.")
    admitted_at = models.DateTimeField()
    discharged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-admitted_at"]
        constraints = [
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
        ]

    def __str__(self):
        return f"{self.patient} on {self.ward} from {self.admitted_at:%d %b %Y}"

    def length_of_stay_days(self, now=None):
        end = self.discharged_at or now or timezone.now()
        return (end - self.admitted_at).days
