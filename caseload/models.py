from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from ocit.bounds import (
    EARLIEST_BIRTH,
    LONG_TEXT,
    NOTES,
    LimitedTextField,
    in_range,
    plausible_birth,
    plausible_date,
    plausible_moment,
)
from ocit.identifiers import format_nhs_number, validate_nhs_number, validate_ods_code, validate_postcode
from ocit.models import Discipline


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
    date_of_birth = models.DateField(
        validators=[plausible_birth],
    )
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    phone = models.CharField(max_length=30, blank=True)
    gp_practice_code = models.CharField(
        max_length=6, blank=True, validators=[validate_ods_code], verbose_name="GP practice (ODS code)"
    )
    next_of_kin = models.CharField(max_length=200, blank=True, help_text="Name, relationship and phone number.")
    access_notes = models.CharField(
        max_length=300,
        blank=True,
        verbose_name="Getting in",
        help_text="What a visitor needs at the door: the key safe, door entry, pets.",
    )
    lives_alone = models.BooleanField(null=True, blank=True)
    frailty_scale = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        verbose_name="Clinical Frailty Scale",
        help_text="1 (very fit) to 9 (terminally ill), as last assessed.",
    )
    communication_needs = models.CharField(max_length=300, blank=True)
    interpreter_language = models.CharField(max_length=60, blank=True, help_text="Blank when none is needed.")
    consent_to_share = models.BooleanField(default=False, verbose_name="Consent to share information")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="patients", verbose_name="LIT")
    team_override_reason = models.CharField(
        max_length=200, blank=True, help_text="Why the LIT differs from the one that serves the postcode."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            in_range("patient", "date_of_birth", moment=False, earliest=EARLIEST_BIRTH),
            models.CheckConstraint(
                name="patient_frailty_scale_1_to_9",
                condition=Q(frailty_scale__isnull=True) | Q(frailty_scale__gte=1, frailty_scale__lte=9),
                violation_error_message="The Clinical Frailty Scale runs from 1 to 9.",
            ),
            models.CheckConstraint(
                name="patient_nhs_number_or_reason",
                condition=Q(nhs_number__isnull=False) | ~Q(nhs_number_unknown_reason=""),
                violation_error_message="Give the NHS number, or say why it is not known.",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "family_name"], name="patient_team_name"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
            # Name search: the patients with the names found like the words typed (`PatientName`).
            models.Index(Lower("family_name"), name="patient_family_name_lower"),
            models.Index(Lower("given_name"), name="patient_given_name_lower"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.nhs_number_display or 'NHS number unknown'})"

    @property
    def full_name(self):
        return full_name(self.given_name, self.family_name)

    @property
    def nhs_number_display(self):
        return format_nhs_number(self.nhs_number)

    def age_on(self, day):
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def age(self):
        return self.age_on(timezone.localdate())


def full_name(given_name, family_name):
    """A patient's name as the record shows it: the given name, then the family name in capitals."""
    return f"{given_name} {family_name.upper()}"


class PatientName(models.Model):
    """Each given or family name any patient has had, lower-cased, once. Name search looks for the names like the
    words typed among these (thousands, trigram-indexed on PostgreSQL) rather than among every patient, then reads
    the patients with those names by index. On PostgreSQL a trigger on the patient table adds each new name, whatever
    writes it (a form, the API, the ADT feed, a bulk load or a queryset update); a name nobody has any more matches
    nobody. Elsewhere (the SQLite demo) search matches the patients' names directly and this stays empty."""

    name = models.TextField(primary_key=True)

    def __str__(self):
        return self.name


class Service(models.TextChoices):
    UCR = "ucr", "Urgent community response (2-hour)"
    STEP_UP_REABLEMENT = "step_up_reablement", "Step-up reablement"
    STEP_DOWN_REABLEMENT = "step_down_reablement", "Step-down reablement (pathway 1)"
    BED_BASED = "bed_based", "Bed-based intermediate care (pathway 2)"
    THERAPY_AT_HOME = "therapy_at_home", "Therapy at home"
    OTHER = "other", "Other"


REABLEMENT_SERVICES = (Service.STEP_UP_REABLEMENT, Service.STEP_DOWN_REABLEMENT)


