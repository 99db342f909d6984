"""Users, businesses (the tenants), practices, who may reach what, and the audit log that every app writes."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.tenancy import TenantModel
from dext_connections.fields import JSONField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def check_password(self, raw_password: str) -> bool:
        """Django's check; when it re-hashes a right password (a stronger hasher, more iterations), the
        user's API tokens move to the new hash with it, since that is no change of password."""

        def rehash(raw: str) -> None:
            old_fingerprints = ApiToken.password_fingerprints(self.password)
            self.set_password(raw)
            self._password = None
            self.save(update_fields=["password"])
            ApiToken.objects.filter(user=self, password_fingerprint__in=old_fingerprints).update(
                password_fingerprint=ApiToken.password_fingerprints(self.password)[0]
            )

        return check_password(raw_password, self.password, rehash)


class Practice(models.Model):
    """An accounting or bookkeeping firm whose staff work inside client businesses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Business(models.Model):
    """The tenant. Every tenant-owned row carries ``business_id``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    practice = models.ForeignKey(
        Practice,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
        help_text="The practice that keeps this business's books, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


class BusinessRole(models.TextChoices):
    BUSINESS_ADMIN = "business_admin", "Business Admin"
    USER_ADMIN = "user_admin", "User Admin"
    STANDARD = "standard", "Standard"


class BusinessMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="business_memberships")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=BusinessRole.choices, default=BusinessRole.STANDARD)
    can_publish = models.BooleanField(default=False, help_text="Standard users only: may publish items.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "user"], name="uniq_business_member")]
        indexes = [models.Index(fields=["user"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.business} ({self.get_role_display()})"


class PracticeRole(models.TextChoices):
    PRACTICE_ADMIN = "practice_admin", "Practice Admin"
    CLIENT_ADMIN = "client_admin", "Client Admin"
    STANDARD = "standard", "Standard"


class PracticeMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="practice_memberships")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=PracticeRole.choices, default=PracticeRole.STANDARD)
    assigned_clients = models.ManyToManyField(
        Business,
        through="ClientAssignment",
        blank=True,
        related_name="assigned_practice_members",
        help_text="Standard practice users reach only these clients.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practice", "user"], name="uniq_practice_member")]
        indexes = [models.Index(fields=["user"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.practice} ({self.get_role_display()})"

    @property
    def reaches_every_client(self) -> bool:
        return self.role in (PracticeRole.PRACTICE_ADMIN, PracticeRole.CLIENT_ADMIN)


class ClientAssignment(models.Model):
    membership = models.ForeignKey(PracticeMembership, on_delete=models.CASCADE, related_name="assignments")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="practice_assignments")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "business"], name="uniq_client_assignment")]

    def __str__(self) -> str:
        return f"{self.membership.user} → {self.business}"


_FINGERPRINT_SALT = "accounts.ApiToken.password_fingerprint"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the key is stored.

    A token works until ``expires_at`` (``None``: never) and only while its user's password is the one it
    was issued under: ``password_fingerprint`` is a keyed hash of the user's password hash at issue time
    (as Django's sessions keep one), so any change of password, by whatever path, ends every token.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="The owner's label for the token.")
    key_digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The first characters of the key, to recognise it.")
    password_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def password_fingerprints(password_hash: str) -> list[str]:
        """The fingerprint of a password hash under SECRET_KEY, then under each of SECRET_KEY_FALLBACKS."""
        secrets_in_use = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        return [
            salted_hmac(_FINGERPRINT_SALT, password_hash or "", secret=secret, algorithm="sha256").hexdigest()
            for secret in secrets_in_use
        ]

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def issued_under_current_password(self) -> bool:
        return any(
            constant_time_compare(self.password_fingerprint, fingerprint)
            for fingerprint in self.password_fingerprints(self.user.password)
        )


class AuditLogEntry(TenantModel):
    """R7: who changed which connection, default, supplier rule or item integration, and how."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    before = JSONField(null=True, blank=True)
    after = JSONField(null=True, blank=True)

    class Meta:
        # Moved here from integrations (the lowest app that every writer imports); the table kept its name.
        db_table = "integrations_auditlogentry"
        ordering = ["-id"]
        indexes = [models.Index(fields=["business", "-id"], name="audit_business_recent")]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
