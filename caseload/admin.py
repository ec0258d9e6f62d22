from django.contrib import admin

from caseload.models import Locality, Team
from ocit.roles import CapabilityAdminMixin


class LocalityInline(admin.TabularInline):
    model = Locality
    extra = 0


@admin.register(Team)
class TeamAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "base", "is_active"]
    inlines = [LocalityInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Locality)
class LocalityAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    list_display = ["postcode_district", "team", "population_65_plus"]
    list_filter = ["team"]
