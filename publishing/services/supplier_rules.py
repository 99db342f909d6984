"""Supplier rules: their writes (audited), their coding against their integration's lists, and applying a rule to
its supplier's inbox (publishing.applying)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict, NotFound
from integrations.lists.selectors import entry_match
from integrations.models import LIVE_STATUSES, Connection, ProviderKind, PublishingDefaults
from publishing import fields as spec
from publishing.applying import items_apply_rule
from publishing.coding import coding_context, entry_for, items_recode
from publishing.fields import RuleMode
from publishing.models import IntegrationSource, ItemKind, Supplier, SupplierRule
from publishing.resolution import items_reresolve
from publishing.services._common import live_connection

RULE_FIELDS = spec.RULE_FIELDS


def _rule_snapshot(rule: SupplierRule) -> dict:
    return {
        "supplier": rule.supplier.name if rule.supplier_id else None,
        "integration": str(rule.integration_id) if rule.integration_id else None,
        **{name: getattr(rule, name) for name in RULE_FIELDS},
    }


def supplier_rule_get(*, business: Business, rule_id) -> SupplierRule:
    rule = SupplierRule.objects.for_business(business).select_related("supplier", "integration").by_id(rule_id)
    if rule is None:
        raise NotFound("No such supplier rule.")
    return rule


def _rule_supplier(business: Business, supplier_id) -> Supplier:
    supplier = Supplier.objects.for_business(business).by_id(supplier_id)
    if supplier is None:
        raise ApplicationError(
            "invalid",
            "That supplier does not exist in this business.",
            extra={"errors": {"supplier": ["No such supplier in this business."]}},
        )
    return supplier


def _rule_integration(business: Business, connection_id) -> Connection | None:
    """A supplier rule may send costs to a live connection of the business that takes costs."""
    if connection_id in (None, ""):
        return None
    connection = live_connection(business, connection_id)
    if not connection.accepts(ItemKind.COST):
        raise ApplicationError(
            "kind_not_supported", f"{connection.name} does not take costs, so a supplier rule cannot send them there."
        )
    return connection


def _rule_exists(supplier: Supplier) -> Conflict:
    return Conflict("rule_exists", f"{supplier.name} already has a supplier rule; edit that one instead.")


def supplier_rule_apply_to_inbox(*, business: Business, rule: SupplierRule, actor: User | None) -> int:
    """Apply a rule to its supplier's unpublished items (not those whose integration was chosen by hand): the rule's
    values win (RuleMode.OVERWRITE), then the items' integrations and coding follow. Set-based: a statement each,
    however many items. Returns how many items the rule reached."""
    reason = f"Supplier rule {rule.supplier.name} applied"
    where = f"i.supplier_id = %(s)s AND i.integration_source IS DISTINCT FROM '{IntegrationSource.MANUAL.value}'"
    params = {"s": rule.supplier_id}
    with transaction.atomic():
        reached = items_apply_rule(
            business=business, where=where, params=params, mode=RuleMode.OVERWRITE, actor=actor, reason=reason
        )
        items_reresolve(business=business, where=where, params=params, actor=actor, reason=reason)
        items_recode(business=business, where=where, params=params, actor=actor, reason=reason)
    return reached


def _rule_coding(business: Business, rule: SupplierRule, values: dict) -> None:
    """A rule's coding refers to the lists of its integration, or of the default when it names none (DESIGN.md §9):
    words are matched there (code, then name); an entry given by id must be one of those lists'."""
    coder = rule_coder(business, rule)
    for name, api_name in spec.API_ID.items():
        f = spec.BY_NAME[name]
        if api_name in values:
            raw = values[api_name]
            if raw in (None, ""):
                setattr(rule, f.entry_field, None)
                setattr(rule, name, "")
                continue
            entry = entry_for(business=business, entry_id=raw, kind=f.coding)
            if entry is None or coder is None or entry.connection_id != coder.pk:
                detail = "That entry is not in the lists of the rule's integration; choose one of its own."
                raise ApplicationError("invalid_reference", detail, extra={"errors": {api_name: [detail]}})
            setattr(rule, f.entry_field, entry)
            setattr(rule, name, entry.reference[: f.max_length])
        elif name in values:
            words = (values[name] or "").strip()
            entry = entry_match(connection=coder, kind=f.coding, text=words) if coder is not None and words else None
            setattr(rule, f.entry_field, entry)
            setattr(rule, name, entry.reference[: f.max_length] if entry is not None else words)


