"""Synthetic demo data: the shared context and the demo staff.

`manage.py seed_demo` calls each app's `demo.seed(ctx)` in dependency order. Everything is drawn
from one seeded random generator and one seeded Faker, with times relative to `ctx.as_of`, so the
same seed and date always give the same data. Only synthetic people: NHS numbers from the 999 range.
"""

import contextlib
import dataclasses
import datetime
import functools
import itertools
import operator
import random
import re
import sys
import types
import zoneinfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from faker import Faker

from caseload.models import Team
from ocit.models import Discipline, Role, User

BATCH = 5_000
DEMO_DOMAIN = "ocit.test"
COVENTRY_PATIENTS_A_YEAR = 6_000  # OCIT's first year: "more than 6,000 patients" [seed 000]
RAMP = datetime.timedelta(days=91)  # improvements reach their full effect three months after go-live

# A row to insert: a record's field values by attribute name (`team_id`, not `team`), cheap to make by the million
# where a model instance is not. Attributes that are not fields (a referral's `episode`, say) are left out.
Row = types.SimpleNamespace


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
    tz: zoneinfo.ZoneInfo = dataclasses.field(init=False)  # Coventry's

    def __post_init__(self):
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.rng = random.Random(self.seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(self.seed)
        _quicken(self.fake)

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
        return self.localdate(self.as_of)

    def localdate(self, moment):
        """The day in Coventry at a moment: `timezone.localdate` without its look-up of the active time zone (a
        thread-local), which costs seconds over the millions of dates of a big scale."""
        return moment.astimezone(self.tz).date()

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
        since = moment.astimezone(self.tz) - datetime.datetime.combine(self.go_live, datetime.time(), tzinfo=self.tz)
        return min(max(since / RAMP, 0.0), 1.0)

    def before_after(self, moment, before, after):
        """A rate of the demo at a moment: `before` go-live, moving to `after` as the improvements take effect."""
        return before + (after - before) * self.effect(moment)

    def weights_at(self, moment, table):
        """{key: rate at a moment} for a table of {key: (before, after)}, as `before_after` gives each, with the effect
        at the moment worked out once for them all."""
        effect = self.effect(moment)
        return {key: before + (after - before) * effect for key, (before, after) in table.items()}

    def by_day(self, moment, first=8, last=20):
        """The moment, or when it falls outside `first`:00 to `last`:00 Coventry time, a time in the first three
        hours of the next such day: home visits and discharges happen by day."""
        local = moment.astimezone(self.tz)
        if first <= local.hour < last:
            return moment
        day = local.date() + datetime.timedelta(days=1 if local.hour >= last else 0)
        start = datetime.datetime.combine(day, datetime.time(first), tzinfo=self.tz)
        return start.astimezone(datetime.UTC) + datetime.timedelta(minutes=self.rng.uniform(0, 180))

    def moment_between(self, start, end):
        """A random time between two datetimes."""
        return start + datetime.timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))

    def progress(self, label, done, total):
        """One line per batch for the big scales; quiet for small."""
        if self.scale.name != "small":
            self.out.write(f"  {label}: {done:,}/{total:,} ({done * 100 // total}%)\n")
            self.out.flush()

    def insert(self, model, rows, label=None):
        """Insert the rows in batches, reporting progress under `label`, and give each row its `id`.

        On PostgreSQL by binary COPY, with the ids taken from the table's sequence first: building, preparing and
        quoting millions of model instances for bulk_create took most of a big seed's time. Elsewhere (SQLite for
        `make run`) by bulk_create. A field a row leaves out takes its default, as on a model instance.
        """
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        now = timezone.now()  # `updated_at`, as bulk_create would set it
        defaults = {f.attname: now if getattr(f, "auto_now", False) else f.get_default() for f in fields}
        field_values = operator.itemgetter(*defaults)
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            values = [field_values({**defaults, **vars(row)}) for row in batch]
            if connection.vendor == "postgresql":
                ids = _copy(model, fields, values)
            else:
                saved = model.objects.bulk_create([model(**dict(zip(defaults, row, strict=True))) for row in values])
                ids = [obj.pk for obj in saved]
            for row, new_id in zip(batch, ids, strict=True):
                row.id = new_id
            if label:
                self.progress(label, start + len(batch), len(rows))


def _quicken(fake):
    """Take away Faker's big costs without changing a name it makes (the same random draws, in the same order): its
    weighted surnames are drawn by one `random.choices` over the same names and weights, added up once rather than all
    500 for every surname; a first name, title or street suffix is drawn by `random.choice`, as Faker draws from a
    list, without its machinery for weighted lists around it; a pattern such as "{{first_name}} {{last_name}}" is split
    into its text and its tokens once rather than by a regular expression for every name. A minute at the ICS scale.
    """
    choice, choices, fill = fake.random.choice, fake.random.choices, fake.format  # once, not through Faker's proxy
    person, address = fake.provider("faker.providers.person"), fake.provider("faker.providers.address")
    surnames, cumulative = tuple(person.last_names), list(itertools.accumulate(person.last_names.values()))
    fake.set_formatter("last_name", lambda: choices(surnames, cum_weights=cumulative)[0])
    for formatter, words in [
        ("first_name", person.first_names),
        ("first_name_female", person.first_names_female),
        ("first_name_male", person.first_names_male),
        ("prefix_female", person.prefixes_female),
        ("prefix_male", person.prefixes_male),
        ("street_suffix", address.street_suffixes),
    ]:
        fake.set_formatter(formatter, functools.partial(choice, words))
    patterns = {}  # pattern: [text, token, text, token, …, text]

    def parse(pattern):
        if pattern not in patterns:
            patterns[pattern] = re.split(r"\{\{\s*(\w+)\s*\}\}", pattern)
        pieces = patterns[pattern]
        return "".join(piece if n % 2 == 0 else str(fill(piece)) for n, piece in enumerate(pieces))

    fake.set_formatter("parse", parse)


def _copy(model, fields, values):
    """COPY rows of values (in the order of `fields`) into the model's table; returns their new ids, in order.

    The ids are a block taken from the table's sequence in one step (within `checked_after_loading` the load holds the
    table, so nobody else inserts meanwhile). The rows go in binary, each column as its type in the table: no text to
    format here or to parse on the server.
    """
    table, pk = model._meta.db_table, model._meta.pk
    columns = [pk.column, *(field.column for field in fields)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(seq, nextval(seq) + %s - 1) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) s",
            [len(values), table, pk.column],
        )
        (last,) = cursor.fetchone()
        cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass", [table])
        types = dict(cursor.fetchall())
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([types[column] for column in columns])
            ids = range(last - len(values) + 1, last + 1)
            for new_id, row in zip(ids, values, strict=True):
                copy.write_row((new_id, *row))
    return ids


@contextlib.contextmanager
def checked_after_loading(models):
    """Drop the tables' foreign keys and secondary indexes for a bulk load and add them back after it, in the
    caller's transaction: one index build and one check of each foreign key over millions of rows is far quicker than
    keeping every index up to date and checking every key row by row. Unique indexes stay (they are constraints).
    A failed load is rolled back, keys and indexes with it. PostgreSQL only; elsewhere nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # A table with foreign-key checks still pending (from the deletes of --replace) cannot be altered: check them
        # now, and the rest of the transaction's as they come.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


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
