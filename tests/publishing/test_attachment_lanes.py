"""Attachments go up several at once where the provider allows calls in parallel (issue 14): one upload at a time
would leave a connection's limit idle while each answer comes back. Each lane holds a slot of its own, so our count
of the connection's calls at once stays within the provider's. The data is committed (transaction=True): the upload
threads have database connections of their own."""

import threading
import time

import pytest

from integrations import ratelimit
from integrations.providers.xero.client import XeroClient
from publishing.attaching import attachments_send
from publishing.models import AttachmentStatus, Item, PublishJob
from publishing.pipeline import items_publish
from publishing.worker import batch_run
from tests.conftest import oauth_connect
from tests.publishing.test_attachments_after_document import held, item_with_receipt

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(monkeypatch):
    """Uploads in progress at once, the connection's slots held meanwhile, and the threads that sent them."""
    seen = {"now": 0, "peak": 0, "slots": 0, "threads": set()}
    lock = threading.Lock()
    original = XeroClient.attach

    def attach(self, doc, ref):
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
            seen["slots"] = max(seen["slots"], ratelimit.in_flight(self.connection.pk))
            seen["threads"].add(threading.current_thread().name)
        time.sleep(0.05)  # an answer that takes a moment, as the real one does
        try:
            return original(self, doc, ref)
        finally:
            with lock:
                seen["now"] -= 1

    monkeypatch.setattr(XeroClient, "attach", attach)
    return seen


def _publish_batch(world, items, monkeypatch):
    sent = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: sent.append(list(ids)))
    result = items_publish(business=world.a, item_ids=[i.pk for i in items], actor=None, queue="publish_bulk")
    assert not result.errors, result.errors
    [message] = sent
    batch_run(job_ids=message)


def test_uploads_go_several_at_once_each_under_a_slot_of_its_own(
    client, world, sandbox_http, settings, monkeypatch, watched
):
    settings.ATTACHMENT_UPLOADS_AT_ONCE = 4
    connection = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [item_with_receipt(world, n) for n in range(8)]
    _publish_batch(world, items, monkeypatch)
    assert PublishJob.objects.for_business(world.a).filter(status="succeeded").count() == 8
    statuses = set(Item.objects.for_business(world.a).values_list("attachment_status", flat=True))
    assert statuses == {AttachmentStatus.SENT}
    assert 2 <= watched["peak"] <= 4, watched
    assert len(watched["threads"]) >= 2
    assert 2 <= watched["slots"] <= 5, "each lane holds one of the connection's calls at once, never above Xero's 5"
    for item in items:
        [document] = held("xero", item)
        assert len(document["attachments"]) == 1, "one file each: never sent twice, never lost"
    assert ratelimit.in_flight(connection.pk) == 0, "every lane gave its slot back"


def test_a_lane_refused_a_slot_leaves_its_uploads_pending_for_later(
    client, world, sandbox_http, settings, monkeypatch, watched
):
    """Four of Xero's five calls at once are held elsewhere (list syncs, other publishes): the lanes that get no
    slot leave their uploads pending, to go again after a wait; none fails and none is sent twice."""
    settings.ATTACHMENT_UPLOADS_AT_ONCE = 4
    connection = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [item_with_receipt(world, n) for n in range(8)]
    monkeypatch.setattr("publishing.worker.attachments_send", lambda **kwargs: None)  # made, not yet uploaded
    _publish_batch(world, items, monkeypatch)
    for name in ("publish", "sync"):
        ratelimit._redis().zadd(f"ratelimit:{connection.pk}:flight", {name: time.time() + 60})
        ratelimit._redis().zadd(f"ratelimit:{connection.pk}:flight", {f"{name}-2": time.time() + 60})
    Item.objects.for_business(world.a).update(attachment_status=AttachmentStatus.PENDING)
    again = attachments_send(business_id=world.a.pk, item_ids=[i.pk for i in items])
    statuses = list(Item.objects.for_business(world.a).values_list("attachment_status", flat=True))
    assert again is not None and again > 0
    assert statuses.count(AttachmentStatus.SENT) == 2, "one lane had the one free slot: its two uploads went"
    assert statuses.count(AttachmentStatus.PENDING) == 6
    assert AttachmentStatus.FAILED not in statuses
    assert watched["slots"] <= 5
