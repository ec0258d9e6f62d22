from django.contrib import admin

from discharge.models import Ward
from ocit.roles import CapabilityAdminMixin


@admin.register(Ward)
class WardAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "specialty", "site", "is_active"]
    list_filter = ["site", "specialty", "is_active"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False
