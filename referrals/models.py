import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from caseload.models import Episode, Patient, Priority, Service, Source
from discharge.models import Spell
from ocit.bounds import LONG_TEXT, NOTES, LimitedTextField, in_range, plausible_moment


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REDIRECTED = "redirected", "Redirected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    COMPLETED = "completed", "Completed"


OPEN_STATUSES = (ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED)


class DecisionStandard(models.Model):
    """Reference data: how soon a referral must be accepted, declined or redirected, by urgency."""

    urgency = models.CharField(max_length=16, choices=Priority.choices, unique=True)
    hours = models.PositiveIntegerField(help_text="Hours from received to decision.")

    class Meta:
        ordering = ["hours"]

    def __str__(self):
        return f"{self.get_urgency_display()}: decide within {self.hours} h"


class Referral(models.Model):
    """A request for OCIT support, whatever its source. The patient's story is told once: it joins their record."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    spell = models.ForeignKey(
        Spell,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The hospital stay a ward referral came from.",
    )
    source = models.CharField(max_length=32, choices=Source.choices)
    referrer_name = models.CharField(max_length=150)
    referrer_role = models.CharField(max_length=100, blank=True)
    referrer_contact = models.CharField(max_length=150, blank=True, help_text="Phone, bleep or email.")
    reason = LimitedTextField(max_length=LONG_TEXT)
    what_matters = LimitedTextField(max_length=NOTES, blank=True, verbose_name="What matters to me")
    requested_service = models.CharField(max_length=32, choices=Service.choices)
    urgency = models.CharField(max_length=16, choices=Priority.choices, default=Priority.ROUTINE)
    received_at = models.DateTimeField(
        validators=[plausible_moment],
    )
    decision_due_by = models.DateTimeField(
        validators=[plausible_moment],
    )
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    decided_at = models.DateTimeField(validators=[plausible_moment], null=True, blank=True)
    decided_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.CharField(
        max_length=300, blank=True, help_text="Why declined or withdrawn; where redirected."
    )
    redirected_to = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="Where the patient went instead.")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    closed_at = models.DateTimeField(validators=[plausible_moment], null=True, blank=True)
    closed_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    raised_by = models.ForeignKey("ocit.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            in_range("referral", "received_at", moment=True),
            in_range("referral", "decision_due_by", moment=True),
            in_range("referral", "decided_at", moment=True),
            in_range("referral", "closed_at", moment=True),
            models.UniqueConstraint(  # its index is also how a stay's open referral is found
                fields=["spell"],
                condition=Q(status__in=["received", "accepted"]),
                name="one_open_referral_per_spell",
                violation_error_message="This hospital stay already has an open referral.",
            ),
        ]
        indexes = [
            models.Index(fields=["received_at", "id"], name="referral_received"),  # the API list's order
            models.Index(fields=["status", "received_at"], name="referral_status_received"),
            models.Index(fields=["source", "received_at"], name="referral_source_received"),
            models.Index(
                fields=["received_at"], condition=Q(status__in=["received", "accepted"]), name="referral_open"
            ),
            models.Index(  # the pull list's order: a page reads its own rows, not every open referral
                F("decided_at").asc(nulls_first=True),
                F("received_at"),
                condition=Q(status__in=["received", "accepted"]),
                name="referral_pull_order",
            ),
            # The pull list's count by LIT: each referral awaiting a decision, and its patient, from this index alone.
            models.Index(fields=["patient"], condition=Q(status="received"), name="referral_received_patient"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} referral for {self.patient.full_name} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def decision_hours(self):
        """The hours its urgency gave to decide (the decision standard when it arrived)."""
        return round((self.decision_due_by - self.received_at) / datetime.timedelta(hours=1))

    def decision_time_left(self, now=None):
        """Time left to decide (negative when overdue); None once decided."""
        if self.status != ReferralStatus.RECEIVED:
            return None
        return self.decision_due_by - (now or timezone.now())


class RankingFactor(models.Model):
    """Why an admitted patient is likely to need OCIT, and how much it counts on the pull list (reference data:
    the points and thresholds are the programme's to tune in the admin)."""

    key = models.CharField(max_length=32, unique=True)
    label = models.CharField(max_length=100, help_text="Shown beside each patient it applies to; {n} is the threshold.")
    points = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField(help_text="Days, years or a score, as the label says.")

    class Meta:
        ordering = ["-points", "key"]

    def __str__(self):
        return f"{self.reason} ({self.points})"

    @property
    def reason(self):
        return self.label.replace("{n}", str(self.threshold))
