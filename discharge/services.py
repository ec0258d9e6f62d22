"""Writes for the hospital side: admissions, transfers, criteria to reside, delays and discharge.

Recording a discharge together with its referral and step-down episode is `referrals.services.discharge_record`,
which calls `spell_discharge` here.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from caseload.models import FOLLOW_UP_ANSWERS
from discharge.models import Delay, NctrPeriod, Pathway, Spell, WardStay
from ocit import audit
from ocit.errors import Conflict
from ocit.models import AuditAction, Role
from ocit.roles import can

CLOCK_SKEW = datetime.timedelta(minutes=5)


def check_ward_access(*, actor, spell):
    """Ward staff act only on their own wards' patients (views and the API 404 before this is reached)."""
    if not can(actor, "spell.edit"):
        raise PermissionDenied
    if actor is not None and actor.role == Role.WARD_STAFF and not actor.wards.filter(pk=spell.ward_id).exists():
        raise PermissionDenied


def _lock_open(spell, *, version=None):
    spell = Spell.objects.select_for_update().get(pk=spell.pk)
    if spell.discharged_at is not None:
        raise Conflict("This patient has already been discharged.")
    if version is not None and int(version) != spell.version:
        raise Conflict(
            "This hospital stay was changed by someone else since you opened it. Check it and try again.",
            version=spell.version,
            current={
                "ward": spell.ward.name,
                "expected_discharge_on": str(spell.expected_discharge_on or ""),
                "clinical_criteria": spell.clinical_criteria,
            },
        )
    return spell


def _bump(spell, fields):
    spell.version = F("version") + 1
    spell.save(update_fields=[*fields, "version", "updated_at"])
    spell.refresh_from_db(fields=["version"])


@transaction.atomic
def spell_admit(
    *,
    actor,
    patient,
    ward,
    admitted_at,
    admission_method="emergency",
    expected_discharge_on=None,
    clinical_criteria="",
    process="",
    visit_number=None,
):
    if actor is not None and actor.role == Role.WARD_STAFF and not actor.wards.filter(pk=ward.pk).exists():
        raise ValidationError({"ward": ["Admit to one of your own wards."]})
    errors = {}
    if admitted_at > timezone.now() + CLOCK_SKEW:
        errors["admitted_at"] = ["The admission cannot be in the future."]
    if expected_discharge_on and expected_discharge_on < timezone.localdate(admitted_at):
        errors["expected_discharge_on"] = ["The expected date of discharge cannot be before admission."]
    if errors:
        raise ValidationError(errors)
    spell = Spell(
        patient=patient,
        ward=ward,
        admitted_at=admitted_at,
        admission_method=admission_method,
        expected_discharge_on=expected_discharge_on,
        clinical_criteria=clinical_criteria,
        visit_number=visit_number,
    )
    spell.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            spell.save()
    except IntegrityError as error:
        # Naming nobody: the person admitting may not see the ward the patient is on.
        raise Conflict("This patient is already in hospital: discharge the open stay first.") from error
    WardStay.objects.create(spell=spell, ward=ward, started_at=admitted_at)
    audit.record_create(obj=spell, actor=actor, patient_id=patient.pk, process=process)
    return spell


@transaction.atomic
def spell_transfer(*, actor, spell, ward, at=None):
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell)
    at = at or timezone.now()
    current = spell.ward_stays.get(ended_at=None)
    if at < current.started_at:
        raise ValidationError({"at": ["The transfer cannot be before the patient arrived on the current ward."]})
    if ward.pk == spell.ward_id:
        raise ValidationError({"ward": ["The patient is already on this ward."]})
    current.ended_at = at
    current.save(update_fields=["ended_at"])
    WardStay.objects.create(spell=spell, ward=ward, started_at=at)
    old_ward = spell.ward_id
    spell.ward = ward
    _bump(spell, ["ward"])
    audit.log_change(
        actor=actor,
        obj=spell,
        action=AuditAction.UPDATE,
        changes={"ward": (old_ward, ward.pk)},
        reason="Transfer",
        patient_id=spell.patient_id,
    )
    return spell


