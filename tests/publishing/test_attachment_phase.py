"""A published document's attachment is uploaded after the document's id is saved: its status on the item, the
Retry attachment action (API and page), and files over the provider's limit refused before publishing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.providers.xero import Xero
from publishing.models import AttachmentStatus, Item, ItemState
from publishing.pipeline import items_publish
from publishing.services import item_attachment_set
from tests.publishing.conftest import PDF, make_item


@pytest.fixture
def published(world, connect, no_broker):
    connect(world.a, "xero")
    item = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(
        state=ItemState.PUBLISHED,
        external_id="INV-1",
        attachment_status=AttachmentStatus.FAILED,
        attachment_error="Xero refused the attachment: The file is too large.",
    )
    return item


def test_the_item_says_its_attachment_was_not_uploaded(world, published, api_as, client):
    body = api_as(world.users["standard"]).get(f"/api/v1/businesses/{world.a.id}/items/{published.id}/").json()
    assert body["state"] == "published" and body["attachment_status"] == "failed"
    assert body["attachment_error"] == "Xero refused the attachment: The file is too large."
    client.force_login(world.users["business_admin"])
    page = client.get(f"/b/{world.a.id}/items/{published.id}/").content.decode()
    assert 'data-testid="attachment-warning"' in page and "Retry attachment" in page
    inbox = client.get(f"/b/{world.a.id}/costs/?tab=published").content.decode()
    assert 'data-testid="attachment-marker"' in inbox


def test_retry_attachment_queues_the_upload_again(world, published, api_as, monkeypatch):
    sent = []
    monkeypatch.setattr("django.db.transaction.on_commit", lambda fn: sent.append(fn))
    url = f"/api/v1/businesses/{world.a.id}/items/{published.id}/attachment/retry/"
    refused = api_as(world.users["standard"]).post(url)
    assert refused.status_code == 403, "it needs the right to publish"
    answer = api_as(world.users["business_admin"]).post(url)
    assert answer.status_code == 202 and answer.json()["attachment_status"] == "pending"
    assert answer.json()["state"] == "published", "the document stays published: no second one"
    assert len(sent) == 1
    again = api_as(world.users["business_admin"]).post(url)
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_retry"


def test_retry_attachment_is_tenant_checked(world, published, api_as):
    url = f"/api/v1/businesses/{world.b.id}/items/{published.id}/attachment/retry/"
    assert api_as(world.users["b_admin"]).post(url).status_code == 404


def test_a_file_over_the_providers_limit_is_refused_before_publishing(world, connect, monkeypatch, no_broker):
    monkeypatch.setattr(Xero, "max_attachment_bytes", 100)
    connect(world.a, "xero")
    item = make_item(world.a)
    item_attachment_set(
        business=world.a, actor=None, item_id=item.pk, file=SimpleUploadedFile("bill.pdf", PDF, "application/pdf")
    )
    result = items_publish(business=world.a, item_ids=[item.pk], actor=None)
    assert result.updated == 0 and result.errors[0]["code"] == "attachment_too_large"
    assert "Xero takes files of at most" in result.errors[0]["detail"]
    item.refresh_from_db()
    assert item.state == ItemState.READY and not no_broker
