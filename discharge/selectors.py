"""Reads for the hospital side. Ward staff see only their own wards; LIT staff in-reach to all."""

import datetime

from django.db.models import Exists, Min, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from discharge.models import AdmissionMethod, Delay, DelayReason, NctrPeriod, Spell, Ward
from ocit.models import Role
from ocit.roles import can

ADMISSION_LOOKBACK_DAYS = 8  # an admission within 7 days of an episode ending counts against it


def wards_for(*, user):
    if not can(user, "wardboard.view"):
        return Ward.objects.none()
    if user.role == Role.WARD_STAFF:
        return user.wards.filter(is_active=True)
    return Ward.objects.filter(is_active=True)


def with_discharge_status(spells):
    """Annotate what the ward board shows, in the same query: discharge ready date (start of the latest
    no-criteria-to-reside period), whether the patient has no criteria to reside now, and the delay reason."""
    latest_period = NctrPeriod.objects.filter(spell=OuterRef("pk")).order_by("-started_on", "-id")
    current_delay = Delay.objects.filter(spell=OuterRef("pk"), ended_on=None)
    # A spell has at most one open referral (a database constraint). The model is reached through the
    # reverse relation, which keeps this app from importing referrals.
    referral_model = Spell._meta.get_field("referrals").related_model
    open_referral = referral_model.objects.filter(spell=OuterRef("pk"), status__in=["received", "accepted"])
    return spells.annotate(
        discharge_ready_on=Subquery(latest_period.values("started_on")[:1]),
        no_criteria_to_reside=Exists(NctrPeriod.objects.filter(spell=OuterRef("pk"), ended_on=None)),
        delay_reason=Subquery(current_delay.values("reason__name")[:1]),
        referral_id=Subquery(open_referral.values("pk")[:1]),
        referral_status=Subquery(open_referral.values("status")[:1]),
    )


def open_spells_for(*, user, ward=None, wards=None):
    """Stays open now on the user's wards (or one of them). `wards` is `wards_for(user=user)` when the caller has
    read it already: filtered by their ids, the stays are read through the open-stays-by-ward index, where the
    planner would otherwise join every open stay to the wards subquery."""
    wards = wards_for(user=user) if wards is None else [w.pk for w in wards]
    spells = Spell.objects.filter(discharged_at__isnull=True, ward__in=wards)
    if ward is not None:
        spells = spells.filter(ward=ward)
    # Patients are fetched for the page's rows only: sorting the open stays then never joins every patient.
    return with_discharge_status(spells.select_related("ward").prefetch_related("patient"))


def spells_for(*, user):
    """All stays, open and closed: ward staff see their own wards' stays, LIT staff every ward's (a closed ward's
    too: the history stays whole)."""
    spells = Spell.objects.select_related("patient", "ward")
    if not can(user, "wardboard.view"):
        return spells.none()
    if user.role == Role.WARD_STAFF:
        return spells.filter(ward__in=user.wards.all())
    return spells


def spells_by_ids(*, user, ids):
    """The hospital stays with these ids that the user may see."""
    return spells_for(user=user).filter(pk__in=ids).select_related("ward").order_by("admitted_at", "pk")


def nctr_periods_by_ids(*, user, ids):
    """No-criteria-to-reside periods with these ids, of the stays the user may see."""
    return (
        NctrPeriod.objects.filter(pk__in=ids, spell__in=spells_for(user=user))
        .select_related("spell__patient", "spell__ward")
        .order_by("started_on", "pk")
    )


def spell_get(*, user, pk):
    """A stay the user may see, with its discharge status; 404 otherwise (nothing leaks)."""
    return get_object_or_404(with_discharge_status(spells_for(user=user)), pk=pk)


def ward_get(*, user, pk):
    if not str(pk).isdigit():
        raise Http404("No such ward.")
    return get_object_or_404(wards_for(user=user), pk=pk)


def delay_reasons():
    return DelayReason.objects.filter(is_active=True)


def spell_history(*, spell):
    return {
        "ward_stays": spell.ward_stays.select_related("ward"),
        "nctr_periods": spell.nctr_periods.all(),
        "delays": spell.delays.select_related("reason"),
    }


# Reporting: unscoped querysets for aggregate figures only (the benefits recompute), never for pages.


def spells_for_reporting():
    return Spell.objects.all()


def emergency_admissions():
    return Spell.objects.filter(admission_method=AdmissionMethod.EMERGENCY)


def nctr_periods_for_reporting():
    return NctrPeriod.objects.all()


def earliest_change_since(moment):
    """The earliest day whose figures records changed since `moment` could affect (None when nothing changed).

    A new admission can undo an "admission avoided" up to a week before it, so spells count from then.
    """
    days = [
        Spell.objects.filter(updated_at__gte=moment).aggregate(day=Min("admitted_at"))["day"],
        NctrPeriod.objects.filter(created_at__gte=moment).aggregate(day=Min("spell__admitted_at"))["day"],
        Delay.objects.filter(created_at__gte=moment).aggregate(day=Min("spell__admitted_at"))["day"],
    ]
    earliest = min((timezone.localdate(day) for day in days if day), default=None)
    return earliest - datetime.timedelta(days=ADMISSION_LOOKBACK_DAYS) if earliest else None
