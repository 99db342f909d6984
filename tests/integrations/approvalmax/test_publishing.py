"""ApprovalMax: no bill-create endpoint can be confirmed in its published API, so a bill for ApprovalMax is made in
the business's Xero organisation awaiting approval (SUBMITTED), which ApprovalMax pulls into its workflow; coded
from Xero's lists; found again by Xero's own look-up, never as the first row of an unfiltered list."""

from dataclasses import replace

import pytest

from integrations.providers import registry
from integrations.providers.base import ExternalRef, ValidationError
from integrations.sandbox.models import Document
from tests.conftest import oauth_connect
from tests.integrations.xero.conftest import document


@pytest.fixture
def approvalmax(client, world, sandbox_http):
    return oauth_connect(client, world.a, world.users["business_admin"], "approvalmax")


@pytest.fixture
def xero(client, world, sandbox_http):
    return oauth_connect(client, world.a, world.users["business_admin"], "xero")


def test_the_provider_says_how_its_bills_travel():
    provider = registry.get("approvalmax")
    assert provider.lists_from_main and not provider.list_passes
    assert "Xero" in provider.connection_note and "Awaiting Approval" in provider.connection_note
    assert not any(scope.endswith("/write") for scope in provider.scopes), "nothing is written through its API"
    assert registry.get("xero").approval_route == "SUBMITTED"
    assert not registry.get("quickbooks_online").approval_route, "QuickBooks Online bills bypass its workflow"


def test_a_bill_for_approvalmax_is_a_submitted_xero_bill_coded_from_xeros_lists(xero, approvalmax):
    doc = document(xero)
    ref = registry.get("approvalmax").client(approvalmax).publish(doc)
    made = Document.objects.get(provider="xero", external_id=ref.external_id)
    assert made.body["Status"] == "SUBMITTED" and made.type == "ACCPAY"
    assert made.received["LineItems"][0]["AccountCode"] == "429" and made.received["Url"] == doc.source_url
    assert not Document.objects.filter(provider="approvalmax").exists(), "no invented ApprovalMax endpoint"
    assert "/xero/app/AccountsPayable/" in ref.url


def test_a_retry_finds_its_own_bill_not_the_first_one_listed(xero, approvalmax):
    client = registry.get("approvalmax").client(approvalmax)
    someone_elses = client.publish(document(xero))
    doc = document(xero)
    ours = client.publish(doc)
    again = client.publish(replace(doc, idempotency_key="next-job", sent_before=True))
    assert again.external_id == ours.external_id != someone_elses.external_id
    assert Document.objects.filter(provider="xero").count() == 2


def test_batches_go_through_xero_too(xero, approvalmax):
    outcomes = registry.get("approvalmax").client(approvalmax).publish_many([document(xero), document(xero)])
    assert all(isinstance(o, ExternalRef) for o in outcomes)
    assert set(Document.objects.filter(provider="xero").values_list("body__Status", flat=True)) == {"SUBMITTED"}


def test_a_main_ledger_without_an_approval_route_refuses_the_bill_with_a_sentence(client, world, sandbox_http):
    oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    approvalmax = oauth_connect(client, world.a, world.users["business_admin"], "approvalmax")
    with pytest.raises(ValidationError, match="connect Xero"):
        registry.get("approvalmax").client(approvalmax).publish(document())
    outcomes = registry.get("approvalmax").client(approvalmax).publish_many([document(), document()])
    assert all(isinstance(o, ValidationError) for o in outcomes)
