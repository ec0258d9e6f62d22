"""Demo patients and their episodes on the shared caseload.

Patients are mostly over 65 and live in Coventry's CV1–CV7 districts, each on the LIT for their
district. Each has one or more episodes over the demo years with a realistic mix of services,
priorities, breaches, allocations, contacts, goals, care packages, equipment and sequels; the most
recent are still open, some waiting on the triage board.
"""

import bisect
import datetime
import itertools
from decimal import Decimal

from caseload.models import (
    CARE_HOME_SEQUELS,
    LONG_TERM_SEQUELS,
    REABLEMENT_SERVICES,
    Allocation,
    CarePackage,
    Contact,
    Episode,
    EpisodeStatus,
    Equipment,
    Goal,
    GoalStatus,
    Locality,
    Patient,
    Priority,
    ResponseStandard,
    Sequel,
    Service,
    Sex,
    Source,
)
from ocit import clock
from ocit.demo import Row
from ocit.identifiers import synthetic_nhs_numbers
from ocit.models import LIT_ROLES, Discipline, User


class Weights:
    """Keys to `choose` from by weight ({key: weight} or [(key, weight)]), with their running totals added up once."""

    def __init__(self, weighted):
        pairs = list(weighted.items()) if isinstance(weighted, dict) else weighted
        self.keys = [key for key, _ in pairs]
        self.totals = list(itertools.accumulate(weight for _, weight in pairs))


# Rough share of OCIT's patients by postcode district.
DISTRICT_WEIGHTS = {"CV1": 10, "CV2": 20, "CV3": 18, "CV4": 12, "CV5": 14, "CV6": 20, "CV7": 6}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in real inward codes
GP_PRACTICES = ["M86001", "M86002", "M86004", "M86007", "M86010", "M86011", "M86013", "M86016", "M86019"]
LANGUAGES = ["Punjabi", "Polish", "Urdu", "Gujarati", "Arabic", "Romanian", "Tigrinya"]

