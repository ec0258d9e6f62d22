"""The referrals API's input and output shapes.

Input serializers only parse and type-check: every write goes through referrals/services.py (and
caseload.services.patient_create for a new patient), which hold the rules and answer with field errors
or a 409. They are never saved directly.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from caseload import selectors as caseload_selectors
from caseload.models import Patient, Priority, Service, Source
from caseload.serializers import PatientCreateSerializer, PatientNameField
from discharge import selectors as discharge_selectors
from discharge.models import Spell
from ocit import api
from ocit.roles import can
from referrals import services
from referrals.models import Referral, ReferralStatus


# `urgency` and `requested_service` use the caseload's Priority and Service codes. In the schema they are spelled
# out where they are used: as enum components they would give one choice set two names (PriorityEnum and
# UrgencyEnum), which drf-spectacular warns about unless settings.SPECTACULAR_SETTINGS has ENUM_NAME_OVERRIDES.
@extend_schema_field({"type": "string", "enum": Priority.values, "description": "urgent, high or routine"})
class UrgencyField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Priority.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": Service.values, "description": "A caseload service code."})
class RequestedServiceField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Service.choices, **kwargs)


# The moves from each status, read from the transition table once rather than for every row of every list.
ALLOWED_MOVES = {status: [str(move) for move in services.allowed_moves(status)] for status in ReferralStatus}


class ReferralSerializer(api.ModelSerializer):
    requested_service = RequestedServiceField(read_only=True)
    urgency = UrgencyField(read_only=True)
    # The patient's, LIT's, ward's and decider's columns come joined in by the API's queryset (referrals.api).
    patient_name = PatientNameField()
    nhs_number = serializers.CharField(read_only=True, allow_null=True)
    lit = serializers.CharField(read_only=True, allow_null=True, help_text="The patient's LIT.")
    ward = serializers.CharField(read_only=True, allow_null=True, help_text="The ward of the stay it came from.")
    decided_by_name = serializers.CharField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    minutes_left_to_decide = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "patient",
            "patient_name",
            "nhs_number",
            "lit",
            "spell",
            "ward",
            "source",
            "referrer_name",
            "referrer_role",
            "referrer_contact",
            "reason",
            "what_matters",
            "requested_service",
            "urgency",
            "received_at",
            "decision_due_by",
            "overdue",
            "minutes_left_to_decide",
            "status",
            "allowed_moves",
            "decided_at",
            "decided_by",
            "decided_by_name",
            "decision_reason",
            "redirected_to",
            "outcome",
            "episode",
            "closed_at",
            "closed_by",
            "raised_by",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, referral) -> bool:
        """Still undecided after the decision standard's time."""
        left = referral.decision_time_left()
        return left is not None and left.total_seconds() < 0

    def get_minutes_left_to_decide(self, referral) -> int | None:
        """Minutes left to decide (negative when overdue); null once decided."""
        left = referral.decision_time_left()
        return None if left is None else int(left.total_seconds() // 60)

    def get_allowed_moves(self, referral) -> list[str]:
        """The moves the transition table allows from this status (your role may allow fewer)."""
        return ALLOWED_MOVES[referral.status]


class ReferrablePatientField(serializers.PrimaryKeyRelatedField):
    """A patient id, among the patients the user may see: the shared caseload for LIT staff, the patients
    on their own wards for ward staff."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Patient.objects.all(), **kwargs)

    def get_queryset(self):
        user = self.context["request"].user
        if can(user, "caseload.view"):
            return caseload_selectors.patients_for(user=user)
        return Patient.objects.filter(pk__in=discharge_selectors.spells_for(user=user).values("patient_id"))


class VisibleSpellField(serializers.PrimaryKeyRelatedField):
    """A hospital stay id, among the stays the user may see (ward staff: their own wards')."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Spell.objects.all(), **kwargs)

    def get_queryset(self):
        return discharge_selectors.spells_for(user=self.context["request"].user)


class ReferralCreateSerializer(serializers.Serializer):
    spell = VisibleSpellField(
        required=False, allow_null=True, default=None, help_text="The hospital stay a ward referral comes from."
    )
    patient = ReferrablePatientField(
        required=False, help_text="The patient's id; leave out for a ward referral (the stay's patient)."
    )
    new_patient = PatientCreateSerializer(
        required=False,
        help_text="Or a patient not yet on record (LIT staff, not from a ward): the same fields and rules as "
        "POST /api/v1/patients/. Errors come back under new_patient.",
    )
    source = serializers.ChoiceField(choices=Source.choices)
    referrer_name = serializers.CharField(max_length=150)
    referrer_role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    referrer_contact = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    reason = serializers.CharField(help_text="Why OCIT support is asked for.")
    what_matters = serializers.CharField(required=False, allow_blank=True, default="", help_text="What matters to me.")
    requested_service = RequestedServiceField()
    urgency = UrgencyField(default=Priority.ROUTINE)
    received_at = serializers.DateTimeField(required=False, default=timezone.now, help_text="Defaults to now.")

    def validate(self, attrs):
        spell, patient, new_patient = attrs.get("spell"), attrs.get("patient"), attrs.get("new_patient")
        if new_patient is not None and (spell is not None or patient is not None):
            raise serializers.ValidationError(
                {"new_patient": ["A new patient cannot come with a patient id or a hospital stay."]}
            )
        if patient is None and new_patient is None:
            if spell is None:
                raise serializers.ValidationError(
                    {"patient": ["Give the patient's id, the hospital stay, or the new patient's details."]}
                )
            attrs["patient"] = spell.patient
        return attrs


class DeclineSerializer(serializers.Serializer):
    decision_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Where the patient went instead."
    )


class RedirectSerializer(serializers.Serializer):
    redirected_to = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    decision_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why, e.g. the patient died or was discharged elsewhere.",
    )


class CompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
