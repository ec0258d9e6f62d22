"""The benefits dashboard over REST (/api/v1/). Adapters only: parse, call one service or selector, render."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from benefits import imports, metrics, tasks
from benefits import serializers as s
from benefits.filters import ExternalMeasureFilter, MetricValueFilter
from benefits.models import ExternalMeasure, MetricValue, RecomputeRun
from ocit.api import PROBLEM, ReadWriteViewSet, problem, validated_input
from ocit.errors import Conflict
from ocit.pagination import Pagination
from ocit.parsers import JSONParser
from ocit.roles import Capability

# External measures ----------------------------------------------------------------------------------


class ExternalMeasureViewSet(mixins.ListModelMixin, ReadWriteViewSet):
    """Daily figures the system cannot derive (ambulance handovers, bed occupancy…), imported from CSV files."""

    serializer_class = s.ExternalMeasureSerializer
    filterset_class = ExternalMeasureFilter
    parser_classes = [JSONParser, MultiPartParser]
    read_permission = Capability.of("dashboard.view")
    write_permission = Capability.of("benefits.import")

    def get_queryset(self):
        return ExternalMeasure.objects.select_related("imported_by").order_by("measure", "on")

    @extend_schema(
        request={
            "multipart/form-data": s.ExternalMeasureFileImportSerializer,
            "application/json": s.ExternalMeasureTextImportSerializer,
        },
        responses={
            200: OpenApiResponse(s.ExternalMeasureImportResultSerializer, description="Imported; nothing was new."),
            201: OpenApiResponse(s.ExternalMeasureImportResultSerializer, description="Imported, some measures new."),
            400: OpenApiResponse(
                s.ExternalMeasureImportRefusedSerializer,
                description="Nothing imported. Either the file cannot be read (field errors: file, csv or "
                "non_field_errors), or some rows are bad (detail, rows with each bad row's line and error, "
                "good_rows): fix them, or send confirm: true to import the good rows only.",
            ),
            409: OpenApiResponse(description="Another import wrote the same measures at the same time: try again."),
        },
        description="Import measures from a CSV file, upserting by (measure, date): a value already held is not "
        "written again, so importing the same file twice changes nothing. " + s.CSV_FORMAT,
    )
    def create(self, request):
        values = validated_input(s.ExternalMeasureImportSerializer, request)
        field = "file" if "file" in values else "csv"
        try:
            text = imports.measures_read(upload=values["file"]) if field == "file" else values["csv"]
            parsed = imports.measures_parse(text=text)
        except imports.ImportFileError as error:
            raise exceptions.ValidationError({field: [error.message]}) from None
        rows = [{"line": line, "error": message} for line, message in parsed.errors]
        if not parsed.rows or (rows and not values["confirm"]):
            detail = (
                "No row can be imported: nothing was imported."
                if not parsed.rows
                else f"{len(rows)} row{'s' if len(rows) != 1 else ''} cannot be imported, so nothing was imported. "
                f"Fix them, or send confirm: true to import the {len(parsed.rows)} good "
                f"row{'s' if len(parsed.rows) != 1 else ''} only."
            )
            body = problem(status.HTTP_400_BAD_REQUEST, detail, rows=rows, good_rows=len(parsed.rows))
            return Response(body, status=status.HTTP_400_BAD_REQUEST, content_type=PROBLEM)
        source = values["file"].name if field == "file" else "the API"
        result = imports.external_measures_import(actor=request.user, rows=parsed.rows, source=source)
        return Response(
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged, "rows": rows},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# Metrics and their figures --------------------------------------------------------------------------


def _catalogue_entry(metric):
    return {
        "key": metric.key,
        "name": metric.name,
        "area": metric.area,
        "area_name": metrics.AREAS[metric.area],
        "unit": metric.unit,
        "better": metric.better,
        "description": metric.description,
        "formula": metric.formula,
        "target": metric.target,
        "assumptions": list(metric.assumptions),
        "per_lit": metric.per_lit,
    }


class MetricViewSet(viewsets.ViewSet):
    """The metric catalogue, and each metric's stored figures (aggregates only; LIT figures under 5 suppressed)."""

    permission_classes = [Capability.of("dashboard.view")]
    lookup_field = "key"
    lookup_value_regex = "[a-z0-9_]+"
    pagination_class = None  # the catalogue is whole; each metric's values are paged (the action's own)

    @extend_schema(responses=s.MetricSerializer(many=True))
    def list(self, request):
        return Response(s.MetricSerializer([_catalogue_entry(m) for m in metrics.METRICS], many=True).data)

    @extend_schema(responses=s.MetricSerializer)
    def retrieve(self, request, key=None):
        return Response(s.MetricSerializer(_catalogue_entry(self._metric(key))).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", enum=["week", "month"], description="Default: month."),
            OpenApiParameter("lit", str, description="A LIT's code; without it, all of OCIT."),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses=s.MetricValueSerializer(many=True),
    )
    @action(detail=True, pagination_class=Pagination)
    def values(self, request, key=None):
        metric = self._metric(key)
        rows = MetricValue.objects.filter(metric=metric.key).select_related("team").order_by("period_start")
        filterset = MetricValueFilter(request.query_params, queryset=rows, request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(s.MetricValueSerializer(page, many=True).data)

    def _metric(self, key):
        if key not in metrics.BY_KEY:
            raise Http404("No such metric")
        return metrics.BY_KEY[key]


class RecomputeRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ReadWriteViewSet):
    """Every recompute of the figures: nightly, on demand, or from the command line."""

    serializer_class = s.RecomputeRunSerializer
    read_permission = Capability.of("dashboard.view")
    write_permission = Capability.of("benefits.recompute")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        RecomputeRun.objects.abandon_stale()  # a run whose worker was killed is not shown as running

    def get_queryset(self):
        return RecomputeRun.objects.select_related("started_by").order_by("-started_at")

    @extend_schema(
        request=s.RecomputeRequestSerializer,
        responses={
            202: OpenApiResponse(description="Queued: watch the newest run in this list."),
            409: OpenApiResponse(description="A recompute is already running."),
            503: OpenApiResponse(description="The task queue is not answering: nothing was queued."),
        },
    )
    def create(self, request):
        values = validated_input(s.RecomputeRequestSerializer, request)
        if not tasks.recompute_request(actor=request.user, full=values["full"], trigger="api"):
            raise Conflict("A recompute is already running.")
        return Response({"detail": "Recompute queued."}, status=status.HTTP_202_ACCEPTED)
