"""The hospital side's API shapes.

Input serializers only parse and type-check: every write goes through discharge/services.py (or
referrals.services.discharge_record), which holds the rules and answers with field errors or a 409.
They are never saved directly.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import serializers

from caseload import selectors as caseload_selectors
from caseload.models import FOLLOW_UP_ANSWERS
from caseload.serializers import VERSION_HELP, PatientNameField, VersionedInput, VisiblePatientField
from discharge import selectors
from discharge.models import AdmissionMethod, Delay, Destination, NctrPeriod, Pathway, Spell, Ward
from ocit import api
from ocit.identifiers import normalise_nhs_number

# What discharge.selectors.with_discharge_status adds to each spell.
STATUS_FIELDS = ("discharge_ready_on", "no_criteria_to_reside", "delay_reason", "referral_id", "referral_status")


class WardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["id", "code", "name", "specialty", "site", "is_active"]
        read_only_fields = fields


class VisibleWardField(serializers.SlugRelatedField):
    """A ward code, among the wards the requesting user may see (ward staff: their own)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Ward.objects.all(), **kwargs)

    def get_queryset(self):
        return selectors.wards_for(user=self.context["request"].user)


# Spells ---------------------------------------------------------------------------------------------


class SpellSerializer(api.ModelSerializer):
    """A hospital stay with what the ward board shows. Length of stay and delays are derived, never typed."""

    # The patient's, LIT's and ward's columns come joined in by the API's queryset (discharge.api.spells).
    patient_name = PatientNameField()
    nhs_number = serializers.CharField(read_only=True, allow_null=True)
    lit = serializers.CharField(read_only=True)
    ward = serializers.CharField(source="ward_code", read_only=True)
    ward_name = serializers.CharField(read_only=True)
    destination = serializers.ChoiceField(choices=Destination.choices, allow_blank=True, read_only=True)
    length_of_stay_days = serializers.SerializerMethodField()
    discharge_ready_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="Discharge ready date: the start of the latest NCTR period."
    )
    no_criteria_to_reside = serializers.BooleanField(read_only=True, help_text="No criteria to reside now.")
    days_since_discharge_ready = serializers.SerializerMethodField()
    delay_days_at_discharge = serializers.SerializerMethodField()
    delay_reason = serializers.CharField(read_only=True, allow_null=True, help_text="The current delay reason.")
    referral = serializers.IntegerField(
        source="referral_id", read_only=True, allow_null=True, help_text="The stay's open referral."
    )
    referral_status = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Spell
        fields = [
            "id",
            "patient",
            "patient_name",
            "nhs_number",
            "lit",
            "ward",
            "ward_name",
            "admitted_at",
            "admission_method",
            "expected_discharge_on",
            "clinical_criteria",
            "discharged_at",
            "destination",
            "pathway",
            "length_of_stay_days",
            "discharge_ready_on",
            "no_criteria_to_reside",
            "days_since_discharge_ready",
            "delay_days_at_discharge",
            "delay_reason",
            "referral",
            "referral_status",
            "follow_up_91",
            "version",
        ]
        read_only_fields = fields

    def get_length_of_stay_days(self, spell) -> int:
        return spell.length_of_stay_days(today=self._today)

    def get_days_since_discharge_ready(self, spell) -> int | None:
        """Days since the discharge ready date while the patient is still in hospital with no criteria to reside."""
        if spell.discharged_at is not None or not spell.no_criteria_to_reside:
            return None
        return (self._today - spell.discharge_ready_on).days

    @cached_property
    def _today(self):
        """Today, read once for a whole list: the time zone lookup behind it, done for every row, added up."""
        return timezone.localdate()

    def get_delay_days_at_discharge(self, spell) -> int | None:
        """Discharge date − discharge ready date, once discharged."""
        if spell.discharged_at is None or spell.discharge_ready_on is None:
            return None
        return (timezone.localdate(spell.discharged_at) - spell.discharge_ready_on).days