class Source(models.TextChoices):
    WARD = "ward", "Hospital ward"
    FRONT_DOOR = "front_door", "ED front door"
    GP = "gp", "GP"
    AMBULANCE = "ambulance", "Ambulance / 999"
    SOCIAL_CARE = "social_care", "Adult social care"
    SELF = "self", "Self or family"
    COMMUNITY = "community", "Community health team"
    LIT_IN_REACH = "lit_in_reach", "LIT in-reach"  # the LIT pulled the patient from the hospital's admissions
    OTHER = "other", "Other"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    ROUTINE = "routine", "Routine"


class ResponseStandard(models.Model):
    """Reference data: how soon a service must first see the person, by priority (editable in the admin)."""

    service = models.CharField(max_length=32, choices=Service.choices)
    priority = models.CharField(max_length=16, choices=Priority.choices)
    hours = models.PositiveIntegerField(help_text="Hours from referral received to first attended contact.")
    name = models.CharField(max_length=60, help_text="As staff say it, e.g. 'UCR 2-hour'.")

    class Meta:
        ordering = ["service", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["service", "priority"], name="one_standard_per_service_priority")
        ]

    def __str__(self):
        return f"{self.name}: {self.get_service_display()}, {self.get_priority_display().lower()} — {self.hours} h"


class EpisodeStatus(models.TextChoices):
    AWAITING_ALLOCATION = "awaiting_allocation", "Awaiting allocation"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Sequel(models.TextChoices):
    """What happened next (ASCOF short-term service outcome)."""

    NO_ONGOING_SUPPORT = "no_ongoing_support", "No ongoing support"
    UNIVERSAL_SERVICES = "universal_services", "Universal services / signposting"
    LOW_LEVEL_SUPPORT = "low_level_support", "Ongoing low-level support"
    OTHER_SHORT_TERM = "other_short_term", "Other short-term support"
    LONG_TERM_LOWER = "long_term_lower", "Long-term community support (lower level than before)"
    LONG_TERM_SAME = "long_term_same", "Long-term community support (same level as before)"
    LONG_TERM_HIGHER = "long_term_higher", "Long-term community support (higher level than before)"
    RESIDENTIAL_CARE = "residential_care", "Residential care"
    NURSING_CARE = "nursing_care", "Nursing care"
    ADMITTED_TO_HOSPITAL = "admitted_to_hospital", "Admitted to hospital"
    DIED = "died", "Died"
    DECLINED = "declined", "Declined"


LONG_TERM_SEQUELS = (Sequel.LONG_TERM_LOWER, Sequel.LONG_TERM_SAME, Sequel.LONG_TERM_HIGHER)
CARE_HOME_SEQUELS = (Sequel.RESIDENTIAL_CARE, Sequel.NURSING_CARE)  # permanent moves into a care home


class FollowUp(models.TextChoices):
    """Where the person was 91 days after leaving hospital into reablement or rehabilitation (ASCOF)."""

    NOT_DUE = "not_due", "Not yet due"
    AT_HOME = "at_home", "At home"
    IN_HOSPITAL = "in_hospital", "In hospital"
    CARE_HOME = "care_home", "In a care home"
    DIED = "died", "Died"
    NOT_KNOWN = "not_known", "Not known"


FOLLOW_UP_ANSWERS = [(value, label) for value, label in FollowUp.choices if value != FollowUp.NOT_DUE]


