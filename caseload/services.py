"""Writes to the shared caseload. Each runs in a transaction, checks the rules, and writes the audit trail.

Two people may edit a patient or an episode at once: both carry a `version`, and a write against an
old version raises `StaleVersion` with the current values instead of silently overwriting.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from caseload.models import (
    FACE_TO_FACE,
    Allocation,
    AllocationRole,
    CarePackage,
    Contact,
    Episode,
    EpisodeStatus,
    Equipment,
    Goal,
    GoalStatus,
    Locality,
    PackageStage,
    Patient,
    ResponseStandard,
    Sequel,
)
from ocit import audit, clock
from ocit.errors import Conflict
from ocit.identifiers import normalise_nhs_number, normalise_postcode, postcode_district
from ocit.models import LIT_ROLES, AuditAction
from ocit.roles import can

# The episode workflow: (from, to) → the capability needed to make the move.
EPISODE_MOVES = {
    (EpisodeStatus.AWAITING_ALLOCATION, EpisodeStatus.ACTIVE): "caseload.allocate",
    (EpisodeStatus.AWAITING_ALLOCATION, EpisodeStatus.CLOSED): "caseload.allocate",
    (EpisodeStatus.ACTIVE, EpisodeStatus.CLOSED): "patient.edit",
}
# Sequels for which no closing care package is asked: the person never had or no longer needs one here.
NO_PACKAGE_SEQUELS = {Sequel.DECLINED, Sequel.DIED, Sequel.ADMITTED_TO_HOSPITAL}
# How far ahead of the server clock a recorded time may be (a device clock running a little fast).
CLOCK_SKEW = datetime.timedelta(minutes=5)


class StaleVersion(Conflict):
    def __init__(self, obj, current):
        super().__init__(
            f"This {obj._meta.verbose_name} was changed by someone else since you opened it. "
            "Check the current values and make your change again.",
            current=current,
            version=obj.version,
        )


def _move(*, actor, episode, to):
    capability = EPISODE_MOVES.get((episode.status, to))
    if capability is None:
        allowed = [target for (source, target) in EPISODE_MOVES if source == episode.status]
        raise Conflict(
            f"An episode that is {episode.get_status_display().lower()} cannot become "
            f"{EpisodeStatus(to).label.lower()}.",
            current_status=episode.status,
            allowed_moves=allowed,
        )
    if not can(actor, capability):
        raise PermissionDenied


def _lock(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _check_version(obj, version, current):
    if version is not None and int(version) != obj.version:
        raise StaleVersion(obj, current(obj))


def _bump(obj, update_fields):
    """Save the fields and increase the version in the same UPDATE."""
    obj.version = F("version") + 1
    obj.save(update_fields=[*update_fields, "version", "updated_at"])
    obj.refresh_from_db(fields=["version"])


def _touch(episode):
    """Something of the episode changed (a contact, a goal, a package…): its version goes up, so that an edit made
    against what the episode was before is refused, never silently laid over it."""
    Episode.objects.filter(pk=episode.pk).update(version=F("version") + 1, updated_at=timezone.now())


# Patients -------------------------------------------------------------------------------------------


def team_for_postcode(postcode):
    """The LIT that serves a postcode's district, or None outside Coventry's districts."""
    locality = Locality.objects.select_related("team").filter(postcode_district=postcode_district(postcode)).first()
    return locality.team if locality else None


def _clean_patient_values(values):
    """Normalise identifiers as typed (spaces, lower case); errors come back keyed by field."""
    values = dict(values)
    errors = {}
    for field, normalise in (("nhs_number", normalise_nhs_number), ("postcode", normalise_postcode)):
        if values.get(field):
            try:
                values[field] = normalise(values[field])
            except ValidationError as invalid:
                errors[field] = invalid.messages
    if "nhs_number" in values and not values["nhs_number"]:
        values["nhs_number"] = None
    if values.get("gp_practice_code"):
        values["gp_practice_code"] = values["gp_practice_code"].strip().upper()
    if errors:
        raise ValidationError(errors)
    return values


def _patient_errors(patient):
    errors = {}
    if patient.date_of_birth and patient.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    derived = team_for_postcode(patient.postcode) if patient.postcode else None
    if patient.team_id is None:
        if derived is None:
            errors["team"] = ["This postcode is outside the LITs' districts: choose the LIT and give a reason."]
        else:
            patient.team = derived
    elif derived is not None and patient.team_id != derived.pk and not patient.team_override_reason.strip():
        errors["team_override_reason"] = [f"The postcode is served by {derived}: say why this LIT instead."]
    try:
        patient.full_clean(exclude=["team"] if "team" in errors else None)
    except ValidationError as invalid:
        for field, messages in invalid.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _patient_snapshot(patient):
    return {
        "nhs_number": patient.nhs_number_display,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "postcode": patient.postcode,
        "phone": patient.phone,
        "address": patient.address,
        "lit": patient.team.name,
    }


@transaction.atomic
def patient_create(*, actor, values):
    """Create a patient; the LIT comes from the postcode unless a team and reason are given."""
    patient = Patient(**_clean_patient_values(values))
    _patient_errors(patient)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as error:
        raise ValidationError({"nhs_number": ["A patient with this NHS number is already on record."]}) from error
    audit.record_create(obj=patient, actor=actor, patient_id=patient.pk)
    return patient


@transaction.atomic
def patient_update(*, actor, patient, version, values, reason=""):
    patient = _lock(Patient, patient.pk)
    _check_version(patient, version, _patient_snapshot)
    values = _clean_patient_values(values)
    if "postcode" in values and "team" not in values and values["postcode"] != patient.postcode:
        derived = team_for_postcode(values["postcode"])
        if derived and not patient.team_override_reason:
            values["team"] = derived
    before = {name: getattr(patient, Patient._meta.get_field(name).attname) for name in values}
    for name, value in values.items():
        setattr(patient, name, value)
    _patient_errors(patient)
    changes = {}
    for name, old in before.items():
        new = getattr(patient, Patient._meta.get_field(name).attname)
        if old != new:
            changes[name] = (old, new)
    if not changes:
        return patient
    _bump(patient, list(changes))
    audit.log_change(
        actor=actor, obj=patient, action=AuditAction.UPDATE, changes=changes, reason=reason, patient_id=patient.pk
    )
    return patient


# Episodes -------------------------------------------------------------------------------------------


def response_standard_for(*, service, priority):
    standard = ResponseStandard.objects.filter(service=service, priority=priority).first()
    if standard is None:
        raise ValidationError({"priority": ["No response standard is set for this service and priority."]})
    return standard


def _current_keyworker(episode):
    """The episode's keyworker allocation now, or None."""
    keyworkers = episode.allocations.filter(ended_at=None, role=AllocationRole.KEYWORKER)
    return keyworkers.select_related("practitioner").first()


