"""Suppliers and customers: found by name (ignoring case and repeated spaces) or made."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.models import Business
from dext_connections.errors import ApplicationError, Conflict
from publishing.models import Customer, Supplier


def _contact_get_or_create(model, *, business: Business, name: str):
    name = " ".join(name.split())
    if not name:
        return None
    existing = model.objects.for_business(business).filter(name__iexact=name).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return model.objects.create(business=business, name=name[:255])
    except IntegrityError:  # created by a concurrent request
        return model.objects.for_business(business).get(name__iexact=name)


def supplier_get_or_create(*, business: Business, name: str) -> Supplier | None:
    return _contact_get_or_create(Supplier, business=business, name=name)


def customer_get_or_create(*, business: Business, name: str) -> Customer | None:
    return _contact_get_or_create(Customer, business=business, name=name)


def supplier_create(*, business: Business, name: str) -> Supplier:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(
            "invalid", "A supplier needs a name.", extra={"errors": {"name": ["This field is required."]}}
        )
    if Supplier.objects.for_business(business).annotate(lname=Lower("name")).filter(lname=name.lower()).exists():
        raise Conflict("supplier_exists", f"A supplier called {name!r} already exists.")
    return supplier_get_or_create(business=business, name=name)
