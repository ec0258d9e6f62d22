import django_filters

from caseload.models import Patient


class PatientFilter(django_filters.FilterSet):
    lit = django_filters.CharFilter(field_name="team__code", label="LIT")
    postcode = django_filters.CharFilter(field_name="postcode", lookup_expr="istartswith")

    class Meta:
        model = Patient
        fields = ["lit", "postcode"]