def _episode_snapshot(episode):
    keyworker = _current_keyworker(episode)
    return {
        "status": episode.status,
        "priority": episode.priority,
        "keyworker": str(keyworker.practitioner) if keyworker else None,
        "next_contact_on": episode.next_contact_on.isoformat() if episode.next_contact_on else None,
        "sequel": episode.sequel,
    }


@transaction.atomic
def episode_open(
    *,
    actor,
    patient,
    service,
    source,
    priority,
    received_at,
    team=None,
    reason="",
    what_matters="",
    discipline_needed="",
    process="",
    in_hospital=False,
):
    """Put a patient on the shared caseload, with the due-by time from the service's response standard; for a
    patient still `in_hospital` (a step-down pulled from the ward) the clock starts at discharge instead."""
    if received_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"received_at": ["The referral cannot have been received in the future."]})
    standard = response_standard_for(service=service, priority=priority)
    episode = Episode(
        patient=patient,
        team=team or patient.team,
        service=service,
        source=source,
        priority=priority,
        reason=reason,
        what_matters=what_matters,
        discipline_needed=discipline_needed,
        received_at=received_at,
        response_standard=standard.name,
        due_by=None if in_hospital else clock.after(received_at, hours=standard.hours),
    )
    episode.full_clean(validate_constraints=False)
    if Episode.objects.filter(patient=patient, service=service).exclude(status=EpisodeStatus.CLOSED).exists():
        raise Conflict(f"{patient.full_name} already has an open {episode.get_service_display()} episode.")
    try:
        with transaction.atomic():
            episode.save()
    except IntegrityError as error:
        raise Conflict(f"{patient.full_name} already has an open {episode.get_service_display()} episode.") from error
    audit.record_create(obj=episode, actor=actor, patient_id=patient.pk, process=process)
    return episode


