"""One FilterSet per list, shared by the pages and the API so they never disagree."""

import django_filters
from django.db.models import F, Q
from django.utils import timezone

from caseload import selectors
from caseload.forms import LitChoiceField
from caseload.models import Episode, EpisodeStatus, Goal, Patient, Priority, Service, Source
from ocit.filters import BooleanFilter, FilterSet
from ocit.models import Discipline


class LitFilter(django_filters.ModelChoiceFilter):
    """A list's LIT, by its code, among the active LITs each process keeps (no query to check or list them)."""

    field_class = LitChoiceField

    def __init__(self, **kwargs):
        super().__init__(queryset=selectors.teams(), to_field_name="code", **kwargs)


class PatientFilter(FilterSet):
    lit = LitFilter(field_name="team", label="LIT")
    postcode = django_filters.CharFilter(field_name="postcode", lookup_expr="istartswith")

    class Meta:
        model = Patient
        fields = ["lit", "postcode"]


class EpisodeFilter(FilterSet):
    lit = LitFilter(field_name="team", label="LIT", empty_label="All LITs")
    service = django_filters.ChoiceFilter(choices=Service.choices, empty_label="All services")
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="All priorities")
    discipline = django_filters.ChoiceFilter(
        field_name="discipline_needed",
        choices=Discipline.choices,
        label="Discipline needed",
        empty_label="Any discipline",
    )
    status = django_filters.ChoiceFilter(choices=EpisodeStatus.choices, empty_label="Any status")
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    patient = django_filters.NumberFilter(field_name="patient_id")
    practitioner = django_filters.NumberFilter(method="filter_practitioner", label="Practitioner (user id)")
    breached = BooleanFilter(method="filter_breached", label="Response standard breached")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Episode
        fields = ["lit", "service", "priority", "discipline", "status", "source", "patient"]

    def filter_practitioner(self, queryset, name, value):
        return queryset.filter(allocations__practitioner_id=value, allocations__ended_at=None).distinct()

    def filter_breached(self, queryset, name, value):
        now = timezone.now()
        breached = Q(first_contact_at__isnull=True, due_by__lt=now) | Q(first_contact_at__gt=F("due_by"))
        return queryset.filter(breached) if value else queryset.exclude(breached)


class GoalFilter(FilterSet):
    episode = django_filters.NumberFilter(field_name="episode_id")
    status = django_filters.ChoiceFilter(choices=Goal._meta.get_field("status").choices)
    overdue = BooleanFilter(method="filter_overdue")

    class Meta:
        model = Goal
        fields = ["episode", "status"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status="open", target_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