def rule_coder(business: Business, rule: SupplierRule) -> Connection | None:
    """The connection whose lists code the rule: its integration's (or the main's, for ApprovalMax), else the
    default publishing integration's, else the main's."""
    context = coding_context(business)
    target = rule.integration_id
    if target is None:
        defaults = PublishingDefaults.objects.for_business(business).first()
        target = defaults.default_publishing_connection_id if defaults else None
    coder_id = context.coding_of.get(target) if target else None
    if coder_id is None:
        main = Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES, kind=ProviderKind.MAIN)
        coder_id = context.coding_of.get(main.values_list("id", flat=True).first())
    return Connection.objects.for_business(business).filter(pk=coder_id).first() if coder_id else None


def supplier_rule_create(
    *,
    business: Business,
    actor: User | None,
    supplier_id,
    integration_id=None,
    apply_to_inbox: bool = False,
    **fields,
) -> SupplierRule:
    with transaction.atomic():
        supplier = _rule_supplier(business, supplier_id)
        integration = _rule_integration(business, integration_id)
        if SupplierRule.objects.for_business(business).filter(supplier=supplier).exists():
            raise _rule_exists(supplier)
        rule = SupplierRule(business=business, supplier=supplier, integration=integration)
        for name, value in fields.items():
            if name in RULE_FIELDS:
                setattr(rule, name, _rule_value(name, value))
        _rule_coding(business, rule, fields)
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:  # a concurrent request made the supplier's rule first
            raise _rule_exists(supplier) from None
        audit_record(
            business=business,
            actor=actor,
            action="supplier_rule.created",
            object_type="supplier_rule",
            object_id=rule.pk,
            after=_rule_snapshot(rule),
        )
        if apply_to_inbox:
            supplier_rule_apply_to_inbox(business=business, rule=rule, actor=actor)
    return rule


def _rule_value(name: str, value):
    if name in ("paid", "due_in_days", "auto_publish"):
        return None if value == "" else value
    return "" if value is None else value


def supplier_rule_update(
    *, business: Business, actor: User | None, rule_id, changes: dict, apply_to_inbox: bool = False
) -> SupplierRule:
    """Change some fields of a rule: ``changes`` may hold ``supplier`` (an id), ``integration`` and RULE_FIELDS."""
    with transaction.atomic():
        rule = supplier_rule_get(business=business, rule_id=rule_id)
        rule = (
            SupplierRule.objects.for_business(business).select_for_update().select_related("supplier").get(pk=rule.pk)
        )
        before = _rule_snapshot(rule)
        if "supplier" in changes:
            supplier = _rule_supplier(business, changes["supplier"])
            if supplier.pk != rule.supplier_id:
                if SupplierRule.objects.for_business(business).filter(supplier=supplier).exists():
                    raise _rule_exists(supplier)
                rule.supplier = supplier
        if "integration" in changes:
            rule.integration = _rule_integration(business, changes["integration"])
        for name, value in changes.items():
            if name in RULE_FIELDS:
                setattr(rule, name, _rule_value(name, value))
        if "integration" in changes or any(k in changes for k in (*spec.API_ID, *spec.API_ID.values())):
            # The coding is read against the lists of the rule's (new) integration.
            _rule_coding(business, rule, {**{n: getattr(rule, n) for n in spec.API_ID}, **changes})
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:
            raise _rule_exists(rule.supplier) from None
        after = _rule_snapshot(rule)
        if after != before:
            audit_record(
                business=business,
                actor=actor,
                action="supplier_rule.updated",
                object_type="supplier_rule",
                object_id=rule.pk,
                before=before,
                after=after,
            )
        if apply_to_inbox:
            supplier_rule_apply_to_inbox(business=business, rule=rule, actor=actor)
    return rule


def supplier_rule_delete(*, business: Business, actor: User | None, rule_id) -> None:
    with transaction.atomic():
        rule = supplier_rule_get(business=business, rule_id=rule_id)
        audit_record(
            business=business,
            actor=actor,
            action="supplier_rule.deleted",
            object_type="supplier_rule",
            object_id=rule.pk,
            before=_rule_snapshot(rule),
        )
        SupplierRule.objects.for_business(business).filter(pk=rule.pk).delete()
