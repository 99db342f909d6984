"""ApprovalMax's Public API stand-in: companies and bills submitted for approval."""

import json

import pytest

from integrations.sandbox.models import Document
from tests.integrations.sandbox.conftest import connect

API = "/sandbox/approvalmax/api/v1"


@pytest.fixture
def approvalmax(client):
    return connect(client, "approvalmax")


def bill(reference="item-5", **changes):
    return {
        "contactName": "Acme Supplies",
        "number": "SUP-5",
        "date": "2030-01-05",
        "dueDate": "2030-02-04",
        "currency": "GBP",
        "lineItems": [{"description": "Paper", "amount": 12.5, "accountCode": "461"}],
        "reference": reference,
        **changes,
    }


def post(client, connected, company_id, body):
    return client.post(
        f"{API}/companies/{company_id}/bills",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": connected.bearer},
    )


def test_companies_are_those_granted(client, approvalmax):
    answer = client.get(f"{API}/companies", headers={"Authorization": approvalmax.bearer}).json()
    assert answer == {
        "payload": [{"companyId": approvalmax.tenants[0], "name": "Sandbox Trading Co"}],
        "continuationToken": None,
    }
    assert client.get(f"{API}/companies").status_code == 401


def test_bill_goes_on_approval_and_is_found_by_reference(client, approvalmax):
    company = approvalmax.tenants[0]
    created = post(client, approvalmax, company, bill())
    assert created.status_code == 201, created.content
    payload = created.json()["payload"]
    assert payload["status"] == "OnApproval" and payload["requestId"] and payload["amount"] == 12.5
    assert Document.objects.get(provider="approvalmax").reference == "item-5"
    headers = {"Authorization": approvalmax.bearer}
    found = client.get(f"{API}/companies/{company}/bills?reference=item-5", headers=headers).json()
    assert [b["requestId"] for b in found["payload"]] == [payload["requestId"]]
    assert client.get(f"{API}/companies/{company}/bills?reference=other", headers=headers).json()["payload"] == []
    detail = client.get(f"{API}/companies/{company}/bills/{payload['requestId']}", headers=headers)
    assert detail.json()["payload"]["requestId"] == payload["requestId"]


def test_bill_validation_and_company_check(client, approvalmax):
    refused = post(client, approvalmax, approvalmax.tenants[0], bill(contactName=None, lineItems=[]))
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"contactName", "lineItems"}
    assert post(client, approvalmax, "not-granted", bill()).status_code == 403
    assert not Document.objects.exists()
