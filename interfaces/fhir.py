"""A FHIR R4 read API at /fhir/ (JSON, UK Core profiles): Patient, Encounter (a hospital stay), EpisodeOfCare (a
caseload episode), ServiceRequest and its Task (a referral and where it stands), CarePlan and Goal (reablement),
and the CapabilityStatement at /fhir/metadata. Search by the patient's NHS number (`identifier` on Patient,
`patient.identifier` on the rest, `https://fhir.nhs.uk/Id/nhs-number|<number>`) and `_lastUpdated` (ge, gt, le, lt
and a date or instant). The same roles and scoping as the pages, and every resource returned is access-logged.
"""

import datetime
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from caseload import selectors as caseload_selectors
from caseload.models import EpisodeStatus, Goal, GoalStatus
from discharge import selectors as discharge_selectors
from ocit import audit
from ocit.identifiers import normalise_nhs_number
from ocit.roles import can
from referrals import selectors as referral_selectors
from referrals.models import ReferralStatus

FHIR_JSON = "application/fhir+json"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
VISIT_NUMBER = "https://fhir.uhcw.nhs.uk/Id/visit-number"
PROFILE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-{}"
PAGE = 50
LARGEST_PAGE = 200


class BadSearch(Exception):
    pass


def instant(moment):
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _meta(kind, obj):
    return {"profile": [PROFILE.format(kind)], "lastUpdated": instant(obj.updated_at)}


def _ref(kind, pk, display=None):
    reference = {"reference": f"{kind}/{pk}"}
    if display:
        reference["display"] = display
    return reference


def _period(start, end):
    period = {"start": instant(start)}
    if end:
        period["end"] = instant(end)
    return period


def _drop_empty(resource):
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


# Resources ----------------------------------------------------------------------------------------------


def patient_resource(patient):
    return _drop_empty(
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "meta": _meta("Patient", patient),
            "identifier": [{"system": NHS_NUMBER, "value": patient.nhs_number}] if patient.nhs_number else [],
            "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
            "gender": {"female": "female", "male": "male", "other": "other"}.get(patient.sex, "unknown"),
            "birthDate": patient.date_of_birth.isoformat(),
            "telecom": [{"system": "phone", "value": patient.phone}] if patient.phone else [],
            "address": [
                _drop_empty({"line": [patient.address] if patient.address else [], "postalCode": patient.postcode})
            ],
        }
    )


def encounter_resource(spell):
    return _drop_empty(
        {
            "resourceType": "Encounter",
            "id": str(spell.pk),
            "meta": _meta("Encounter", spell),
            "identifier": [{"system": VISIT_NUMBER, "value": spell.visit_number}] if spell.visit_number else [],
            "status": "finished" if spell.discharged_at else "in-progress",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "IMP",
                "display": "inpatient encounter",
            },
            "subject": _ref("Patient", spell.patient_id),
            "period": _period(spell.admitted_at, spell.discharged_at),
            "location": [{"location": {"display": spell.ward.name}}],
            "hospitalization": (
                {"dischargeDisposition": {"text": spell.get_destination_display()}} if spell.destination else None
            ),
        }
    )


def episode_of_care_resource(episode):
    status = {EpisodeStatus.AWAITING_ALLOCATION: "waitlist", EpisodeStatus.ACTIVE: "active"}.get(
        episode.status, "finished"
    )
    return _drop_empty(
        {
            "resourceType": "EpisodeOfCare",
            "id": str(episode.pk),
            "meta": _meta("EpisodeOfCare", episode),
            "status": status,
            "type": [{"text": episode.get_service_display()}],
            "patient": _ref("Patient", episode.patient_id),
            "managingOrganization": {"display": episode.team.name},
            "period": _period(episode.received_at, episode.closed_at),
        }
    )


REQUEST_STATUS = {
    ReferralStatus.RECEIVED: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.COMPLETED: "completed",
}
TASK_STATUS = {
    ReferralStatus.RECEIVED: "requested",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "rejected",
    ReferralStatus.REDIRECTED: "rejected",
    ReferralStatus.WITHDRAWN: "cancelled",
    ReferralStatus.COMPLETED: "completed",
}


