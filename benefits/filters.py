"""One FilterSet per list, shared by the pages and the API so they never disagree."""

import django_filters

from benefits.models import ExternalMeasure, ExternalMeasureKey


class ExternalMeasureFilter(django_filters.FilterSet):
    measure = django_filters.ChoiceFilter(choices=ExternalMeasureKey.choices, empty_label="All measures")
    date_from = django_filters.DateFilter(field_name="on", lookup_expr="gte", label="From (YYYY-MM-DD, inclusive)")
    date_to = django_filters.DateFilter(field_name="on", lookup_expr="lte", label="To (YYYY-MM-DD, inclusive)")

    class Meta:
        model = ExternalMeasure
        fields = ["measure", "date_from", "date_to"]
