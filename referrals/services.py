"""Referrals into OCIT: raise, decide (accept / decline / redirect), withdraw, complete — and the discharge.

The allowed moves are one table, with who may make each. A decision is a conditional UPDATE on the
referral's current status, so of two people deciding at once exactly one wins; the other is told who did.
"""

import dataclasses
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from caseload import services as caseload_services
from caseload.models import Episode, EpisodeStatus, Patient, Sequel, Service, Source
from discharge import services as discharge_services
from discharge.models import Destination, Pathway
from ocit import audit, clock
from ocit.errors import Conflict
from ocit.models import AuditAction, Role
from ocit.roles import can
from referrals.models import DecisionStandard, Referral, ReferralStatus

S = ReferralStatus
# (from, to) → (capability, fields the move requires)
REFERRAL_MOVES = {
    (S.RECEIVED, S.ACCEPTED): ("referral.decide", []),
    (S.RECEIVED, S.DECLINED): ("referral.decide", ["decision_reason"]),
    (S.RECEIVED, S.REDIRECTED): ("referral.decide", ["redirected_to"]),
    (S.RECEIVED, S.WITHDRAWN): ("referral.withdraw", ["decision_reason"]),
    (S.ACCEPTED, S.WITHDRAWN): ("referral.withdraw", ["decision_reason"]),
    (S.ACCEPTED, S.COMPLETED): ("referral.decide", []),
}
REQUIRED_MESSAGES = {
    "decision_reason": "Give the reason.",
    "redirected_to": "Say where the patient was redirected to.",
}
CLOCK_SKEW = datetime.timedelta(minutes=5)


def allowed_moves(status):
    return [target for (source, target) in REFERRAL_MOVES if source == status]


def _check_ward_staff(actor, referral):
    """Ward staff act only on referrals from their own wards."""
    if actor.role == Role.WARD_STAFF and (
        referral.spell_id is None or not actor.wards.filter(pk=referral.spell.ward_id).exists()
    ):
        raise PermissionDenied


@transaction.atomic
def referral_raise(
    *,
    actor,
    patient,
    source,
    referrer_name,
    reason,
    requested_service,
    urgency,
    received_at=None,
    spell=None,
    referrer_role="",
    referrer_contact="",
    what_matters="",
    process="",
):
    """A new referral; from a ward it starts from the patient's open hospital stay."""
    if actor is not None and not can(actor, "referral.raise"):
        raise PermissionDenied
    received_at = received_at or timezone.now()
    errors = {}
    if received_at > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = ["The referral cannot have been received in the future."]
    if spell is not None:
        if spell.patient_id != patient.pk:
            errors["spell"] = ["This hospital stay belongs to another patient."]
        elif spell.discharged_at is not None:
            errors["spell"] = ["This patient has been discharged: refer them from the community instead."]
        if actor is not None and actor.role == Role.WARD_STAFF and not actor.wards.filter(pk=spell.ward_id).exists():
            raise PermissionDenied
    elif source == Source.WARD:
        errors["spell"] = ["A ward referral starts from the patient's hospital stay."]
    if actor is not None and actor.role == Role.WARD_STAFF and spell is None:
        errors["spell"] = ["Ward staff refer a patient from their hospital stay on the ward board."]
    if not patient.nhs_number:
        errors["patient"] = ["The patient's NHS number is needed before they can be referred."]
    standard = DecisionStandard.objects.filter(urgency=urgency).first()
    if standard is None:
        errors["urgency"] = ["No decision standard is set for this urgency."]
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        patient=patient,
        spell=spell,
        source=source,
        referrer_name=referrer_name.strip(),
        referrer_role=referrer_role,
        referrer_contact=referrer_contact,
        reason=reason.strip(),
        what_matters=what_matters,
        requested_service=requested_service,
        urgency=urgency,
        received_at=received_at,
        decision_due_by=clock.after(received_at, hours=standard.hours),
        raised_by=actor,
    )
    referral.full_clean(validate_constraints=False)
    if spell is not None and spell.referrals.filter(status__in=[S.RECEIVED, S.ACCEPTED]).exists():
        raise Conflict("This hospital stay already has an open referral.")
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as error:
        raise Conflict("This hospital stay already has an open referral.") from error
    audit.record_create(obj=referral, actor=actor, patient_id=patient.pk, process=process)
    return referral


