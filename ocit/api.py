"""Shared pieces of the REST API."""

import copy
from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import JsonResponse
from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ocit import audit
from ocit.bounds import implausible
from ocit.errors import DomainError

PROBLEM = "application/problem+json"
FIELD_ERRORS = "Some fields are missing or wrong: see errors."


def problem(status_code, detail="", **extensions):
    """An error answer as problem details (RFC 9457): type, title, status and detail, then extension members —
    `errors` ({field: [messages]}) for bad input, the current state for a conflict."""
    body = {"type": "about:blank", "title": HTTPStatus(status_code).phrase, "status": status_code}
    if detail:
        body["detail"] = str(detail)
    clashes = body.keys() & extensions.keys()
    assert not clashes, f"an extension member may not replace the problem's own: {sorted(clashes)}"
    return {**body, **extensions}


def problem_response(status_code, detail="", **extensions):
    """The same, for a view outside DRF (the error pages, middleware)."""
    return JsonResponse(problem(status_code, detail, **extensions), status=status_code, content_type=PROBLEM)


def exception_handler(exc, context):
    """Every error is problem details: model validation errors 400 with field errors, domain conflicts 409, an
    unavailable service 503 — never a 500 for bad input."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        if "__all__" in errors:
            errors["non_field_errors"] = errors.pop("__all__")
        exc = ValidationError(errors)
    if isinstance(exc, DomainError):
        return Response(problem(exc.http_status, exc.message, **exc.details), exc.http_status, content_type=PROBLEM)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: the 500 handler answers, as problem details too
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        response.data = problem(response.status_code, data["detail"])
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = problem(response.status_code, FIELD_ERRORS, errors=errors)
    response.content_type = PROBLEM
    return response


class AccessLogged:
    """A view of patient data writes access-log rows, like opening the record on screen: retrieving one record,
    one row; listing them, one row for each record on the page, in one insert."""

    def patient_id_of(self, obj):
        return obj.patient_id

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        audit.log_access(
            actor=request.user,
            patient_id=self.patient_id_of(obj),
            obj=obj,
            via=f"API {request.get_full_path()}",
        )
        return Response(self.get_serializer(obj).data)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        audit.log_list_access(
            actor=self.request.user,
            objects=page if page is not None else queryset,
            patient_id=self.patient_id_of,
            via=f"API {self.request.get_full_path()}",
        )
        return page


class DateTimeField(serializers.DateTimeField):
    """DRF's, looking up the current time zone once per field rather than for every value it writes: a serializer's
    fields are built for each request, and a page of 50 rows writes hundreds of times, each lookup a context-local
    read that added up to a sixth of the page's serialization."""

    @cached_property
    def timezone(self):
        return self.default_timezone()


# The lists' model serializers: a model's date-times are written by the DateTimeField above. (No docstring: the
# schema would take it as the description of every serializer without one of its own.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def get_fields(self):
        """DRF's, built once per serializer class: DRF looks the model over and builds every field afresh for each
        serializer, a twentieth of a list's time. These serializers only write lists out, with no nested
        serializers, and no field keeps anything between uses, so each serializer binds shallow copies of its own."""
        fields = _serializer_fields.get(type(self))
        if fields is None:
            fields = _serializer_fields[type(self)] = super().get_fields()
        return {name: copy.copy(field) for name, field in fields.items()}

    @cached_property
    def _readable_fields(self):
        """DRF's, listed once: DRF goes through the serializer's fields afresh for every row it writes."""
        return [field for field in self.fields.values() if not field.write_only]


_serializer_fields = {}  # ModelSerializer subclass → its fields, as DRF builds them


BAD_INPUT = OpenApiResponse(description="Field errors: {field: [messages]}.")


