"""Demo patients and their episodes on the shared caseload.

Patients are mostly over 65 and live in Coventry's CV1–CV7 districts, each on the LIT for their
district. Each has one or more episodes over the demo years with a realistic mix of services,
priorities, breaches, allocations, contacts, goals, care packages, equipment and sequels; the most
recent are still open, some waiting on the triage board.
"""

import datetime
from decimal import Decimal

from caseload.models import (
    Allocation,
    CarePackage,
    Contact,
    Episode,
    EpisodeStatus,
    Equipment,
    FollowUp,
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
from ocit.identifiers import synthetic_nhs_numbers
from ocit.models import LIT_ROLES, Discipline, User

# Rough share of OCIT's patients by postcode district.
DISTRICT_WEIGHTS = {"CV1": 10, "CV2": 20, "CV3": 18, "CV4": 12, "CV5": 14, "CV6": 20, "CV7": 6}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in real inward codes
GP_PRACTICES = ["M86001", "M86002", "M86004", "M86007", "M86010", "M86011", "M86013", "M86016", "M86019"]
LANGUAGES = ["Punjabi", "Polish", "Urdu", "Gujarati", "Arabic", "Romanian", "Tigrinya"]

# (service, share, sources, discipline usually needed)
SERVICE_MIX = [
    (
        Service.UCR,
        35,
        [Source.GP, Source.AMBULANCE, Source.FRONT_DOOR, Source.SELF, Source.COMMUNITY],
        Discipline.NURSE,
    ),
    (
        Service.STEP_UP_REABLEMENT,
        15,
        [Source.GP, Source.SOCIAL_CARE, Source.SELF, Source.FRONT_DOOR],
        Discipline.OCCUPATIONAL_THERAPIST,
    ),
    (Service.STEP_DOWN_REABLEMENT, 25, [Source.WARD], Discipline.OCCUPATIONAL_THERAPIST),
    (Service.BED_BASED, 8, [Source.WARD], Discipline.SOCIAL_WORKER),
    (Service.THERAPY_AT_HOME, 12, [Source.GP, Source.COMMUNITY, Source.WARD], Discipline.PHYSIOTHERAPIST),
    (Service.OTHER, 5, [Source.SOCIAL_CARE, Source.OTHER, Source.SELF], ""),
]
SEQUELS = [
    (Sequel.NO_ONGOING_SUPPORT, 42),
    (Sequel.UNIVERSAL_SERVICES, 8),
    (Sequel.LOW_LEVEL_SUPPORT, 14),
    (Sequel.OTHER_SHORT_TERM, 4),
    (Sequel.LONG_TERM_LOWER, 8),
    (Sequel.LONG_TERM_SAME, 6),
    (Sequel.LONG_TERM_HIGHER, 4),
    (Sequel.RESIDENTIAL_CARE, 2),
    (Sequel.NURSING_CARE, 1),
    (Sequel.ADMITTED_TO_HOSPITAL, 6),
    (Sequel.DIED, 2),
    (Sequel.DECLINED, 3),
]
FOLLOW_UPS = [
    (FollowUp.AT_HOME, 82),
    (FollowUp.IN_HOSPITAL, 5),
    (FollowUp.CARE_HOME, 4),
    (FollowUp.DIED, 7),
    (FollowUp.NOT_KNOWN, 2),
]
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
PACKAGE_SERVICES = {Service.STEP_UP_REABLEMENT, Service.STEP_DOWN_REABLEMENT, Service.BED_BASED}
CHUNK = 5_000


def seed(ctx):
    patients = _seed_patients(ctx)
    _seed_episodes(ctx, patients)
    return patients


def _seed_patients(ctx):
    teams = {loc.postcode_district: loc.team for loc in Locality.objects.select_related("team")}
    districts = list(DISTRICT_WEIGHTS)
    weights = list(DISTRICT_WEIGHTS.values())
    nhs_numbers = synthetic_nhs_numbers(start=0)
    rng, fake = ctx.rng, ctx.fake
    patients = []
    for _ in range(ctx.scale.patients):
        district = rng.choices(districts, weights)[0]
        sex = Sex.FEMALE if rng.random() < 0.58 else Sex.MALE
        age = rng.triangular(65, 103, 84) if rng.random() < 0.85 else rng.uniform(18, 65)
        known = rng.random() > 0.005
        needs_interpreter = rng.random() < 0.06
        patients.append(
            Patient(
                nhs_number=next(nhs_numbers) if known else None,
                nhs_number_unknown_reason="" if known else "Not yet traced on the national spine",
                given_name=fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male(),
                family_name=fake.last_name(),
                date_of_birth=ctx.as_of.date() - datetime.timedelta(days=int(age * 365.25)),
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
                team=teams[district],
                created_at=ctx.moment_between(ctx.start, ctx.as_of),
            )
        )
    return ctx.bulk_create(Patient, patients, "patients")


def _staff_by_team(ctx):
    staff = {}
    for user in User.objects.filter(role__in=LIT_ROLES, is_active=True).order_by("email"):
        staff.setdefault(user.team_id, {}).setdefault(user.discipline, []).append(user)
    return staff


def _seed_episodes(ctx, patients):
    """Episodes in chunks of patients, each chunk with its children, so memory stays flat at any scale."""
    standards = {(s.service, s.priority): s for s in ResponseStandard.objects.all()}
    staff = _staff_by_team(ctx)
    rng = ctx.rng
    patients = sorted(patients, key=lambda patient: patient.created_at)
    # The most recently referred patients are the ones still on the caseload today.
    still_open = {patient.pk for patient in patients[-ctx.scale.open_episodes :]}
    counts = dict.fromkeys(("episodes", "allocations", "contacts", "goals", "packages", "equipment"), 0)
    for start in range(0, len(patients), CHUNK):
        batch = EpisodeBatch(ctx, standards, staff)
        for patient in patients[start : start + CHUNK]:
            episodes = 1 + (rng.random() < 0.3)
            for n in range(episodes):
                batch.add(patient, open_now=patient.pk in still_open and n == episodes - 1)
        for name, count in batch.save().items():
            counts[name] += count
        ctx.progress("episodes", min(start + CHUNK, len(patients)), len(patients))
    return counts


class EpisodeBatch:
    """Builds one chunk of episodes with their allocations, contacts, goals, packages and equipment."""

    def __init__(self, ctx, standards, staff):
        self.ctx, self.rng, self.standards, self.staff = ctx, ctx.rng, standards, staff
        self.episodes = []
        self.children = []  # (episode index, factory of child rows given the saved episode)

    def add(self, patient, *, open_now):
        rng, ctx = self.rng, self.ctx
        service, _, sources, discipline = rng.choices(SERVICE_MIX, [mix[1] for mix in SERVICE_MIX])[0]
        if service == Service.UCR:
            priority = Priority.URGENT
        else:
            priority = rng.choices([Priority.URGENT, Priority.HIGH, Priority.ROUTINE], [1, 3, 6])[0]
        standard = self.standards[(service, priority)]
        awaiting = open_now and rng.random() < 0.2
        if awaiting:  # referred recently; a few already past their standard
            received = ctx.as_of - datetime.timedelta(hours=rng.uniform(0, standard.hours * 1.25))
        elif open_now:
            received = ctx.as_of - datetime.timedelta(hours=rng.expovariate(1 / 60))
        else:
            received = ctx.moment_between(max(patient.created_at, ctx.start), ctx.as_of - datetime.timedelta(days=3))
        due = received + datetime.timedelta(hours=standard.hours)
        episode = Episode(
            patient=patient,
            team=patient.team,
            service=service,
            source=rng.choice(sources),
            priority=priority,
            reason=rng.choice(
                [
                    "Fall at home",
                    "Reduced mobility",
                    "Struggling to manage at home",
                    "Discharged from hospital",
                    "Carer breakdown",
                    "Confusion",
                ]
            ),
            what_matters=rng.choice(GOALS),
            discipline_needed=discipline,
            received_at=received,
            response_standard=standard.name,
            due_by=due,
            created_at=received,
        )
        if awaiting:
            episode.status = EpisodeStatus.AWAITING_ALLOCATION
        else:
            episode.status = EpisodeStatus.ACTIVE if open_now else EpisodeStatus.CLOSED
            # Most are seen within the standard; some breach it.
            late = rng.random() < (0.22 if service == Service.UCR else 0.12)
            hours_to_first = standard.hours * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.2, 0.95))
            episode.first_contact_at = min(received + datetime.timedelta(hours=hours_to_first), ctx.as_of)
        if episode.status == EpisodeStatus.CLOSED:
            length = datetime.timedelta(days=rng.uniform(1, 6) if service == Service.UCR else rng.uniform(7, 42))
            episode.closed_at = min(received + length, ctx.as_of - datetime.timedelta(hours=1))
            episode.closed_at = max(episode.closed_at, episode.first_contact_at)
            episode.sequel = rng.choices([s for s, _ in SEQUELS], [w for _, w in SEQUELS])[0]
            episode.closure_reason = "Goals met" if episode.sequel == Sequel.NO_ONGOING_SUPPORT else ""
            if service in PACKAGE_SERVICES and episode.closed_at + datetime.timedelta(days=91) < ctx.as_of:
                episode.follow_up_91 = rng.choices([f for f, _ in FOLLOW_UPS], [w for _, w in FOLLOW_UPS])[0]
        elif episode.status == EpisodeStatus.ACTIVE:
            episode.next_contact_on = ctx.as_of.date() + datetime.timedelta(days=rng.randint(0, 5))
        self.episodes.append(episode)

    def save(self):
        episodes = Episode.objects.bulk_create(self.episodes)
        rows = {"allocations": [], "contacts": [], "goals": [], "packages": [], "equipment": []}
        for episode in episodes:
            if episode.status != EpisodeStatus.AWAITING_ALLOCATION:
                self._children(episode, rows)
        Allocation.objects.bulk_create(rows["allocations"])
        Contact.objects.bulk_create(rows["contacts"])
        Goal.objects.bulk_create(rows["goals"])
        CarePackage.objects.bulk_create(rows["packages"])
        Equipment.objects.bulk_create(rows["equipment"])
        return {"episodes": len(episodes), **{name: len(objects) for name, objects in rows.items()}}

    def _children(self, episode, rows):
        rng = self.rng
        team_staff = self.staff.get(episode.team_id, {})
        pool = team_staff.get(episode.discipline_needed) or [u for group in team_staff.values() for u in group]
        keyworker = rng.choice(pool)
        coordinator = (team_staff.get(Discipline.COORDINATOR) or [None])[0]
        allocated = episode.received_at + datetime.timedelta(minutes=rng.uniform(5, 90))
        allocated = min(allocated, episode.first_contact_at)
        rows["allocations"].append(
            Allocation(
                episode=episode,
                practitioner=keyworker,
                discipline=keyworker.discipline,
                started_at=allocated,
                ended_at=episode.closed_at,
                allocated_by=coordinator,
            )
        )
        end = episode.closed_at or self.ctx.as_of
        visits = rng.randint(1, 8 if episode.closed_at else 4)
        span = max((end - episode.first_contact_at).total_seconds(), 0)
        for n in range(visits):
            at = episode.first_contact_at + datetime.timedelta(seconds=span * n / visits)
            attended = n == 0 or rng.random() < 0.92
            rows["contacts"].append(
                Contact(
                    episode=episode,
                    at=at,
                    practitioner=keyworker,
                    discipline=keyworker.discipline,
                    attended=attended,
                    not_attended_reason="" if attended else rng.choice(NOT_ATTENDED),
                    location=rng.choices(["home", "phone", "clinic", "video"], [80, 14, 4, 2])[0],
                    duration_minutes=rng.choice([20, 30, 45, 60, 90]),
                    recorded_by=keyworker,
                    created_at=at,
                )
            )
        if episode.service != Service.UCR:
            for text in rng.sample(GOALS, rng.randint(1, 3)):
                status = GoalStatus.OPEN
                if episode.closed_at:
                    status = rng.choices(
                        [GoalStatus.ACHIEVED, GoalStatus.PARTLY, GoalStatus.NOT_ACHIEVED], [60, 25, 15]
                    )[0]
                rows["goals"].append(
                    Goal(
                        episode=episode,
                        text=text,
                        status=status,
                        created_at=episode.first_contact_at,
                        target_date=(episode.received_at + datetime.timedelta(days=rng.randint(7, 42))).date(),
                    )
                )
        if episode.service in PACKAGE_SERVICES:
            calls = rng.choice([2, 3, 4])
            start = Decimal(calls * 7 * rng.choice([0.5, 0.75, 1]))
            rows["packages"].append(
                CarePackage(
                    episode=episode,
                    stage="start",
                    effective_on=episode.received_at.date(),
                    hours_per_week=start,
                    calls_per_day=calls,
                    carers_per_call=rng.choice([1, 1, 2]),
                    provider_type="reablement",
                    recorded_by=keyworker,
                    created_at=episode.received_at,
                )
            )
            if episode.closed_at and episode.sequel not in (Sequel.DIED, Sequel.DECLINED):
                end_calls = max(calls - rng.choice([0, 1, 2, 2]), 0)
                rows["packages"].append(
                    CarePackage(
                        episode=episode,
                        stage="end",
                        effective_on=episode.closed_at.date(),
                        hours_per_week=Decimal(end_calls * 7 * 0.5),
                        calls_per_day=end_calls,
                        carers_per_call=1 if end_calls else 0,
                        provider_type="independent" if end_calls else "none",
                        recorded_by=keyworker,
                        created_at=episode.closed_at,
                    )
                )
        if rng.random() < 0.3:
            for item in rng.sample(EQUIPMENT, rng.randint(1, 2)):
                rows["equipment"].append(
                    Equipment(
                        episode=episode, item=item, provided_on=episode.first_contact_at.date(), recorded_by=keyworker
                    )
                )


def clear():
    for model in (Equipment, CarePackage, Goal, Contact, Allocation, Episode, Patient):
        model.objects.all().delete()
