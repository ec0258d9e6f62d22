"""Reads for the shared caseload, always scoped to what the user may see."""

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from caseload.models import Patient, Team
from ocit.identifiers import normalise_nhs_number
from ocit.roles import can


def patients_for(*, user):
    """Every LIT member sees the whole shared caseload; nobody else sees patients through it."""
    if can(user, "caseload.view"):
        return Patient.objects.select_related("team")
    return Patient.objects.none()


def patient_get(*, user, pk):
    """The patient, or 404 when the user may not see them (never 403: nothing leaks)."""
    return get_object_or_404(patients_for(user=user), pk=pk)


def patient_search(*, user, query="", team=None):
    patients = patients_for(user=user)
    if team:
        patients = patients.filter(team=team)
    query = query.strip()
    if query:
        try:
            patients = patients.filter(nhs_number=normalise_nhs_number(query))
        except ValidationError:
            for word in query.split():
                patients = patients.filter(Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return patients


def teams():
    return Team.objects.filter(is_active=True)


def patient_get_for_audit(*, pk):
    """For the access-history page: coordinators and administrators may see who looked at any record."""
    return get_object_or_404(Patient, pk=pk)


def patient_counts_by_team():
    """Patients on record per LIT: aggregates only."""
    return Team.objects.filter(is_active=True).annotate(patients=Count("patients")).order_by("name")


def patient_by_nhs_number(*, nhs_number):
    return Patient.objects.filter(nhs_number=nhs_number).first()