# Who works each service: the keyworker's discipline (reablement is delivered by reablement support workers,
# with an occupational therapist's assessment for some).
KEYWORKER = {
    Service.UCR: Weights(
        [(Discipline.NURSE, 90), (Discipline.PHYSIOTHERAPIST, 5), (Discipline.OCCUPATIONAL_THERAPIST, 5)]
    ),
    Service.STEP_UP_REABLEMENT: Weights([(Discipline.SUPPORT_WORKER, 90), (Discipline.OCCUPATIONAL_THERAPIST, 10)]),
    Service.STEP_DOWN_REABLEMENT: Weights([(Discipline.SUPPORT_WORKER, 90), (Discipline.OCCUPATIONAL_THERAPIST, 10)]),
    Service.BED_BASED: Weights([(Discipline.SOCIAL_WORKER, 60), (Discipline.NURSE, 40)]),
    Service.THERAPY_AT_HOME: Weights([(Discipline.PHYSIOTHERAPIST, 55), (Discipline.OCCUPATIONAL_THERAPIST, 45)]),
    Service.OTHER: Weights([(Discipline.SOCIAL_WORKER, 55), (Discipline.NURSE, 45)]),
}
PRIORITIES = Weights({Priority.URGENT: 1, Priority.HIGH: 3, Priority.ROUTINE: 6})
# How long an episode lasts (days): (lowest, highest).
LENGTH = {
    Service.UCR: (1, 3),
    Service.STEP_UP_REABLEMENT: (14, 42),
    Service.STEP_DOWN_REABLEMENT: (14, 42),
    Service.BED_BASED: (14, 42),
    Service.THERAPY_AT_HOME: (14, 56),
    Service.OTHER: (3, 28),
}
REASONS = {
    Service.UCR: ["Fall at home, no serious injury", "Frailty decompensation", "Confusion", "Urgent catheter care"],
    Service.STEP_UP_REABLEMENT: ["Reduced mobility", "Struggling to manage at home", "Carer breakdown"],
    Service.STEP_DOWN_REABLEMENT: ["Discharged from hospital: reablement to regain independence"],
    Service.BED_BASED: ["Discharged from hospital: rehabilitation in a community bed"],
    Service.THERAPY_AT_HOME: ["Reduced mobility", "Falls risk", "Help with daily living"],
    Service.OTHER: ["Social care assessment", "Care coordination", "Wound review and reduced mobility"],
}
# What happened next, before OCIT and once it was fully live: fewer people left needing long-term care [seed 001:
# "people going through the trial team generally experience a reduced volume of ongoing care"].
SEQUELS = {
    Sequel.NO_ONGOING_SUPPORT: (36, 42),
    Sequel.UNIVERSAL_SERVICES: (7, 8),
    Sequel.LOW_LEVEL_SUPPORT: (12, 14),
    Sequel.OTHER_SHORT_TERM: (5, 4),
    Sequel.LONG_TERM_LOWER: (4.5, 4.5),
    Sequel.LONG_TERM_SAME: (4.5, 3.8),
    Sequel.LONG_TERM_HIGHER: (3.5, 2.6),
    Sequel.DIED: (2, 2),
    Sequel.DECLINED: (3, 3),
}
# Permanent care-home placements (%): after reablement 86% fewer than before OCIT [seed 000]; after other
# services a little fewer.
CARE_HOME = {"reablement": (1.0, 0.05), "other": (2.0, 1.9)}
CARE_HOME_SEQUEL = Weights(dict(zip(CARE_HOME_SEQUELS, (2, 1), strict=True)))
UCR_ADMITTED = 0.12  # UCR episodes that end in an emergency admission
GOALS = [
    "Get washed and dressed on my own",
    "Make myself a hot drink and a meal",
    "Walk to the corner shop",
    "Get up and down the stairs safely",
    "Get in and out of the bath",
    "Go back to my church on Sundays",
    "Feel confident going out in the garden",
    "Manage my own tablets",
    "Visit my grandchildren",
    "Get to the toilet safely at night",
    "Go to the day centre again",
    "Stay in my own home",
]
EQUIPMENT = [
    "Perching stool",
    "Raised toilet seat",
    "Walking frame",
    "Key safe",
    "Pendant alarm",
    "Bed lever",
    "Bath board",
    "Commode",
    "Grab rails",
    "Chair raisers",
]
NOT_ATTENDED = ["No answer at the door", "Patient in hospital", "Patient declined the visit", "Access problem"]
GOAL_OUTCOMES = Weights({GoalStatus.ACHIEVED: 60, GoalStatus.PARTLY: 25, GoalStatus.NOT_ACHIEVED: 15})
LATER_CONTACTS = Weights({"home": 80, "phone": 14, "clinic": 4, "video": 2})  # where; the first is at home
LONG_TERM_CALLS = Weights({1: 35, 2: 40, 3: 18, 4: 7})  # calls a day of a long-term package
PACKAGE_SERVICES = {Service.STEP_UP_REABLEMENT, Service.STEP_DOWN_REABLEMENT, Service.BED_BASED}
CHUNK = 5_000


# Residents aged 65+ by postcode district (demo values, for the rates per 100,000; 58,000 in all at Coventry's size).
POPULATION_65_PLUS = {"CV1": 6000, "CV2": 11000, "CV3": 10500, "CV4": 7500, "CV5": 9000, "CV6": 10500, "CV7": 3500}


def seed(ctx):
    """The demo patients and the localities' populations; their episodes come with the referrals that opened them
    (see `referrals.demo`). Returns the number of patients."""
    for district, population in POPULATION_65_PLUS.items():
        Locality.objects.filter(postcode_district=district).update(population_65_plus=round(population * ctx.size))
    return _seed_patients(ctx)


