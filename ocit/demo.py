"""Synthetic demo data: the shared context and the demo staff.

`manage.py seed_demo` calls each app's `demo.seed(ctx)` in dependency order. Everything is drawn
from one seeded random generator and one seeded Faker, with times relative to `ctx.as_of`, so the
same seed and date always give the same data. Only synthetic people: NHS numbers from the 999 range.
"""

import dataclasses
import datetime
import random
import sys
import zoneinfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from faker import Faker

from caseload.models import Team
from ocit.models import Discipline, Role, User

BATCH = 5_000
DEMO_DOMAIN = "ocit.test"
COVENTRY_PATIENTS_A_YEAR = 6_000  # OCIT's first year: "more than 6,000 patients" [seed 000]
RAMP = datetime.timedelta(days=91)  # improvements reach their full effect three months after go-live


@dataclasses.dataclass(frozen=True)
class Scale:
    name: str
    years: int  # of OCIT activity before the as-of date
    patients: int
    open_spells: int
    open_episodes: int
    staff_per_discipline: int
    sites: int  # hospital sites; UHCW alone unless the scale covers the ICS


SCALES = {
    scale.name: scale
    for scale in (
        Scale("small", 1, patients=1_500, open_spells=80, open_episodes=150, staff_per_discipline=1, sites=1),
        Scale("coventry", 5, patients=30_000, open_spells=300, open_episodes=600, staff_per_discipline=2, sites=1),
        Scale("ics", 5, patients=300_000, open_spells=1_000, open_episodes=2_000, staff_per_discipline=3, sites=3),
    )
}


@dataclasses.dataclass
class Context:
    scale: Scale
    seed: int
    as_of: datetime.datetime  # the demo's "now": data is in the past of it, waiting lists end at it
    password: str
    out: object = sys.stdout
    go_live: datetime.date | None = None  # the demo's history changes from this day (None: no change)
    rng: random.Random = dataclasses.field(init=False)
    fake: Faker = dataclasses.field(init=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(self.seed)

    @classmethod
    def create(cls, *, scale, seed, day, password, out=sys.stdout, go_live=None):
        """As of noon on the given day; without a day, as of the current hour (so the demo looks live).

        Kept in UTC, so that every duration the demo adds to it is elapsed time (see `ocit.clock`).
        """
        if day is None:
            as_of = timezone.localtime().replace(minute=0, second=0, microsecond=0)
        else:
            as_of = datetime.datetime.combine(day, datetime.time(12), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return cls(SCALES[scale], seed, as_of.astimezone(datetime.UTC), password, out, go_live)

    @property
    def today(self):
        """The demo's day in Coventry."""
        return timezone.localdate(self.as_of)

    @property
    def start(self):
        """When the demo history begins."""
        return self.as_of - datetime.timedelta(days=365 * self.scale.years)

    @property
    def size(self):
        """Patients a year relative to Coventry's: absolute figures (baselines, populations) scale with it."""
        return self.scale.patients / self.scale.years / COVENTRY_PATIENTS_A_YEAR

    def effect(self, moment):
        """How far the service's improvements had gone at a moment: 0 before go-live, 1 three months after."""
        if self.go_live is None:
            return 1.0
        since = timezone.localtime(moment) - datetime.datetime.combine(
            self.go_live, datetime.time(), tzinfo=timezone.get_current_timezone()
        )
        return min(max(since / RAMP, 0.0), 1.0)

    def before_after(self, moment, before, after):
        """A rate of the demo at a moment: `before` go-live, moving to `after` as the improvements take effect."""
        return before + (after - before) * self.effect(moment)

    def by_day(self, moment, first=8, last=20):
        """The moment, or when it falls outside `first`:00 to `last`:00 Coventry time, a time in the first three
        hours of the next such day: home visits and discharges happen by day."""
        local = timezone.localtime(moment)
        if first <= local.hour < last:
            return moment
        day = local.date() + datetime.timedelta(days=1 if local.hour >= last else 0)
        start = datetime.datetime.combine(day, datetime.time(first), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return start.astimezone(datetime.UTC) + datetime.timedelta(minutes=self.rng.uniform(0, 180))

    def moment_between(self, start, end):
        """A random time between two datetimes."""
        return start + datetime.timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))

    def progress(self, label, done, total):
        """One line per batch for the big scales; quiet for small."""
        if self.scale.name != "small":
            self.out.write(f"  {label}: {done:,}/{total:,} ({done * 100 // total}%)\n")
            self.out.flush()

    def bulk_create(self, model, objects, label):
        """Insert in batches, reporting progress; returns the saved objects."""
        saved = []
        for start in range(0, len(objects), BATCH):
            saved.extend(model.objects.bulk_create(objects[start : start + BATCH]))
            self.progress(label, len(saved), len(objects))
        return saved


# One demo login per role; every other demo staff member shares the same password.
DEMO_LOGINS = [
    ("coordinator", Role.LIT_COORDINATOR, Discipline.COORDINATOR, "newfield-house"),
    ("practitioner", Role.LIT_PRACTITIONER, Discipline.OCCUPATIONAL_THERAPIST, "newfield-house"),
    ("ward", Role.WARD_STAFF, Discipline.NURSE, None),
    ("board", Role.PROGRAMME_BOARD, "", None),
    ("admin", Role.SYSTEM_ADMIN, "", None),
]

TEAM_DISCIPLINES = [
    (Discipline.NURSE, 2),
    (Discipline.OCCUPATIONAL_THERAPIST, 2),
    (Discipline.PHYSIOTHERAPIST, 2),
    (Discipline.SOCIAL_WORKER, 2),
    (Discipline.SUPPORT_WORKER, 3),
]


def seed_staff(ctx):
    """The demo logins (one per role) and each LIT's practitioners; returns the demo logins by name."""
    hashed = make_password(ctx.password)
    teams = {team.code: team for team in Team.objects.all()}
    logins = {}
    for name, role, discipline, team_code in DEMO_LOGINS:
        logins[name], _ = User.objects.update_or_create(
            email=f"{name}@{DEMO_DOMAIN}",
            defaults={
                "full_name": ctx.fake.name(),
                "role": role,
                "discipline": discipline,
                "team": teams.get(team_code),
                "password": hashed,
                "is_superuser": role == Role.SYSTEM_ADMIN,
                "is_active": True,
            },
        )
    for team in teams.values():
        _staff(ctx, team, Role.LIT_COORDINATOR, Discipline.COORDINATOR, 1, hashed)
        for discipline, per_team in TEAM_DISCIPLINES:
            _staff(ctx, team, Role.LIT_PRACTITIONER, discipline, per_team * ctx.scale.staff_per_discipline, hashed)
    return logins


def _staff(ctx, team, role, discipline, count, hashed):
    for n in range(1, count + 1):
        User.objects.update_or_create(
            email=f"{team.code}.{discipline}.{n}@{DEMO_DOMAIN}",
            defaults={
                "full_name": ctx.fake.name(),
                "role": role,
                "discipline": discipline,
                "team": team,
                "password": hashed,
                "is_active": True,
            },
        )
