"""Tenant scoping: the fail-closed manager for tenant-owned models.

``Model.objects.for_business(business)`` is the way in; ``Model.objects.all()`` raises, so a
forgotten scope is a crash in tests rather than a leak in production. ``unscoped()`` is the
deliberately loud escape hatch for the admin, workers and maintenance commands.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models


class TenantScopeError(RuntimeError):
    pass


class TenantQuerySet(models.QuerySet):
    def by_id(self, pk):
        """The row with this id, or None when there is none or the id is malformed (never an error)."""
        try:
            return self.filter(pk=pk).first()
        except (ValueError, TypeError, DjangoValidationError):
            return None


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    def get_queryset(self):
        raise TenantScopeError(
            f"{self.model.__name__}.objects needs a tenant: use .for_business(business) or .unscoped()."
        )

    def for_business(self, business) -> TenantQuerySet:
        if business is None:
            raise TenantScopeError("for_business() needs a business.")
        business_id = getattr(business, "pk", business)
        return TenantQuerySet(self.model, using=self._db).filter(business_id=business_id)

    def unscoped(self) -> TenantQuerySet:
        return TenantQuerySet(self.model, using=self._db)

    @staticmethod
    def _require_business(objs) -> list:
        objs = list(objs)
        if any(getattr(o, "business_id", None) is None for o in objs):
            raise TenantScopeError("Every row needs a business.")
        return objs

    def bulk_create(self, objs, *args, **kwargs):
        return self.unscoped().bulk_create(self._require_business(objs), *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        return self.unscoped().bulk_update(self._require_business(objs), fields, *args, **kwargs)

    def create(self, **kwargs):
        if kwargs.get("business") is None and kwargs.get("business_id") is None:
            raise TenantScopeError(f"{self.model.__name__} needs a business.")
        return self.unscoped().create(**kwargs)


class TenantModel(models.Model):
    """Base for tenant-owned rows.

    The plain manager stays the *default* manager so that Django's own machinery (related
    managers, cascades, the admin) keeps working; application code uses ``objects``.
    """

    business = models.ForeignKey("accounts.Business", on_delete=models.CASCADE, related_name="+")

    all_tenants = models.Manager()
    objects = TenantManager()

    class Meta:
        abstract = True
        default_manager_name = "all_tenants"
