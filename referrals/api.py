"""Referrals over REST (/api/v1/), and the discharge that completes them. Adapters only: parse, call one
service or selector, render.

Reads come from referrals/selectors.py (ward staff see their own wards' referrals; anything else is a 404)
and the FilterSet the screens use; writes go through referrals/services.py, whose one transition table
says which moves are allowed and who may make them. Django ValidationError → 400 with field errors and
Conflict → 409 (with `allowed_moves`, or who decided first) are mapped by ocit.api.exception_handler.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from caseload import selectors as caseload_selectors
from caseload import services as caseload_services
from caseload.serializers import DuplicateCandidateSerializer
from discharge import api as discharge_api
from discharge import selectors as discharge_selectors
from discharge.serializers import DischargeResultSerializer, DischargeSerializer
from ocit.api import BAD_INPUT, AccessLogged, validated_input
from ocit.errors import Conflict
from ocit.roles import Capability, can
from referrals import selectors, services
from referrals import serializers as s
from referrals.filters import ReferralFilter
from referrals.models import Referral

MOVE_REFUSED = OpenApiResponse(
    description="Not allowed from the referral's status (detail, status, allowed_moves), or someone else decided "
    "first (detail naming who, decided_by)."
)
CAN_VIEW = Capability.of("referral.view")
CAN_DECIDE = Capability.of("referral.decide")
# Which capability each action needs: the one role table in ocit/roles.py.
PERMISSION_FOR_ACTION = {
    "list": CAN_VIEW,
    "retrieve": CAN_VIEW,
    "create": Capability.of("referral.raise"),
    "accept": CAN_DECIDE,
    "decline": CAN_DECIDE,
    "redirect": CAN_DECIDE,
    "complete": CAN_DECIDE,
    "withdraw": Capability.of("referral.withdraw"),
}


class ReferralViewSet(AccessLogged, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every referral into OCIT you may see: ward staff their own wards', LIT staff all of them.

    Retrieving one writes an access-log row.
    """

    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilter

    def get_permissions(self):
        return [PERMISSION_FOR_ACTION.get(self.action, CAN_VIEW)()]

    def get_queryset(self):
        # The patient's, LIT's, ward's and decider's columns the serializer reads, joined in as columns.
        referrals = (
            selectors.referrals_for(user=self.request.user)
            .annotate(
                **caseload_selectors.patient_columns(),
                lit=F("patient__team__code"),
                ward=F("spell__ward__code"),
                decided_by_name=F("decided_by__full_name"),
            )
            .order_by("-received_at", "-id")
        )
        # A list builds no patient, LIT, stay, ward or user in Python for each row; a change's services may want them.
        return referrals.select_related(None) if self.action == "list" else referrals

    def _respond(self, referral, status_code=status.HTTP_200_OK):
        return Response(s.ReferralSerializer(self.get_queryset().get(pk=referral.pk)).data, status=status_code)

    @extend_schema(
        request=s.ReferralCreateSerializer,
        responses={
            201: s.ReferralSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(
                description="The hospital stay already has an open referral, or the new patient may already be "
                "on record (candidates; send new_patient.confirm_not_duplicate: true)."
            ),
        },
        description="Raise a referral: from a ward, give the hospital stay (the patient comes from it); otherwise "
        "the patient's id, or (LIT staff) the details of a patient not yet on record.",
    )
    def create(self, request):
        values = validated_input(s.ReferralCreateSerializer, request)
        details = values.pop("new_patient", None)
        # The new patient and the referral are saved together or not at all.
        with transaction.atomic():
            if details is not None:
                values["patient"] = self._create_patient(request.user, details)
            referral = services.referral_raise(actor=request.user, **values)
        return self._respond(referral, status.HTTP_201_CREATED)

    def _create_patient(self, user, details):
        if not can(user, "patient.edit"):
            raise exceptions.PermissionDenied("Only LIT staff can add a patient to the record.")
        confirmed = details.pop("confirm_not_duplicate", False)
        try:
            patient = caseload_services.patient_create(actor=user, values=details)
        except DjangoValidationError as invalid:
            errors = dict(invalid.message_dict)
            if "__all__" in errors:
                errors["non_field_errors"] = errors.pop("__all__")
            raise exceptions.ValidationError({"new_patient": errors}) from invalid
        candidates = caseload_selectors.likely_duplicates(
            nhs_number=patient.nhs_number,
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
        ).exclude(pk=patient.pk)
        if candidates and not confirmed:
            raise Conflict(
                "This may be a patient already on record. Refer them by their id; if none of the candidates is "
                "the same person, send new_patient.confirm_not_duplicate: true.",
                candidates=DuplicateCandidateSerializer(candidates, many=True).data,
            )
        return patient

    @extend_schema(
        request=None,
        responses={200: s.ReferralSerializer, 409: MOVE_REFUSED},
        description="Accept: the patient joins the shared caseload (their open episode of the service, or a new one).",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        referral = services.referral_accept(actor=request.user, referral=self.get_object())
        return self._respond(referral)

    @extend_schema(
        request=s.DeclineSerializer,
        responses={200: s.ReferralSerializer, 400: BAD_INPUT, 409: MOVE_REFUSED},
        description="Decline, with the reason (required) and where the patient went instead.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        referral = self.get_object()
        values = validated_input(s.DeclineSerializer, request)
        referral = services.referral_decline(
            actor=request.user, referral=referral, reason=values["decision_reason"], outcome=values["outcome"]
        )
        return self._respond(referral)

    @extend_schema(
        request=s.RedirectSerializer,
        responses={200: s.ReferralSerializer, 400: BAD_INPUT, 409: MOVE_REFUSED},
        description="Redirect to another service (redirected_to is required).",
    )
    @action(detail=True, methods=["post"])
    def redirect(self, request, pk=None):
        referral = self.get_object()
        values = validated_input(s.RedirectSerializer, request)
        referral = services.referral_redirect(
            actor=request.user, referral=referral, to_where=values["redirected_to"], outcome=values["outcome"]
        )
        return self._respond(referral)

    @extend_schema(
        request=s.WithdrawSerializer,
        responses={200: s.ReferralSerializer, 400: BAD_INPUT, 409: MOVE_REFUSED},
        description="Withdraw a received or accepted referral, with the reason (required). "
        "Ward staff may withdraw their own wards' referrals.",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        referral = self.get_object()
        values = validated_input(s.WithdrawSerializer, request)
        referral = services.referral_withdraw(actor=request.user, referral=referral, reason=values["decision_reason"])
        return self._respond(referral)

    @extend_schema(
        request=s.CompleteSerializer,
        responses={200: s.ReferralSerializer, 400: BAD_INPUT, 409: MOVE_REFUSED},
        description="Complete an accepted referral, with its outcome.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        referral = self.get_object()
        values = validated_input(s.CompleteSerializer, request)
        referral = services.referral_complete(actor=request.user, referral=referral, outcome=values["outcome"])
        return self._respond(referral)


@extend_schema(parameters=[discharge_api.SPELL_PK])
class SpellDischargeViewSet(viewsets.GenericViewSet):
    """POST /spells/{spell_pk}/discharge/: record the discharge of a stay you may see."""

    permission_classes = [Capability.of("spell.edit")]
    serializer_class = DischargeSerializer
    queryset = Referral.objects.none()  # for the schema; the stay comes from discharge.selectors

    @extend_schema(
        request=DischargeSerializer,
        responses={200: DischargeResultSerializer, 400: BAD_INPUT, 409: discharge_api.STALE},
        description="Close the stay, its ward stay, NCTR period and delay. Pathways 1 and 2 open the step-down "
        "episode on the caseload for the patient's LIT; the stay's open referral is completed.",
    )
    def create(self, request, spell_pk=None):
        spell = discharge_selectors.spell_get(user=request.user, pk=spell_pk)
        values = validated_input(DischargeSerializer, request)
        spell, episode = services.discharge_record(actor=request.user, spell=spell, **values)
        result = {
            "spell": discharge_api.spells(request.user).get(pk=spell.pk),
            "episode": episode.pk if episode is not None else None,
        }
        return Response(DischargeResultSerializer(result).data)
