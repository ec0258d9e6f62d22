"""One FilterSet per list, shared by the pages and the API so they never disagree."""

import django_filters
from django.db.models import Exists, OuterRef

from caseload.filters import LitFilter
from discharge.models import NctrPeriod, Pathway, Spell
from ocit.filters import BooleanFilter, FilterSet


class SpellFilter(FilterSet):
    ward = django_filters.CharFilter(field_name="ward__code", label="Ward (code)")
    open = BooleanFilter(field_name="discharged_at", lookup_expr="isnull", label="Still in hospital")
    nctr = BooleanFilter(method="filter_nctr", label="No criteria to reside now")
    pathway = django_filters.ChoiceFilter(choices=Pathway.choices, empty_label="Any pathway")
    lit = LitFilter(field_name="patient__team", label="Patient's LIT", empty_label="All LITs")
    patient = django_filters.NumberFilter(field_name="patient_id")

    class Meta:
        model = Spell
        fields = ["ward", "open", "nctr", "pathway", "lit", "patient"]

    def filter_nctr(self, queryset, name, value):
        # Not the selectors' annotation, so the filter works on any queryset of spells.
        open_period = Exists(NctrPeriod.objects.filter(spell=OuterRef("pk"), ended_on=None))
        return queryset.filter(open_period) if value else queryset.exclude(open_period)
