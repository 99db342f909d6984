"""Demo items for Acme Trading Ltd: costs, expense claims and sales, suppliers, customers and rules.

Idempotent: a second run adds nothing. Expects ``accounts.demo.seed_accounts()`` to have run; uses
Acme's Xero and Bill.com connections when they exist and skips the integration bits otherwise.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Business, User
from integrations.demo import sync_demo_lists
from integrations.providers.bill_com import BillCom
from integrations.providers.xero import Xero
from integrations.selectors import connections_live
from publishing.models import Item, ItemKind, ItemState, SupplierRule
from publishing.services import (
    item_create,
    item_set_integration,
    item_update,
    supplier_get_or_create,
    supplier_rule_create,
)

# supplier, category, typical net amount, tax rate
COST_SUPPLIERS = [
    ("Office Supplies Co", "461 Printing & Stationery", 85, "20% (VAT on Expenses)"),
    ("Northern Power Ltd", "445 Light, Power, Heating", 310, "5% (VAT on Expenses)"),
    ("Swift Couriers", "425 Freight & Courier", 42, "20% (VAT on Expenses)"),
    ("Google Workspace", "485 Subscriptions", 64, "20% (VAT on Expenses)"),
    ("Meta Platforms Ireland", "400 Advertising", 450, "Reverse Charge Expenses (20%)"),
    ("Printworks Studio", "400 Advertising", 220, "20% (VAT on Expenses)"),
    ("CloudHost UK", "489 Telephone & Internet", 96, "20% (VAT on Expenses)"),
    ("Brightside Cleaning", "429 General Expenses", 140, "20% (VAT on Expenses)"),
]
CLAIMS = [
    ("Metro Rail", "493 Travel - National", 38),
    ("Brew & Bean Café", "420 Entertainment", 24),
    ("Premier Inn", "494 Travel - International", 112),
    ("City Cabs", "493 Travel - National", 19),
    ("Metro Rail", "493 Travel - National", 54),
]
CUSTOMERS = ["Bluebell Interiors", "Harbour Dental Clinic", "Greenfield Academy", "Kestrel Logistics"]


def _pdf_text(value: str) -> bytes:
    escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("cp1252", errors="replace")


def demo_pdf(*, title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica text), written by hand: no library needed."""
    content = b"BT /F1 20 Tf 56 780 Td (" + _pdf_text(title) + b") Tj ET\n"
    y = 740
    for line in lines:
        if line:
            content += b"BT /F1 11 Tf 56 %d Td (" % y + _pdf_text(line) + b") Tj ET\n"
        y -= 18
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _invoice_pdf(*, supplier: str, number: str, date, net: Decimal, tax: Decimal, what: str) -> ContentFile:
    pdf = demo_pdf(
        title=supplier,
        lines=[
            "INVOICE",
            "",
            f"Invoice no.: {number}",
            f"Date: {date:%d %B %Y}",
            "Bill to: Acme Trading Ltd, 14 Wharf Street, Leeds LS2 7EQ",
            "",
            f"{what:<50} £{net:>10,.2f}",
            f"VAT                                                £{tax:>10,.2f}",
            f"Total due                                          £{net + tax:>10,.2f}",
            "",
            "Payment by bank transfer within 30 days. Thank you for your business.",
        ],
    )
    return ContentFile(pdf, name=f"{number}.pdf")


def _created_at(day, rng: random.Random) -> datetime:
    """Uploaded the day after the document's date (never in the future)."""
    moment = timezone.make_aware(datetime.combine(day, time(9, 0))) + timedelta(days=1, minutes=rng.randint(0, 600))
    return min(moment, timezone.now() - timedelta(minutes=rng.randint(1, 90)))


def _rules(acme: Business, actor: User, xero, bill) -> None:
    rules = [
        ("Office Supplies Co", xero, {"category": "461 Printing & Stationery", "due_in_days": 30}),
        ("Northern Power Ltd", None, {"category": "445 Light, Power, Heating", "tax_rate": "5% (VAT on Expenses)"}),
        ("Meta Platforms Ireland", None, {"category": "400 Advertising", "auto_publish": "never"}),
        ("Google Workspace", bill, {"category": "485 Subscriptions", "paid": True, "payment_method": "Company card"}),
    ]
    for name, connection, fields in rules:
        supplier = supplier_get_or_create(business=acme, name=name)
        if SupplierRule.objects.for_business(acme).filter(supplier=supplier).exists():
            continue
        supplier_rule_create(
            business=acme,
            actor=actor,
            supplier_id=supplier.pk,
            integration_id=connection.pk if connection else None,
            **fields,
        )


