"""The caseload API's input and output shapes.

Input serializers only parse and type-check: every write goes through caseload/services.py, which
holds the rules (NHS number, postcode, dates, moves, versions) and answers with field errors or a 409.
They are never saved directly.
"""

from decimal import Decimal

from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from caseload import selectors
from caseload.models import (
    Allocation,
    AllocationRole,
    Contact,
    ContactLocation,
    Episode,
    Goal,
    GoalStatus,
    Patient,
    Priority,
    ProviderType,
    Sequel,
    Service,
    Source,
    Team,
    full_name,
)
from ocit import api
from ocit.models import Discipline, User

VERSION_HELP = (
    "The version you read. If someone has changed the record since, the answer is 409 with the current values."
)


class VersionedInput(serializers.Serializer):
    """`version` is required even in a PATCH, where DRF would otherwise treat every field as optional."""

    version = serializers.IntegerField(min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        if "version" not in attrs:
            raise serializers.ValidationError({"version": ["This field is required."]})
        return super().validate(attrs)


# Patients -------------------------------------------------------------------------------------------


class PatientSerializer(api.ModelSerializer):
    lit = serializers.SlugRelatedField(source="team", slug_field="code", read_only=True)
    nhs_number_display = serializers.CharField(read_only=True, help_text="The NHS number shown 3-3-4.")

    class Meta:
        model = Patient
        fields = [
            "id",
            "nhs_number",
            "nhs_number_display",
            "nhs_number_unknown_reason",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "address",
            "postcode",
            "phone",
            "gp_practice_code",
            "next_of_kin",
            "access_notes",
            "lives_alone",
            "frailty_scale",
            "communication_needs",
            "interpreter_language",
            "consent_to_share",
            "lit",
            "team_override_reason",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class PatientInputSerializer(serializers.ModelSerializer):
    # Identifiers are accepted as typed (spaces, dashes, lower case); the service normalises and validates them.
    nhs_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, allow_null=True, help_text="10 digits, spaces allowed."
    )
    postcode = serializers.CharField(max_length=10)
    gp_practice_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    lit = serializers.SlugRelatedField(
        source="team",
        slug_field="code",
        queryset=Team.objects.filter(is_active=True),
        required=False,
        help_text="Leave out to use the LIT that serves the postcode; otherwise give team_override_reason.",
    )

    class Meta:
        model = Patient
        fields = [
            "nhs_number",
            "nhs_number_unknown_reason",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "address",
            "postcode",
            "phone",
            "gp_practice_code",
            "next_of_kin",
            "access_notes",
            "lives_alone",
            "frailty_scale",
            "communication_needs",
            "interpreter_language",
            "consent_to_share",
            "lit",
            "team_override_reason",
        ]
        validators = []


class PatientCreateSerializer(PatientInputSerializer):
    confirm_not_duplicate = serializers.BooleanField(
        default=False, help_text="Create the patient even though a likely duplicate is on record."
    )

    class Meta(PatientInputSerializer.Meta):
        fields = [*PatientInputSerializer.Meta.fields, "confirm_not_duplicate"]


class PatientUpdateSerializer(VersionedInput, PatientInputSerializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Why, for the audit trail."
    )

    class Meta(PatientInputSerializer.Meta):
        fields = [*PatientInputSerializer.Meta.fields, "reason", "version"]


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    lit = serializers.SlugRelatedField(source="team", slug_field="code", read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "lit"]
        read_only_fields = fields


# Episodes -------------------------------------------------------------------------------------------


class KeyworkerSerializer(serializers.Serializer):
    """An episode's current keyworker, from the columns `selectors.episodes_with_keyworker` joins in."""

    id = serializers.IntegerField(source="keyworker_id")
    name = serializers.CharField(source="keyworker_name")
    discipline = serializers.CharField(source="keyworker_discipline")
    since = api.DateTimeField(source="keyworker_since")


@extend_schema_field(OpenApiTypes.STR)
class PatientNameField(serializers.Field):
    """The patient's name, from the columns `selectors.patient_columns` joins into an API list's query."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, row):
        return full_name(row.patient_given_name, row.patient_family_name)


class VisiblePatientField(serializers.PrimaryKeyRelatedField):
    """A patient id, looked up among the patients the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Patient.objects.all(), **kwargs)

    def get_queryset(self):
        return selectors.patients_for(user=self.context["request"].user)


class VisibleEpisodeField(serializers.PrimaryKeyRelatedField):
    """An episode id, looked up among the episodes the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Episode.objects.all(), **kwargs)

    def get_queryset(self):
        return selectors.episodes_for(user=self.context["request"].user)


class EpisodeSerializer(api.ModelSerializer):
    # The patient's and the LIT's columns come joined in by the API's queryset (caseload.api._episodes).
    patient_name = PatientNameField()
    nhs_number = serializers.CharField(read_only=True, allow_null=True)
    lit = serializers.CharField(read_only=True)
    keyworker = serializers.SerializerMethodField()
    # Blank until set: the schema says so (DRF drops allow_blank from fields it makes read-only).
    sequel = serializers.ChoiceField(choices=Sequel.choices, allow_blank=True, read_only=True)
    discipline_needed = serializers.ChoiceField(choices=Discipline.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Episode
        fields = [
            "id",
            "patient",
            "patient_name",
            "nhs_number",
            "lit",
            "service",
            "source",
            "priority",
            "reason",
            "what_matters",
            "discipline_needed",
            "received_at",
            "response_standard",
            "due_by",
            "first_contact_at",
            "next_contact_on",
            "status",
            "keyworker",
            "closed_at",
            "closure_reason",
            "sequel",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(KeyworkerSerializer(allow_null=True))
    def get_keyworker(self, episode):
        """The current keyworker, from the columns the API's queryset joins in."""
        return self._keyworker.to_representation(episode) if episode.keyworker_id else None

    @cached_property
    def _keyworker(self):
        """One keyworker serializer for every row of a list: building one per row (its fields copied each time)
        was most of the time of a page of active episodes."""
        return KeyworkerSerializer()


