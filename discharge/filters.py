import django_filters

from discharge.models import Spell


class SpellFilter(django_filters.FilterSet):
    ward = django_filters.CharFilter(field_name="ward__code")
    open = django_filters.BooleanFilter(field_name="discharged_at", lookup_expr="isnull", label="Still in hospital")

    class Meta:
        model = Spell
        fields = ["ward", "open"]
