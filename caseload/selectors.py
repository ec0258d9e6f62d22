"""Reads for the shared caseload, always scoped to what the user may see."""

import logging
import uuid

import redis
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from caseload.models import (
    Allocation,
    AllocationRole,
    CarePackage,
    Contact,
    Episode,
    EpisodeStatus,
    Goal,
    GoalStatus,
    Locality,
    Patient,
    PatientName,
    Team,
)
from ocit.identifiers import normalise_nhs_number
from ocit.models import LIT_ROLES, User
from ocit.roles import can

logger = logging.getLogger(__name__)


def patients_for(*, user):
    """Every LIT member sees the whole shared caseload; ward staff see the people who have stayed on their wards;
    nobody else sees patients."""
    patients = Patient.objects.select_related("team")
    if can(user, "caseload.view"):
        return patients
    if can(user, "patient.view"):
        return patients.filter(pk__in=user.wards.values("spells__patient"))
    return patients.none()


def patient_get(*, user, pk):
    """The patient, or 404 when the user may not see them (never 403: nothing leaks), with their hospital stay now
    (`in_hospital_ward`, `in_hospital_ready_on`)."""
    return get_object_or_404(in_hospital(patients_for(user=user), patient="pk"), pk=pk)


def patient_search(*, user, query="", team=None):
    patients = patients_for(user=user)
    if team:
        patients = patients.filter(team=team)
    query = query.strip()
    if query:
        try:
            patients = patients.filter(nhs_number=normalise_nhs_number(query))
        except ValidationError:
            for word in query.split():
                patients = patients.filter(Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return patients


def teams():
    return Team.objects.filter(is_active=True)


TEAMS_VERSION = "caseload:teams-version"
_teams = {}  # this process's copy of the active LITs, and the shared version it was read at


def active_teams():
    """The active LITs in name order, as reference data: every filtered list reads them (its LIT filter checks the
    code asked for and draws the choices), so each process keeps a copy and reads them again only when the shared
    version in the cache has moved on, which `forget_teams` does after any change to a LIT. One cache read instead
    of one or two queries a page; with the cache down, the query."""
    try:
        version = cache.get(TEAMS_VERSION)
    except redis.RedisError:
        return list(teams())
    if "teams" not in _teams or _teams["version"] != version:
        _teams.update(version=version, teams=list(teams()))
    return _teams["teams"]


def forget_teams(**kwargs):
    """A LIT was saved or deleted (signals, connected in `caseload.apps`): this process reads them again at once,
    and every other process once the change is committed."""
    _teams.clear()

    def move_on():
        try:
            cache.set(TEAMS_VERSION, uuid.uuid4().hex, None)
        except redis.RedisError:
            logger.warning("The cache is not answering: other processes keep their LITs until restarted", exc_info=True)

    transaction.on_commit(move_on)


def patient_get_for_audit(*, pk):
    """For the access-history page: coordinators and administrators may see who looked at any record."""
    return get_object_or_404(Patient, pk=pk)


def patient_by_nhs_number(*, nhs_number):
    return Patient.objects.filter(nhs_number=nhs_number).first()


# Episodes -------------------------------------------------------------------------------------------


def episodes_for(*, user):
    """The shared caseload: every LIT member sees every episode; nobody else sees them."""
    if can(user, "caseload.view"):
        return Episode.objects.select_related("patient", "team")
    return Episode.objects.none()


def episodes_by_ids(*, user, ids):
    """The episodes with these ids that the user may see (for a list of the records behind a figure)."""
    return episodes_for(user=user).filter(pk__in=ids).order_by("received_at", "pk")


def patients_by_ids(*, user, ids):
    return patients_for(user=user).filter(pk__in=ids).order_by("family_name", "given_name", "pk")


def episode_get(*, user, pk):
    return get_object_or_404(episodes_for(user=user), pk=pk)


def _with_keyworker(episodes):
    """Annotate the current keyworker's id and name with one LEFT JOIN (an episode has at most one
    current keyworker: a database constraint), so sorting by keyworker stays cheap."""
    return episodes.annotate(
        keyworker=FilteredRelation(
            "allocations", condition=Q(allocations__ended_at=None, allocations__role=AllocationRole.KEYWORKER)
        ),
        keyworker_id=F("keyworker__practitioner_id"),
        keyworker_name=F("keyworker__practitioner__full_name"),
        keyworker_discipline=F("keyworker__discipline"),
        keyworker_since=F("keyworker__started_at"),
    )


def patient_columns(patient="patient"):
    """What an API list shows of each row's patient, as columns of the list's own query rather than a patient built
    in Python for every row: read by `serializers.PatientNameField` and the lists' `nhs_number`."""
    return {
        "patient_given_name": F(f"{patient}__given_name"),
        "patient_family_name": F(f"{patient}__family_name"),
        "nhs_number": F(f"{patient}__nhs_number"),
    }


def episodes_with_keyworker(*, user):
    """`episodes_for`, each with its current keyworker's id, name, discipline and start joined in (`keyworker_*`)."""
    return _with_keyworker(episodes_for(user=user))


def in_hospital(rows, patient="patient"):
    """Annotate, in the same query, the ward of the patient's open hospital stay (None when they are not in hospital)
    and, when they no longer meet the criteria to reside, their discharge ready date. `rows` are episodes, or
    patients with `patient="pk"`. The stay is reached through the patient's reverse relation, which keeps this
    app from importing the hospital side."""
    stay = Patient._meta.get_field("spells").related_model
    period = stay._meta.get_field("nctr_periods").related_model
    open_stay = stay.objects.filter(patient=OuterRef(patient), discharged_at=None)
    ready = period.objects.filter(spell__patient=OuterRef(patient), spell__discharged_at=None, ended_on=None)
    return rows.annotate(
        in_hospital_ward=Subquery(open_stay.values("ward__name")[:1]),
        in_hospital_ready_on=Subquery(ready.values("started_on")[:1]),
    )


def triage_board(*, user):
    """Every episode awaiting allocation across the three LITs, the least time left first (those whose clock has
    not started, the patient still in hospital, last)."""
    return in_hospital(episodes_for(user=user).filter(status=EpisodeStatus.AWAITING_ALLOCATION)).order_by(
        F("due_by").asc(nulls_last=True), "pk"
    )


def open_episodes(*, user):
    return _with_keyworker(open_episodes_to_count(user=user))


def open_episodes_to_count(*, user):
    """`open_episodes` without their keyworkers: the same rows, for counting them."""
    return episodes_for(user=user).exclude(status=EpisodeStatus.CLOSED)


def my_caseload(*, user):
    """The practitioner's open episodes, with their next planned contact and overdue goals counted: people not yet
    seen first (a new allocation), then by the next planned contact."""
    today = timezone.localdate()
    episodes = _allocated_to(user).annotate(
        overdue_goals=Count(
            "goals", filter=Q(goals__status=GoalStatus.OPEN, goals__target_date__lt=today), distinct=True
        ),
        not_yet_seen=Case(When(first_contact_at__isnull=True, then=Value(0)), default=Value(1)),
    )
    return in_hospital(episodes).order_by(
        "not_yet_seen", F("next_contact_on").asc(nulls_last=True), F("due_by").asc(nulls_last=True), "pk"
    )


def todays_visits(*, user):
    """The practitioner's open episodes for the Today page: planned contacts due today or overdue first, then the
    rest of their list; each with its keyworker, open goals and last contact (two queries in all)."""
    today = timezone.localdate()
    last = Contact.objects.filter(episode=OuterRef("pk")).order_by("-at", "-id")
    episodes = _with_keyworker(_allocated_to(user)).annotate(
        planned_today=Case(When(next_contact_on__lte=today, then=Value(0)), default=Value(1)),
        last_contact_at=Subquery(last.values("at")[:1]),
        last_contact_notes=Subquery(last.values("notes")[:1]),
        last_contact_by=Subquery(last.values("practitioner__full_name")[:1]),
    )
    episodes = episodes.prefetch_related(
        Prefetch("goals", queryset=Goal.objects.filter(status=GoalStatus.OPEN), to_attr="open_goals")
    )
    return episodes.order_by("planned_today", F("next_contact_on").asc(nulls_last=True), "patient__family_name", "pk")


def _allocated_to(user):
    """Open episodes the user is allocated to now (as keyworker or alongside)."""
    return (
        episodes_for(user=user)
        .exclude(status=EpisodeStatus.CLOSED)
        .filter(allocations__practitioner=user, allocations__ended_at=None)
    )


# What the team caseload's rows show of each episode and its patient: a page reads these columns alone.
TEAM_CASELOAD_COLUMNS = [
    "service", "priority", "received_at", "due_by", "first_contact_at", "next_contact_on", "team__name",
    "patient__given_name", "patient__family_name", "patient__date_of_birth",
]  # fmt: skip


def team_caseload(*, user, team=None):
    """Open episodes of one LIT (or all three), by keyworker; unallocated ones first: with their patients joined in,
    the columns the rows show alone (`TEAM_CASELOAD_COLUMNS`). The page's episodes are picked by id first (see
    `views.team`), so the join reads only the page's patients."""
    episodes = open_episodes(user=user).only(*TEAM_CASELOAD_COLUMNS)
    if team is not None:
        episodes = episodes.filter(team=team)
    return in_hospital(episodes).order_by(
        F("keyworker_name").asc(nulls_first=True), F("due_by").asc(nulls_last=True), "pk"
    )


def caseload_by_discipline(*, user, team=None):
    """Open episodes per keyworker discipline (capacity at a glance), one query."""
    allocations = Allocation.objects.filter(
        ended_at=None, role=AllocationRole.KEYWORKER, episode__status=EpisodeStatus.ACTIVE
    )
    if not can(user, "caseload.view"):
        return {}
    if team is not None:
        allocations = allocations.filter(episode__team=team)
    # Counted from the current-keyworker index alone (it holds the episode and the discipline).
    return dict(allocations.values_list("discipline").annotate(n=Count("episode")).order_by("discipline"))


def allocatable_staff(*, team, discipline=""):
    """Active practitioners and coordinators of the episode's LIT, optionally of one discipline."""
    staff = User.objects.filter(is_active=True, role__in=LIT_ROLES, team=team)
    if discipline:
        staff = staff.filter(discipline=discipline)
    return staff.order_by("full_name")


def current_keyworker(*, episode):
    return (
        episode.allocations.filter(ended_at=None, role=AllocationRole.KEYWORKER)
        .select_related("practitioner", "allocated_by")
        .first()
    )


def episode_timeline(*, episode):
    return {
        "allocations": episode.allocations.select_related("practitioner", "allocated_by"),
        "contacts": episode.contacts.select_related("practitioner"),
        "goals": episode.goals.all(),
        "packages": episode.packages.all(),
        "equipment": episode.equipment.all(),
    }


# Search ---------------------------------------------------------------------------------------------


def patient_find(*, user, query="", date_of_birth=None, limit=50):
    """By NHS number (any spacing), or by name (and date of birth), tolerant of typos on PostgreSQL."""
    patients = patients_for(user=user)
    query = query.strip()
    try:
        return patients.filter(nhs_number=normalise_nhs_number(query))
    except ValidationError:
        pass
    if date_of_birth:
        patients = patients.filter(date_of_birth=date_of_birth)
    if not query:
        return patients if date_of_birth else patients.none()
    # The best `limit` matches, read once: a page of them then needs no second pass of the search to count them.
    if connection.vendor == "postgresql":
        return list(_similar_names(patients, query)[:limit])
    for word in query.split():
        patients = patients.filter(Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return list(patients[:limit])


def _similar_names(patients, query):
    """The patients with a given or family name trigram-similar to a word typed, best first. The similar names are
    found among the distinct names (`PatientName`, a few thousand), then their patients by the lower-cased names'
    indexes: matching the patients' own names would recheck every patient sharing a trigram with the word."""
    words = query.lower().split()
    similar = Q()
    for word in words:
        similar |= Q(name__trigram_similar=word)
    names = list(PatientName.objects.filter(similar).values_list("name", flat=True))
    family = Lower("family_name")
    given = Lower("given_name")
    score = None
    for word in words:
        term = Greatest(TrigramSimilarity(family, word), TrigramSimilarity(given, word))
        score = term if score is None else score + term
    return (
        patients.annotate(family_lower=family, given_lower=given)
        .filter(Q(family_lower__in=names) | Q(given_lower__in=names))
        .annotate(score=score)
        .order_by("-score", "family_name", "given_name")
    )


def likely_duplicates(*, nhs_number=None, given_name="", family_name="", date_of_birth=None):
    """Patients who may be the same person as the one about to be created."""
    matches = Q()
    if nhs_number:
        matches |= Q(nhs_number=nhs_number)
    if date_of_birth and family_name:
        same_birthday = Patient.objects.filter(date_of_birth=date_of_birth)
        if connection.vendor == "postgresql":
            similar = _similar_names(same_birthday, f"{given_name} {family_name}").filter(score__gte=0.6)
        else:
            similar = same_birthday.filter(family_name__iexact=family_name.strip())
        matches |= Q(pk__in=similar.values("pk"))
    if not matches:
        return Patient.objects.none()
    return Patient.objects.filter(matches).select_related("team")


# Reporting: unscoped querysets for aggregate figures only (the benefits recompute), never for pages.


def episodes_for_reporting():
    return Episode.objects.all()


def contacts_for_reporting():
    return Contact.objects.all()


def team_populations():
    """Residents aged 65+ per LIT from its localities: {team_id: population}."""
    rows = Locality.objects.values("team").annotate(population=Sum("population_65_plus"))
    return {row["team"]: row["population"] or 0 for row in rows}


def earliest_change_since(moment):
    """The earliest day whose figures records changed since `moment` could affect (None when nothing changed)."""
    days = [
        Episode.objects.filter(updated_at__gte=moment).aggregate(day=Min("received_at"))["day"],
        Contact.objects.filter(created_at__gte=moment).aggregate(day=Min("at"))["day"],
        CarePackage.objects.filter(created_at__gte=moment).aggregate(day=Min("episode__received_at"))["day"],
    ]
    return min((timezone.localdate(day) for day in days if day), default=None)
