"""The shared caseload over REST (/api/v1/). Adapters only: parse, call one service or selector, render.

Reads come from caseload/selectors.py (role scoping in SQL) and the FilterSets the screens use; writes go
through caseload/services.py (rules, version checks, audit trail). Django ValidationError → 400 with field
errors and DomainError/Conflict → 409 are mapped by ocit.api.exception_handler.
"""

from django.db import transaction
from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from caseload import selectors, services
from caseload import serializers as s
from caseload.filters import EpisodeFilter, GoalFilter, PatientFilter
from caseload.models import Allocation, Contact, Goal
from ocit import audit
from ocit.api import BAD_INPUT, AccessLogged, ReadWriteViewSet, validated_input
from ocit.errors import Conflict
from ocit.roles import Capability

CAN_VIEW = Capability.of("caseload.view")
CAN_VIEW_PATIENTS = Capability.of("patient.view")
CAN_EDIT = Capability.of("patient.edit")
CAN_ALLOCATE = Capability.of("caseload.allocate")

STALE = OpenApiResponse(description="Changed by someone else since you read it: detail, current values and version.")
EPISODE_PK = OpenApiParameter("episode_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The episode's id.")


class CaseloadAPI(ReadWriteViewSet):
    read_permission = CAN_VIEW
    write_permission = CAN_EDIT


# Patients -------------------------------------------------------------------------------------------


class PatientViewSet(AccessLogged, mixins.ListModelMixin, CaseloadAPI):
    """Patients on the shared caseload. Retrieving one writes an access-log row; a change needs the version read."""

    serializer_class = s.PatientSerializer
    read_permission = CAN_VIEW_PATIENTS
    filterset_class = PatientFilter

    def get_queryset(self):
        return selectors.patients_for(user=self.request.user).order_by("id")

    def patient_id_of(self, obj):
        return obj.pk

    @extend_schema(
        request=s.PatientCreateSerializer,
        responses={
            201: s.PatientSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(
                description="A likely duplicate is on record: detail and candidates. "
                "Send confirm_not_duplicate: true to create the patient anyway."
            ),
        },
    )
    def create(self, request):
        values = validated_input(s.PatientCreateSerializer, request)
        confirmed = values.pop("confirm_not_duplicate")
        # The service validates first (so bad input is a 400, never hidden behind a duplicate warning);
        # a likely duplicate then undoes the creation, audit row included, and answers 409.
        with transaction.atomic():
            patient = services.patient_create(actor=request.user, values=values)
            if not confirmed:
                self._refuse_likely_duplicates(patient)
        return Response(s.PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    def _refuse_likely_duplicates(self, patient):
        candidates = selectors.likely_duplicates(
            nhs_number=patient.nhs_number,
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
        ).exclude(pk=patient.pk)
        if candidates:
            raise Conflict(
                "This may be a patient already on record. Check the candidates; "
                "if none is the same person, send confirm_not_duplicate: true.",
                candidates=s.DuplicateCandidateSerializer(candidates, many=True).data,
            )

    @extend_schema(request=s.PatientUpdateSerializer, responses={200: s.PatientSerializer, 400: BAD_INPUT, 409: STALE})
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=s.PatientUpdateSerializer, responses={200: s.PatientSerializer, 400: BAD_INPUT, 409: STALE})
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        values = validated_input(s.PatientUpdateSerializer, request, partial=partial)
        version = values.pop("version")
        reason = values.pop("reason", "")
        patient = services.patient_update(
            actor=request.user, patient=self.get_object(), version=version, values=values, reason=reason
        )
        return Response(s.PatientSerializer(self.get_queryset().get(pk=patient.pk)).data)


# Episodes -------------------------------------------------------------------------------------------


def _episodes(user):
    """The user's episodes, each with its current keyworker, its patient's name and NHS number and its LIT's code
    joined in as columns, which is all the serializer reads of them: one query for a page of them."""
    return (
        selectors.episodes_with_keyworker(user=user)
        .annotate(**selectors.patient_columns(), lit=F("team__code"))
        .order_by("-received_at", "-id")
    )


