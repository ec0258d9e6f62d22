from django.contrib import admin

from ocit.roles import CapabilityAdminMixin
from referrals.models import RankingFactor


@admin.register(RankingFactor)
class RankingFactorAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    """How the pull list ranks admitted patients: points and thresholds (the key is what the code reads)."""

    list_display = ["key", "label", "points", "threshold"]
    readonly_fields = ["key"]

    def has_add_permission(self, request, *args):
        return False  # a factor the code does not read would change nothing