def _wrong_json_type(field, value):
    """The type a JSON value should have had for this field, or None when it has it (or is null)."""
    if value is None:
        return None
    if isinstance(field, serializers.MultipleChoiceField):
        expected = list
    elif isinstance(field, serializers.ChoiceField):
        expected = int if all(isinstance(key, int) for key in field.choices) else str
    elif isinstance(field, serializers.BooleanField):
        expected = bool
    elif isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        expected = int
    elif isinstance(field, serializers.DecimalField | serializers.FloatField):
        expected = (int, float, str)
    elif isinstance(
        field, serializers.CharField | serializers.DateField | serializers.DateTimeField | serializers.SlugRelatedField
    ):
        expected = str
    elif isinstance(field, serializers.ListField | serializers.ListSerializer):
        expected = list
    elif isinstance(field, serializers.DictField | serializers.Serializer):
        expected = dict
    else:
        return None
    if isinstance(value, bool) and expected is not bool:
        return expected
    return None if isinstance(value, expected) else expected


JSON_NAMES = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "an object"}


def json_type_errors(fields, data):
    """{field: [message]} for every JSON value of the wrong type. DRF would quietly turn 0 into "0", "5" into 5
    or "true" into True; the schema says what each field takes, and the API holds to it."""
    errors = {}
    for name, value in data.items() if isinstance(data, dict) else ():
        field = fields.get(name)
        if field is None or field.read_only:
            continue
        expected = _wrong_json_type(field, value)
        if expected is not None:
            errors[name] = [f"Send {JSON_NAMES.get(expected, 'a number')}."]
        elif isinstance(field, serializers.Serializer) and isinstance(value, dict):
            nested = json_type_errors(field.fields, value)
            if nested:
                errors[name] = nested
    return errors


def validated_input(serializer_class, request, **kwargs):
    """Check a request body's types and required fields; the service decides the rest."""
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    if request.content_type == "application/json":
        errors = json_type_errors(serializer.fields, request.data)
        if errors:
            raise ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    errors = implausible(serializer.validated_data)
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})
    return dict(serializer.validated_data)


class ReadWriteViewSet(viewsets.GenericViewSet):
    """Reads need `read_permission`, writes `write_permission`: the one role table in ocit/roles.py."""

    read_permission = None
    write_permission = None

    def get_permissions(self):
        permission = self.read_permission if self.request.method in SAFE_METHODS else self.write_permission
        return [permission()]


def idempotency_key_header(result, generator, request, public):
    """drf-spectacular postprocessing hook: every POST takes an optional `Idempotency-Key` (ocit.idempotency)."""
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        operation.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 100},
                "description": "A key unique to this request (a UUID, say). Sent again with the same request, it "
                "is acted on once and answered as the first time; with a different request, 422.",
            }
        )
        operation.setdefault("responses", {})["422"] = {"description": "The key was used for a different request."}
    return result


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "Problem details (RFC 9457). A 400 lists the field errors in `errors`; a 409 adds the record's "
    "current state.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "{field: [messages]}",
            "additionalProperties": {},
        },
    },
    "required": ["type", "title", "status"],
    "additionalProperties": {},
}
ERRORS = {
    "400": "Bad input: the fields at fault in `errors`.",
    "403": "Not signed in, or not allowed to do this.",
    "404": "Not found, or not a record this user may see.",
    "414": "The address is longer than 8,190 bytes (refused by the web server, still as problem details).",
}
WRITE_ERRORS = {"409": "The record changed since it was read, or the move is not allowed from its state."}


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer (400, 403, 404; a
    write 409 too), each as problem details (`application/problem+json`), as `exception_handler` sends them."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            expected = {**ERRORS, **(WRITE_ERRORS if method != "get" else {})}
            for code, description in expected.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if not code.startswith(("4", "5")):
                    continue
                # A documented error body keeps its own members, on top of the problem's.
                schemas = [media["schema"] for media in response.get("content", {}).values() if "schema" in media]
                response["content"] = (
                    {PROBLEM: {"schema": {"allOf": [content[PROBLEM]["schema"], schemas[0]]}}} if schemas else content
                )
    return result
