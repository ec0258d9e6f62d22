"""The patient's whole story on one timeline, newest first.

Each kind of entry (hospital stays, referrals, episodes, contacts, ...) has a source: a function of the patient
and the user that returns the entries that user may see, in a fixed number of queries however long the history.
The caseload registers its own kinds here; the hospital side and referrals register theirs in their AppConfig's
`ready()`, which keeps this app from importing them.
"""

import dataclasses
import datetime
from collections.abc import Callable

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from caseload.models import Allocation, CarePackage, Contact, Episode, Equipment, Goal
from ocit.roles import can


@dataclasses.dataclass(frozen=True)
class Entry:
    when: datetime.datetime
    kind: str
    event: str  # what happened, for the kind's template ("admitted", "moved", "closed", ...)
    item: object
    whole_day: bool = False  # recorded as a date, not a moment

    @property
    def template(self):
        return KINDS[self.kind].template


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    label: str
    template: str
    source: Callable


KINDS = {}


def register(name, label, template, source):
    KINDS[name] = Kind(name, label, template, source)


def on_day(day):
    """The start of a local calendar day, for things recorded as a date."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def story(*, patient, user, kinds=()):
    """Every entry of the chosen kinds (all when none are chosen) the user may see, newest first."""
    entries = []
    for kind in KINDS.values():
        if not kinds or kind.name in kinds:
            entries += kind.source(patient=patient, user=user)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


# The caseload's own kinds: LIT staff see them all; nobody else sees any.


def _newest_first(row):
    """The story's queries ask for no order: the story sorts every entry by time, and an ORDER BY costs each query
    more to build than to run. Entries at the same time keep this order: the last recorded first."""
    return -row.pk


def _episodes_of(patient):
    """The patient's episodes, read once for all the caseload's kinds: theirs are found by episode id, with no join,
    and given their episode from here."""
    episodes = Episode.objects.select_related("team").order_by()
    prefetch_related_objects([patient], Prefetch("episodes", queryset=episodes))
    return {episode.pk: episode for episode in sorted(patient.episodes.all(), key=_newest_first)}


def patient_episodes(*, patient, user):
    """The patient's episodes the user may see, newest first: those the story read, when it has read them."""
    if not can(user, "caseload.view"):
        return []
    return sorted(_episodes_of(patient).values(), key=lambda episode: (episode.received_at, episode.pk), reverse=True)


def _episodes(*, patient, user):
    if not can(user, "caseload.view"):
        return []
    episodes = _episodes_of(patient).values()
    entries = [Entry(episode.received_at, "episode", "opened", episode) for episode in episodes]
    return entries + [Entry(e.closed_at, "episode", "closed", e) for e in episodes if e.closed_at]


def _of_episodes(model, when, related=(), whole_day=False):
    def source(*, patient, user):
        if not can(user, "caseload.view"):
            return []
        episodes = _episodes_of(patient)
        rows = model.objects.filter(episode__in=list(episodes)).order_by()
        if related:  # select_related() with no names would join every relation, the episode's patient and LITs too
            rows = rows.select_related(*related)
        rows = sorted(rows, key=_newest_first)
        for row in rows:
            row.episode = episodes[row.episode_id]
        kind = model._meta.model_name
        return [Entry(when(row), kind, kind, row, whole_day) for row in rows]

    return source


def register_caseload_kinds():
    register("episode", "Episodes", "caseload/timeline/_episode.html", _episodes)
    register(
        "allocation",
        "Allocations",
        "caseload/timeline/_allocation.html",
        _of_episodes(Allocation, lambda row: row.started_at, ["practitioner"]),
    )
    register(
        "contact",
        "Contacts",
        "caseload/timeline/_contact.html",
        _of_episodes(Contact, lambda row: row.at, ["practitioner"]),
    )
    register("goal", "Goals", "caseload/timeline/_goal.html", _of_episodes(Goal, lambda row: row.created_at))
    register(
        "carepackage",
        "Care packages",
        "caseload/timeline/_package.html",
        _of_episodes(CarePackage, lambda row: on_day(row.effective_on), whole_day=True),
    )
    register(
        "equipment",
        "Equipment",
        "caseload/timeline/_equipment.html",
        _of_episodes(Equipment, lambda row: on_day(row.provided_on), whole_day=True),
    )