def _decide(*, actor, referral, to, values=None, process="", by_discharge=False):
    """Make one move from the table, as a conditional UPDATE on the status the user saw.

    A discharge moves the spell's referral on whoever records it (ward staff may record a pathway 0
    discharge), so `by_discharge` skips the role check but not the table.
    """
    values = {key: (value or "").strip() for key, value in (values or {}).items()}
    move = REFERRAL_MOVES.get((referral.status, to))
    if move is None:
        message = f"A referral that is {referral.get_status_display().lower()} cannot be {S(to).label.lower()}."
        decided = {}
        if referral.decided_by_id is not None:
            # The loser of a near-simultaneous decision that arrives after the winner committed sees who won.
            when = timezone.localtime(referral.decided_at or referral.updated_at)
            message += f" It was decided by {referral.decided_by} at {when:%H:%M}."
            decided["decided_by"] = str(referral.decided_by)
        raise Conflict(message, current_status=referral.status, allowed_moves=allowed_moves(referral.status), **decided)
    capability, required = move
    if actor is not None and not by_discharge:
        if not can(actor, capability):
            raise PermissionDenied
        _check_ward_staff(actor, referral)
    missing = {field: [REQUIRED_MESSAGES[field]] for field in required if not values.get(field)}
    if missing:
        raise ValidationError(missing)
    now = timezone.now()
    update = {"status": to, "version": F("version") + 1, "updated_at": now, **values}
    if referral.status == S.RECEIVED:
        update.update(decided_at=now, decided_by=actor)
    if to != S.ACCEPTED:
        update.update(closed_at=now, closed_by=actor)
    won = Referral.objects.filter(pk=referral.pk, status=referral.status).update(**update)
    if not won:
        current = Referral.objects.select_related("decided_by").get(pk=referral.pk)
        who = current.decided_by or "someone else"
        when = timezone.localtime(current.decided_at or current.updated_at)
        raise Conflict(
            f"This referral was already {current.get_status_display().lower()} by {who} at {when:%H:%M}.",
            current_status=current.status,
            decided_by=str(who),
            allowed_moves=allowed_moves(current.status),
        )
    audit.log_change(
        actor=actor,
        obj=referral,
        action=AuditAction.TRANSITION,
        patient_id=referral.patient_id,
        process=process,
        changes={"status": (referral.status, to), **{field: ("", value) for field, value in values.items()}},
    )
    referral.refresh_from_db()
    return referral


@transaction.atomic
def referral_accept(*, actor, referral):
    """Accept: the patient joins the shared caseload (their open episode of the service, or a new one). For someone
    still in hospital the episode waits on the triage board, flagged, and its clock starts at discharge.

    The patient's row is locked first, so two referrals for the same patient and service accepted at once end
    the same way as one after the other: both accepted, on the one episode."""
    Patient.objects.select_for_update().filter(pk=referral.patient_id).first()
    referral = _decide(actor=actor, referral=referral, to=S.ACCEPTED)
    episode = (
        Episode.objects.filter(patient=referral.patient, service=referral.requested_service)
        .exclude(status=EpisodeStatus.CLOSED)
        .first()
    )
    if episode is None:
        in_hospital = referral.spell_id is not None and referral.spell.discharged_at is None
        episode = caseload_services.episode_open(
            actor=actor,
            patient=referral.patient,
            service=referral.requested_service,
            source=referral.source,
            priority=referral.urgency,
            received_at=referral.received_at,
            reason=referral.reason,
            what_matters=referral.what_matters,
            in_hospital=in_hospital,
        )
    audit.record_update(obj=referral, actor=actor, values={"episode": episode}, patient_id=referral.patient_id)
    return referral


