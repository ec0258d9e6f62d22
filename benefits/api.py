"""The benefits dashboard over REST (/api/v1/). Adapters only: parse, call one service or selector, render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.response import Response

from benefits import imports
from benefits import serializers as s
from benefits.filters import ExternalMeasureFilter
from benefits.models import ExternalMeasure
from ocit.api import ReadWriteViewSet, validated_input
from ocit.roles import Capability

# External measures ----------------------------------------------------------------------------------


class ExternalMeasureViewSet(mixins.ListModelMixin, ReadWriteViewSet):
    """Daily figures the system cannot derive (ambulance handovers, bed occupancy…), imported from CSV files."""

    serializer_class = s.ExternalMeasureSerializer
    filterset_class = ExternalMeasureFilter
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
            return Response(
                {"detail": detail, "rows": rows, "good_rows": len(parsed.rows)}, status=status.HTTP_400_BAD_REQUEST
            )
        source = values["file"].name if field == "file" else "the API"
        result = imports.external_measures_import(actor=request.user, rows=parsed.rows, source=source)
        return Response(
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged, "rows": rows},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