def service_request_resource(referral):
    return _drop_empty(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.pk),
            "meta": _meta("ServiceRequest", referral),
            "status": REQUEST_STATUS.get(referral.status, "revoked"),
            "intent": "order",
            "priority": {"urgent": "urgent", "high": "asap"}.get(referral.urgency, "routine"),
            "code": {"text": f"Referral to OCIT: {referral.get_requested_service_display()}"},
            "subject": _ref("Patient", referral.patient_id),
            "encounter": _ref("Encounter", referral.spell_id) if referral.spell_id else None,
            "authoredOn": instant(referral.received_at),
            "requester": {"display": referral.referrer_name},
        }
    )


def task_resource(referral):
    return _drop_empty(
        {
            "resourceType": "Task",
            "id": str(referral.pk),
            "meta": _meta("Task", referral),
            "status": TASK_STATUS[referral.status],
            "businessStatus": {"text": referral.get_status_display()},
            "intent": "order",
            "focus": _ref("ServiceRequest", referral.pk),
            "for": _ref("Patient", referral.patient_id),
            "authoredOn": instant(referral.received_at),
            "lastModified": instant(referral.updated_at),
            "statusReason": {"text": referral.decision_reason} if referral.decision_reason else None,
        }
    )


def care_plan_resource(episode):
    goals = list(episode.goals.all())
    return _drop_empty(
        {
            "resourceType": "CarePlan",
            "id": str(episode.pk),
            "meta": _meta("CarePlan", episode),
            "status": "completed" if episode.status == EpisodeStatus.CLOSED else "active",
            "intent": "plan",
            "title": f"{episode.get_service_display()}: what matters to me",
            "subject": _ref("Patient", episode.patient_id),
            "period": _period(episode.received_at, episode.closed_at),
            "goal": [_ref("Goal", goal.pk) for goal in goals],
        }
    )


ACHIEVEMENT = {
    GoalStatus.OPEN: "in-progress",
    GoalStatus.ACHIEVED: "achieved",
    GoalStatus.PARTLY: "improving",
    GoalStatus.NOT_ACHIEVED: "not-achieved",
}


def goal_resource(goal):
    return _drop_empty(
        {
            "resourceType": "Goal",
            "id": str(goal.pk),
            "meta": _meta("Goal", goal),
            "lifecycleStatus": "active" if goal.status == GoalStatus.OPEN else "completed",
            "achievementStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                        "code": ACHIEVEMENT[goal.status],
                    }
                ]
            },
            "description": {"text": goal.text},
            "subject": _ref("Patient", goal.episode.patient_id),
            "target": [{"dueDate": goal.target_date.isoformat()}] if goal.target_date else [],
        }
    )


# What each resource type reads: (capability, the user's rows, how to build one, the path to the patient).
TYPES = {
    "Patient": ("patient.view", lambda user: caseload_selectors.patients_for(user=user), patient_resource, ""),
    "Encounter": (
        "wardboard.view",
        lambda user: discharge_selectors.spells_for(user=user).select_related("ward"),
        encounter_resource,
        "patient__",
    ),
    "EpisodeOfCare": (
        "caseload.view",
        lambda user: caseload_selectors.episodes_for(user=user),
        episode_of_care_resource,
        "patient__",
    ),
    "ServiceRequest": (
        "referral.view",
        lambda user: referral_selectors.referrals_for(user=user),
        service_request_resource,
        "patient__",
    ),
    "Task": ("referral.view", lambda user: referral_selectors.referrals_for(user=user), task_resource, "patient__"),
    "CarePlan": (
        "caseload.view",
        lambda user: caseload_selectors.episodes_for(user=user).prefetch_related("goals"),
        care_plan_resource,
        "patient__",
    ),
    "Goal": (
        "caseload.view",
        lambda user: (
            Goal.objects.filter(episode__in=caseload_selectors.episodes_for(user=user).values("pk"))
            .select_related("episode")
            .order_by("pk")
        ),
        goal_resource,
        "episode__patient__",
    ),
}


def _patient_id(kind, obj):
    if kind == "Patient":
        return obj.pk
    if kind == "Goal":
        return obj.episode.patient_id
    return obj.patient_id


# Search parameters ---------------------------------------------------------------------------------------


def _nhs_number(token):
    system, _, value = token.rpartition("|")
    if system and system != NHS_NUMBER:
        raise BadSearch(f"Only the NHS number system ({NHS_NUMBER}) is searched, not {system}.")
    try:
        return normalise_nhs_number(value)
    except Exception:
        raise BadSearch(f"{value!r} is not a valid NHS number.") from None


LAST_UPDATED = {"ge": "gte", "gt": "gt", "le": "lte", "lt": "lt", "eq": "gte"}