@transaction.atomic
def spell_update(*, actor, spell, version, expected_discharge_on=None, clinical_criteria=None, pathway=None):
    """Set the EDD and clinical criteria for discharge (from the first consultant ward round), or the
    pathway the LIT has decided on."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell, version=version)
    values = {}
    if expected_discharge_on is not None:
        if expected_discharge_on < timezone.localdate(spell.admitted_at):
            raise ValidationError(
                {"expected_discharge_on": ["The expected date of discharge cannot be before admission."]}
            )
        values["expected_discharge_on"] = expected_discharge_on
    if clinical_criteria is not None:
        values["clinical_criteria"] = clinical_criteria
    if pathway is not None and pathway != "":
        if not can(actor, "referral.decide"):  # the LIT, who know what the community can offer, decide
            raise PermissionDenied
        values["pathway"] = int(pathway)
    changes = audit.record_update(obj=spell, actor=actor, values=values, patient_id=spell.patient_id)
    if changes:
        Spell.objects.filter(pk=spell.pk).update(version=F("version") + 1)
        spell.refresh_from_db()
    return spell


FOLLOW_UP_AFTER = datetime.timedelta(days=91)


def follow_up_due_on(spell):
    """The day a discharge into reablement or rehabilitation is followed up, or None for any other stay."""
    if spell.discharged_at is None or spell.pathway not in (Pathway.P1, Pathway.P2):
        return None
    return timezone.localdate(spell.discharged_at) + FOLLOW_UP_AFTER


@transaction.atomic
def spell_follow_up(*, actor, spell, follow_up, version=None):
    """Where the person was 91 days after a discharge into reablement or rehabilitation (pathway 1 or 2): the
    LIT asks once that day has come (ASCOF: still at home 91 days after discharge)."""
    if not can(actor, "referral.decide"):
        raise PermissionDenied
    spell = Spell.objects.select_for_update().get(pk=spell.pk)
    if version is not None and int(version) != spell.version:
        raise Conflict(
            "This hospital stay was changed by someone else since you opened it. Check it and try again.",
            version=spell.version,
            current={"follow_up_91": spell.follow_up_91},
        )
    due = follow_up_due_on(spell)
    if due is None:
        raise ValidationError(
            {"follow_up_91": ["Only a discharge into reablement or rehabilitation (pathway 1 or 2) is followed up."]}
        )
    if timezone.localdate() < due:
        raise ValidationError({"follow_up_91": [f"The 91-day follow-up is due on {due:%-d %B %Y}, not before."]})
    if follow_up not in dict(FOLLOW_UP_ANSWERS):
        raise ValidationError({"follow_up_91": ["Choose where the person was 91 days after discharge."]})
    if audit.record_update(obj=spell, actor=actor, values={"follow_up_91": follow_up}, patient_id=spell.patient_id):
        _bump(spell, [])
    return spell


@transaction.atomic
def nctr_start(*, actor, spell, started_on):
    """The patient no longer meets the criteria to reside: this date becomes the discharge ready date."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell)
    if started_on < timezone.localdate(spell.admitted_at):
        raise ValidationError({"started_on": ["The discharge ready date cannot be before admission."]})
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": ["The discharge ready date cannot be in the future."]})
    if spell.nctr_periods.filter(ended_on=None).exists():
        raise Conflict("The patient already has no criteria to reside.")
    latest = spell.nctr_periods.order_by("-ended_on").first()
    if latest and started_on < latest.ended_on:
        raise ValidationError(
            {"started_on": [f"The patient met the criteria to reside until {latest.ended_on:%d %b %Y}."]}
        )
    period = NctrPeriod.objects.create(spell=spell, started_on=started_on, recorded_by=actor)
    audit.record_create(obj=period, actor=actor, patient_id=spell.patient_id)
    _bump(spell, [])
    return period


@transaction.atomic
def nctr_end(*, actor, spell, ended_on):
    """The patient meets the criteria to reside again: the period and its delay reason end."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell)
    period = spell.nctr_periods.filter(ended_on=None).first()
    if period is None:
        raise Conflict("The patient is not recorded as having no criteria to reside.")
    if ended_on < period.started_on or ended_on > timezone.localdate():
        raise ValidationError({"ended_on": ["The date must be between the discharge ready date and today."]})
    audit.record_update(obj=period, actor=actor, values={"ended_on": ended_on}, patient_id=spell.patient_id)
    _end_delay(actor=actor, spell=spell, on=ended_on)
    _bump(spell, [])  # the dashboard recomputes the periods of a stay changed since its last run
    return period


def _end_delay(*, actor, spell, on):
    current = spell.delays.filter(ended_on=None).first()
    if current is not None:
        audit.record_update(
            obj=current, actor=actor, values={"ended_on": max(on, current.started_on)}, patient_id=spell.patient_id
        )


@transaction.atomic
def delay_set(*, actor, spell, reason, started_on=None, note=""):
    """Give today's delay its reason; a change of reason ends the current row and starts another."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell)
    started_on = started_on or timezone.localdate()
    period = spell.nctr_periods.filter(ended_on=None).first()
    if period is None:
        raise ValidationError(
            {"reason": ["Record the discharge ready date first: only a delayed discharge has a reason."]}
        )
    if started_on < period.started_on or started_on > timezone.localdate():
        raise ValidationError(
            {"started_on": ["The delay reason must start between the discharge ready date and today."]}
        )
    current = spell.delays.filter(ended_on=None).first()
    if current is not None:
        if current.reason_id == reason.pk:
            return current
        if started_on < current.started_on:
            raise ValidationError({"started_on": ["The new reason cannot start before the current one."]})
        _end_delay(actor=actor, spell=spell, on=started_on)
    delay = Delay.objects.create(spell=spell, reason=reason, started_on=started_on, note=note, recorded_by=actor)
    audit.record_create(obj=delay, actor=actor, patient_id=spell.patient_id)
    _bump(spell, [])
    return delay


