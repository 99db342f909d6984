"""Demo: a few of Acme's items already published (in-process, through the sandbox), one failing."""

from accounts.models import Business, User
from integrations.inprocess import provider_http_in_process
from integrations.providers.xero import Xero
from publishing.models import Item, ItemKind, ItemState, PublishJob
from publishing.pipeline import items_publish
from publishing.worker import job_run

BAD_CATEGORY = "999 Suspense (not in Xero)"


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
    if failing is not None:
        Item.objects.for_business(acme).filter(pk=failing.pk).update(category=BAD_CATEGORY)
        chosen.append(failing)
    if not chosen:
        return
    with provider_http_in_process():
        items_publish(business=acme, item_ids=[i.pk for i in chosen], actor=admin, dispatch=False)
        for job in PublishJob.objects.for_business(acme).filter(item__in=chosen):
            job_run(job_id=job.pk)
