"""Every write about items, suppliers and supplier rules, one module per subject.

- :mod:`.items` — create, edit, choose the integration by hand, archive;
- :mod:`.contacts` — suppliers and customers;
- :mod:`.attachments` — what may be attached, replacing an item's attachment;
- :mod:`.supplier_rules` — the rules' writes and applying them;
- :mod:`.bulk` — one action on many items;
- :mod:`.defaults` — re-pointing items when a publishing default changes;
- :mod:`.connection_effects` — what a connection event does to items, rules and jobs (the listener
  that ``PublishingConfig.ready()`` registers with :mod:`integrations.events`).

The public names are re-exported here, so callers write ``from publishing import services`` and
``services.item_create(...)`` whichever module holds the function.
"""

from publishing.services._common import item_get
from publishing.services.attachments import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    attachment_check,
    attachment_sniff,
    item_attachment_set,
)
from publishing.services.bulk import (
    BULK_ACTIONS,
    MAX_BULK_IDS,
    items_archive_bulk,
    items_bulk,
    items_set_integration_bulk,
)
from publishing.services.connection_effects import (
    PublishingConnectionListener,
    disconnect_item_effects,
    items_requeue_after_reconnect,
    items_resolve_unpublished,
)
from publishing.services.contacts import customer_get_or_create, supplier_create, supplier_get_or_create
from publishing.services.defaults import items_repoint_defaults
from publishing.services.items import ITEM_FIELDS, item_archive, item_create, item_set_integration, item_update
from publishing.services.supplier_rules import (
    RULE_FIELDS,
    supplier_rule_apply_to_inbox,
    supplier_rule_create,
    supplier_rule_delete,
    supplier_rule_get,
    supplier_rule_update,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "BULK_ACTIONS",
    "ITEM_FIELDS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_BULK_IDS",
    "RULE_FIELDS",
    "PublishingConnectionListener",
    "attachment_check",
    "attachment_sniff",
    "customer_get_or_create",
    "disconnect_item_effects",
    "item_archive",
    "item_attachment_set",
    "item_create",
    "item_get",
    "item_set_integration",
    "item_update",
    "items_archive_bulk",
    "items_bulk",
    "items_repoint_defaults",
    "items_requeue_after_reconnect",
    "items_resolve_unpublished",
    "items_set_integration_bulk",
    "supplier_create",
    "supplier_get_or_create",
    "supplier_rule_apply_to_inbox",
    "supplier_rule_create",
    "supplier_rule_delete",
    "supplier_rule_get",
    "supplier_rule_update",
]
