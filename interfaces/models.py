"""Every HL7 v2 ADT message the hospital sends, stored once: what it said, what it changed, and why not."""

from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    WAITING = "waiting", "Waiting for its admission"  # arrived before the A01 of its visit: applied after it
    IGNORED = "ignored", "Not needed"  # A04/A05, someone outside Coventry, already as it says
    FAILED = "failed", "Failed"  # ACK AE: a person must act (an unknown ward, a stay that cannot change so)
    REJECTED = "rejected", "Rejected"  # ACK AR: not a message we can read


class AdtMessage(models.Model):
    control_id = models.CharField(max_length=50, unique=True, help_text="MSH-10: the sender's id for the message.")
    event = models.CharField(max_length=3, blank=True, help_text="A01 admit, A02 transfer, A03 discharge, …")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_at = models.DateTimeField(null=True, blank=True, help_text="EVN-2, or MSH-7: when it happened.")
    visit_number = models.CharField(max_length=20, blank=True, db_index=True, help_text="PV1-19.")
    nhs_number = models.CharField(max_length=10, blank=True)
    ward_code = models.CharField(max_length=16, blank=True, help_text="PV1-3.1, the ward as the hospital codes it.")
    transport = models.CharField(max_length=8, default="mllp")
    raw = models.TextField(help_text="The message as received (segments separated by carriage returns).")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    flag = models.TextField(blank=True, help_text="Applied, but a person should look: demographics that differ.")
    changes = models.JSONField(default=list, blank=True, help_text="What it changed: one line per change.")
    spell = models.ForeignKey(  # a stay cancelled by a later A11 goes; its messages stay, with the visit number
        "discharge.Spell", on_delete=models.SET_NULL, null=True, blank=True, related_name="adt_messages"
    )
    patient = models.ForeignKey(
        "caseload.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="adt_messages"
    )
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "ADT message"
        indexes = [models.Index(fields=["outcome", "received_at"], name="adt_outcome_received")]

    def __str__(self):
        return f"{self.event or '?'} {self.control_id}"

    @property
    def ack_code(self):
        return {Outcome.FAILED: "AE", Outcome.REJECTED: "AR"}.get(self.outcome, "AA")
