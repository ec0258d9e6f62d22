from django.contrib import admin

from benefits.models import Assumption, ExternalMeasure, FinancePlan, RecomputeRun
from ocit.admin import ReadOnlyAdmin
from ocit.roles import CapabilityAdminMixin


@admin.register(Assumption)
class AssumptionAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    """Rates, baselines and targets: a change from a date is a new row, so past figures keep their basis."""

    list_display = ["key", "value", "effective_from", "source", "changed_at"]
    list_filter = ["key"]
    date_hierarchy = "effective_from"
    readonly_fields = ["changed_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # figures were made with it: add a value from a later date instead


@admin.register(FinancePlan)
class FinancePlanAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    list_display = ["label", "short_term_beds", "long_term_beds", "home_support", "total"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExternalMeasure)
class ExternalMeasureAdmin(ReadOnlyAdmin):
    """Imported from CSV on the dashboard; read-only here so every change goes through the import."""

    list_display = ["measure", "on", "value", "imported_at", "imported_by"]
    list_filter = ["measure"]
    date_hierarchy = "on"


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "trigger", "status", "full", "since", "rows_written", "finished_at"]
    list_filter = ["status", "trigger"]