_WORD = re.compile(r"[a-z]+")


def _words(text: str) -> set[str]:
    """The words of an account's name that say what it is for ("461 Printing & Stationery" → printing, stationery)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in ("and", "the", "vat", "on")}


def _best_entry(text: str, entries: list):
    """The entry of a ledger's list that ``text`` (words written for another ledger) most likely means: the same
    rate for a tax rate ("20% (VAT on Expenses)"), else the one sharing the most words with it; None: no match."""
    percent = re.search(r"(\d+(?:\.\d+)?)%", text)
    if percent and any(e.rate is not None for e in entries):
        wanted = Decimal(percent.group(1))
        same = [e for e in entries if e.rate == wanted]
        if same:
            return max(same, key=lambda e: len(_words(text) & _words(e.name)))
    scored = [(len(_words(text) & _words(e.name)), e) for e in entries]
    score, entry = max(scored, key=lambda pair: pair[0], default=(0, None))
    return entry if score else None


def code_from_lists(business: Business, actor: User | None) -> int:
    """Code the business's unpublished items from their integrations' lists where the demo's words did not name an
    entry (they were written with Xero's chart in mind): the closest entry of the same list. An item without a
    category stays in To review, saying which list to choose from. Answers how many items changed."""
    from integrations.lists.models import ListEntry
    from publishing import fields as spec
    from publishing.coding import coder_of, coding_context, item_problems

    context = coding_context(business)
    lists: dict = {}
    changed = 0
    items = Item.objects.for_business(business).filter(state__in=(ItemState.TO_REVIEW, ItemState.READY))
    for item in items.select_related(*spec.CODING_ENTRY.values()).order_by("created_at", "id"):
        coder = coder_of(item, context)
        if coder is None:
            continue
        changes = {}
        for problem in item_problems(item, context):
            f = spec.BY_NAME.get(problem["field"])
            words = (getattr(item, f.name) or "").strip() if f and f.coding else ""
            if not words and f is not None and f.name == "payment_method" and item.paid:
                words = item.payment_method or "card"
            if not words:
                continue
            kind = context.kind_for(f, item.kind, coder)
            usage = "sales" if item.kind == ItemKind.SALES else "purchases"
            if (coder, kind, usage) not in lists:
                lists[(coder, kind, usage)] = list(
                    ListEntry.objects.for_business(business).filter(
                        connection_id=coder, kind=kind, active=True, usage__in=(usage, "")
                    )
                )
            entry = _best_entry(words, lists[(coder, kind, usage)])
            if entry is not None:
                changes[spec.API_ID[f.name]] = entry.pk
        if changes:
            item_update(business=business, actor=actor, item_id=item.pk, changes=changes)
            changed += 1
    return changed


def seed_items() -> None:
    sync_demo_lists()  # the items are coded from the ledgers' lists
    acme = Business.objects.filter(name="Acme Trading Ltd").first()
    if acme is None:
        return
    actor = User.objects.filter(email="admin@acme.test").first()
    live = {c.provider: c for c in connections_live(business=acme)}
    xero, bill = live.get(Xero.key), live.get(BillCom.key)
    with transaction.atomic():
        _rules(acme, actor, xero, bill)
        if not Item.objects.for_business(acme).exists():
            _seed(acme, actor, xero)
            code_from_lists(acme, actor)
    _seed_globex()


def _seed(acme: Business, actor: User | None, xero) -> None:
    rng = random.Random(20261125)  # demo data, not secrets
    today = timezone.localdate()
    created: list[tuple[Item, object]] = []

    def add(kind: str, contact: str, day, **fields):
        item = item_create(business=acme, actor=actor, kind=kind, contact_name=contact, date=day, **fields)
        created.append((item, day))
        return item

    # Costs: 42, newest last in this loop; every fifth waits for review without a category.
    for n in range(42):
        supplier, category, typical, tax_rate = COST_SUPPLIERS[n % len(COST_SUPPLIERS)]
        day = today - timedelta(days=rng.randint(1, 60))
        net = Decimal(typical * rng.uniform(0.7, 1.4)).quantize(Decimal("0.01"))
        tax = (net * Decimal("0.05" if tax_rate.startswith("5%") else "0.20")).quantize(Decimal("0.01"))
        number = f"{supplier.split()[0][:3].upper()}-{4100 + n * 7}"
        fields = {
            "invoice_number": number,
            "total": net + tax,
            "tax": tax,
            "currency": "GBP",
            "tax_rate": tax_rate,
            "due_date": day + timedelta(days=30),
        }
        if n % 5 != 3:
            fields["category"] = category
        if n < 6:
            what = {"Office": "Copier paper, toner and folders", "Northern": "Electricity, office unit 4"}.get(
                supplier.split()[0], "Services as agreed"
            )
            fields["attachment"] = _invoice_pdf(supplier=supplier, number=number, date=day, net=net, tax=tax, what=what)
        add(ItemKind.COST, supplier, day, **fields)
    # Costs without a supplier yet (a receipt photographed in a hurry).
    add(ItemKind.COST, "", today - timedelta(days=2), total=Decimal("18.40"), currency="GBP")

    for supplier, category, typical in CLAIMS:
        day = today - timedelta(days=rng.randint(1, 45))
        total = Decimal(typical * rng.uniform(0.8, 1.2)).quantize(Decimal("0.01"))
        add(
            ItemKind.EXPENSE_CLAIM,
            supplier,
            day,
            total=total,
            tax=(total / 6).quantize(Decimal("0.01")),
            category=category,
            description="Client visit" if "Rail" in supplier else "Team expenses",
            payment_method="Personal card",
            paid=True,
        )

    for n in range(9):
        customer = CUSTOMERS[n % len(CUSTOMERS)]
        day = today - timedelta(days=rng.randint(1, 55))
        net = Decimal(rng.choice([480, 1250, 2400, 860, 3200]) * rng.uniform(0.9, 1.1)).quantize(Decimal("0.01"))
        tax = (net * Decimal("0.20")).quantize(Decimal("0.01"))
        add(
            ItemKind.SALES,
            customer,
            day,
            invoice_number=f"INV-{2051 + n}",
            total=net + tax,
            tax=tax,
            currency="GBP",
            category="200 Sales" if n != 4 else "",
            tax_rate="20% (VAT on Income)",
            due_date=day + timedelta(days=14),
        )

    for item, day in created:
        Item.objects.for_business(acme).filter(pk=item.pk).update(created_at=_created_at(day, rng))

    # Two costs were moved to Xero by hand. (Published and failed examples go through the real pipeline:
    # see publishing.demo_published.)
    costs = [i for i, _ in created if i.kind == ItemKind.COST and i.state == ItemState.READY]
    if xero is not None and actor is not None:
        for item in costs[8:10]:
            if item.supplier and item.supplier.name != "Office Supplies Co":
                item_set_integration(business=acme, actor=actor, item_id=item.pk, connection_id=xero.pk)


# Globex's costs, for its QuickBooks Online company (US): words as its bookkeeper wrote them.
GLOBEX_COSTS = [
    ("Staples", "Office Expenses", 212),
    ("Delta Air Lines", "Travel", 640),
    ("Acme Ads Network", "Advertising", 1200),
    ("Bella's Catering", "Meals and Entertainment", 180),
    ("Hardware Depot", "Supplies", 95),
    ("City Parking", "", 24),  # no category yet: To review
]


def _seed_globex() -> None:
    """A few costs for Globex, coded from its QuickBooks Online lists (when it is connected and they are in)."""
    globex = Business.objects.filter(name="Globex Corporation").first()
    actor = User.objects.filter(email="admin@globex.test").first()
    if globex is None or Item.objects.for_business(globex).exists() or not connections_live(business=globex):
        return
    today = timezone.localdate()
    with transaction.atomic():
        for n, (supplier, category, total) in enumerate(GLOBEX_COSTS):
            item_create(
                business=globex,
                actor=actor,
                kind=ItemKind.COST,
                contact_name=supplier,
                date=today - timedelta(days=3 + n * 4),
                invoice_number=f"G-{7301 + n}",
                total=Decimal(total),
                currency="USD",
                category=category,
            )
        code_from_lists(globex, actor)
