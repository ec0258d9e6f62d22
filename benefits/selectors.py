"""Reads for the benefits dashboard: the facts the recompute aggregates, and the stored figures.

The facts are one row per record (episode, spell, NCTR period, referral, therapy contact), built from
the other apps' reporting selectors with dates as day numbers, so the metric SQL in `metrics.py` is
plain integer arithmetic on any database.
"""

import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncSecond
from django.utils import timezone

from benefits.models import (
    HEARTBEAT_TIMEOUT,
    Assumption,
    AssumptionKey,
    ExternalMeasure,
    MetricValue,
    RecomputeRun,
    RunStatus,
)
from caseload import selectors as caseload_selectors
from caseload.models import CARE_HOME_SEQUELS, LONG_TERM_SEQUELS, ContactLocation, Discipline, PackageStage
from discharge import selectors as discharge_selectors
from referrals import selectors as referrals_selectors

EPOCH = datetime.date(2000, 1, 1)  # day number 0 (a Saturday)


def day_number(day):
    return (day - EPOCH).days


def day_from_number(number):
    return EPOCH + datetime.timedelta(days=number)


class DayNumber(Func):
    """Days from 1 January 2000 to a date, as an integer."""

    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s)::date - DATE '2000-01-01')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2451544.5 AS INTEGER)", **extra
        )


