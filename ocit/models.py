from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    LIT_PRACTITIONER = "lit_practitioner", "LIT practitioner"
    LIT_COORDINATOR = "lit_coordinator", "LIT coordinator"
    WARD_STAFF = "ward_staff", "Ward staff"
    PROGRAMME_BOARD = "programme_board", "Programme board"
    SYSTEM_ADMIN = "system_admin", "System administrator"
    INTERFACE = "interface", "Interface (the hospital's ADT feed)"


LIT_ROLES = (Role.LIT_PRACTITIONER, Role.LIT_COORDINATOR)


class Discipline(models.TextChoices):
    NURSE = "nurse", "Nurse"
    OCCUPATIONAL_THERAPIST = "ot", "Occupational therapist"
    PHYSIOTHERAPIST = "physio", "Physiotherapist"
    SOCIAL_WORKER = "social_worker", "Social worker"
    SUPPORT_WORKER = "support_worker", "Support / reablement worker"
    COORDINATOR = "coordinator", "Coordinator"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("role", Role.SYSTEM_ADMIN)
        fields.setdefault("full_name", "System administrator")
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Logs in by email; what they may see and do follows from their role."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=32, choices=Role.choices)
    discipline = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    team = models.ForeignKey(
        "caseload.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text="The Local Integrated Team of a LIT practitioner or coordinator.",
    )
    wards = models.ManyToManyField(
        "discharge.Ward", blank=True, related_name="staff", help_text="The wards a member of ward staff works on."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                name="lit_staff_belong_to_a_team",
                condition=~Q(role__in=LIT_ROLES) | Q(team__isnull=False),
                violation_error_message="LIT practitioners and coordinators must belong to a LIT.",
            )
        ]
        indexes = [models.Index(fields=["team", "role", "discipline"], name="user_team_role_discipline")]

    def __str__(self):
        return self.full_name or self.email

    @property
    def is_staff(self):
        """Only system administrators reach the Django admin."""
        return self.is_active and self.role == Role.SYSTEM_ADMIN

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    TRANSITION = "transition", "Status changed"


class ChangeLog(models.Model):
    """Append-only: who changed which record, when, which fields from what to what, and why.

    Rows are written by the service layer only; PostgreSQL refuses UPDATE and DELETE on this table.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    actor_label = models.CharField(max_length=200, help_text="The user's email, or the process that acted.")
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, help_text="{field: [old, new]}")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="changelog_object")]

    def __str__(self):
        return f"{self.actor_label} {self.get_action_display().lower()} {self.object_type} {self.object_id}"


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    EXPORT = "export", "Exported"


class AccessLog(models.Model):
    """Append-only: who viewed or exported which patient record, when, and through which page or API call."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=AccessAction.choices, default=AccessAction.VIEW)
    patient_id = models.BigIntegerField(db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    via = models.CharField(max_length=300, help_text="The page or API endpoint used.")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.actor} {self.get_action_display().lower()} patient {self.patient_id} via {self.via}"


class IdempotentRequest(models.Model):
    """A POST sent with a one-time key (the API's `Idempotency-Key` header, a form's token) and the answer it got:
    the same key again gets the same answer, and the write is not made twice."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_user_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self):
        return f"{self.key} ({self.status_code})"
