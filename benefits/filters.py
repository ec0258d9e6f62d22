"""One FilterSet per list, shared by the pages and the API so they never disagree."""

import django_filters

from benefits.models import ExternalMeasure, ExternalMeasureKey, MetricValue, Period
from caseload.filters import LitFilter
from ocit.filters import FilterSet


class ExternalMeasureFilter(FilterSet):
    measure = django_filters.ChoiceFilter(choices=ExternalMeasureKey.choices, empty_label="All measures")
    date_from = django_filters.DateFilter(field_name="on", lookup_expr="gte", label="From (YYYY-MM-DD, inclusive)")
    date_to = django_filters.DateFilter(field_name="on", lookup_expr="lte", label="To (YYYY-MM-DD, inclusive)")

    class Meta:
        model = ExternalMeasure
        fields = ["measure", "date_from", "date_to"]


class MetricValueFilter(FilterSet):
    """A metric's figures: one kind of period, for one LIT (by its code) or, without `lit`, all of OCIT."""

    period = django_filters.ChoiceFilter(choices=Period.choices, empty_label=None, method="for_period")
    lit = LitFilter(method="for_lit", label="LIT code")
    date_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte", label="Periods from")
    date_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte", label="Periods to")

    class Meta:
        model = MetricValue
        fields = ["period", "lit", "date_from", "date_to"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("period"):
            queryset = queryset.filter(period=Period.MONTH)
        if not self.form.cleaned_data.get("lit"):
            queryset = queryset.filter(team__isnull=True)
        return queryset

    def for_period(self, queryset, name, value):
        return queryset.filter(period=value)

    def for_lit(self, queryset, name, value):
        return queryset.filter(team=value)
