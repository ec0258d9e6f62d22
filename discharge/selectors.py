"""Reads for the hospital side. Ward staff see only their own wards; LIT staff in-reach to all."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from discharge.models import Spell, Ward
from ocit.models import Role
from ocit.roles import can


def wards_for(*, user):
    if not can(user, "wardboard.view"):
        return Ward.objects.none()
    if user.role == Role.WARD_STAFF:
        return user.wards.filter(is_active=True)
    return Ward.objects.filter(is_active=True)


def open_spells_for(*, user, ward=None):
    spells = Spell.objects.filter(discharged_at__isnull=True, ward__in=wards_for(user=user))
    if ward is not None:
        spells = spells.filter(ward=ward)
    return spells.select_related("patient", "ward")


def spells_for(*, user):
    """All stays (open and closed) on the wards the user may see."""
    return Spell.objects.filter(Q(ward__in=wards_for(user=user))).select_related("patient", "ward")


def ward_get(*, user, pk):
    return get_object_or_404(wards_for(user=user), pk=pk)


def inpatients_by_team():
    """Patients in hospital now, per LIT of the patient: aggregates only, {team_id: count}."""
    rows = Spell.objects.filter(discharged_at__isnull=True).values("patient__team").annotate(n=Count("id"))
    return {row["patient__team"]: row["n"] for row in rows}