class EpisodeViewSet(AccessLogged, mixins.ListModelMixin, CaseloadAPI):
    """Episodes on the shared caseload, with their current keyworker. Retrieving one writes an access-log row."""

    serializer_class = s.EpisodeSerializer
    filterset_class = EpisodeFilter

    def get_queryset(self):
        episodes = _episodes(self.request.user)
        # A list builds no patient or LIT in Python for each row; a change's services may want them.
        return episodes.select_related(None) if self.action == "list" else episodes

    def _respond(self, episode, status_code=status.HTTP_200_OK):
        return Response(s.EpisodeSerializer(self.get_queryset().get(pk=episode.pk)).data, status=status_code)

    @extend_schema(
        request=s.EpisodeCreateSerializer,
        responses={
            201: s.EpisodeSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="The patient already has an open episode of this service."),
        },
    )
    def create(self, request):
        values = validated_input(s.EpisodeCreateSerializer, request)
        episode = services.episode_open(actor=request.user, **values)
        return self._respond(episode, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.EpisodeUpdateSerializer,
        responses={200: s.EpisodeSerializer, 400: BAD_INPUT, 409: STALE},
        description="Change priority, reason, what matters or the next planned contact of an open episode.",
    )
    def partial_update(self, request, pk=None):
        values = validated_input(s.EpisodeUpdateSerializer, request)
        version = values.pop("version")
        episode = services.episode_update(actor=request.user, episode=self.get_object(), version=version, values=values)
        return self._respond(episode)

    @extend_schema(
        request=s.EpisodeCloseSerializer,
        responses={
            200: s.EpisodeSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="Stale version (current values), or a move not allowed (allowed_moves)."),
        },
        description="Close with the sequel, the closing care package and every open goal's outcome — or not at all.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        values = validated_input(s.EpisodeCloseSerializer, request)
        episode = services.episode_close(actor=request.user, episode=self.get_object(), **values)
        return self._respond(episode)


class EpisodePartAPI(mixins.ListModelMixin, CaseloadAPI):
    """Rows of one episode, at /episodes/{episode_pk}/<part>/. Listing them is a view of the patient's record."""

    part = ""

    @property
    def episode(self):
        if not hasattr(self, "_episode"):
            self._episode = selectors.episode_get(user=self.request.user, pk=self.kwargs["episode_pk"])
        return self._episode

    def get_queryset(self):
        return selectors.episode_timeline(episode=self.episode)[self.part]

    def list(self, request, *args, **kwargs):
        audit.log_access(
            actor=request.user,
            patient_id=self.episode.patient_id,
            obj=self.episode,
            via=f"API {request.get_full_path()}",
        )
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[EPISODE_PK])
class AllocationViewSet(EpisodePartAPI):
    part = "allocations"
    serializer_class = s.AllocationSerializer
    queryset = Allocation.objects.none()  # for the schema; rows come from get_queryset
    write_permission = CAN_ALLOCATE

    @extend_schema(
        request=s.AllocationCreateSerializer,
        responses={
            201: s.AllocationSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="Already allocated (who, by whom), stale version, or a closed episode."),
        },
        description="Allocate the keyworker (or another practitioner). Coordinators only.",
    )
    def create(self, request, episode_pk=None):
        values = validated_input(s.AllocationCreateSerializer, request)
        allocation = services.episode_allocate(actor=request.user, episode=self.episode, **values)
        return Response(s.AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[EPISODE_PK])
class ContactViewSet(EpisodePartAPI):
    part = "contacts"
    serializer_class = s.ContactSerializer
    queryset = Contact.objects.none()  # for the schema; rows come from get_queryset

    @extend_schema(
        request=s.ContactCreateSerializer,
        responses={
            201: s.ContactSerializer,
            400: BAD_INPUT,
            409: OpenApiResponse(description="The episode is closed, or was reallocated from the keyworker given."),
        },
        description="Record a visit or call. The first attended contact stops the response-standard clock.",
    )
    def create(self, request, episode_pk=None):
        values = validated_input(s.ContactCreateSerializer, request)
        contact = services.contact_record(actor=request.user, episode=self.episode, **values)
        return Response(s.ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


# Goals ----------------------------------------------------------------------------------------------


class GoalViewSet(AccessLogged, mixins.ListModelMixin, CaseloadAPI):
    """What matters to me: goals of the episodes on the caseload. Retrieving one writes an access-log row."""

    serializer_class = s.GoalSerializer
    filterset_class = GoalFilter

    def get_queryset(self):
        episodes = selectors.episodes_for(user=self.request.user)
        return Goal.objects.filter(episode__in=episodes.values("pk")).select_related("episode").order_by("id")

    def patient_id_of(self, obj):
        return obj.episode.patient_id

    @extend_schema(
        request=s.GoalCreateSerializer,
        responses={201: s.GoalSerializer, 400: BAD_INPUT, 409: OpenApiResponse(description="The episode is closed.")},
    )
    def create(self, request):
        values = validated_input(s.GoalCreateSerializer, request)
        goal = services.goal_add(actor=request.user, **values)
        return Response(s.GoalSerializer(goal).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.GoalSerializer, 400: BAD_INPUT, 409: STALE})
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(responses={200: s.GoalSerializer, 400: BAD_INPUT, 409: STALE})
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        values = validated_input(s.GoalSerializer, request, partial=partial)
        version = values.pop("version")
        goal = services.goal_update(actor=request.user, goal=self.get_object(), version=version, values=values)
        return Response(s.GoalSerializer(goal).data)
