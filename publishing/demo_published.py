"""Demo: a few of Acme's items already published (in-process, through the sandbox), one failing.

The failing one is coded with an account its ledger archived after the lists were last synced (our copy still says
active): it is ready here, and the ledger refuses it, as happens to bookkeepers between two syncs. Refresh lists on
the Connections page, then pick another category, and it publishes."""

from accounts.models import Business, User
from integrations.inprocess import provider_http_in_process
from integrations.lists.models import ListEntry, ListKind
from integrations.providers.xero import Xero
from publishing.models import Item, ItemKind, ItemState, PublishJob
from publishing.pipeline import items_publish
from publishing.worker import job_run

# An account of the sandbox's Xero chart that is archived there ("495 Fax & Pager").
ARCHIVED_ACCOUNT_CODE = "495"
BAD_CATEGORY = ARCHIVED_ACCOUNT_CODE


def seed_published_examples() -> None:
    acme = Business.objects.get(name="Acme Trading Ltd")
    admin = User.objects.get(email="admin@acme.test")
    items = Item.objects.for_business(acme)
    if items.filter(state=ItemState.PUBLISHED).exists():
        return
    ready = items.filter(state=ItemState.READY, integration__isnull=False).order_by("created_at")
    chosen = list(ready.filter(kind=ItemKind.COST)[:3]) + list(ready.filter(kind=ItemKind.SALES)[:1])
    xero_costs = ready.filter(kind=ItemKind.COST, integration__provider=Xero.key)
    failing = xero_costs.exclude(pk__in=[i.pk for i in chosen]).first()
    stale = (
        ListEntry.objects.for_business(acme)
        .filter(connection_id=failing.integration_id, kind=ListKind.ACCOUNTS, code=ARCHIVED_ACCOUNT_CODE)
        .first()
        if failing is not None
        else None
    )
    if stale is not None:
        ListEntry.objects.for_business(acme).filter(pk=stale.pk).update(active=True)  # synced before it was archived
        Item.objects.for_business(acme).filter(pk=failing.pk).update(category=BAD_CATEGORY, category_entry=stale)
        chosen.append(failing)
    if not chosen:
        return
    with provider_http_in_process():
        items_publish(business=acme, item_ids=[i.pk for i in chosen], actor=admin, dispatch=False)
        for job in PublishJob.objects.for_business(acme).filter(item__in=chosen):
            job_run(job_id=job.pk)