class Episode(models.Model):
    """A period on the shared caseload: one patient, one service, from referral received to closure."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="episodes", verbose_name="LIT")
    service = models.CharField(max_length=32, choices=Service.choices)
    source = models.CharField(max_length=32, choices=Source.choices)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.ROUTINE)
    reason = LimitedTextField(max_length=LONG_TEXT, blank=True, help_text="Why the person was referred.")
    what_matters = LimitedTextField(max_length=NOTES, blank=True, verbose_name="What matters to me")
    discipline_needed = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    received_at = models.DateTimeField(validators=[plausible_moment], help_text="When the referral was received.")
    response_standard = models.CharField(max_length=60)
    due_by = models.DateTimeField(
        validators=[plausible_moment],
        null=True,
        blank=True,
        help_text="Received at plus the response standard for the service and priority, in elapsed time. Empty "
        "while the patient is still in hospital: a step-down episode's clock starts at discharge.",
    )
    first_contact_at = models.DateTimeField(
        validators=[plausible_moment],
        null=True,
        blank=True,
        help_text="The first attended face-to-face contact: it stops the response clock.",
    )
    next_contact_on = models.DateField(
        validators=[plausible_date], null=True, blank=True, help_text="The next planned visit or call."
    )
    status = models.CharField(max_length=24, choices=EpisodeStatus.choices, default=EpisodeStatus.AWAITING_ALLOCATION)
    closed_at = models.DateTimeField(validators=[plausible_moment], null=True, blank=True)
    closure_reason = models.CharField(max_length=200, blank=True)
    sequel = models.CharField(max_length=32, choices=Sequel.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            in_range("episode", "received_at", moment=True),
            in_range("episode", "due_by", moment=True),
            in_range("episode", "first_contact_at", moment=True),
            in_range("episode", "closed_at", moment=True),
            in_range("episode", "next_contact_on", moment=False),
            models.UniqueConstraint(
                fields=["patient", "service"],
                condition=~Q(status="closed"),
                name="one_open_episode_per_patient_service",
                violation_error_message="This person already has an open episode of this service.",
            ),
            models.CheckConstraint(
                name="closed_episode_has_sequel",
                condition=~Q(status="closed") | (~Q(sequel="") & Q(closed_at__isnull=False)),
                violation_error_message="A closed episode needs its sequel and closing time.",
            ),
        ]
        indexes = [
            models.Index(fields=["received_at", "id"], name="episode_received"),  # the API list's order
            models.Index(fields=["status", "due_by"], name="episode_status_due"),
            # With the id, counts by LIT and status join the allocations from this index alone (the team caseload's).
            models.Index(fields=["team", "status", "id"], name="episode_team_status"),
            models.Index(fields=["service", "status"], name="episode_service_status"),
            models.Index(fields=["patient", "received_at"], name="episode_patient_received"),
            models.Index(fields=["closed_at"], name="episode_closed_at"),
            # With the id, the team caseload view picks its page of open episodes from this index alone.
            models.Index(fields=["team", "due_by", "id"], condition=~Q(status="closed"), name="episode_open_by_team"),
        ]

    def __str__(self):
        return f"{self.get_service_display()} for {self.patient.full_name if self.patient_id else '?'}"

    @property
    def is_open(self):
        return self.status != EpisodeStatus.CLOSED

    def time_left(self, now=None):
        """Time to the response standard (negative once breached); None once first seen or before the clock starts."""
        if self.first_contact_at or self.due_by is None:
            return None
        return self.due_by - (now or timezone.now())

    @property
    def met_standard(self):
        if not self.first_contact_at or self.due_by is None:
            return None
        return self.first_contact_at <= self.due_by


class AllocationRole(models.TextChoices):
    KEYWORKER = "keyworker", "Keyworker"
    PRACTITIONER = "practitioner", "Also working with the person"


class Allocation(models.Model):
    """Who works an episode, from when to when. Reallocating ends one row and starts another."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="allocations")
    practitioner = models.ForeignKey("ocit.User", on_delete=models.PROTECT, related_name="allocations")
    role = models.CharField(max_length=16, choices=AllocationRole.choices, default=AllocationRole.KEYWORKER)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    started_at = models.DateTimeField(validators=[plausible_moment], default=timezone.now)
    ended_at = models.DateTimeField(validators=[plausible_moment], null=True, blank=True)
    allocated_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            in_range("allocation", "started_at", moment=True),
            in_range("allocation", "ended_at", moment=True),
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(ended_at__isnull=True, role="keyworker"),
                name="one_current_keyworker_per_episode",
                violation_error_message="This episode already has a keyworker.",
            ),
            models.UniqueConstraint(
                fields=["episode", "practitioner"],
                condition=Q(ended_at__isnull=True),
                name="one_current_allocation_per_practitioner",
                violation_error_message="This practitioner is already working on the episode.",
            ),
            models.CheckConstraint(
                name="allocation_ends_after_start",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner"], condition=Q(ended_at__isnull=True), name="allocation_current"),
            models.Index(  # the caseload lists read each episode's keyworker and discipline from this index alone
                fields=["episode", "practitioner", "discipline"],
                condition=Q(ended_at__isnull=True, role="keyworker"),
                name="allocation_keyworker",
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} ({self.get_role_display().lower()}) on episode {self.episode_id}"

    def already_allocated(self):
        """What a coordinator is told who would allocate the episode this keyworker has."""
        who = self.allocated_by or "someone"
        return f"Already allocated to {self.practitioner} by {who} at {timezone.localtime(self.started_at):%H:%M}."


class GoalStatus(models.TextChoices):
    OPEN = "open", "Working towards"
    ACHIEVED = "achieved", "Achieved"
    PARTLY = "partly", "Partly achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"


class Goal(models.Model):
    """What matters to me: a goal the person sets, and how it turned out."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField(max_length=300)
    target_date = models.DateField(validators=[plausible_date], null=True, blank=True)
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            in_range("goal", "target_date", moment=False),
        ]
        ordering = ["target_date", "id"]
        indexes = [models.Index(fields=["episode", "status"], name="goal_episode_status")]

    def __str__(self):
        return self.text


class ContactLocation(models.TextChoices):
    HOME = "home", "Home"
    CLINIC = "clinic", "Clinic"
    WARD = "ward", "Hospital ward"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"


# A call is not a visit: only these stop a response-standard clock (the UCR 2-hour standard counts the first
# face-to-face contact).
FACE_TO_FACE = (ContactLocation.HOME, ContactLocation.CLINIC, ContactLocation.WARD)


class Contact(models.Model):
    """A visit or call, attended or not."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField(validators=[plausible_moment], verbose_name="When")
    practitioner = models.ForeignKey("ocit.User", on_delete=models.PROTECT, related_name="contacts")
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    attended = models.BooleanField(default=True)
    not_attended_reason = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=16, choices=ContactLocation.choices, default=ContactLocation.HOME)
    duration_minutes = models.PositiveIntegerField()
    notes = LimitedTextField(max_length=NOTES, blank=True)
    recorded_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            in_range("contact", "at", moment=True),
            models.CheckConstraint(
                name="unattended_contact_has_reason",
                condition=Q(attended=True) | ~Q(not_attended_reason=""),
                violation_error_message="Say why the contact did not happen.",
            ),
        ]
        indexes = [models.Index(fields=["episode", "at"], name="contact_episode_at")]

    def __str__(self):
        return f"{self.get_location_display()} contact on {self.at:%d %b %Y %H:%M}"


