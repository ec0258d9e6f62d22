"""Reads for referrals: ward staff see their own wards' referrals; LIT staff every referral."""

import datetime

from django.db.models import BooleanField, Case, Count, Exists, F, Min, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import StrIndex, Substr
from django.shortcuts import get_object_or_404
from django.utils import timezone

from caseload.models import Episode, Locality, Patient
from discharge import selectors as discharge_selectors
from discharge.models import Spell
from ocit.models import Role
from ocit.roles import can
from referrals.models import OPEN_STATUSES, RankingFactor, Referral, ReferralStatus


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
    # Read in the order of the `referral_pull_order` index, each row's patient by key: a page stops once it has its
    # rows (not counted: see `awaiting_decision_by_lit`).
    return referrals.order_by(F("decided_at").asc(nulls_first=True), "received_at")


def awaiting_decision_by_lit(*, user):
    """How many referrals await a decision, by LIT (team id). They are few at any scale (each is decided within
    hours), so each one's patient is read by key; a join would have the planner hash every patient of a LIT (90,000
    at ICS scale) to find the few with a referral."""
    if not can(user, "pulllist.view"):
        return {}
    lit = Subquery(Patient.objects.filter(pk=OuterRef("patient_id")).order_by().values("team_id"))
    waiting = Referral.objects.filter(status=ReferralStatus.RECEIVED).values(lit=lit).annotate(n=Count("*")).order_by()
    return {row["lit"]: row["n"] for row in waiting}


def spells_in_locality(*, user, team=None):
    """Patients of a LIT's locality in hospital now, the longest since discharge ready first."""
    if not can(user, "pulllist.view"):
        return discharge_selectors.open_spells_for(user=user).none()
    spells = discharge_selectors.open_spells_for(user=user)
    if team is not None:
        spells = spells.filter(patient__team=team)
    return spells.order_by(F("discharge_ready_on").asc(nulls_last=True), "admitted_at")


def admitted_not_referred(*, user, team=None):
    """The pull list proper: patients in hospital now with no open referral, most likely to need OCIT first, each
    with the reasons (`RankingFactor`, reference data). Scored in SQL: one query for the page's rows."""
    if not can(user, "pulllist.view"):
        return Spell.objects.none(), []
    factors = {factor.key: factor for factor in RankingFactor.objects.all()}
    now = timezone.now()
    today = timezone.localdate(now)
    spells = Spell.objects.filter(discharged_at=None).exclude(
        referrals__status__in=OPEN_STATUSES
    )  # an open referral: on the list above
    if team is not None:
        spells = spells.filter(patient__team=team)
    conditions = {}
    if "recent_episode" in factors:
        since = now - datetime.timedelta(days=factors["recent_episode"].threshold)
        episodes = Episode.objects.filter(patient=OuterRef("patient")).filter(
            Q(closed_at=None) | Q(closed_at__gte=since)
        )
        conditions["recent_episode"] = Exists(episodes)
    if "long_stay_before" in factors:
        days = datetime.timedelta(days=factors["long_stay_before"].threshold)
        earlier = Spell.objects.filter(
            patient=OuterRef("patient"), discharged_at__gte=now - datetime.timedelta(days=365)
        ).filter(discharged_at__gte=F("admitted_at") + days)
        conditions["long_stay_before"] = Exists(earlier)
    if "frail" in factors:
        conditions["frail"] = Q(patient__frailty_scale__gte=factors["frail"].threshold)
    for key in ("aged", "very_old"):
        if key in factors:
            born_by = _years_before(today, factors[key].threshold)
            conditions[key] = Q(patient__date_of_birth__lte=born_by)
    if "in_area" in factors:
        postcode = OuterRef("patient__postcode")
        district = Substr(postcode, 1, StrIndex(postcode, Value(" ")) - 1)
        conditions["in_area"] = Exists(Locality.objects.filter(postcode_district=district))
    flags = {
        f"has_{key}": Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
        for key, condition in conditions.items()
    }
    score = sum(
        (
            Case(When(condition, then=Value(factors[key].points)), default=Value(0))
            for key, condition in conditions.items()
        ),
        Value(0),
    )
    ranked = spells.annotate(**flags, score=score).select_related("ward", "patient", "patient__team")
    return ranked.order_by("-score", "admitted_at", "pk"), [factors[key] for key in conditions]


def reasons(spell, factors):
    """The factors that ranked this stay where it is, for the page."""
    return [factor.reason for factor in factors if getattr(spell, f"has_{factor.key}", False)]


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


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
