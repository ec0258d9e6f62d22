"""Demo journeys: every referral into OCIT and what followed it.

Each patient's history is one journey, sometimes two, from the day they first came to OCIT's notice:

- **a hospital stay**: an emergency admission; the ward refers early in the stay (the pull model) and the LIT
  leads the discharge: pathway 1 or 2 steps the person down into reablement or a community bed from the day of
  discharge, pathway 0 sends them home with no new care, pathway 3 to a care home to assess;
- **a referral in the community** (a GP, an ambulance crew, the ED front door, social care, the person or their
  family, a community health team): an urgent response, reablement, therapy at home or other support; a few
  urgent responses end in an emergency admission, which starts a hospital stay the same day.

Nothing overlaps: nobody is visited at home while they are in hospital, and an episode after a stay starts on
the day of discharge. Before go-live the history looks like the services before OCIT (longer waits for the
right provision, more people in short-term beds and moving into long-term care), and it improves over the six
months after: the baseline the benefits dashboard measures its savings against.
"""

import datetime

from django.db.models import Max, Q

from caseload.demo import EpisodeBatch, Weights, choose, staff_by_team
from caseload.models import CARE_HOME_SEQUELS, EpisodeStatus, Patient, Sequel, Service, Source
from discharge.demo import DESTINATIONS, SpellBatch
from discharge.models import Destination, Spell
from ocit import clock
from ocit.demo import Row
from ocit.models import Discipline
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
REFERRER_ROLES = {Source.WARD: "Staff nurse", Source.GP: "GP", Source.AMBULANCE: "Paramedic"}

JOURNEYS = Weights({"hospital": 36, "community": 64})
# After these nobody is referred again: they died or moved into a care home for good.
LAST_SEQUELS = (Sequel.DIED, *CARE_HOME_SEQUELS)
SECOND_JOURNEY = 0.4
# Community referrals: the service, and who refers to it.
COMMUNITY = Weights({Service.UCR: 19, Service.STEP_UP_REABLEMENT: 15, Service.THERAPY_AT_HOME: 20, Service.OTHER: 46})
SOURCES = {
    Service.UCR: Weights(
        {Source.GP: 30, Source.AMBULANCE: 25, Source.FRONT_DOOR: 20, Source.SELF: 10, Source.COMMUNITY: 15}
    ),
    Service.STEP_UP_REABLEMENT: Weights({Source.GP: 40, Source.SOCIAL_CARE: 35, Source.SELF: 25}),
    Service.THERAPY_AT_HOME: Weights({Source.GP: 60, Source.COMMUNITY: 40}),
    Service.OTHER: Weights({Source.SOCIAL_CARE: 50, Source.COMMUNITY: 25, Source.SELF: 15, Source.OTHER: 10}),
}
URGENCY = {  # how urgent a referral is: from the community, and from the ward
    "community": Weights({"urgent": 1, "high": 3, "routine": 6}),
    "ward": Weights({"urgent": 1, "high": 5, "routine": 4}),
}
# Hospital stays: the discharge pathway (weights before OCIT, and once it was fully live), and a few who die.
PATHWAYS = {0: (52, 53), 1: (37, 40.5), 2: (9, 5.5), 3: (2, 1)}
DIED_IN_HOSPITAL = 0.02
STEP_DOWN = {1: Service.STEP_DOWN_REABLEMENT, 2: Service.BED_BASED}
# Days from admission to discharge ready, and waiting once ready (means, before and after): about 4 days'
# wait for the right provision before OCIT, halved by the pull model [seed 001].
DAYS_TO_READY = (6, 5)
DELAY_DAYS = (4, 2)
P0_DELAY_DAYS = 1
BED_DAYS = ((20, 60), (14, 42))  # how long a community bed is used, before and after
P0_REFERRALS = Weights({S.COMPLETED: 60, S.DECLINED: 20, S.REDIRECTED: 10, S.WITHDRAWN: 10})  # how they ended
CHUNK = 5_000


def seed(ctx, *, wards):
    """Every patient's journeys, in chunks of patients so that memory stays flat at any scale."""
    journeys = Journeys(ctx, wards)
    patients = list(Patient.objects.order_by("pk").values_list("id", "team_id", "created_at", named=True))
    for start in range(0, len(patients), CHUNK):
        for patient in patients[start : start + CHUNK]:
            journeys.patient(patient)
        journeys.save()
        ctx.progress("journeys", min(start + CHUNK, len(patients)), len(patients))
    journeys.on_the_wards_now(patients)
    return journeys.counts