def _last_updated(value):
    prefix, moment = (value[:2], value[2:]) if value[:2] in LAST_UPDATED else ("eq", value)
    when = parse_datetime(moment) if "T" in moment else None
    if when is None:
        day = parse_date(moment)
        if day is None:
            raise BadSearch(f"_lastUpdated: {value!r} is not a date or an instant (for example ge2026-11-01).")
        when = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    elif timezone.is_naive(when):
        raise BadSearch("_lastUpdated: an instant needs its time zone (Z or +01:00).")
    return LAST_UPDATED[prefix], when


def search(kind, rows, params):
    _, _, _, patient = TYPES[kind]
    known = {"identifier" if kind == "Patient" else "patient.identifier", "_lastUpdated", "_count", "patient"}
    unknown = set(params) - known
    if unknown:
        raise BadSearch(f"Not a search parameter for {kind}: {', '.join(sorted(unknown))}.")
    for token in params.getlist("identifier" if kind == "Patient" else "patient.identifier"):
        rows = rows.filter(**{f"{patient}nhs_number": _nhs_number(token)})
    for value in params.getlist("patient"):
        if not value.removeprefix("Patient/").isdigit():
            raise BadSearch(f"patient: {value!r} is not a Patient id.")
        rows = rows.filter(**{f"{patient}pk" if patient else "pk": int(value.removeprefix("Patient/"))})
    for value in params.getlist("_lastUpdated"):
        lookup, when = _last_updated(value)
        rows = rows.filter(**{f"updated_at__{lookup}": when})
    count = params.get("_count", str(PAGE))
    if not count.isdigit() or not 1 <= int(count) <= LARGEST_PAGE:
        raise BadSearch(f"_count: a whole number from 1 to {LARGEST_PAGE}.")
    return rows.order_by("pk"), int(count)


# Views -----------------------------------------------------------------------------------------------------


def outcome(status, text, code="processing"):
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return JsonResponse(body, status=status, content_type=FHIR_JSON)


def fhir_view(view):
    """JSON in FHIR's own shape, errors as OperationOutcome (401 not signed in, 403, 404, 400 a bad search)."""

    @login_not_required  # answered as FHIR (401) rather than sent to the sign-in page
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return outcome(401, "Sign in first.", "login")
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return outcome(403, "This role may not read this resource.", "forbidden")
        except Http404:
            return outcome(404, "No such resource, or not one this user may see.", "not-found")
        except BadSearch as bad:
            return outcome(400, str(bad), "invalid")

    return wrapped


def _resolve(request, kind):
    if kind not in TYPES:
        raise Http404
    capability, rows, build, _ = TYPES[kind]
    if not can(request.user, capability):
        raise PermissionDenied
    return rows(request.user), build


@fhir_view
def search_view(request, kind):
    rows, build = _resolve(request, kind)
    rows, count = search(kind, rows, request.GET)
    total = rows.count()
    found = list(rows[:count])
    audit.log_list_access(
        actor=request.user, objects=found, patient_id=lambda obj: _patient_id(kind, obj), via=request.get_full_path()
    )
    base = request.build_absolute_uri(reverse("fhir_search", args=[kind]))
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": "self", "url": request.build_absolute_uri()}],
        "entry": [
            {"fullUrl": f"{base}/{obj.pk}", "resource": build(obj), "search": {"mode": "match"}} for obj in found
        ],
    }
    return JsonResponse(bundle, content_type=FHIR_JSON)


@fhir_view
def read_view(request, kind, pk):
    rows, build = _resolve(request, kind)
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise Http404
    audit.log_list_access(
        actor=request.user, objects=[obj], patient_id=lambda found: _patient_id(kind, found), via=request.path
    )
    return JsonResponse(build(obj), content_type=FHIR_JSON)


@login_not_required
def metadata(request):
    """The CapabilityStatement: what this server reads and searches."""
    resources = [
        {
            "type": kind,
            "profile": PROFILE.format(kind),
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": "identifier" if kind == "Patient" else "patient.identifier", "type": "token"},
                {"name": "_lastUpdated", "type": "date"},
            ],
        }
        for kind in TYPES
    ]
    body = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "kind": "instance",
        "software": {"name": "OCIT Care Record"},
        "implementation": {
            "description": "OCIT Care Record FHIR read API",
            "url": request.build_absolute_uri("/fhir/"),
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{"mode": "server", "resource": resources}],
    }
    return JsonResponse(body, content_type=FHIR_JSON)
