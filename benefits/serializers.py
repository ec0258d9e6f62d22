"""The benefits API's input and output shapes. Input serializers only parse and type-check: the rules are in
benefits/imports.py."""

from rest_framework import serializers

from benefits import reports
from benefits.imports import MAX_BYTES, MAX_ROWS
from benefits.models import ExternalMeasure, ExternalMeasureKey, MetricValue, RecomputeRun

# External measures ----------------------------------------------------------------------------------

CSV_FORMAT = (
    "A header row naming the columns measure, date and value (any order, any case, no others), then one row per "
    f"measure and day: measure is one of {', '.join(ExternalMeasureKey.values)} (or its label); date is "
    "YYYY-MM-DD or DD/MM/YYYY, not in the future; value is a number, at least 0, with up to 2 decimal places "
    f"(bed_occupancy at most 200; escalation_beds and ed_attendances whole numbers). UTF-8, at most "
    f"{MAX_BYTES // (1024 * 1024)} MB and {MAX_ROWS:,} rows."
)
CONFIRM_HELP = (
    "Import the good rows even though some rows are bad. Without it, a file with any bad row imports nothing."
)


class ExternalMeasureSerializer(serializers.ModelSerializer):
    measure_label = serializers.CharField(source="get_measure_display", read_only=True)
    date = serializers.DateField(source="on", read_only=True)
    imported_by = serializers.CharField(
        source="imported_by.full_name", read_only=True, allow_null=True, help_text="Who imported the value."
    )

    class Meta:
        model = ExternalMeasure
        fields = ["id", "measure", "measure_label", "date", "value", "imported_at", "imported_by"]
        read_only_fields = fields


class ExternalMeasureImportSerializer(serializers.Serializer):
    """What the API accepts: a file (multipart) or the file's text (JSON), and whether to skip bad rows."""

    file = serializers.FileField(required=False, help_text=f"The CSV file. {CSV_FORMAT}")
    csv = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text=f"The CSV file's text. {CSV_FORMAT}"
    )
    confirm = serializers.BooleanField(default=False, help_text=CONFIRM_HELP)

    def validate(self, attrs):
        if ("file" in attrs) == ("csv" in attrs):
            raise serializers.ValidationError(
                "Send the CSV either as a file named 'file' (multipart/form-data) or as text in 'csv' (JSON)."
            )
        return attrs


class ExternalMeasureFileImportSerializer(ExternalMeasureImportSerializer):
    """The multipart form of an import (for the schema)."""

    file = serializers.FileField(help_text=f"The CSV file. {CSV_FORMAT}")
    csv = None


class ExternalMeasureTextImportSerializer(ExternalMeasureImportSerializer):
    """The JSON form of an import (for the schema)."""

    file = None
    csv = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=f"The CSV file's text. {CSV_FORMAT}")


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the file, counting the header as line 1.")
    error = serializers.CharField(help_text="What is wrong with the row.")


class ExternalMeasureImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Measures not held before.")
    updated = serializers.IntegerField(help_text="Measures held with a different value, now replaced.")
    unchanged = serializers.IntegerField(help_text="Measures already held with the same value: not written.")
    rows = RowErrorSerializer(many=True, help_text="The bad rows, left out (only with confirm: true).")


class ExternalMeasureImportRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)
    rows = RowErrorSerializer(many=True, required=False, help_text="Each bad row's line and what is wrong with it.")
    good_rows = serializers.IntegerField(required=False, help_text="How many rows could be imported.")
    file = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Why the uploaded file cannot be read."
    )
    csv = serializers.ListField(child=serializers.CharField(), required=False, help_text="Why the text cannot be read.")
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


# Metrics and recomputes -----------------------------------------------------------------------------


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    area = serializers.CharField()
    area_name = serializers.CharField()
    unit = serializers.CharField()
    better = serializers.ChoiceField(choices=["higher", "lower", "neither"])
    description = serializers.CharField()
    formula = serializers.CharField(help_text="Finance: the sum behind the figure.")
    target = serializers.CharField(help_text="The assumption holding the target, if any.")
    assumptions = serializers.ListField(child=serializers.CharField(), help_text="Assumptions the figure uses.")
    per_lit = serializers.BooleanField(help_text="Whether figures exist per LIT as well as for all of OCIT.")


class MetricValueSerializer(serializers.ModelSerializer):
    lit = serializers.SlugRelatedField(source="team", slug_field="code", read_only=True, allow_null=True)
    value = serializers.SerializerMethodField(help_text="Null when suppressed (a LIT figure from 1–4 records).")
    suppressed = serializers.SerializerMethodField()

    class Meta:
        model = MetricValue
        fields = ["metric", "period", "period_start", "lit", "value", "records", "suppressed", "computed_at"]
        read_only_fields = fields

    def get_suppressed(self, row) -> bool:
        return reports.suppressed(row, team=row.team_id)

    def get_value(self, row) -> float | None:
        return None if self.get_suppressed(row) else row.value


class RecomputeRunSerializer(serializers.ModelSerializer):
    started_by = serializers.CharField(source="started_by.full_name", read_only=True, allow_null=True)
    percent_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = RecomputeRun
        fields = [
            "id",
            "trigger",
            "status",
            "full",
            "since",
            "started_at",
            "finished_at",
            "steps_done",
            "steps_total",
            "percent_done",
            "rows_written",
            "error",
            "started_by",
        ]
        read_only_fields = fields


class RecomputeRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(default=False, help_text="Recompute every period, not only the changed ones.")