def spell_discharge(*, actor, spell, discharged_at, destination, pathway, version=None):
    """Close the spell, its ward stay, its open NCTR period and delay. Runs inside the caller's transaction, which
    has checked the destination and pathway together (`referrals.services.DISCHARGES`); no pathway is None."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell, version=version)
    errors = {}
    current = spell.ward_stays.filter(ended_at=None).first()
    if discharged_at < spell.admitted_at:
        errors["discharged_at"] = ["The discharge cannot be before the admission."]
    elif current is not None and discharged_at < current.started_at:
        errors["discharged_at"] = ["The discharge cannot be before the patient arrived on the current ward."]
    elif discharged_at > timezone.now() + CLOCK_SKEW:
        errors["discharged_at"] = ["The discharge cannot be in the future."]
    if not destination:
        errors["destination"] = ["Choose where the patient went."]
    if errors:
        raise ValidationError(errors)
    day = timezone.localdate(discharged_at)
    if current is not None:
        WardStay.objects.filter(pk=current.pk).update(ended_at=discharged_at)
    period = spell.nctr_periods.filter(ended_on=None).first()
    if period is not None:
        audit.record_update(
            obj=period, actor=actor, values={"ended_on": max(day, period.started_on)}, patient_id=spell.patient_id
        )
    _end_delay(actor=actor, spell=spell, on=day)
    audit.record_update(
        obj=spell,
        actor=actor,
        action=AuditAction.TRANSITION,
        patient_id=spell.patient_id,
        values={
            "discharged_at": discharged_at,
            "destination": destination,
            "pathway": int(pathway) if pathway is not None else None,
        },
    )
    Spell.objects.filter(pk=spell.pk).update(version=F("version") + 1)
    spell.refresh_from_db()
    return spell


# Corrections from the hospital's patient administration system (the ADT feed's A11, A12 and A13) ------------


@transaction.atomic
def spell_cancel_admission(*, actor, spell, reason):
    """An admission entered in error: the stay and its ward stays go, as long as nobody has worked on it yet (a
    referral, a criteria-to-reside period or a delay belongs to a stay that happened: a person must decide)."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell)
    worked_on = [
        label
        for label, related in (("a referral", "referrals"), ("an NCTR period", "nctr_periods"), ("a delay", "delays"))
        if getattr(spell, related).exists()
    ]
    if worked_on:
        raise Conflict(f"This stay cannot be cancelled: it has {' and '.join(worked_on)}. A person must decide.")
    audit.log_change(
        actor=actor,
        obj=spell,
        action=AuditAction.DELETE,
        changes={"ward": (spell.ward_id, None), "admitted_at": (spell.admitted_at.isoformat(), None)},
        reason=reason,
        patient_id=spell.patient_id,
    )
    spell.ward_stays.all().delete()
    spell.delete()


@transaction.atomic
def spell_cancel_transfer(*, actor, spell, ward, reason):
    """A transfer entered in error: the last ward stay goes, and the one before it (on `ward`) carries on."""
    check_ward_access(actor=actor, spell=spell)
    spell = _lock_open(spell)
    stays = list(spell.ward_stays.order_by("-started_at", "-id")[:2])
    if len(stays) < 2 or stays[1].ward_id != ward.pk:
        raise ValidationError({"ward": [f"The stay was not moved from {ward.name}: there is no transfer to cancel."]})
    current, previous = stays
    current.delete()
    previous.ended_at = None
    previous.save(update_fields=["ended_at"])
    old_ward = spell.ward_id
    spell.ward = ward
    _bump(spell, ["ward"])
    audit.log_change(
        actor=actor,
        obj=spell,
        action=AuditAction.UPDATE,
        changes={"ward": (old_ward, ward.pk)},
        reason=reason,
        patient_id=spell.patient_id,
    )
    return spell


@transaction.atomic
def spell_cancel_discharge(*, actor, spell, reason):
    """A discharge entered in error: the stay is open again on its last ward, as long as the discharge did nothing
    else (no referral it ended, no community support it started, no death): a person undoes those."""
    check_ward_access(actor=actor, spell=spell)
    spell = Spell.objects.select_for_update().get(pk=spell.pk)
    if spell.discharged_at is None:
        raise Conflict("This stay is not discharged: there is no discharge to cancel.")
    if spell.referrals.exists() or spell.pathway in (Pathway.P1, Pathway.P2) or spell.destination == "died":
        raise Conflict(
            "This discharge ended a referral, started community support or recorded a death: a person must undo it."
        )
    last = spell.ward_stays.order_by("-started_at", "-id").first()
    WardStay.objects.filter(pk=last.pk).update(ended_at=None)
    audit.record_update(
        obj=spell,
        actor=actor,
        action=AuditAction.TRANSITION,
        patient_id=spell.patient_id,
        reason=reason,
        values={"discharged_at": None, "destination": ""},
    )
    Spell.objects.filter(pk=spell.pk).update(version=F("version") + 1)
    spell.refresh_from_db()
    return spell