class SixtyFifthBirthday(Func):
    """The date a person born on a date turns 65 (for a 29 February birthday: 28 February on PostgreSQL,
    1 March on SQLite)."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s + INTERVAL '65 years')::date", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, '+65 years')", **extra)


class LocalTime(Func):
    """A moment on Coventry's clock (a timestamp without a time zone), for the facts to take its day, month and
    time of day from. Converting each moment once is most of what building the facts costs."""

    output_field = DateTimeField()

    def as_postgresql(self, compiler, connection, **extra):
        zone = settings.TIME_ZONE  # a setting, never input
        return self.as_sql(compiler, connection, template=f"(%(expressions)s AT TIME ZONE '{zone}')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        moment = TruncSecond(*self.source_expressions, tzinfo=timezone.get_default_timezone())
        return moment.as_sql(compiler, connection, **extra)


# Day numbers, months and minutes of the day from a moment on the local clock, per database.
_LOCAL_PARTS = {
    "postgresql": {
        "day": "({}::date - DATE '2000-01-01')",
        "month": "(date_trunc('month', {})::date - DATE '2000-01-01')",
        "minute": "CAST(EXTRACT(HOUR FROM {0}) * 60 + EXTRACT(MINUTE FROM {0}) AS integer)",
        "date": "{}::date",
    },
    "sqlite": {
        "day": "CAST(julianday(date({})) - 2451544.5 AS INTEGER)",
        "month": "CAST(julianday(date({}, 'start of month')) - 2451544.5 AS INTEGER)",
        "minute": "(CAST(strftime('%%H', {0}) AS INTEGER) * 60 + CAST(strftime('%%M', {0}) AS INTEGER))",
        "date": "date({})",
    },
}


def _on_local_clock(queryset, moments, *, aged_65=(), latest=None):
    """The facts' SQL and parameters: the queryset selects each moment once on the local clock (`<name>_local`)
    and, in an outer SELECT, its day number, month and minute of the day are taken from that. `aged_65` is
    [(column, moment)]: whether the person was 65 or over (against `turns_65_on`) on the day of that moment.
    `latest` is (name, a queryset of `of` and `latest`, a date), joined on the fact's id: the latest date of each
    fact as `<name>_day`, found in one grouped pass rather than looked up fact by fact."""
    sql, params = queryset.order_by().query.sql_with_params()
    parts = _LOCAL_PARTS[connection.vendor]
    columns = [
        f"{parts[part].format(f'q.{name}_local')} AS {name}_{part}"
        for name, wanted in moments.items()
        for part in wanted
    ]
    for column, moment in aged_65:
        on_the_day = parts["date"].format(f"q.{moment}_local")
        columns.append(f"CASE WHEN {on_the_day} >= q.turns_65_on THEN 1 ELSE 0 END AS {column}")
    join = ""
    if latest:
        name, dates = latest
        dates_sql, dates_params = dates.order_by().query.sql_with_params()
        columns.append(f"{parts['day'].format('n.latest')} AS {name}_day")
        join, params = f" LEFT JOIN ({dates_sql}) n ON n.of = q.id", (*params, *dates_params)
    # OFFSET 0 keeps PostgreSQL from folding the subquery into the outer SELECT (and converting again).
    inner = f"{sql} OFFSET 0" if connection.vendor == "postgresql" else sql
    return f"SELECT q.*, {', '.join(columns)} FROM ({inner}) q{join}", params  # noqa: S608


def _plus(field, **delta):
    return ExpressionWrapper(OuterRef(field) + datetime.timedelta(**delta), output_field=DateTimeField())


def _episodes_with(admissions, field, **window):
    """Episodes with an emergency admission from the referral until `window` after `field`."""
    within = admissions.filter(admitted_at__lt=_plus(field, **window))
    return caseload_selectors.episodes_for_reporting().filter(Exists(within)).values("pk")


def episode_facts(*, since, now):
    """One row per episode that can touch a period from `since` (None: every episode): (SQL, parameters)."""
    admissions = discharge_selectors.emergency_admissions().filter(
        patient=OuterRef("patient"), admitted_at__gte=OuterRef("received_at")
    )
    episodes = caseload_selectors.episodes_for_reporting()
    if since:
        episodes = episodes.filter(
            Q(received_at__date__gte=since) | Q(closed_at__isnull=True) | Q(closed_at__date__gte=since)
        )
    facts = episodes.alias(
        # Joined, not looked up per episode: at most one end package each (a constraint).
        end_package=FilteredRelation("packages", condition=Q(packages__stage=PackageStage.END)),
    ).values(
        "id",
        "patient_id",
        "team_id",
        "service",
        "source",
        "sequel",
        received_local=LocalTime("received_at"),
        closed_local=LocalTime("closed_at"),
        turns_65_on=SixtyFifthBirthday("patient__date_of_birth"),
        response_known=Case(When(Q(first_contact_at__isnull=False) | Q(due_by__lte=now), then=1), default=0),
        response_met=Case(When(first_contact_at__lte=F("due_by"), then=1), default=0),
        # Each set found in one pass (a semi-join, then hashed), not looked up episode by episode.
        admitted_within_7_days=Case(
            When(pk__in=_episodes_with(admissions, "closed_at", days=7), then=True), default=False
        ),
        conveyed_within_24_hours=Case(
            When(pk__in=_episodes_with(admissions, "received_at", hours=24), then=True), default=False
        ),
        end_hours=F("end_package__hours_per_week"),
    )
    # The minute of the day received is for the service's hours (UCR, 08:00 to 20:00 on Coventry's clock).
    # Age is judged on the day of the referral; for a move into a care home, on the day of the move.
    return _on_local_clock(
        facts,
        {"received": ("day", "month", "minute"), "closed": ("day", "month")},
        aged_65=[("aged_65", "received"), ("closed_aged_65", "closed")],
    )


def closure_facts(*, since):
    """One narrow row per episode closed from `since`: what its closure started (a long-term package's weekly
    hours, a permanent care-home place). The savings that build up over months read these from go-live
    (or a year before the recomputed periods), however few periods the run recomputes."""
    episodes = caseload_selectors.episodes_for_reporting().filter(closed_at__isnull=False)
    if since:
        episodes = episodes.filter(closed_at__date__gte=since)
    facts = episodes.alias(
        end_package=FilteredRelation("packages", condition=Q(packages__stage=PackageStage.END)),
    ).values(
        "team_id",
        closed_local=LocalTime("closed_at"),
        turns_65_on=SixtyFifthBirthday("patient__date_of_birth"),
        long_term_hours=Case(
            When(sequel__in=LONG_TERM_SEQUELS, then=F("end_package__hours_per_week")),
            default=None,
            output_field=DecimalField(max_digits=5, decimal_places=2),
        ),
        care_home=Case(When(sequel__in=CARE_HOME_SEQUELS, then=Value(1)), default=Value(0)),
    )
    return _on_local_clock(facts, {"closed": ("day",)}, aged_65=[("aged_65", "closed")])


def spell_facts(*, since):
    spells = discharge_selectors.spells_for_reporting()
    if since:
        spells = spells.filter(Q(discharged_at__isnull=True) | Q(discharged_at__date__gte=since))
    facts = spells.values(
        "id",
        "patient_id",
        "pathway",
        "destination",
        "follow_up_91",
        team_id=F("patient__team_id"),
        admitted_local=LocalTime("admitted_at"),
        discharged_local=LocalTime("discharged_at"),
        turns_65_on=SixtyFifthBirthday("patient__date_of_birth"),
        # Only the stays OCIT took on count towards its benefits: a referral it declined, redirected or that was
        # withdrawn does not.
        ocit_accepted=Case(
            When(pk__in=referrals_selectors.referrals_accepted_for_reporting().values("spell"), then=True),
            default=False,
        ),
    )
    # The discharge ready date: the start of the latest no-criteria-to-reside period.
    ready = discharge_selectors.nctr_periods_for_reporting().values(of=F("spell_id")).annotate(latest=Max("started_on"))
    return _on_local_clock(
        facts,
        {"admitted": ("day",), "discharged": ("day", "month")},
        aged_65=[("aged_65", "discharged")],
        latest=("ready", ready),
    )


def nctr_facts(*, since):
    periods = discharge_selectors.nctr_periods_for_reporting()
    if since:
        periods = periods.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=since))
    facts = periods.values(
        "id",
        "spell_id",
        patient_id=F("spell__patient_id"),
        team_id=F("spell__patient__team_id"),
        began_day=DayNumber("started_on"),
        began_month=DayNumber(TruncMonth("started_on")),
        ended_day=DayNumber(Coalesce("ended_on", TruncDate("spell__discharged_at"))),
    )
    return facts.order_by().query.sql_with_params()


def referral_facts(*, since):
    referrals = referrals_selectors.referrals_for_reporting()
    if since:
        referrals = referrals.filter(Q(received_at__date__gte=since) | Q(decided_at__date__gte=since))
    facts = referrals.values(
        "id",
        "patient_id",
        "source",
        "status",
        team_id=F("patient__team_id"),
        received_local=LocalTime("received_at"),
        decided_local=LocalTime("decided_at"),
        ward_within_24_hours=Case(
            When(spell__admitted_at__gte=F("received_at") - datetime.timedelta(hours=24), then=1), default=0
        ),
        from_spell=Case(When(spell__isnull=False, then=1), default=0),
    )
    return _on_local_clock(facts, {"received": ("day", "month"), "decided": ("day", "month")})


def contact_facts(*, since):
    """Therapy at or near home: attended occupational therapy and physiotherapy contacts at home or in a clinic."""
    contacts = caseload_selectors.contacts_for_reporting().filter(
        attended=True,
        location__in=[ContactLocation.HOME, ContactLocation.CLINIC],
        discipline__in=[Discipline.OCCUPATIONAL_THERAPIST, Discipline.PHYSIOTHERAPIST],
    )
    if since:
        contacts = contacts.filter(at__date__gte=since)
    facts = contacts.values(
        "id",
        patient_id=F("episode__patient_id"),
        team_id=F("episode__team_id"),
        at_local=LocalTime("at"),
    )
    return _on_local_clock(facts, {"at": ("day", "month")})


def external_facts(*, since):
    measures = ExternalMeasure.objects.all()
    if since:
        measures = measures.filter(on__gte=since)
    facts = measures.values("measure", "value", on_day=DayNumber("on"), on_month=DayNumber(TruncMonth("on")))
    return facts.order_by().query.sql_with_params()


def assumptions_by_key():
    """{key: [(effective_from, value), ...] newest first}."""
    values = {}
    for assumption in Assumption.objects.order_by("key", "-effective_from"):
        values.setdefault(assumption.key, []).append((assumption.effective_from, assumption.value))
    return values


def assumptions_fingerprint():
    """A digest of every assumption row: it changes when any value, date or source does, by whatever path (the
    admin, a data migration, `seed_demo`). Made in the database, so a cache key read on every request builds no
    models; on SQLite (the demo), the rows themselves."""
    if connection.vendor != "postgresql":
        return list(Assumption.objects.order_by("pk").values_list("pk", "key", "effective_from", "value", "source"))
    with connection.cursor() as cursor:
        cursor.execute(ASSUMPTIONS_DIGEST)
        return cursor.fetchone()[0]


ASSUMPTIONS_DIGEST = (
    "SELECT md5(string_agg(concat_ws('|', id, key, effective_from, value, source), ',' ORDER BY id)) "
    "FROM benefits_assumption"
)


def _runs():
    """Recompute runs, each (on PostgreSQL) with the assumptions' fingerprint as they stand now: the pages that read
    the last run also key their cached figures by the fingerprint, which so costs them no query of its own."""
    if connection.vendor != "postgresql":
        return RecomputeRun.objects.all()
    fingerprint = RawSQL(ASSUMPTIONS_DIGEST, ())  # noqa: S611 (a constant: no parameters)
    return RecomputeRun.objects.annotate(assumptions_fingerprint=fingerprint)


def live_from(values):
    """The first day OCIT was live (the `ocit_live` assumption above 0), or None: no saving is counted before it."""
    return min((day for day, value in values.get(AssumptionKey.OCIT_LIVE, []) if value > 0), default=None)


def assumption_in_force(values, key, day):
    """(value, effective from) in force on `day`: the latest from on or before it, or the earliest if `day`
    precedes them all; (None, None) for an assumption with no value."""
    history = values.get(key, [])
    for effective_from, value in history:
        if effective_from <= day:
            return value, effective_from
    return (history[-1][1], history[-1][0]) if history else (None, None)


def earliest_change_since(moment):
    """The earliest day any record or assumption changed since `moment` could affect."""
    days = [
        caseload_selectors.earliest_change_since(moment),
        discharge_selectors.earliest_change_since(moment),
        referrals_selectors.earliest_change_since(moment),
        min(Assumption.objects.filter(changed_at__gte=moment).values_list("effective_from", flat=True), default=None),
        min(ExternalMeasure.objects.filter(imported_at__gte=moment).values_list("on", flat=True), default=None),
    ]
    return min((day for day in days if day), default=None)


def earliest_record_day():
    days = [
        caseload_selectors.episodes_for_reporting().aggregate(day=Min("received_at"))["day"],
        discharge_selectors.spells_for_reporting().aggregate(day=Min("admitted_at"))["day"],
        referrals_selectors.referrals_for_reporting().aggregate(day=Min("received_at"))["day"],
    ]
    days = [timezone.localdate(day) for day in days if day]
    external = ExternalMeasure.objects.aggregate(day=Min("on"))["day"]
    return min([*days, *([external] if external else [])], default=None)


class FigureRecord(NamedTuple):
    id: int
    patient_id: int
    team_id: int
    met: int
    value: object


# Each kind of fact the recompute builds a table of (`benefits_<name>_facts`), and the drill-down reads.
FACTS = {
    "episode": episode_facts,
    "closure": closure_facts,
    "spell": spell_facts,
    "nctr": nctr_facts,
    "referral": referral_facts,
    "contact": contact_facts,
    "external": external_facts,
}


def facts_sql(facts, *, since, now):
    """(SQL, parameters) of one kind of fact from `since` (None: all); episodes need `now` for their clocks."""
    return facts(since=since, now=now) if facts is episode_facts else facts(since=since)


class _Median:
    def __getitem__(self, expression):
        if connection.vendor == "postgresql":
            return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression})"
        return f"benefits_median({expression})"


def dialect(*, today, earliest=None):
    """What a metric's SQL says differently on each database, and the days it names (`metrics` module)."""
    postgres = connection.vendor == "postgresql"
    return {
        "median": _Median(),
        "true": "TRUE" if postgres else "1",
        "false": "FALSE" if postgres else "0",
        "today": day_number(today),
        "first": day_number(earliest) if earliest else 0,
    }


