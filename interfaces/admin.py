from django.contrib import admin, messages

from interfaces import adt
from interfaces.models import AdtMessage, Outcome
from ocit.admin import ReadOnlyAdmin


@admin.register(AdtMessage)
class AdtMessageAdmin(ReadOnlyAdmin):
    """Every ADT message as received. Failed ones say why; once the cause is fixed (a ward added or given the
    hospital's code, the stay's pathway recorded), process them again."""

    admin_capability = "hl7.messages"
    list_display = ["received_at", "event", "control_id", "visit_number", "ward_code", "outcome", "error", "flag"]
    list_filter = ["outcome", "event", "transport"]
    search_fields = ["control_id", "visit_number", "nhs_number", "ward_code"]
    date_hierarchy = "received_at"
    actions = ["process_again"]

    @admin.action(description="Process the selected failed or waiting messages again")
    def process_again(self, request, queryset):
        done = [adt.process_again(row) for row in queryset.filter(outcome__in=[Outcome.FAILED, Outcome.WAITING])]
        applied = sum(row.outcome == Outcome.APPLIED for row in done)
        still = [f"{row.control_id}: {row.error}" for row in done if row.outcome == Outcome.FAILED]
        self.message_user(
            request, f"{applied} of {len(done)} applied.", messages.SUCCESS if not still else messages.WARNING
        )
        for text in still:
            self.message_user(request, text, messages.ERROR)
