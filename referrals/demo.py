"""Demo referrals from every source: ward referrals for today's inpatients and past stays, and the
referral behind each community episode, with a realistic share declined, redirected and withdrawn."""

import datetime

from caseload.models import Episode, EpisodeStatus, ResponseStandard, Service, Source
from discharge.models import Spell
from referrals.models import DecisionStandard, Referral, ReferralStatus

S = ReferralStatus
REASONS = {
    Source.WARD: [
        "Will need help at home after discharge",
        "Lives alone, mobility reduced since the fall",
        "Carer unable to cope, needs assessment",
        "Needs reablement to regain independence",
    ],
    Source.GP: ["Frailty decompensation", "Reduced mobility over the last week", "Recurrent falls"],
    Source.AMBULANCE: ["Fall with no serious injury, not conveyed", "Found on the floor, uninjured"],
    Source.FRONT_DOOR: ["Seen in ED, medically fit, needs support at home", "Confusion, family struggling"],
    Source.SOCIAL_CARE: ["Package of care breaking down", "Unpaid carer breakdown"],
    Source.SELF: ["Struggling to manage since husband went into hospital"],
    Source.COMMUNITY: ["Urgent catheter care", "Wound review and reduced mobility"],
    Source.OTHER: ["Housing officer concerned about self-neglect"],
}
REDIRECTS = ["District nursing", "Community mental health team", "GP practice", "Age UK Coventry"]


def seed(ctx):
    rng = ctx.rng
    hours = dict(DecisionStandard.objects.values_list("urgency", "hours"))
    referrals = []

    def referral(*, patient_id, source, service, urgency, received_at, status, spell_id=None, episode_id=None):
        decided = received_at + datetime.timedelta(hours=rng.expovariate(1 / (hours[urgency] * 0.6)))
        decided = min(decided, ctx.as_of)
        item = Referral(
            patient_id=patient_id,
            spell_id=spell_id,
            source=source,
            referrer_name=ctx.fake.name(),
            referrer_role={Source.WARD: "Staff nurse", Source.GP: "GP", Source.AMBULANCE: "Paramedic"}.get(
                source, "Practitioner"
            ),
            referrer_contact=f"024 7649 6{rng.randint(0, 999):03d}",
            reason=rng.choice(REASONS[source]),
            requested_service=service,
            urgency=urgency,
            received_at=received_at,
            decision_due_by=received_at + datetime.timedelta(hours=hours[urgency]),
            status=status,
            episode_id=episode_id,
            created_at=received_at,
        )
        if status != S.RECEIVED:
            item.decided_at = decided
        if status == S.DECLINED:
            item.decision_reason = rng.choice(["Needs are health-only", "Out of area", "Already supported"])
            item.outcome = rng.choice(REDIRECTS)
        elif status == S.REDIRECTED:
            item.redirected_to = item.outcome = rng.choice(REDIRECTS)
        elif status == S.WITHDRAWN:
            item.decision_reason = rng.choice(["Patient died", "Discharged elsewhere", "Patient declined"])
        if status not in (S.RECEIVED, S.ACCEPTED):
            item.closed_at = decided
        referrals.append(item)

    open_episodes = {
        (patient_id, service): pk
        for pk, patient_id, service in Episode.objects.exclude(status=EpisodeStatus.CLOSED).values_list(
            "pk", "patient_id", "service"
        )
    }
    standards = {(s.service, s.priority): s for s in ResponseStandard.objects.all()}
    new_episodes = []
    for spell in (
        Spell.objects.order_by("pk")
        .select_related("patient")
        .only("pk", "patient_id", "admitted_at", "discharged_at", "patient__team_id")
    ):
        urgency = rng.choices(["urgent", "high", "routine"], [1, 5, 4])[0]
        if spell.discharged_at is None:
            if rng.random() > 0.6:
                continue
            status = S.RECEIVED if rng.random() < 0.35 else S.ACCEPTED
        else:
            if rng.random() > 0.4:
                continue
            status = rng.choices([S.COMPLETED, S.DECLINED, S.REDIRECTED, S.WITHDRAWN], [85, 7, 4, 4])[0]
        end = spell.discharged_at or ctx.as_of
        received = spell.admitted_at + min(datetime.timedelta(hours=rng.expovariate(1 / 18)), end - spell.admitted_at)
        episode_id = None
        if spell.discharged_at is None and status == S.ACCEPTED:
            episode_id = open_episodes.get((spell.patient_id, Service.STEP_DOWN_REABLEMENT))
            if episode_id is None:
                new_episodes.append((len(referrals), _step_down_episode(spell, received, urgency, standards)))
        referral(
            patient_id=spell.patient_id,
            spell_id=spell.pk,
            source=Source.WARD,
            service=Service.STEP_DOWN_REABLEMENT,
            urgency=urgency,
            received_at=received,
            status=status,
            episode_id=episode_id,
        )
    saved = Episode.objects.bulk_create([episode for _, episode in new_episodes])
    for (index, _), episode in zip(new_episodes, saved, strict=True):
        referrals[index].episode_id = episode.pk

    community = (
        Episode.objects.exclude(source=Source.WARD)
        .order_by("pk")
        .values_list("pk", "patient_id", "source", "service", "priority", "received_at", "status")
    )
    for pk, patient_id, source, service, priority, received, episode_status in community.iterator():
        status = S.ACCEPTED if episode_status != EpisodeStatus.CLOSED else S.COMPLETED
        referral(
            patient_id=patient_id,
            source=source,
            service=service,
            urgency=priority,
            received_at=received,
            status=status,
            episode_id=pk,
        )
        if rng.random() < 0.08:  # some referrals never become episodes
            referral(
                patient_id=patient_id,
                source=source,
                service=service,
                urgency=priority,
                received_at=received - datetime.timedelta(days=rng.randint(20, 200)),
                status=rng.choice([S.DECLINED, S.REDIRECTED]),
            )
    return ctx.bulk_create(Referral, referrals, "referrals")


def _step_down_episode(spell, received, urgency, standards):
    standard = standards[(Service.STEP_DOWN_REABLEMENT, urgency)]
    return Episode(
        patient_id=spell.patient_id,
        team_id=spell.patient.team_id,
        service=Service.STEP_DOWN_REABLEMENT,
        source=Source.WARD,
        priority=urgency,
        reason="Pulled from the ward: discharge planning",
        received_at=received,
        response_standard=standard.name,
        due_by=received + datetime.timedelta(hours=standard.hours),
        created_at=received,
    )


def clear():
    Referral.objects.all().delete()
