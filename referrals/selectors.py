"""Reads for referrals: ward staff see their own wards' referrals; LIT staff every referral."""

from django.db.models import F, Min, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from caseload.models import Patient
from discharge import selectors as discharge_selectors
from discharge.models import Spell
from ocit.models import Role
from ocit.roles import can
from referrals.models import OPEN_STATUSES, Referral, ReferralStatus


def referrals_for(*, user):
    if not can(user, "referral.view"):
        return Referral.objects.none()
    referrals = Referral.objects.select_related("patient", "patient__team", "spell", "spell__ward", "decided_by")
    if user.role == Role.WARD_STAFF:
        return referrals.filter(spell__ward__in=discharge_selectors.wards_for(user=user))
    return referrals


def referrals_by_ids(*, user, ids):
    """The referrals with these ids that the user may see."""
    return referrals_for(user=user).filter(pk__in=ids).order_by("received_at", "pk")


def referral_get(*, user, pk):
    return get_object_or_404(referrals_for(user=user), pk=pk)


def pull_list(*, user, team=None):
    """Open referrals for patients in a LIT's locality (or all three): undecided first, the longest waiting first."""
    if not can(user, "pulllist.view"):
        return Referral.objects.none()
    # Patients and stays are fetched for the page's rows only (two more queries), so the sort reads just the
    # open referrals (a partial index) instead of joining every one to 300,000 patients first.
    referrals = (
        referrals_for(user=user)
        .filter(status__in=OPEN_STATUSES)
        .select_related(None)
        .select_related("decided_by")
        .prefetch_related(
            Prefetch("patient", queryset=Patient.objects.select_related("team")),
            Prefetch("spell", queryset=Spell.objects.select_related("ward")),
        )
    )
    if team is not None:
        referrals = referrals.filter(patient__team=team)
    return referrals.order_by(F("decided_at").asc(nulls_first=True), "received_at")


def spells_in_locality(*, user, team=None):
    """Patients of a LIT's locality in hospital now, the longest since discharge ready first."""
    if not can(user, "pulllist.view"):
        return discharge_selectors.open_spells_for(user=user).none()
    spells = discharge_selectors.open_spells_for(user=user)
    if team is not None:
        spells = spells.filter(patient__team=team)
    return spells.order_by(F("discharge_ready_on").asc(nulls_last=True), "admitted_at")


# Reporting: unscoped querysets for aggregate figures only (the benefits recompute), never for pages.


def referrals_for_reporting():
    return Referral.objects.all()


def referrals_accepted_for_reporting():
    """The referrals OCIT took on: accepted, or accepted and since completed."""
    return Referral.objects.filter(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED])


def earliest_change_since(moment):
    """The earliest day whose figures referrals changed since `moment` could affect (None when nothing changed)."""
    day = Referral.objects.filter(updated_at__gte=moment).aggregate(day=Min("received_at"))["day"]
    return timezone.localdate(day) if day else None