@transaction.atomic
def episode_start_clock(*, actor, episode, at, process=""):
    """The patient has left hospital: a step-down episode starts now, and its response clock with it."""
    episode = _lock(Episode, episode.pk)
    if episode.due_by is not None or not episode.is_open:
        return episode
    standard = response_standard_for(service=episode.service, priority=episode.priority)
    values = {"received_at": at, "due_by": clock.after(at, hours=standard.hours), "response_standard": standard.name}
    audit.record_update(obj=episode, actor=actor, values=values, patient_id=episode.patient_id, process=process)
    _bump(episode, [])
    return episode


@transaction.atomic
def episode_end(*, actor, episode, sequel, at, reason, process=""):
    """End an episode because of what happened elsewhere (a death in hospital, a discharge that needs nothing new):
    its allocations end, open goals are not achieved, no closing package is asked."""
    episode = _lock(Episode, episode.pk)
    if not episode.is_open:
        return episode
    for goal in episode.goals.filter(status=GoalStatus.OPEN):
        audit.record_update(
            obj=goal,
            actor=actor,
            values={"status": GoalStatus.NOT_ACHIEVED},
            patient_id=episode.patient_id,
            process=process,
        )
    closed_at = max(at, episode.received_at)
    for allocation in episode.allocations.filter(ended_at=None):
        audit.record_update(
            obj=allocation, actor=actor, values={"ended_at": closed_at}, patient_id=episode.patient_id, process=process
        )
    audit.record_update(
        obj=episode,
        actor=actor,
        action=AuditAction.TRANSITION,
        patient_id=episode.patient_id,
        process=process,
        values={
            "status": EpisodeStatus.CLOSED,
            "sequel": sequel,
            "closure_reason": reason[:200],
            "closed_at": closed_at,
        },
    )
    _bump(episode, [])
    return episode


EPISODE_EDITABLE_FIELDS = ("priority", "reason", "what_matters", "next_contact_on")


@transaction.atomic
def episode_update(*, actor, episode, version, values):
    """Change an open episode's priority, reason, what matters or next planned contact.

    A new priority brings the response standard and due-by time that go with it.
    """
    unknown = set(values) - set(EPISODE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"episode_update cannot change {', '.join(sorted(unknown))}")
    episode = _lock(Episode, episode.pk)
    _check_version(episode, version, _episode_snapshot)
    if not episode.is_open:
        raise Conflict("This episode is closed: it cannot be changed.", current_status=episode.status)
    values = dict(values)
    if values.get("next_contact_on") and values["next_contact_on"] < timezone.localdate():
        raise ValidationError({"next_contact_on": ["The next contact cannot be in the past."]})
    if values.get("priority") and values["priority"] != episode.priority:
        standard = response_standard_for(service=episode.service, priority=values["priority"])
        values["response_standard"] = standard.name
        if episode.due_by is not None:  # a clock that has not started yet starts at discharge
            values["due_by"] = clock.after(episode.received_at, hours=standard.hours)
    changes = {}
    for name, new in values.items():
        old = getattr(episode, name)
        if old != new:
            changes[name] = (old, new)
            setattr(episode, name, new)
    if not changes:
        return episode
    episode.clean_fields(exclude=[field.name for field in Episode._meta.fields if field.name not in changes])
    _bump(episode, list(changes))
    audit.log_change(
        actor=actor, obj=episode, action=AuditAction.UPDATE, changes=changes, patient_id=episode.patient_id
    )
    return episode