class EpisodeCreateSerializer(serializers.Serializer):
    patient = VisiblePatientField()
    lit = serializers.SlugRelatedField(
        source="team",
        slug_field="code",
        queryset=Team.objects.filter(is_active=True),
        required=False,
        help_text="Leave out to use the patient's LIT.",
    )
    service = serializers.ChoiceField(choices=Service.choices)
    source = serializers.ChoiceField(choices=Source.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    received_at = serializers.DateTimeField()
    reason = serializers.CharField(required=False, allow_blank=True)
    what_matters = serializers.CharField(required=False, allow_blank=True)
    discipline_needed = serializers.ChoiceField(choices=Discipline.choices, required=False, allow_blank=True)


class EpisodeUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text=VERSION_HELP)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    what_matters = serializers.CharField(required=False, allow_blank=True)
    next_contact_on = serializers.DateField(required=False, allow_null=True)


class ClosingPackageSerializer(serializers.Serializer):
    hours_per_week = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0))
    calls_per_day = serializers.IntegerField(min_value=0, max_value=32767)
    carers_per_call = serializers.IntegerField(min_value=0, max_value=32767)
    provider_type = serializers.ChoiceField(choices=ProviderType.choices)
    effective_on = serializers.DateField(required=False, help_text="Defaults to the day the episode closes.")


class EpisodeCloseSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text=VERSION_HELP)
    sequel = serializers.ChoiceField(choices=Sequel.choices, required=False, allow_blank=True, default="")
    closure_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    closing_package = ClosingPackageSerializer(
        required=False, allow_null=True, help_text="The care package at the end, unless one is already recorded."
    )
    goal_outcomes = serializers.DictField(
        child=serializers.ChoiceField(choices=GoalStatus.choices),
        required=False,
        default=dict,
        help_text="The outcome of every open goal, by goal id.",
    )

    def validate_goal_outcomes(self, outcomes):
        try:
            return {int(goal_id): status for goal_id, status in outcomes.items()}
        except ValueError as error:
            raise serializers.ValidationError("Give each goal's outcome under its numeric id.") from error


# Allocations and contacts ---------------------------------------------------------------------------


# Read-only disciplines are plain strings in the schema: the same codes as `discipline_needed`, which owns the enum.
DISCIPLINE_HELP = "A discipline code, as in discipline_needed."


class AllocationSerializer(serializers.ModelSerializer):
    discipline = serializers.CharField(read_only=True, help_text=DISCIPLINE_HELP)
    practitioner_name = serializers.CharField(source="practitioner.full_name", read_only=True)
    allocated_by_name = serializers.CharField(source="allocated_by.full_name", read_only=True, allow_null=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "episode",
            "practitioner",
            "practitioner_name",
            "role",
            "discipline",
            "started_at",
            "ended_at",
            "allocated_by",
            "allocated_by_name",
        ]
        read_only_fields = fields


class AllocationCreateSerializer(serializers.Serializer):
    practitioner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    role = serializers.ChoiceField(choices=AllocationRole.choices, default=AllocationRole.KEYWORKER)
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Give the episode's version to replace its current keyworker.",
    )


class ContactSerializer(serializers.ModelSerializer):
    discipline = serializers.CharField(read_only=True, help_text=DISCIPLINE_HELP)
    practitioner_name = serializers.CharField(source="practitioner.full_name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "episode",
            "at",
            "practitioner",
            "practitioner_name",
            "discipline",
            "attended",
            "not_attended_reason",
            "location",
            "duration_minutes",
            "notes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class ContactCreateSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60)
    location = serializers.ChoiceField(choices=ContactLocation.choices, default=ContactLocation.HOME)
    attended = serializers.BooleanField(default=True)
    not_attended_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    practitioner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None, help_text="Defaults to you."
    )
    next_contact_on = serializers.DateField(required=False, allow_null=True, default=None)
    keyworker = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Who you believe the keyworker is (a visit recorded offline): a 409 if the episode was reallocated.",
    )


# Goals ----------------------------------------------------------------------------------------------


class GoalSerializer(VersionedInput, serializers.ModelSerializer):
    """A goal as read, and as changed by PUT/PATCH (with the version read)."""

    class Meta:
        model = Goal
        fields = ["id", "episode", "text", "target_date", "status", "created_at", "updated_at", "version"]
        read_only_fields = ["id", "episode", "created_at", "updated_at"]


class GoalCreateSerializer(serializers.Serializer):
    episode = VisibleEpisodeField()
    text = serializers.CharField(max_length=300)
    target_date = serializers.DateField(required=False, allow_null=True, default=None)
