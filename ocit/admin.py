from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from ocit.models import AccessLog, ChangeLog, User
from ocit.roles import CapabilityAdminMixin


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "role", "discipline", "team"]


class UserForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(CapabilityAdminMixin, DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "role", "discipline", "team", "is_active", "last_login"]
    list_filter = ["role", "team", "discipline", "is_active"]
    search_fields = ["full_name", "email"]
    filter_horizontal = ["wards"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "discipline"]}),
        ("Access", {"fields": ["role", "team", "wards", "is_active"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "discipline", "team", "password1", "password2"],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: audit rows keep pointing at the account


class ReadOnlyAdmin(CapabilityAdminMixin, admin.ModelAdmin):
    """Records shown in the admin but only ever written by the service layer."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAuditAdmin(ReadOnlyAdmin):
    admin_capability = "audit.view"
    date_hierarchy = "at"


@admin.register(ChangeLog)
class ChangeLogAdmin(ReadOnlyAuditAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "patient_id", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id", "=patient_id"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAuditAdmin):
    list_display = ["at", "actor", "action", "patient_id", "object_type", "via"]
    list_filter = ["action", "object_type"]
    search_fields = ["=patient_id", "actor__email"]
    list_select_related = ["actor"]
