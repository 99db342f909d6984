"""Items: create, edit, choose the integration by hand, archive.

Every write ends with the same set-based steps, built from the field specification: the supplier rule (for an item
that just got its supplier), the integration (publishing.resolution) and the coding with the state
(publishing.coding.items_recode), so that one item and a hundred thousand are coded and judged ready alike.
"""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict
from integrations.lists.models import ListKind
from integrations.models import LIVE_STATUSES, Connection, ProviderKind
from publishing import fields as spec
from publishing.applying import items_apply_rule
from publishing.coding import entry_for, items_recode
from publishing.fields import RuleMode
from publishing.models import (
    IN_FLIGHT_STATES,
    UNPUBLISHED_STATES,
    IntegrationSource,
    Item,
    ItemHistory,
    ItemKind,
    ItemState,
    SupplierRule,
)
from publishing.pipeline import items_publish
from publishing.resolution import items_reresolve
from publishing.services._common import history_entry, item_get, live_connection
from publishing.services.attachments import attachment_check
from publishing.services.contacts import customer_get_or_create, supplier_get_or_create

ITEM_FIELDS = spec.ITEM_FIELDS
ENTRY_INPUTS = {api_name: name for name, api_name in spec.API_ID.items()}  # category_id → category


def _one(item: Item) -> dict:
    return {"where": "i.id = %(item)s", "params": {"item": item.pk}}


def _coding_from_ids(business: Business, item: Item, values: dict) -> dict:
    """Set the coded fields given as list entries (``category_id`` …) on ``item``: answers {field: entry id} to
    check against the item's ledger once it is known. ``None`` clears the field."""
    given = {}
    for api_name, name in ENTRY_INPUTS.items():
        if api_name not in values:
            continue
        raw = values[api_name]
        f = spec.BY_NAME[name]
        if raw in (None, ""):
            setattr(item, f.entry_field, None)
            setattr(item, name, "")
            continue
        # A sale's category may be a product (a ledger whose invoice lines name one); its own ledger is checked below.
        kinds = (
            (f.coding, ListKind.PRODUCTS)
            if f.coding is ListKind.ACCOUNTS and item.kind == ItemKind.SALES
            else (f.coding,)
        )
        entry = next((e for k in kinds if (e := entry_for(business=business, entry_id=raw, kind=k))), None)
        if entry is None:
            raise _invalid_reference(api_name, f"That is not an entry of a {f.coding.label.lower()} list.")
        setattr(item, f.entry_field, entry)
        setattr(item, name, entry.reference[: f.max_length])
        given[name] = entry.pk
    return given


def _invalid_reference(api_name: str, detail: str) -> ApplicationError:
    return ApplicationError("invalid_reference", detail, extra={"errors": {api_name: [detail]}})


def _check_given_entries(business: Business, item: Item, given: dict) -> None:
    """An entry given by id must be one of the item's own ledger's lists (another ledger's → 400, nothing saved)."""
    if not given:
        return
    fresh = Item.objects.for_business(business).get(pk=item.pk)
    for name, entry_id in given.items():
        if getattr(fresh, spec.BY_NAME[name].entry_column) != entry_id:
            raise _invalid_reference(
                spec.API_ID[name], "That entry is not in the lists of the item's integration; choose one of its own."
            )


def item_create(
    *, business: Business, actor: User | None, kind: str, contact_name: str = "", attachment=None, **fields
) -> Item:
    if kind not in ItemKind.values:
        raise ApplicationError(
            "invalid", "Unknown kind.", extra={"errors": {"kind": [f"Choose one of {', '.join(ItemKind.values)}."]}}
        )
    if attachment is not None:
        attachment_check(attachment)
    with transaction.atomic():
        item = Item(business=business, kind=kind, created_by=actor if actor and actor.is_authenticated else None)
        for name, value in fields.items():
            if name in ITEM_FIELDS and value is not None:
                setattr(item, name, value)
        given = _coding_from_ids(business, item, fields)
        rule = None
        if kind == ItemKind.SALES:
            item.customer = customer_get_or_create(business=business, name=contact_name or "")
        else:
            item.supplier = supplier_get_or_create(business=business, name=contact_name or "")
            if item.supplier is not None:
                rule = SupplierRule.objects.for_business(business).filter(supplier=item.supplier).first()
        if attachment is not None:
            item.attachment = attachment
        item.state = ItemState.TO_REVIEW  # the recode below decides
        item.save()
        history_entry(item, actor, "created", "", item.get_kind_display()).save()
        if rule is not None:
            # The model's default currency must not hide the rule's: only one given explicitly stays.
            items_apply_rule(
                business=business,
                **_one(item),
                mode=RuleMode.FILL,
                actor=actor,
                reason="Supplier rule",
                keep_currency=bool(fields.get("currency")),
            )
        items_reresolve(business=business, **_one(item), actor=actor, reason="New item")
        items_recode(business=business, **_one(item), actor=actor, reason="New item")
        _check_given_entries(business, item, given)
        item.refresh_from_db()
    if rule is not None and rule.auto_publish == "always" and item.state == ItemState.READY:
        items_publish(business=business, item_ids=[item.pk], actor=actor, queue="publish_bulk", automatic=True)
        item.refresh_from_db()
    return item