def figure_records(*, records, start, end, team=None, today=None, now=None, value="NULL"):
    """The records behind a figure for the days `start` to `end` (exclusive), for a LIT or all of OCIT.

    The same facts and the same condition (a metric's `records`) as the recompute, so the list always has as many
    rows as the figure counts; give `now` (and `today`) of the run that made the figure. Returns `FigureRecord`s:
    `met` says whether a share counts the record, `value` is an expression of its facts (a constant of this
    module's callers, never input).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    words = dialect(today=today)
    # Only the facts that can touch the period (the same cut as an incremental recompute).
    facts, params = facts_sql(FACTS[records.table], since=start, now=now)
    lower, upper = day_number(start), day_number(end)
    if records.until:  # open on some day of the period: from before its end, until after its start
        when = f"f.{records.day}_day < %s AND COALESCE(f.{records.until}_day, {words['today']} + 1) > %s"
        when_params = [upper, lower]
    else:
        when = f"f.{records.day}_day >= %s AND f.{records.day}_day < %s"
        when_params = [lower, upper]
    values = assumptions_by_key()
    in_force = ", ".join(f"%s AS {key}" for key in AssumptionKey.values)
    in_force_params = [float(assumption_in_force(values, key, start)[0] or 0) for key in AssumptionKey.values]
    team_condition = "AND f.team_id = %s" if team is not None else ""
    met = records.met.format(**words) if records.met else "1 = 1"
    sql = (
        f"SELECT f.id, f.patient_id, f.team_id, CASE WHEN {met} THEN 1 ELSE 0 END, {value} FROM ({facts}) f "  # noqa: S608
        f"CROSS JOIN (SELECT {in_force}) c WHERE {when} AND {records.where.format(**words)} {team_condition} "
        "ORDER BY f.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *in_force_params, *when_params, *([team.pk] if team is not None else [])])
        return [FigureRecord(*row) for row in cursor.fetchall()]


def figure_listing(*, user, records, ids):
    """The records (or, for a figure that counts people, the patients) with these ids that the user may see, in
    one query, for the drill-down page."""
    if records.counts_people:
        return caseload_selectors.patients_by_ids(user=user, ids=ids)
    listing = {
        "episode": caseload_selectors.episodes_by_ids,
        "spell": discharge_selectors.spells_by_ids,
        "nctr": discharge_selectors.nctr_periods_by_ids,
        "referral": referrals_selectors.referrals_by_ids,
    }[records.table]
    return listing(user=user, ids=ids)


def last_successful_run():
    return _runs().filter(status=RunStatus.SUCCEEDED).order_by("-finished_at").first()


def latest_run(*, now=None):
    """The run started last. Only one runs at a time, so only the latest can be a run whose worker was killed: it is
    marked abandoned (`abandon_stale`) when it shows no sign of life, which costs a write only then."""
    now = now or timezone.now()
    latest = _runs().order_by("-started_at").first()
    if latest and latest.status == RunStatus.RUNNING and latest.heartbeat_at < now - HEARTBEAT_TIMEOUT:
        RecomputeRun.objects.abandon_stale(now)
        latest.refresh_from_db()
    return latest


def metric_values(*, metric=None, period, team=None, all_teams=False, start=None, end=None):
    values = MetricValue.objects.filter(period=period)
    if metric:
        values = values.filter(metric=metric)
    if not all_teams:
        values = values.filter(team=team) if team else values.filter(team__isnull=True)
    if start:
        values = values.filter(period_start__gte=start)
    if end:
        values = values.filter(period_start__lte=end)
    return values.order_by("metric", "period_start")