def _check_practitioner(episode, practitioner):
    if not practitioner.is_active:
        raise ValidationError({"practitioner": [f"{practitioner} is not an active member of staff."]})
    if practitioner.role not in LIT_ROLES or practitioner.team_id != episode.team_id:
        raise ValidationError({"practitioner": [f"{practitioner} is not in {episode.team}."]})


@transaction.atomic
def episode_allocate(*, actor, episode, practitioner, role=AllocationRole.KEYWORKER, version=None):
    """Give an episode its keyworker (or add a practitioner). Of two coordinators at once, one wins."""
    if not can(actor, "caseload.allocate"):
        raise PermissionDenied
    episode = _lock(Episode, episode.pk)
    current = (
        episode.allocations.filter(ended_at=None, role=AllocationRole.KEYWORKER)
        .select_related("practitioner", "allocated_by")
        .first()
    )
    if role == AllocationRole.KEYWORKER and current is not None and version is None:
        raise Conflict(
            current.already_allocated(),
            keyworker=str(current.practitioner),
            allocated_by=str(current.allocated_by or "someone"),
        )
    _check_version(episode, version, _episode_snapshot)
    if episode.status != EpisodeStatus.ACTIVE:
        _move(actor=actor, episode=episode, to=EpisodeStatus.ACTIVE)
    if episode.status == EpisodeStatus.AWAITING_ALLOCATION and role != AllocationRole.KEYWORKER:
        raise ValidationError({"role": ["Allocate a keyworker first."]})
    _check_practitioner(episode, practitioner)
    now = timezone.now()
    if role == AllocationRole.KEYWORKER and current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        audit.log_change(
            actor=actor,
            obj=current,
            action=AuditAction.UPDATE,
            changes={"ended_at": (None, now)},
            reason=f"Reallocated to {practitioner}",
            patient_id=episode.patient_id,
        )
    elif episode.allocations.filter(ended_at=None, practitioner=practitioner).exists():
        raise ValidationError({"practitioner": [f"{practitioner} is already working on this episode."]})
    allocation = Allocation.objects.create(
        episode=episode,
        practitioner=practitioner,
        role=role,
        discipline=practitioner.discipline,
        started_at=now,
        allocated_by=actor,
    )
    audit.record_create(obj=allocation, actor=actor, patient_id=episode.patient_id)
    if episode.status == EpisodeStatus.AWAITING_ALLOCATION:
        audit.log_change(
            actor=actor,
            obj=episode,
            action=AuditAction.TRANSITION,
            changes={"status": (episode.status, EpisodeStatus.ACTIVE)},
            patient_id=episode.patient_id,
        )
        episode.status = EpisodeStatus.ACTIVE
    _bump(episode, ["status"])
    return allocation


@transaction.atomic
def allocation_end(*, actor, allocation):
    """Stop a practitioner (not the keyworker) working on an episode; the row keeps its history."""
    allocation = _lock(Allocation, allocation.pk)
    if allocation.ended_at is not None:
        raise Conflict("This allocation has already ended.")
    if allocation.role == AllocationRole.KEYWORKER:
        raise Conflict("Allocate a new keyworker instead of removing the current one.")
    audit.record_update(
        obj=allocation, actor=actor, values={"ended_at": timezone.now()}, patient_id=allocation.episode.patient_id
    )
    _touch(allocation.episode)