class Journeys:
    def __init__(self, ctx, wards):
        self.ctx, self.rng = ctx, ctx.rng
        self.episodes = EpisodeBatch(ctx)
        self.spells = SpellBatch(ctx, wards)
        self.referrals = []
        self.hours = dict(DecisionStandard.objects.values_list("urgency", "hours"))
        self.coordinators = {
            team: staff[Discipline.COORDINATOR][0].id
            for team, staff in staff_by_team().items()
            if staff.get(Discipline.COORDINATOR)
        }
        self.counts = {}

    def patient(self, patient):
        moment = patient.created_at
        for _ in range(1 + (self.rng.random() < SECOND_JOURNEY)):
            if moment >= self.ctx.as_of:
                return
            if choose(self.rng, JOURNEYS) == "hospital":
                moment = self._hospital(patient, moment)
            else:
                moment = self._community(patient, moment)
            if moment is None:  # still going on, or the person died or moved into a care home
                return
            moment += datetime.timedelta(days=self.rng.expovariate(1 / 150))

    def _community(self, patient, received):
        rng = self.rng
        service = choose(rng, COMMUNITY)
        source = choose(rng, SOURCES[service])
        urgency = "urgent" if service == Service.UCR else choose(rng, URGENCY["community"])
        if rng.random() < 0.08:  # an earlier referral the LIT declined or sent elsewhere
            earlier = received - datetime.timedelta(days=rng.randint(20, 200))
            self._referral(patient, source, service, urgency, earlier, rng.choice([S.DECLINED, S.REDIRECTED]))
        episode = self.episodes.add(patient, service=service, source=source, received=received, priority=urgency)
        self._referral(
            patient, source, service, urgency, received, S.COMPLETED if episode.closed_at else S.ACCEPTED, episode
        )
        if episode.closed_at is None or episode.sequel in LAST_SEQUELS:
            return None
        if episode.sequel == Sequel.ADMITTED_TO_HOSPITAL:
            return self._hospital(patient, episode.closed_at + datetime.timedelta(hours=rng.uniform(0, 3)))
        return episode.closed_at

    def _hospital(self, patient, admitted, *, still_in=False):
        """A hospital stay from admission; `still_in`: the person is on the ward today."""
        rng, ctx = self.rng, self.ctx
        died = rng.random() < DIED_IN_HOSPITAL and not still_in
        pathway = None if died else choose(rng, ctx.weights_at(admitted, PATHWAYS))
        mean_delay = P0_DELAY_DAYS if pathway in (0, None) else ctx.before_after(admitted, *DELAY_DAYS)
        days_to_ready = rng.uniform(1, 2 * ctx.before_after(admitted, *DAYS_TO_READY) - 1)
        delay_days = min(rng.expovariate(1 / mean_delay), 30)
        if still_in:  # not discharged yet: ready some days from now, or already waiting
            in_hospital_so_far = (ctx.as_of - admitted) / datetime.timedelta(days=1)
            delay_days = max(delay_days, in_hospital_so_far - days_to_ready + rng.uniform(0.5, 5))
        spell = self.spells.add(
            patient.id,
            admitted=admitted,
            days_to_ready=days_to_ready,
            delay_days=delay_days,
            pathway=pathway,
            destination=Destination.DIED if died else DESTINATIONS[pathway],
        )
        urgency = choose(rng, URGENCY["ward"])
        until = spell.discharged_at or ctx.as_of
        received = admitted + min(datetime.timedelta(hours=rng.expovariate(1 / 18)), (until - admitted) * 0.9)
        service = STEP_DOWN.get(pathway, Service.STEP_DOWN_REABLEMENT)
        if spell.discharged_at is None:  # on the ward now
            if rng.random() < 0.6:
                self._on_the_ward(patient, spell, received, urgency)
            return None
        if died:
            if rng.random() < 0.5:
                self._referral(patient, Source.WARD, service, urgency, received, S.WITHDRAWN, spell=spell)
            return None
        if pathway in STEP_DOWN:  # the LIT pulled the patient and steps them down from the day of discharge
            days = None
            if pathway == 2:
                days = tuple(ctx.before_after(admitted, before, after) for before, after in zip(*BED_DAYS, strict=True))
            episode = self.episodes.add(
                patient, service=service, source=Source.WARD, received=spell.discharged_at, days=days, priority=urgency
            )
            self._referral(patient, Source.WARD, service, urgency, received, S.COMPLETED, episode, spell=spell)
            if episode.closed_at is None or episode.sequel in LAST_SEQUELS:
                return None
            return episode.closed_at
        if pathway == 3:
            self._referral(patient, Source.WARD, service, urgency, received, S.COMPLETED, spell=spell)
            return None
        if rng.random() < 0.4:  # pathway 0: some were referred, and assessed as needing nothing new
            status = choose(rng, P0_REFERRALS)
            self._referral(patient, Source.WARD, service, urgency, received, status, spell=spell)
        return spell.discharged_at

    def _on_the_ward(self, patient, spell, received, urgency):
        """A ward referral for someone in hospital now: waiting for a decision, or accepted by the LIT."""
        if self.rng.random() < 0.35:
            self._referral(
                patient, Source.WARD, Service.STEP_DOWN_REABLEMENT, urgency, received, S.RECEIVED, spell=spell
            )
            return
        referral = self._referral(
            patient, Source.WARD, Service.STEP_DOWN_REABLEMENT, urgency, received, S.ACCEPTED, spell=spell
        )
        referral.episode = self.episodes.add(
            patient,
            service=Service.STEP_DOWN_REABLEMENT,
            source=Source.WARD,
            received=referral.decided_at,
            reason="Pulled from the ward: discharge planning",
            in_hospital=True,
            priority=urgency,
        )

    def _referral(self, patient, source, service, urgency, received, status, episode=None, *, spell=None):
        rng, ctx = self.rng, self.ctx
        hours = self.hours[urgency]
        referral = Row(
            patient_id=patient.id,
            spell=spell,  # the stay and the episode, whose ids are known once they are saved
            episode=episode,
            source=source,
            referrer_name=ctx.fake.name(),
            referrer_role=REFERRER_ROLES.get(source, "Practitioner"),
            referrer_contact=f"024 7649 6{rng.randint(0, 999):03d}",
            reason=rng.choice(REASONS[source]),
            requested_service=service,
            urgency=urgency,
            received_at=received,
            decision_due_by=clock.after(received, hours=hours),
            status=status,
            created_at=received,
        )
        if status != S.RECEIVED:
            referral.decided_at = min(clock.after(received, hours=rng.expovariate(1 / (hours * 0.6))), ctx.as_of)
            referral.decided_by_id = self.coordinators.get(patient.team_id)
        if status == S.DECLINED:
            referral.decision_reason = rng.choice(["Needs are health-only", "Out of area", "Already supported"])
            referral.outcome = rng.choice(REDIRECTS)
        elif status == S.REDIRECTED:
            referral.redirected_to = referral.outcome = rng.choice(REDIRECTS)
        elif status == S.WITHDRAWN:
            referral.decision_reason = (
                "Patient died"
                if spell and spell.destination == Destination.DIED
                else rng.choice(["Discharged elsewhere", "Patient declined"])
            )
        elif status == S.COMPLETED:
            referral.outcome = (
                f"Discharged on pathway {spell.pathway}" if spell is not None else "Support at home completed"
            )
        if status not in (S.RECEIVED, S.ACCEPTED):
            # A ward referral is completed at discharge; a community one when its episode closes.
            ended = spell.discharged_at if spell is not None else episode and episode.closed_at
            referral.closed_at = max(referral.decided_at, ended or referral.decided_at)
            referral.closed_by_id = referral.decided_by_id
        self.referrals.append(referral)
        return referral

    def save(self):
        """Stays first, then episodes, then the referrals that name them."""
        for name, count in [*self.spells.save().items(), *self.episodes.save().items()]:
            self.counts[name] = self.counts.get(name, 0) + count
        for referral in self.referrals:
            referral.spell_id = referral.spell.id if referral.spell else None
            referral.episode_id = referral.episode.id if referral.episode else None
        self.ctx.insert(Referral, self.referrals)
        self.counts["referrals"] = self.counts.get("referrals", 0) + len(self.referrals)
        self.referrals = []

    def on_the_wards_now(self, patients):
        """Fill today's wards to the scale's number of inpatients with people whose last journey ended a fortnight
        or more ago (so nobody is admitted while on the caseload)."""
        ctx = self.ctx
        needed = ctx.scale.open_spells - Spell.objects.filter(discharged_at=None).count()
        if needed <= 0:
            return
        quiet_since = ctx.as_of - datetime.timedelta(days=14)
        busy = set(
            Patient.objects.annotate(last_episode=Max("episodes__closed_at"), last_stay=Max("spells__discharged_at"))
            .filter(
                Q(episodes__status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.AWAITING_ALLOCATION])
                | Q(spells__discharged_at=None, spells__isnull=False)
                | Q(last_episode__gte=quiet_since)
                | Q(last_stay__gte=quiet_since)
                | Q(episodes__sequel__in=LAST_SEQUELS)
                | Q(spells__destination=Destination.DIED)
            )
            .values_list("pk", flat=True)
        )
        candidates = [patient for patient in patients if patient.id not in busy and patient.created_at < quiet_since]
        for patient in self.rng.sample(candidates, min(needed, len(candidates))):
            admitted = ctx.as_of - datetime.timedelta(hours=min(self.rng.expovariate(1 / (24 * 7)), 24 * 13))
            self._hospital(patient, admitted, still_in=True)
        self.save()


def clear():
    Referral.objects.all().delete()
