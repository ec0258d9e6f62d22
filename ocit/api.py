"""Shared pieces of the REST API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ocit import audit
from ocit.errors import DomainError


def exception_handler(exc, context):
    """Model validation errors become 400 with field errors; domain conflicts 409 — never a 500."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        if "__all__" in errors:
            errors["non_field_errors"] = errors.pop("__all__")
        exc = ValidationError(errors)
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    return drf_exception_handler(exc, context)


class AccessLoggedRetrieveMixin:
    """Retrieving one record about a patient writes an access-log row, like opening it on screen."""

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


BAD_INPUT = OpenApiResponse(description="Field errors: {field: [messages]}.")


def validated_input(serializer_class, request, **kwargs):
    """Check a request body's types and required fields; the service decides the rest."""
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
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
