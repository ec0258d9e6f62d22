from django.db import models
from django.db.models import Q
from django.utils import timezone

from ocit.identifiers import format_nhs_number, validate_nhs_number, validate_postcode


class Team(models.Model):
    """A Local Integrated Team (LIT), based at one site and serving a locality."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100, unique=True)
    base = models.CharField(max_length=150, help_text="Where the team is based.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "LIT"
        verbose_name_plural = "LITs"

    def __str__(self):
        return self.name


class Locality(models.Model):
    """Reference data: which LIT serves a postcode district (editable by administrators)."""

    postcode_district = models.CharField(max_length=4, unique=True, help_text="The outward code, e.g. CV6.")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="localities")
    population_65_plus = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["postcode_district"]
        verbose_name_plural = "localities"

    def __str__(self):
        return f"{self.postcode_district} → {self.team}"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class Patient(models.Model):
    """One record per person: the story is told once."""

    nhs_number = models.CharField(
        max_length=10, unique=True, null=True, blank=True, validators=[validate_nhs_number], verbose_name="NHS number"
    )
    nhs_number_unknown_reason = models.CharField(max_length=200, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="patients", verbose_name="LIT")
    team_override_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.CheckConstraint(
                name="patient_nhs_number_or_reason",
                condition=Q(nhs_number__isnull=False) | ~Q(nhs_number_unknown_reason=""),
                violation_error_message="Give the NHS number, or say why it is not known.",
            )
        ]
        indexes = [
            models.Index(fields=["team", "family_name"], name="patient_team_name"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.nhs_number_display or 'NHS number unknown'})"

    @property
    def full_name(self):
        return f"{self.given_name} {self.family_name.upper()}"

    @property
    def nhs_number_display(self):
        return format_nhs_number(self.nhs_number)

    def age_on(self, day):
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def age(self):
        return self.age_on(timezone.localdate())