class PackageStage(models.TextChoices):
    START = "start", "At the start"
    CHANGE = "change", "Changed"
    END = "end", "At the end"


class ProviderType(models.TextChoices):
    NONE = "none", "No package"
    REABLEMENT = "reablement", "Council reablement team"
    INDEPENDENT = "independent", "Independent sector home care"
    FAMILY = "family", "Family or unpaid carer only"
    DIRECT_PAYMENT = "direct_payment", "Direct payment"


class CarePackage(models.Model):
    """The level of home care, as dated rows: at least one at the start and one at the end of an episode."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="packages")
    stage = models.CharField(max_length=8, choices=PackageStage.choices)
    effective_on = models.DateField(
        validators=[plausible_date],
    )
    hours_per_week = models.DecimalField(max_digits=5, decimal_places=2)
    calls_per_day = models.PositiveSmallIntegerField()
    carers_per_call = models.PositiveSmallIntegerField()
    provider_type = models.CharField(max_length=16, choices=ProviderType.choices)
    recorded_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["effective_on", "id"]
        constraints = [
            in_range("care_package", "effective_on", moment=False),
            models.UniqueConstraint(
                fields=["episode", "stage"],
                condition=Q(stage__in=["start", "end"]),
                name="one_start_and_one_end_package_per_episode",
                violation_error_message="The episode already has a package recorded for this stage.",
            ),
            models.CheckConstraint(name="package_hours_not_negative", condition=Q(hours_per_week__gte=0)),
        ]

    def __str__(self):
        return f"{self.hours_per_week} h/week, {self.calls_per_day} calls/day ({self.get_stage_display().lower()})"


class Equipment(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="equipment")
    item = models.CharField(max_length=120)
    provided_on = models.DateField(
        validators=[plausible_date],
    )
    recorded_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        constraints = [
            in_range("equipment", "provided_on", moment=False),
        ]
        ordering = ["provided_on", "id"]
        verbose_name_plural = "equipment"

    def __str__(self):
        return f"{self.item} ({self.provided_on:%d %b %Y})"