def _seed_patients(ctx):
    teams = dict(Locality.objects.values_list("postcode_district", "team_id"))
    districts = Weights(DISTRICT_WEIGHTS)
    nhs_numbers = synthetic_nhs_numbers(start=0)
    rng, fake = ctx.rng, ctx.fake
    patients = []
    for _ in range(ctx.scale.patients):
        district = choose(rng, districts)
        sex = Sex.FEMALE if rng.random() < 0.58 else Sex.MALE
        age = rng.triangular(65, 103, 84) if rng.random() < 0.85 else rng.uniform(18, 65)
        known = rng.random() > 0.005
        needs_interpreter = rng.random() < 0.06
        patients.append(
            Row(
                nhs_number=next(nhs_numbers) if known else None,
                nhs_number_unknown_reason="" if known else "Not yet traced on the national spine",
                given_name=fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male(),
                family_name=fake.last_name(),
                date_of_birth=ctx.today - datetime.timedelta(days=int(age * 365.25)),
                sex=sex,
                address=f"{fake.building_number()} {fake.street_name()}, Coventry",
                postcode=f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}",
                phone=f"024 7649 6{rng.randint(0, 999):03d}" if rng.random() < 0.8 else "",  # Ofcom drama range
                gp_practice_code=rng.choice(GP_PRACTICES),
                next_of_kin=f"{fake.name()} ({rng.choice(['daughter', 'son', 'wife', 'husband', 'niece', 'friend'])})"
                if rng.random() < 0.7
                else "",
                lives_alone=rng.random() < 0.45,
                interpreter_language=rng.choice(LANGUAGES) if needs_interpreter else "",
                communication_needs=rng.choice(["Hard of hearing", "Sight loss", "Memory problems", ""])
                if rng.random() < 0.2
                else "",
                consent_to_share=rng.random() < 0.95,
                team_id=teams[district],
                created_at=ctx.moment_between(ctx.start, ctx.as_of),
            )
        )
    ctx.insert(Patient, patients, "patients")
    return len(patients)


def staff_by_team():
    """{team id: {discipline: [its LIT staff, by email]}}."""
    staff = {}
    for user in User.objects.filter(role__in=LIT_ROLES, is_active=True).order_by("email"):
        staff.setdefault(user.team_id, {}).setdefault(user.discipline, []).append(user)
    return staff


def choose(rng, weighted):
    """One key of `Weights` or of {key: weight}, at random by weight: the key `random.choices` would give for the same
    random number (its own arithmetic, tested to agree), without its conversions and checks at each of the millions
    of draws of the ICS scale."""
    if not isinstance(weighted, Weights):
        weighted = Weights(weighted)
    keys, totals = weighted.keys, weighted.totals
    return keys[bisect.bisect(totals, rng.random() * totals[-1], 0, len(keys) - 1)]


