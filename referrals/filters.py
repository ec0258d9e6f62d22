"""One FilterSet per list, shared by the pages and the API so they never disagree."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from caseload.filters import LitFilter
from caseload.models import Priority, Service, Source
from ocit.filters import BooleanFilter, FilterSet
from referrals.models import Referral, ReferralStatus


def overdue():
    """Still undecided after the decision standard's time."""
    return Q(status=ReferralStatus.RECEIVED, decision_due_by__lt=timezone.now())


class ReferralFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices, empty_label="Any status")
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    lit = LitFilter(field_name="patient__team", label="Patient's LIT", empty_label="All LITs")
    ward = django_filters.CharFilter(field_name="spell__ward__code", label="Ward (code)")
    urgency = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any urgency")
    requested_service = django_filters.ChoiceFilter(choices=Service.choices, empty_label="Any service")
    overdue = BooleanFilter(method="filter_overdue", label="Decision overdue")
    patient = django_filters.NumberFilter(field_name="patient_id")
    spell = django_filters.NumberFilter(field_name="spell_id")

    class Meta:
        model = Referral
        fields = ["status", "source", "lit", "ward", "urgency", "requested_service", "overdue", "patient", "spell"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue()) if value else queryset.exclude(overdue())
