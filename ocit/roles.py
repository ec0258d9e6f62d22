"""What each role may do: the one table consulted by views, the API and the admin.

Which *records* a user may see is answered by each app's selectors (querysets scoped in SQL);
this table answers which *capabilities* a role has.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from ocit import audit
from ocit.models import AuditAction, Role

LIT_PRACTITIONER = Role.LIT_PRACTITIONER
LIT_COORDINATOR = Role.LIT_COORDINATOR
WARD_STAFF = Role.WARD_STAFF
PROGRAMME_BOARD = Role.PROGRAMME_BOARD
SYSTEM_ADMIN = Role.SYSTEM_ADMIN
INTERFACE = Role.INTERFACE

CAPABILITIES = {
    # The shared caseload: every LIT member sees all of it.
    "caseload.view": {LIT_PRACTITIONER, LIT_COORDINATOR},
    "caseload.allocate": {LIT_COORDINATOR},
    "patient.view": {LIT_PRACTITIONER, LIT_COORDINATOR, WARD_STAFF},  # ward staff: people on their wards
    "patient.edit": {LIT_PRACTITIONER, LIT_COORDINATOR},
    # Today's visits kept on the device for use without a signal: practitioners only, nobody else's device keeps any.
    "visits.offline": {LIT_PRACTITIONER},
    "patient.access_history": {LIT_COORDINATOR, SYSTEM_ADMIN},
    # The hospital side: ward staff see their own wards; LIT staff in-reach to every ward.
    "wardboard.view": {WARD_STAFF, LIT_PRACTITIONER, LIT_COORDINATOR},
    "spell.edit": {WARD_STAFF, LIT_PRACTITIONER, LIT_COORDINATOR, INTERFACE},
    # Referrals: ward staff raise and withdraw their own wards' referrals; the LIT pulls and decides.
    "referral.view": {WARD_STAFF, LIT_PRACTITIONER, LIT_COORDINATOR},
    "referral.raise": {WARD_STAFF, LIT_PRACTITIONER, LIT_COORDINATOR},
    "referral.withdraw": {WARD_STAFF, LIT_PRACTITIONER, LIT_COORDINATOR},
    "referral.decide": {LIT_PRACTITIONER, LIT_COORDINATOR},
    "pulllist.view": {LIT_PRACTITIONER, LIT_COORDINATOR},
    # Aggregates only: no names, NHS numbers or free text.
    "dashboard.view": {PROGRAMME_BOARD, LIT_COORDINATOR, SYSTEM_ADMIN},
    "benefits.recompute": {SYSTEM_ADMIN},
    "benefits.import": {SYSTEM_ADMIN},
    # The hospital's patient administration system: admissions, transfers and discharges as HL7 v2 ADT messages.
    "hl7.send": {INTERFACE},
    "hl7.messages": {SYSTEM_ADMIN},
    # Users, reference data and the audit trail.
    "admin.access": {SYSTEM_ADMIN},
    "audit.view": {SYSTEM_ADMIN},
}

HOME_PAGES = {
    LIT_PRACTITIONER: "caseload:mine",
    LIT_COORDINATOR: "caseload:triage",
    WARD_STAFF: "discharge:ward_board",
    PROGRAMME_BOARD: "benefits:dashboard",
    SYSTEM_ADMIN: "administration",
}


def can(user, capability):
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")
    return bool(user and user.is_authenticated and user.is_active and user.role in CAPABILITIES[capability])


def requires(capability):
    """View decorator: 403 unless the user's role has the capability."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class Capability(BasePermission):
    """DRF permission: `permission_classes = [Capability.of("caseload.view")]`."""

    capability = None

    @classmethod
    def of(cls, capability):
        CAPABILITIES[capability]  # fail at import for a typo
        return type(f"Capability[{capability}]", (cls,), {"capability": capability})

    def has_permission(self, request, view):
        return can(request.user, self.capability)


class CapabilityAdminMixin:
    """ModelAdmin mixin: the admin obeys the same table (default: system administrators)."""

    admin_capability = "admin.access"

    def has_module_permission(self, request):
        return can(request.user, self.admin_capability)

    def has_view_permission(self, request, obj=None):
        return can(request.user, self.admin_capability)

    def has_add_permission(self, request, *args):
        return can(request.user, self.admin_capability)

    def has_change_permission(self, request, obj=None):
        return can(request.user, self.admin_capability)

    def has_delete_permission(self, request, obj=None):
        return can(request.user, self.admin_capability)

    def save_model(self, request, obj, form, change):
        """Admin edits go into the same change log as everything else."""
        super().save_model(request, obj, form, change)
        audit.log_change(
            actor=request.user,
            obj=obj,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            changes={name: (form.initial.get(name), form.cleaned_data.get(name)) for name in form.changed_data},
            reason="Edited in the admin",
        )