@transaction.atomic
def contact_record(
    *,
    actor,
    episode,
    at,
    duration_minutes,
    location,
    attended=True,
    not_attended_reason="",
    notes="",
    practitioner=None,
    next_contact_on=None,
    keyworker=None,
):
    """Record a visit or call. The first attended face-to-face contact stops the response-standard clock.

    `keyworker`, when given, is who the one recording it believed the keyworker to be (a visit recorded on a phone
    without a signal, sent later): if the episode has been reallocated since, the contact is refused (409) so that
    they can check before recording it anyway."""
    episode = _lock(Episode, episode.pk)
    practitioner = practitioner or actor
    errors = {}
    if not episode.is_open:
        raise Conflict("This episode is closed: contacts cannot be added to it.", current_status=episode.status)
    if keyworker is not None:
        current = _current_keyworker(episode)
        if current is None or current.practitioner_id != keyworker.pk:
            who = current.practitioner.full_name if current else "nobody"
            when = timezone.localtime(current.started_at if current else episode.updated_at)
            raise Conflict(
                f"This episode was reallocated to {who} at {when:%H:%M on %d %b}: check with them, then record the "
                "visit anyway if it happened.",
                keyworker=who if current else None,
            )
    if at < episode.received_at:
        received = timezone.localtime(episode.received_at)
        errors["at"] = [f"The contact cannot be before the referral was received ({received:%d %b %Y %H:%M})."]
    elif at > timezone.now() + CLOCK_SKEW:
        errors["at"] = ["The contact cannot be in the future: plan it as the next contact instead."]
    if not attended and not not_attended_reason.strip():
        errors["not_attended_reason"] = ["Say why the contact did not happen."]
    if next_contact_on and next_contact_on < timezone.localdate():
        errors["next_contact_on"] = ["The next contact cannot be in the past."]
    if practitioner.role not in LIT_ROLES or not practitioner.is_active:
        errors["practitioner"] = [f"{practitioner} is not an active LIT member of staff."]
    if errors:
        raise ValidationError(errors)
    contact = Contact(
        episode=episode,
        at=at,
        practitioner=practitioner,
        discipline=practitioner.discipline or "coordinator",
        attended=attended,
        not_attended_reason="" if attended else not_attended_reason.strip(),
        location=location,
        duration_minutes=duration_minutes,
        notes=notes,
        recorded_by=actor,
    )
    contact.full_clean()
    contact.save()
    audit.record_create(obj=contact, actor=actor, patient_id=episode.patient_id)
    values = {}
    face_to_face = attended and location in FACE_TO_FACE
    if face_to_face and (episode.first_contact_at is None or at < episode.first_contact_at):
        values["first_contact_at"] = at
    if next_contact_on:
        values["next_contact_on"] = next_contact_on
    if values:
        audit.record_update(obj=episode, actor=actor, values=values, patient_id=episode.patient_id)
    _touch(episode)
    return contact


@transaction.atomic
def goal_add(*, actor, episode, text, target_date=None):
    episode = _lock(Episode, episode.pk)
    if not episode.is_open:
        raise Conflict("This episode is closed: goals cannot be added to it.")
    if target_date and target_date < episode.received_at.date():
        raise ValidationError({"target_date": ["The target date cannot be before the episode started."]})
    goal = Goal(episode=episode, text=text.strip(), target_date=target_date)
    goal.full_clean()
    goal.save()
    audit.record_create(obj=goal, actor=actor, patient_id=episode.patient_id)
    _touch(episode)
    return goal


@transaction.atomic
def goal_update(*, actor, goal, version, values):
    goal = _lock(Goal, goal.pk)
    _check_version(goal, version, lambda g: {"text": g.text, "status": g.status, "target_date": str(g.target_date)})
    episode = goal.episode
    if not episode.is_open:
        raise Conflict("This episode is closed: its goals can no longer change.")
    values = dict(values)
    if "text" in values:
        values["text"] = (values["text"] or "").strip()
    target_date = values.get("target_date")
    if target_date and target_date < timezone.localdate(episode.received_at):
        raise ValidationError({"target_date": ["The target date cannot be before the episode started."]})
    candidate = Goal(**{**{f.attname: getattr(goal, f.attname) for f in Goal._meta.concrete_fields}, **values})
    candidate.full_clean(exclude=["episode"], validate_unique=False)
    changes = audit.record_update(obj=goal, actor=actor, values=values, patient_id=episode.patient_id)
    if changes:
        Goal.objects.filter(pk=goal.pk).update(version=F("version") + 1)
        goal.refresh_from_db()
        _touch(episode)
    return goal