@transaction.atomic
def referral_decline(*, actor, referral, reason, outcome=""):
    referral = _decide(actor=actor, referral=referral, to=S.DECLINED, values={"decision_reason": reason})
    return _record_outcome(actor, referral, outcome)


@transaction.atomic
def referral_redirect(*, actor, referral, to_where, outcome=""):
    referral = _decide(actor=actor, referral=referral, to=S.REDIRECTED, values={"redirected_to": to_where})
    return _record_outcome(actor, referral, outcome or f"Redirected to {to_where.strip()}")


@transaction.atomic
def referral_withdraw(*, actor, referral, reason):
    return _decide(actor=actor, referral=referral, to=S.WITHDRAWN, values={"decision_reason": reason})


@transaction.atomic
def referral_complete(*, actor, referral, outcome=""):
    referral = _decide(actor=actor, referral=referral, to=S.COMPLETED)
    return _record_outcome(actor, referral, outcome)


def _record_outcome(actor, referral, outcome):
    if outcome.strip():
        audit.record_update(
            obj=referral, actor=actor, values={"outcome": outcome.strip()}, patient_id=referral.patient_id
        )
    return referral


@dataclasses.dataclass(frozen=True)
class DischargeOutcome:
    """What follows a discharge: the caseload service the person steps down into (None: nothing on the caseload),
    how the stay's open referral ends, and the sequel of an episode the LIT had opened that is no longer needed."""

    follows: str | None
    referral: str
    outcome: str
    sequel: str


# What a discharge may say: (destination, pathway) → what follows it [Hospital discharge and community support
# guidance, Annex B]. Anything else is refused, naming the field to change.
DISCHARGES = {
    (Destination.USUAL_RESIDENCE, Pathway.P0): DischargeOutcome(
        None, S.COMPLETED, "Pathway 0: home with no new care", Sequel.NO_ONGOING_SUPPORT
    ),
    (Destination.USUAL_RESIDENCE, Pathway.P1): DischargeOutcome(
        Service.STEP_DOWN_REABLEMENT, S.COMPLETED, "Pathway 1: home with reablement", Sequel.OTHER_SHORT_TERM
    ),
    (Destination.COMMUNITY_BED, Pathway.P2): DischargeOutcome(
        Service.BED_BASED, S.COMPLETED, "Pathway 2: to a short-term community bed", Sequel.OTHER_SHORT_TERM
    ),
    (Destination.CARE_HOME, Pathway.P0): DischargeOutcome(
        None, S.COMPLETED, "Pathway 0: back to their care home with no new care", Sequel.NO_ONGOING_SUPPORT
    ),
    (Destination.CARE_HOME, Pathway.P3): DischargeOutcome(
        None, S.COMPLETED, "Pathway 3: to a care home to assess long-term needs", Sequel.OTHER_SHORT_TERM
    ),
    (Destination.OTHER, Pathway.P0): DischargeOutcome(
        None, S.COMPLETED, "Pathway 0: somewhere else, with no new care", Sequel.NO_ONGOING_SUPPORT
    ),
    (Destination.OTHER_HOSPITAL, None): DischargeOutcome(
        None, S.WITHDRAWN, "Transferred to another hospital", Sequel.ADMITTED_TO_HOSPITAL
    ),
    (Destination.DIED, None): DischargeOutcome(None, S.WITHDRAWN, "Died in hospital", Sequel.DIED),
}


