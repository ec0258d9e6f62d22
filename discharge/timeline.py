"""Hospital stays on the patient's timeline: admission, ward moves, criteria-to-reside periods with the discharge
ready date, delays with their reasons, and the discharge with its pathway and destination. Ward staff see their
own wards' stays only."""

from django.db.models import Prefetch
from django.utils import timezone

from caseload.timeline import Entry, on_day
from discharge.models import Delay, NctrPeriod, WardStay
from discharge.selectors import spells_for


def stays(*, patient, user):
    # Not the patient again: each table joined makes the query costlier to plan than to run.
    spells = (
        spells_for(user=user)
        .filter(patient=patient)
        .select_related(None)
        .select_related("ward")
        .prefetch_related(
            Prefetch("ward_stays", queryset=WardStay.objects.select_related("ward")),
            Prefetch("nctr_periods", queryset=NctrPeriod.objects.select_related("recorded_by")),
            Prefetch("delays", queryset=Delay.objects.select_related("reason", "recorded_by")),
        )
    )
    entries = []
    for spell in spells:
        # The discharge ends the stay's open period and delay: said once, by the discharge.
        left_on = timezone.localdate(spell.discharged_at) if spell.discharged_at else None
        ward_stays = list(spell.ward_stays.all())
        entries.append(Entry(spell.admitted_at, "spell", "admitted", (spell, ward_stays[0] if ward_stays else None)))
        entries += [Entry(stay.started_at, "spell", "moved", (spell, stay)) for stay in ward_stays[1:]]
        for period in spell.nctr_periods.all():
            entries.append(Entry(on_day(period.started_on), "spell", "ready", (spell, period), whole_day=True))
            if period.ended_on and period.ended_on != left_on:
                entries.append(Entry(on_day(period.ended_on), "spell", "meets", (spell, period), whole_day=True))
        for delay in spell.delays.all():
            entries.append(Entry(on_day(delay.started_on), "spell", "delayed", (spell, delay), whole_day=True))
            if delay.ended_on and delay.ended_on != left_on:
                entries.append(Entry(on_day(delay.ended_on), "spell", "delay_ended", (spell, delay), whole_day=True))
        if spell.discharged_at:
            entries.append(Entry(spell.discharged_at, "spell", "discharged", (spell, None)))
    return entries