class EpisodeBatch:
    """Builds a chunk of episodes with their allocations, contacts, goals, packages and equipment.

    An episode runs from the referral to its closure; one that would close after the demo's now is open (and a
    recent one may still be awaiting allocation). Contacts fall between the first visit and the closure only,
    so never while the person is in hospital.
    """

    def __init__(self, ctx):
        self.ctx, self.rng = ctx, ctx.rng
        self.standards = {(s.service, s.priority): s for s in ResponseStandard.objects.all()}
        self.staff = staff_by_team()
        self.episodes = []

    def add(
        self,
        patient,
        *,
        service,
        source,
        received,
        priority=None,
        reason="",
        days=None,
        awaiting=False,
        in_hospital=False,
    ):
        """Add an episode received at a moment, lasting `days` (lowest, highest) or the service's usual length;
        returns it (unsaved), with `closed_at` set when it has ended. `awaiting`: not yet allocated; `in_hospital`:
        pulled from the ward, awaiting, its response clock not started until discharge."""
        awaiting = awaiting or in_hospital
        rng, ctx = self.rng, self.ctx
        if service == Service.UCR:
            priority = Priority.URGENT
        elif priority is None:
            priority = choose(rng, PRIORITIES)
        standard = self.standards[(service, priority)]
        lowest, highest = days or LENGTH[service]
        length = datetime.timedelta(days=rng.uniform(lowest, highest))
        in_progress = awaiting or received + length > ctx.as_of
        if in_progress and not awaiting and source != Source.WARD and rng.random() < 0.2:  # just referred
            received = ctx.as_of - datetime.timedelta(hours=rng.uniform(0, standard.hours * 1.25))
        episode = Row(
            patient_id=patient.id,
            team_id=patient.team_id,
            service=service,
            source=source,
            priority=priority,
            reason=reason or rng.choice(REASONS[service]),
            what_matters=rng.choice(GOALS),
            discipline_needed=KEYWORKER[service].keys[0],
            received_at=received,
            response_standard=standard.name,
            due_by=None if in_hospital else clock.after(received, hours=standard.hours),
            created_at=received,
            first_contact_at=None,
            closed_at=None,
            sequel="",
        )
        if awaiting:
            episode.status = EpisodeStatus.AWAITING_ALLOCATION
        elif in_progress and received > ctx.as_of - datetime.timedelta(hours=standard.hours * 1.25):
            episode.status = EpisodeStatus.AWAITING_ALLOCATION if rng.random() < 0.6 else EpisodeStatus.ACTIVE
        else:
            episode.status = EpisodeStatus.ACTIVE if in_progress else EpisodeStatus.CLOSED
        if episode.status != EpisodeStatus.AWAITING_ALLOCATION:
            # Most are seen within the standard; some breach it.
            late = rng.random() < (0.22 if service == Service.UCR else 0.12)
            hours_to_first = standard.hours * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.2, 0.95))
            first = clock.after(received, hours=min(hours_to_first, length / datetime.timedelta(hours=2)))
            if service != Service.UCR:  # a visit by day, unless that would change whether the standard was met
                by_day = ctx.by_day(first)
                first = by_day if (by_day <= episode.due_by) == (first <= episode.due_by) else first
            episode.first_contact_at = first if first < ctx.as_of else None
        if episode.status == EpisodeStatus.CLOSED:
            episode.closed_at = max(received + length, episode.first_contact_at)
            episode.sequel = self._sequel(service, episode.closed_at)
            episode.closure_reason = "Goals met" if episode.sequel == Sequel.NO_ONGOING_SUPPORT else ""
        elif episode.status == EpisodeStatus.ACTIVE:
            episode.next_contact_on = ctx.today + datetime.timedelta(days=rng.randint(0, 5))
        self.episodes.append(episode)
        return episode

    def _sequel(self, service, closed_at):
        rng, ctx = self.rng, self.ctx
        if service == Service.UCR and rng.random() < UCR_ADMITTED:
            return Sequel.ADMITTED_TO_HOSPITAL
        before, after = CARE_HOME["reablement" if service in REABLEMENT_SERVICES else "other"]
        if rng.random() * 100 < ctx.before_after(closed_at, before, after):
            return choose(rng, CARE_HOME_SEQUEL)
        return choose(rng, ctx.weights_at(closed_at, SEQUELS))

    def save(self):
        """The episodes (giving each its id), then their allocations, contacts, goals, packages and equipment."""
        episodes, self.episodes = self.episodes, []
        self.ctx.insert(Episode, episodes)
        rows = {"allocations": [], "contacts": [], "goals": [], "packages": [], "equipment": []}
        for episode in episodes:
            if episode.status != EpisodeStatus.AWAITING_ALLOCATION:
                self._children(episode, rows)
        for model, name in [
            (Allocation, "allocations"),
            (Contact, "contacts"),
            (Goal, "goals"),
            (CarePackage, "packages"),
            (Equipment, "equipment"),
        ]:
            self.ctx.insert(model, rows[name])
        return {"episodes": len(episodes), **{name: len(objects) for name, objects in rows.items()}}

    def _children(self, episode, rows):
        rng, ctx = self.rng, self.ctx
        team_staff = self.staff.get(episode.team_id, {})
        discipline = choose(rng, KEYWORKER[episode.service])
        pool = team_staff.get(discipline) or [u for group in team_staff.values() for u in group]
        keyworker = rng.choice(pool)
        coordinator = (team_staff.get(Discipline.COORDINATOR) or [None])[0]
        allocated = clock.after(episode.received_at, minutes=rng.uniform(5, 90))
        allocated = min(allocated, episode.first_contact_at or ctx.as_of)
        rows["allocations"].append(
            Row(
                episode_id=episode.id,
                practitioner_id=keyworker.id,
                discipline=keyworker.discipline,
                started_at=allocated,
                ended_at=episode.closed_at,
                allocated_by_id=coordinator.id if coordinator else None,
            )
        )
        if episode.first_contact_at:
            self._contacts(episode, keyworker, team_staff, rows)
        if episode.service != Service.UCR:
            for text in rng.sample(GOALS, rng.randint(1, 3)):
                status = GoalStatus.OPEN
                if episode.closed_at:
                    status = choose(rng, GOAL_OUTCOMES)
                rows["goals"].append(
                    Row(
                        episode_id=episode.id,
                        text=text,
                        status=status,
                        created_at=episode.first_contact_at or allocated,
                        target_date=ctx.localdate(episode.received_at) + datetime.timedelta(days=rng.randint(7, 42)),
                    )
                )
        self._packages(episode, keyworker, rows)
        if episode.first_contact_at and rng.random() < 0.3:
            for item in rng.sample(EQUIPMENT, rng.randint(1, 2)):
                rows["equipment"].append(
                    Row(
                        episode_id=episode.id,
                        item=item,
                        provided_on=ctx.localdate(episode.first_contact_at),
                        recorded_by_id=keyworker.id,
                    )
                )

    def _contacts(self, episode, keyworker, team_staff, rows):
        """Visits and calls from the first visit (face to face: it stops the response clock) to the closure."""
        rng, ctx = self.rng, self.ctx
        end = episode.closed_at or ctx.as_of
        visits = rng.randint(1, 8 if episode.closed_at else 4)
        span = max((end - episode.first_contact_at).total_seconds(), 0)
        therapist = None
        if episode.service in REABLEMENT_SERVICES and keyworker.discipline == Discipline.SUPPORT_WORKER:
            # Some reablement has an occupational therapist's assessment at home.
            therapist = rng.choice(team_staff.get(Discipline.OCCUPATIONAL_THERAPIST) or [keyworker])
        for n in range(visits):
            at = episode.first_contact_at + datetime.timedelta(seconds=span * n / visits)
            if n:
                by_day = ctx.by_day(at)
                at = by_day if by_day < end else at
            by = therapist if therapist and n == 1 and rng.random() < 0.15 else keyworker
            attended = n == 0 or rng.random() < 0.92
            location = "home" if n == 0 else choose(rng, LATER_CONTACTS)
            rows["contacts"].append(
                Row(
                    episode_id=episode.id,
                    at=at,
                    practitioner_id=by.id,
                    discipline=by.discipline,
                    attended=attended,
                    not_attended_reason="" if attended else rng.choice(NOT_ATTENDED),
                    location=location,
                    duration_minutes=rng.choice([20, 30, 45, 60, 90]),
                    recorded_by_id=by.id,
                    created_at=at,
                )
            )

    def _packages(self, episode, keyworker, rows):
        """Care at home at the start and the end: reablement calls tapering to what the person needs after
        (e.g. 4 calls a day down to 2 [seed 001]), a long-term package for those who leave needing one."""
        rng, ctx = self.rng, self.ctx
        long_term = episode.sequel in LONG_TERM_SEQUELS
        if episode.service not in PACKAGE_SERVICES and not long_term:
            return
        calls = rng.choice([2, 3, 4])
        start = dict(calls_per_day=calls, carers_per_call=rng.choice([1, 1, 2]), provider_type="reablement")
        if episode.service not in PACKAGE_SERVICES:  # the care at home the person had before
            start = dict(calls_per_day=calls - 1, carers_per_call=1, provider_type="independent")
        rows["packages"].append(
            Row(
                episode_id=episode.id,
                stage="start",
                effective_on=ctx.localdate(episode.received_at),
                hours_per_week=Decimal(start["calls_per_day"] * 7 * rng.choice([0.5, 0.75, 1])),
                recorded_by_id=keyworker.id,
                created_at=episode.received_at,
                **start,
            )
        )
        if not episode.closed_at or episode.sequel in (Sequel.DIED, Sequel.DECLINED, Sequel.ADMITTED_TO_HOSPITAL):
            return
        end_calls = choose(rng, LONG_TERM_CALLS) if long_term else 0
        rows["packages"].append(
            Row(
                episode_id=episode.id,
                stage="end",
                effective_on=ctx.localdate(episode.closed_at),
                hours_per_week=Decimal(end_calls * 7 * rng.choice([0.5, 0.75])),
                calls_per_day=end_calls,
                carers_per_call=1 if end_calls else 0,
                provider_type="independent" if end_calls else "none",
                recorded_by_id=keyworker.id,
                created_at=episode.closed_at,
            )
        )


def clear():
    for model in (Equipment, CarePackage, Goal, Contact, Allocation, Episode, Patient):
        model.objects.all().delete()
