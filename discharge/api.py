"""The hospital side over REST (/api/v1/). Adapters only: parse, call one service or selector, render.

Reads come from discharge/selectors.py (ward staff see their own wards; anything else is a 404) and the
FilterSets the screens use; writes go through discharge/services.py. Recording a discharge also moves the
referral and opens the step-down episode, so it lives with the referrals (referrals.api.SpellDischargeViewSet)
and this app keeps from importing them. Django ValidationError → 400 with field errors and Conflict → 409
are mapped by ocit.api.exception_handler.
"""

from operator import attrgetter

from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from caseload import selectors as caseload_selectors
from discharge import selectors, services
from discharge import serializers as s
from discharge.filters import SpellFilter
from discharge.models import Delay, NctrPeriod
from ocit import audit
from ocit.api import BAD_INPUT, AccessLogged, ReadWriteViewSet, validated_input
from ocit.errors import Conflict
from ocit.roles import Capability

CAN_VIEW = Capability.of("wardboard.view")
CAN_EDIT = Capability.of("spell.edit")

STALE = OpenApiResponse(
    description="Changed by someone else since you read it (detail, current values and version), "
    "or the patient has already been discharged."
)
LIT_ONLY = OpenApiResponse(description="LIT staff only.")
CLOSED = OpenApiResponse(description="The patient has already been discharged, or the move is not allowed now.")
SPELL_PK = OpenApiParameter("spell_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The hospital stay's id.")


class DischargeAPI(ReadWriteViewSet):
    read_permission = CAN_VIEW
    write_permission = CAN_EDIT


class WardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DischargeAPI):
    """UHCW wards. Ward staff see only their own wards."""

    serializer_class = s.WardSerializer

    def get_queryset(self):
        return selectors.wards_for(user=self.request.user).order_by("code")


# Spells ---------------------------------------------------------------------------------------------


def spells(user):
    """The stays the user may see, each with its discharge status, and its patient's, LIT's and ward's columns the
    serializer reads, in the same query."""
    return (
        selectors.with_discharge_status(selectors.spells_for(user=user))
        .select_related("patient__team")
        .annotate(**JOINED_COLUMNS)
        .order_by("-admitted_at", "-id")
    )


JOINED_COLUMNS = {
    **caseload_selectors.patient_columns(),
    "lit": F("patient__team__code"),
    "ward_code": F("ward__code"),
    "ward_name": F("ward__name"),
}


