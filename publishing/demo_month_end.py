"""Demo: more of Northwind Bookkeeping's clients with items ready, so that a practice user can start a month-end
publish across clients (``/practice/month-end/``) and watch it. Globex Corporation (QuickBooks Online) and Hooli
Stores Ltd (Xero, connected by the practice) get ready costs and sales; Acme Trading Ltd has its own already.

Idempotent: a client that has this seeder's items (its sales invoices, ``INV-5100`` on) is left alone. The items are
coded from the connection's lists (synced inline by ``seed_items``), or in words that turn ready once the worker syncs
them.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Business, User
from publishing.demo import code_from_lists
from publishing.models import Item, ItemKind
from publishing.services import item_create

# supplier, category in the client's ledger, typical net amount
CLIENTS = {
    "Globex Corporation": (
        [
            ("Staples Business", "Office Expenses", 120),
            ("Pacific Gas & Electric", "Utilities", 410),
            ("United Airlines", "Travel", 690),
            ("Home Depot Pro", "Supplies", 260),
        ],
        ("Initrode Inc", "Sales of Product Income"),
    ),
    "Hooli Stores Ltd": (
        [
            ("Office Supplies Co", "461 Printing & Stationery", 85),
            ("Northern Power Ltd", "445 Light, Power, Heating", 310),
            ("Swift Couriers", "425 Freight & Courier", 42),
            ("Brightside Cleaning", "429 General Expenses", 140),
        ],
        ("Kestrel Logistics", "200 Sales"),
    ),
}
COSTS_PER_CLIENT = 18
SALES_PER_CLIENT = 3


def seed_month_end_clients() -> None:
    actor = User.objects.filter(email="practice.admin@northwind.test").first()
    rng = random.Random(20261130)  # demo data, not secrets
    today = timezone.localdate()
    for name, (suppliers, (customer, income)) in CLIENTS.items():
        business = Business.objects.filter(name=name).first()
        first_sale = "INV-5100"
        if business is None or Item.objects.for_business(business).filter(invoice_number=first_sale).exists():
            continue
        for n in range(COSTS_PER_CLIENT):
            supplier, category, typical = suppliers[n % len(suppliers)]
            net = Decimal(typical * rng.uniform(0.7, 1.4)).quantize(Decimal("0.01"))
            tax = (net * Decimal("0.20")).quantize(Decimal("0.01"))
            day = today - timedelta(days=rng.randint(1, 28))
            item_create(
                business=business,
                actor=actor,
                kind=ItemKind.COST,
                contact_name=supplier,
                date=day,
                due_date=day + timedelta(days=30),
                invoice_number=f"{supplier[:3].upper()}-{7100 + n}",
                total=net + tax,
                tax=tax,
                category=category,
            )
        for n in range(SALES_PER_CLIENT):
            net = Decimal(rng.choice([900, 1800, 2600])).quantize(Decimal("0.01"))
            day = today - timedelta(days=rng.randint(1, 20))
            item_create(
                business=business,
                actor=actor,
                kind=ItemKind.SALES,
                contact_name=customer,
                date=day,
                due_date=day + timedelta(days=14),
                invoice_number=f"INV-{5100 + n}",
                total=net,
                tax=Decimal("0.00"),
                category=income,
            )
        code_from_lists(business, actor)