def discharge_outcome(*, destination, pathway):
    """The row of `DISCHARGES` for a discharge, or a ValidationError naming the field to change."""
    pathway = Pathway(int(pathway)) if pathway not in (None, "") else None
    outcome = DISCHARGES.get((destination, pathway))
    if outcome is not None:
        return pathway, outcome
    if destination not in Destination.values:
        raise ValidationError({"destination": ["Choose where the patient went."]})
    pathways = [p for d, p in DISCHARGES if d == destination]
    if pathway is None:
        raise ValidationError({"pathway": ["Choose the discharge pathway."]})
    if pathways == [None]:
        label = Destination(destination).label.lower()
        raise ValidationError({"pathway": [f"A discharge to '{label}' has no pathway: choose 'No pathway'."]})
    places = [Destination(d).label.lower() for d, p in DISCHARGES if p == pathway]
    raise ValidationError({"destination": [f"{Pathway(pathway).label.split(':')[0]} goes to: {' or '.join(places)}."]})


@transaction.atomic
def discharge_record(*, actor, spell, discharged_at, destination, pathway, version=None):
    """Record the discharge as `DISCHARGES` allows: close the stay; step the patient down into the caseload service
    that follows (its clock starts now); end the stay's open referral; end an episode opened for the stay that is
    no longer needed, and every open episode of someone who died."""
    pathway, outcome = discharge_outcome(destination=destination, pathway=pathway)
    referral = spell.referrals.filter(status__in=[S.RECEIVED, S.ACCEPTED]).select_related("episode").first()
    spell = discharge_services.spell_discharge(
        actor=actor,
        spell=spell,
        discharged_at=discharged_at,
        destination=destination,
        pathway=pathway,
        version=version,
    )
    planned = referral.episode if referral is not None and referral.episode_id else None
    episode = None
    if outcome.follows:
        episode = _step_down(actor, spell, planned, outcome.follows, discharged_at)
    if planned is not None and planned != episode and planned.first_contact_at is None:
        reason = f"{outcome.outcome}: no longer needed" if outcome.follows is None else outcome.outcome
        caseload_services.episode_end(
            actor=actor, episode=planned, sequel=outcome.sequel, at=discharged_at, reason=reason
        )
    if destination == Destination.DIED:
        for other in Episode.objects.filter(patient=spell.patient).exclude(status=EpisodeStatus.CLOSED):
            caseload_services.episode_end(
                actor=actor, episode=other, sequel=Sequel.DIED, at=discharged_at, reason="Died in hospital"
            )
    if referral is not None:
        _end_referral(actor, referral, outcome, episode)
    return spell, episode


def _step_down(actor, spell, planned, service, discharged_at):
    """The episode the patient steps down into: the one the LIT opened for the stay, else an open one of the
    service, else a new one. Its clock starts at discharge."""
    episode = planned if planned is not None and planned.service == service and planned.is_open else None
    episode = episode or (
        Episode.objects.filter(patient=spell.patient, service=service).exclude(status=EpisodeStatus.CLOSED).first()
    )
    if episode is None:
        return caseload_services.episode_open(
            actor=actor,
            patient=spell.patient,
            service=service,
            source=Source.WARD,
            priority="high",
            received_at=discharged_at,
            reason=f"Discharged from {spell.ward} on {Pathway(spell.pathway).label.split(':')[0]}",
        )
    return caseload_services.episode_start_clock(actor=actor, episode=episode, at=discharged_at)


def _end_referral(actor, referral, outcome, episode):
    if outcome.referral == S.WITHDRAWN:
        values = {"decision_reason": outcome.outcome}
        referral = _decide(actor=actor, referral=referral, to=S.WITHDRAWN, values=values, by_discharge=True)
    else:
        if referral.status == S.RECEIVED:
            referral = _decide(actor=actor, referral=referral, to=S.ACCEPTED, by_discharge=True)
        referral = _decide(actor=actor, referral=referral, to=S.COMPLETED, by_discharge=True)
    values = {"outcome": outcome.outcome}
    if episode is not None and referral.episode_id != episode.pk:
        values["episode"] = episode
    audit.record_update(obj=referral, actor=actor, values=values, patient_id=referral.patient_id)
    return referral