class SpellViewSet(AccessLogged, mixins.ListModelMixin, DischargeAPI):
    """Hospital stays on the wards you may see, with what the ward board shows.

    Retrieving one writes an access-log row. A change needs the version read.
    """

    serializer_class = s.SpellSerializer
    filterset_class = SpellFilter

    def get_queryset(self):
        stays = spells(self.request.user)
        # A list builds no patient, LIT or ward in Python for each row; a change's services may want them.
        return stays.select_related(None) if self.action == "list" else stays

    def _respond(self, spell, status_code=status.HTTP_200_OK):
        return Response(s.SpellSerializer(self.get_queryset().get(pk=spell.pk)).data, status=status_code)

    @extend_schema(
        request=s.SpellAdmitSerializer,
        responses={
            201: s.SpellSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="The patient is already in hospital."),
        },
        description="Admit a patient: give their id (LIT staff) or NHS number, and a ward you may see.",
    )
    def create(self, request):
        values = validated_input(s.SpellAdmitSerializer, request)
        spell = services.spell_admit(actor=request.user, **values)
        return self._respond(spell, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.SpellUpdateSerializer,
        responses={200: s.SpellSerializer, 400: BAD_INPUT, 409: STALE},
        description="Set the expected date of discharge, the clinical criteria for discharge, or the pathway.",
    )
    def partial_update(self, request, pk=None):
        spell = self.get_object()
        values = validated_input(s.SpellUpdateSerializer, request, partial=True)
        spell = services.spell_update(actor=request.user, spell=spell, **values)
        return self._respond(spell)

    @extend_schema(
        request=s.FollowUpSerializer,
        responses={
            200: s.SpellSerializer,
            400: BAD_INPUT,
            403: LIT_ONLY,
            409: STALE,
        },
        description="Record where the person was 91 days after a discharge into reablement or rehabilitation "
        "(pathway 1 or 2), once that day has come. LIT staff only.",
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        spell = self.get_object()
        values = validated_input(s.FollowUpSerializer, request)
        spell = services.spell_follow_up(
            actor=request.user, spell=spell, version=values["version"], follow_up=values["follow_up_91"]
        )
        return self._respond(spell)

    @extend_schema(
        request=s.TransferSerializer,
        responses={200: s.SpellSerializer, 400: BAD_INPUT, 409: CLOSED},
        description="Move the patient to another ward: ends the current ward stay and starts another.",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        before = self.get_object()
        values = validated_input(s.TransferSerializer, request)
        spell = services.spell_transfer(actor=request.user, spell=before, **values)
        # A transfer leaves the discharge status as it was; ward staff may no longer see the new ward, so
        # the answer carries the status read before rather than reading the stay again.
        for name in s.STATUS_FIELDS:
            setattr(spell, name, getattr(before, name))
        for name, column in JOINED_COLUMNS.items():  # the new ward's, from the stay as the service left it
            setattr(spell, name, attrgetter(column.name.replace("__", "."))(spell))
        return Response(s.SpellSerializer(spell).data)


# Parts of a spell -----------------------------------------------------------------------------------


class SpellPartAPI(mixins.ListModelMixin, DischargeAPI):
    """Rows of one stay, at /spells/{spell_pk}/<part>/. Listing them is a view of the patient's record."""

    part = ""

    @property
    def spell(self):
        if not hasattr(self, "_spell"):
            self._spell = selectors.spell_get(user=self.request.user, pk=self.kwargs["spell_pk"])
        return self._spell

    def get_queryset(self):
        return selectors.spell_history(spell=self.spell)[self.part].select_related("recorded_by")

    def list(self, request, *args, **kwargs):
        audit.log_access(
            actor=request.user, patient_id=self.spell.patient_id, obj=self.spell, via=f"API {request.get_full_path()}"
        )
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[SPELL_PK])
class NctrPeriodViewSet(SpellPartAPI):
    """Periods with no criteria to reside. The discharge ready date is the start of the latest one."""

    part = "nctr_periods"
    serializer_class = s.NctrPeriodSerializer
    queryset = NctrPeriod.objects.none()  # for the schema; rows come from get_queryset

    @extend_schema(
        request=s.NctrStartSerializer,
        responses={
            201: s.NctrPeriodSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="Already no criteria to reside, or discharged."),
        },
        description="The patient no longer meets the criteria to reside: the date becomes the discharge ready date.",
    )
    def create(self, request, spell_pk=None):
        spell = self.spell
        values = validated_input(s.NctrStartSerializer, request)
        period = services.nctr_start(actor=request.user, spell=spell, **values)
        return Response(s.NctrPeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.NctrEndSerializer,
        responses={
            200: s.NctrPeriodSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="The period has already ended, or the patient was discharged."),
        },
        description="The patient meets the criteria to reside again: the period and its delay reason end.",
    )
    @action(detail=True, methods=["post"])
    def end(self, request, spell_pk=None, pk=None):
        period = self.get_object()
        values = validated_input(s.NctrEndSerializer, request)
        if period.ended_on is not None:
            raise Conflict(f"This period already ended on {period.ended_on:%d %b %Y}.", ended_on=period.ended_on)
        period = services.nctr_end(actor=request.user, spell=self.spell, **values)
        return Response(s.NctrPeriodSerializer(period).data)


@extend_schema(parameters=[SPELL_PK])
class DelayViewSet(SpellPartAPI):
    """Why a patient with no criteria to reside is still in hospital, from one day to another."""

    part = "delays"
    serializer_class = s.DelaySerializer
    queryset = Delay.objects.none()  # for the schema; rows come from get_queryset

    @extend_schema(
        request=s.DelayCreateSerializer,
        responses={201: s.DelaySerializer, 400: BAD_INPUT, 409: CLOSED},
        description="Give the delay its reason; a new reason ends the current row and starts another.",
    )
    def create(self, request, spell_pk=None):
        spell = self.spell
        values = validated_input(s.DelayCreateSerializer, request)
        delay = services.delay_set(actor=request.user, spell=spell, **values)
        return Response(s.DelaySerializer(delay).data, status=status.HTTP_201_CREATED)
