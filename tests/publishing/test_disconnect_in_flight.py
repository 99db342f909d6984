"""Bill.com is disconnected while a worker's create request to it is in flight: its jobs are cancelled and its
items resolved again to Xero, yet Bill.com makes the bills. The worker records them published to Bill.com, the
ledger holding them (their integration set back, with history), never as published to Xero; a publish to Xero
queued meanwhile is cancelled before it makes a second document."""

import httpx
import pytest

from integrations import http
from integrations.inprocess import InProcessProvider
from integrations.sandbox import selectors as sandbox
from integrations.services import connection_disconnect
from publishing.models import ItemHistory, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from publishing.presenters import integration_source_words
from publishing.worker import batch_run
from tests.publishing.test_lost_answers import run_until_done
from tests.publishing.test_pipeline_providers import ready_item


class DisconnectMidCall(httpx.BaseTransport):
    """Into the sandbox in process; when the bulk create arrives, ``during()`` runs first (a person disconnecting
    Bill.com at that moment), then the request goes on."""

    def __init__(self, during):
        self.inner = httpx.WSGITransport(app=InProcessProvider())
        self.during = during
        self.done = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.done and request.method == "POST" and request.url.path.endswith("/bills/bulk"):
            self.done = True
            self.during()
        return self.inner.handle_request(request)


@pytest.mark.parametrize("published_again", [False, True])
def test_bills_made_after_the_disconnect_stay_with_bill_com(
    client,
    world,
    sandbox_http,
    bill_com,
    messages,
    django_capture_on_commit_callbacks,
    published_again,
):
    admin = world.users["business_admin"]
    items = [ready_item(world, n=n) for n in range(3)]
    assert {i.integration_id for i in items} == {bill_com.id}, "the default, Bill.com, did not take them"

    def disconnect():
        effects = connection_disconnect(business=world.a, connection_id=bill_com.id, actor=admin)
        assert effects.jobs_cancelled == 3
        if published_again:  # someone presses Publish at once: the items now go to Xero
            with django_capture_on_commit_callbacks(execute=False):
                result = items_publish(business=world.a, item_ids=[i.pk for i in items], actor=admin)
            assert result.updated == 3, result.errors

    transport = DisconnectMidCall(disconnect)
    http.set_transport(transport)
    with django_capture_on_commit_callbacks(execute=True):
        items_publish(business=world.a, item_ids=[i.pk for i in items], actor=admin)
    run_until_done(messages)
    assert transport.done

    bills = {d["reference"]: d["id"] for d in sandbox.documents_list(provider="bill_com")}
    assert set(bills) == {str(i.pk) for i in items}
    for item in items:
        item.refresh_from_db()
        assert item.state == ItemState.PUBLISHED
        assert (item.integration_id, item.external_id) == (bill_com.id, bills[str(item.pk)])
        assert item.external_url.endswith(bills[str(item.pk)]) and item.last_publish_error is None
        assert integration_source_words(item) == "the integration it was published to"
        moves = ItemHistory.objects.for_business(world.a).filter(item=item, field="integration").order_by("id")
        assert [(h.before, h.after) for h in moves][-1][1] == str(bill_com.id)
        assert "holds the document" in moves.last().reason
    assert sandbox.documents_list(provider="xero") == [], "an item was published to Xero too"
    if published_again:
        others = PublishJob.objects.for_business(world.a).exclude(connection=bill_com)
        assert set(others.values_list("status", flat=True)) == {PublishJobStatus.CANCELLED}
        assert batch_run(job_ids=[str(pk) for pk in others.values_list("pk", flat=True)]) == []  # their messages
        assert sandbox.documents_list(provider="xero") == [], "a cancelled job still reached Xero"
