"""The audit trail: every change and every view of a patient record, written from the service layer.

Services call `record_create` / `record_update` (or `log_change` for anything else) inside their
transaction, so a change and its audit row are committed together or not at all. Celery tasks and
management commands pass `actor=None` and name the process instead.
"""

import datetime
import decimal
import operator
import uuid

from django.db import connection, models
from django.utils import timezone

from ocit.models import AccessAction, AccessLog, AuditAction, ChangeLog


def _plain(value):
    """A JSON-friendly form of a field value for the change log."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, models.QuerySet)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


def _actor_label(actor, process):
    if actor is not None:
        return actor.email
    if not process:
        raise ValueError("A change without a user must name the process that made it.")
    return f"process:{process}"


def log_change(*, actor, obj, action, changes=None, reason="", patient_id=None, process=""):
    return ChangeLog.objects.create(
        actor=actor,
        actor_label=_actor_label(actor, process),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        patient_id=patient_id,
        changes={field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()},
        reason=reason,
    )


def record_create(*, obj, actor, reason="", patient_id=None, process=""):
    """Log a newly saved object with every concrete field's value."""
    changes = {
        field.name: (None, getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if not field.primary_key and getattr(obj, field.attname) not in (None, "")
    }
    return log_change(
        actor=actor,
        obj=obj,
        action=AuditAction.CREATE,
        changes=changes,
        reason=reason,
        patient_id=patient_id,
        process=process,
    )


def record_update(*, obj, actor, values, reason="", patient_id=None, process="", action=AuditAction.UPDATE):
    """Set `values` on `obj`, save only the fields that changed, and log old → new.

    Returns the changed fields (an empty dict when nothing changed, in which case nothing is written).
    """
    changes = {}
    for name, new in values.items():
        old = getattr(obj, obj._meta.get_field(name).attname)
        comparable = new.pk if isinstance(new, models.Model) else new
        if old != comparable:
            changes[name] = (old, comparable)
            setattr(obj, name, new)
    if not changes:
        return {}
    update_fields = list(changes)
    if hasattr(obj, "updated_at"):
        update_fields.append("updated_at")
    obj.save(update_fields=update_fields)
    log_change(
        actor=actor, obj=obj, action=action, changes=changes, reason=reason, patient_id=patient_id, process=process
    )
    return changes


def log_access(*, actor, patient_id, obj, via, action=AccessAction.VIEW):
    return AccessLog.objects.create(
        actor=actor,
        action=action,
        patient_id=patient_id,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        via=via[:300],
    )


def log_list_access(*, actor, objects, patient_id, via, action=AccessAction.VIEW):
    """One access-log row per record a list shows, written in one insert; `patient_id(obj)` names its patient.

    Every list page and API list calls this, so on PostgreSQL it is one INSERT … SELECT over three arrays: Django's
    bulk insert would build a model instance and prepare each value of every row, a few milliseconds a page."""
    rows = [(patient_id(obj), obj._meta.label_lower, str(obj.pk)) for obj in objects]
    if not rows:
        return
    if connection.vendor != "postgresql":
        AccessLog.objects.bulk_create(
            AccessLog(actor=actor, action=action, patient_id=patient, object_type=kind, object_id=pk, via=via[:300])
            for patient, kind, pk in rows
        )
        return
    patients, kinds, pks = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ocit_accesslog (at, actor_id, action, patient_id, object_type, object_id, via)"
            " SELECT %s, %s, %s, patient, kind, pk, %s"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS shown(patient, kind, pk)",
            [timezone.now(), actor.pk, action, via[:300], patients, kinds, pks],
        )


def log_shown(request, objects, patient_id=operator.attrgetter("patient_id")):
    """Access-log rows for the records a page lists (one insert): a list of patients is a look at each of them."""
    return log_list_access(actor=request.user, objects=objects, patient_id=patient_id, via=request.get_full_path())


def log_bulk(*, model, count, process, reason):
    """One change-log row for a bulk insert by a process (demo data, imports), rather than one per row."""
    return ChangeLog.objects.create(
        actor_label=_actor_label(None, process),
        action=AuditAction.CREATE,
        object_type=model._meta.label_lower,
        object_id="*",
        changes={"rows": [None, count]},
        reason=reason,
    )