def item_update(*, business: Business, actor: User | None, item_id, changes: dict) -> Item:
    """Edit an item's fields (not its integration: see :func:`item_set_integration`). A coded field given in words
    is matched to its ledger's list; given as an entry (``category_id`` …) it must be one of that list's."""
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state in IN_FLIGHT_STATES:
            raise Conflict("item_in_flight", "This item is being published; wait until it finishes to edit it.")
        history = []
        supplier_changed = False
        before_words = {name: getattr(item, name) for name in spec.API_ID}
        for name, value in changes.items():
            if name in ("supplier", "customer"):
                contact = (
                    customer_get_or_create(business=business, name=value or "")
                    if name == "customer"
                    else supplier_get_or_create(business=business, name=value or "")
                )
                before = getattr(item, name)
                if (before and before.pk) != (contact and contact.pk):
                    history.append(history_entry(item, actor, name, before, contact))
                    setattr(item, name, contact)
                    supplier_changed = supplier_changed or name == "supplier"
            elif name in ITEM_FIELDS:
                before = getattr(item, name)
                if before != value:
                    history.append(history_entry(item, actor, name, before, value))
                    setattr(item, name, value)
                    if name in spec.API_ID:  # new words: matched to the list again
                        setattr(item, spec.BY_NAME[name].entry_field, None)
        given = _coding_from_ids(business, item, changes)
        for name in given:
            if getattr(item, name) != before_words[name]:
                history.append(history_entry(item, actor, name, before_words[name], getattr(item, name)))
        item.save()
        ItemHistory.objects.bulk_create(history)
        if supplier_changed and item.supplier is not None:
            items_apply_rule(business=business, **_one(item), mode=RuleMode.FILL, actor=actor, reason="Supplier rule")
            items_reresolve(business=business, **_one(item), actor=actor, reason="Supplier changed")
        items_recode(business=business, **_one(item), actor=actor, reason="Edited")
        _check_given_entries(business, item, given)
        item.refresh_from_db()
    return item


def _check_integration_for(item: Item, connection: Connection, main: Connection | None) -> None:
    if item.kind == ItemKind.SALES and (main is None or connection.pk != main.pk):
        raise ApplicationError(
            "sales_main_only",
            f"Sales always go to the main accounting software{f' ({main.name})' if main else ''}.",
        )
    if not connection.accepts(item.kind):
        raise ApplicationError(
            "kind_not_supported", f"{connection.name} does not take {item.get_kind_display().lower()}s."
        )


def item_set_integration(*, business: Business, actor: User, item_id, connection_id) -> Item:
    """A hand-made choice (``manual``), or ``None`` to drop it and resolve again."""
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state not in UNPUBLISHED_STATES:
            raise Conflict(
                "item_not_editable", f"A {item.get_state_display().lower()} item's integration cannot change."
            )
        if connection_id is None:
            item.integration_source = None
            item.save(update_fields=["integration_source", "updated_at"])
            items_reresolve(
                business=business,
                where="i.id = %(item)s",
                params={"item": item.pk},
                actor=actor,
                reason="Choice removed",
            )
            item.refresh_from_db()
            return item
        connection = live_connection(business, connection_id)
        main = (
            Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES, kind=ProviderKind.MAIN).first()
        )
        _check_integration_for(item, connection, main)
        if item.kind == ItemKind.SALES:
            return item  # already on the main connection, which is the only choice
        before = item.integration_id
        item.integration = connection
        item.integration_source = IntegrationSource.MANUAL
        item.integration_chosen_by = actor
        item.save(update_fields=["integration", "integration_source", "integration_chosen_by", "updated_at"])
        ItemHistory.objects.create(
            business_id=business.pk,
            item=item,
            actor=actor,
            field="integration",
            before=str(before or ""),
            after=str(connection.pk),
            reason="Chosen by hand",
        )
        audit_record(
            business=business,
            actor=actor,
            action="item.integration_changed",
            object_type="item",
            object_id=item.pk,
            before={"integration": str(before) if before else None},
            after={"integration": str(connection.pk)},
        )
        # Its coding follows it onto the new ledger's lists, or is cleared (and the item is to review).
        items_recode(business=business, **_one(item), actor=actor, reason=f"Moved to {connection.name}")
        item.refresh_from_db()
    return item


def item_archive(*, business: Business, actor: User | None, item_id) -> Item:
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state in IN_FLIGHT_STATES:
            raise Conflict("item_in_flight", "This item is being published and cannot be archived now.")
        if item.state != ItemState.ARCHIVED:
            ItemHistory.objects.create(
                business_id=business.pk,
                item=item,
                actor=actor,
                field="state",
                before=item.state,
                after=ItemState.ARCHIVED,
            )
            item.state = ItemState.ARCHIVED
            item.save(update_fields=["state", "updated_at"])
    return item