class SpellAdmitSerializer(serializers.Serializer):
    patient = VisiblePatientField(required=False, help_text="A patient on the shared caseload (LIT staff).")
    nhs_number = serializers.CharField(
        max_length=20, required=False, help_text="Or the patient's NHS number (10 digits, spaces allowed)."
    )
    ward = VisibleWardField(help_text="The admitting ward's code (ward staff: one of their own wards).")
    admitted_at = serializers.DateTimeField()
    admission_method = serializers.ChoiceField(choices=AdmissionMethod.choices, default=AdmissionMethod.EMERGENCY)
    expected_discharge_on = serializers.DateField(required=False, allow_null=True, default=None)
    clinical_criteria = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("patient" in attrs) == ("nhs_number" in attrs):
            raise serializers.ValidationError({"patient": ["Give the patient's id or their NHS number (one of them)."]})
        if "nhs_number" in attrs:
            attrs["patient"] = self._patient_by_nhs_number(attrs.pop("nhs_number"))
        return attrs

    def _patient_by_nhs_number(self, typed):
        try:
            nhs_number = normalise_nhs_number(typed)
        except DjangoValidationError as invalid:
            raise serializers.ValidationError({"nhs_number": invalid.messages}) from invalid
        patient = caseload_selectors.patient_by_nhs_number(nhs_number=nhs_number)
        if patient is None:
            raise serializers.ValidationError({"nhs_number": ["No patient with this NHS number is on record."]})
        return patient


class SpellUpdateSerializer(VersionedInput):
    expected_discharge_on = serializers.DateField(required=False, help_text="Expected date of discharge (EDD).")
    clinical_criteria = serializers.CharField(
        required=False, allow_blank=True, help_text="Clinical criteria for discharge."
    )
    pathway = serializers.ChoiceField(choices=Pathway.choices, required=False, help_text="The pathway decided on.")


class FollowUpSerializer(VersionedInput):
    follow_up_91 = serializers.ChoiceField(
        choices=FOLLOW_UP_ANSWERS,
        help_text="Where the person was 91 days after a discharge on pathway 1 or 2.",
    )


class TransferSerializer(serializers.Serializer):
    ward = serializers.SlugRelatedField(
        slug_field="code", queryset=Ward.objects.filter(is_active=True), help_text="The new ward's code."
    )
    at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Defaults to now.")


class DischargeSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text=VERSION_HELP)
    discharged_at = serializers.DateTimeField()
    destination = serializers.ChoiceField(choices=Destination.choices)
    pathway = serializers.ChoiceField(
        choices=Pathway.choices,
        allow_null=True,
        required=False,
        default=None,
        help_text="None for a death in hospital or a transfer to another hospital. Which pathways go with which "
        "destination is checked together: a mismatch is a 400 naming the field.",
    )


class DischargeResultSerializer(serializers.Serializer):
    spell = SpellSerializer()
    episode = serializers.IntegerField(
        allow_null=True, help_text="The step-down episode opened (or joined) on the caseload: pathways 1 and 2."
    )


# Criteria to reside and delays ----------------------------------------------------------------------


class NctrPeriodSerializer(serializers.ModelSerializer):
    recorded_by_name = serializers.CharField(source="recorded_by.full_name", read_only=True, allow_null=True)

    class Meta:
        model = NctrPeriod
        fields = ["id", "spell", "started_on", "ended_on", "recorded_by", "recorded_by_name", "created_at"]
        read_only_fields = fields


class NctrStartSerializer(serializers.Serializer):
    started_on = serializers.DateField(help_text="The day the patient stopped meeting the criteria to reside.")


class NctrEndSerializer(serializers.Serializer):
    ended_on = serializers.DateField(help_text="The day the patient met the criteria to reside again.")


class DelaySerializer(serializers.ModelSerializer):
    reason = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reason_name = serializers.CharField(source="reason.name", read_only=True)
    recorded_by_name = serializers.CharField(source="recorded_by.full_name", read_only=True, allow_null=True)

    class Meta:
        model = Delay
        fields = [
            "id",
            "spell",
            "reason",
            "reason_name",
            "started_on",
            "ended_on",
            "note",
            "recorded_by",
            "recorded_by_name",
            "created_at",
        ]
        read_only_fields = fields


class DelayCreateSerializer(serializers.Serializer):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=selectors.delay_reasons(), help_text="A delay reason's code."
    )
    started_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Defaults to today.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