@transaction.atomic
def package_record(
    *, actor, episode, stage, effective_on, hours_per_week, calls_per_day, carers_per_call, provider_type
):
    episode = _lock(Episode, episode.pk)
    if not episode.is_open:
        raise Conflict("This episode is closed: its care package can no longer change.")
    package = CarePackage(
        episode=episode,
        stage=stage,
        effective_on=effective_on,
        hours_per_week=hours_per_week,
        calls_per_day=calls_per_day,
        carers_per_call=carers_per_call,
        provider_type=provider_type,
        recorded_by=actor,
    )
    package.full_clean()
    try:
        with transaction.atomic():
            package.save()
    except IntegrityError as error:
        raise ValidationError({"stage": ["A package is already recorded for this stage of the episode."]}) from error
    audit.record_create(obj=package, actor=actor, patient_id=episode.patient_id)
    _touch(episode)
    return package


@transaction.atomic
def equipment_add(*, actor, episode, item, provided_on):
    episode = _lock(Episode, episode.pk)
    if not episode.is_open:
        raise Conflict("This episode is closed: record equipment on an open episode.")
    equipment = Equipment(episode=episode, item=item.strip(), provided_on=provided_on, recorded_by=actor)
    equipment.full_clean()
    equipment.save()
    audit.record_create(obj=equipment, actor=actor, patient_id=episode.patient_id)
    _touch(episode)
    return equipment


@transaction.atomic
def episode_close(
    *, actor, episode, version, sequel, closure_reason="", closing_package=None, goal_outcomes=None, closed_at=None
):
    """Close an episode with its sequel, closing care package and every goal's outcome — or not at all."""
    episode = _lock(Episode, episode.pk)
    _check_version(episode, version, _episode_snapshot)
    _move(actor=actor, episode=episode, to=EpisodeStatus.CLOSED)
    closed_at = closed_at or timezone.now()
    goal_outcomes = goal_outcomes or {}
    errors = {}
    if not sequel:
        errors["sequel"] = ["Choose the sequel: what happened next for the person."]
    elif sequel not in Sequel.values:
        errors["sequel"] = [f"'{sequel}' is not a sequel."]
    if closed_at < episode.received_at:
        errors["closed_at"] = ["The episode cannot close before the referral was received."]
    open_goals = list(episode.goals.filter(status=GoalStatus.OPEN))
    missing = [goal for goal in open_goals if goal_outcomes.get(goal.pk) in (None, "", GoalStatus.OPEN)]
    if missing:
        errors["goal_outcomes"] = [f"Record the outcome of the goal '{goal.text}'." for goal in missing]
    has_end_package = episode.packages.filter(stage=PackageStage.END).exists()
    if not closing_package and not has_end_package and sequel not in NO_PACKAGE_SEQUELS:
        errors["closing_package"] = ["Record the care package the person has at the end of the episode."]
    if errors:
        raise ValidationError(errors)
    for goal in open_goals:
        audit.record_update(
            obj=goal, actor=actor, values={"status": goal_outcomes[goal.pk]}, patient_id=episode.patient_id
        )
    if closing_package and not has_end_package:
        package_record(
            actor=actor,
            episode=episode,
            stage=PackageStage.END,
            effective_on=closing_package.get("effective_on") or timezone.localdate(closed_at),
            **{key: value for key, value in closing_package.items() if key != "effective_on"},
        )
    episode.allocations.filter(ended_at=None).update(ended_at=closed_at)
    audit.record_update(
        obj=episode,
        actor=actor,
        action=AuditAction.TRANSITION,
        patient_id=episode.patient_id,
        values={
            "status": EpisodeStatus.CLOSED,
            "sequel": sequel,
            "closure_reason": closure_reason,
            "closed_at": closed_at,
        },
    )
    Episode.objects.filter(pk=episode.pk).update(version=F("version") + 1)
    episode.refresh_from_db()
    return episode
