"""QuickBooks Online's Accounting API as the sandbox plays it."""

import json
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.sandbox.models import Document
from integrations.sandbox.quickbooks_online import constants as quickbooks_online
from tests.integrations.sandbox.conftest import connect


@pytest.fixture
def qbo(client):
    return connect(client, "quickbooks_online")


def base(connected) -> str:
    return f"/sandbox/quickbooks_online/v3/company/{connected.tenants[0]}"


def post(client, connected, entity, body, query="?minorversion=75"):
    return client.post(
        f"{base(connected)}/{entity}{query}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": connected.bearer, "Accept": "application/json"},
    )


def get(client, connected, path):
    return client.get(base(connected) + path, headers={"Authorization": connected.bearer})


def vendor(client, connected, name="Acme Supplies") -> dict:
    response = post(client, connected, "vendor", {"DisplayName": name})
    assert response.status_code == 200, response.content
    return response.json()["Vendor"]


def bill_body(vendor_id: str, note: str = "item-7") -> dict:
    return {
        "VendorRef": {"value": vendor_id},
        "TxnDate": "2030-01-05",
        "DocNumber": "SUP-1",
        "PrivateNote": note,
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 42.5,
                "Description": "Paper",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "20"}},
            }
        ],
    }


def test_unauthenticated_calls_get_intuits_lowercase_fault(client, qbo):
    response = client.get(f"{base(qbo)}/vendor/1", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    error = response.json()["fault"]["error"][0]
    assert error["code"] == "3200" and response.json()["fault"]["type"] == "AUTHENTICATION"
    assert set(error) == {"message", "detail", "code"}


def test_realm_must_be_granted(client, qbo):
    response = client.get(
        "/sandbox/quickbooks_online/v3/company/123/query?query=select * from Vendor",
        headers={"Authorization": qbo.bearer},
    )
    assert response.status_code == 403 and response.json()["fault"]["error"][0]["code"] == "3100"


def test_vendor_create_query_and_duplicate_name(client, qbo):
    created = vendor(client, qbo, "O'Brien & Sons")
    assert created["SyncToken"] == "0" and created["Active"] is True
    statement = "select * from Vendor where DisplayName = 'O\\'Brien & Sons'"
    found = get(client, qbo, "/query?query=" + quote(statement)).json()
    assert [v["Id"] for v in found["QueryResponse"]["Vendor"]] == [created["Id"]]
    assert found["QueryResponse"]["startPosition"] == 1
    empty = get(client, qbo, "/query?query=" + quote("select * from Vendor where DisplayName = 'Nobody'")).json()
    assert empty["QueryResponse"] == {}
    duplicate = post(client, qbo, "vendor", {"DisplayName": "o'brien & sons"})
    assert duplicate.status_code == 400
    fault = duplicate.json()["Fault"]
    assert fault["type"] == "ValidationFault" and fault["Error"][0]["code"] == "6240"
    assert set(fault["Error"][0]) == {"Message", "Detail", "code", "element"} and "time" in duplicate.json()
    assert get(client, qbo, "/query?query=" + quote("select * from Vendor where")).status_code == 400


def test_bill_create_with_requestid_replay_creates_one_bill(client, qbo):
    supplier = vendor(client, qbo)
    first = post(client, qbo, "bill", bill_body(supplier["Id"]), "?minorversion=75&requestid=item-7-1")
    replay = post(client, qbo, "bill", bill_body(supplier["Id"]), "?minorversion=75&requestid=item-7-1")
    assert first.status_code == 200 and replay.json() == first.json()
    created = first.json()["Bill"]
    assert created["TotalAmt"] == 42.5 and created["VendorRef"] == {"value": supplier["Id"], "name": "Acme Supplies"}
    assert created["SyncToken"] == "0" and created["Line"][0]["Id"] == "1"
    assert Document.objects.filter(provider="quickbooks_online").count() == 1
    assert Document.objects.get(provider="quickbooks_online").reference == "item-7"
    assert get(client, qbo, f"/bill/{created['Id']}").json()["Bill"]["Id"] == created["Id"]
    another = post(client, qbo, "bill", bill_body(supplier["Id"]), "?requestid=item-7-2")
    assert another.json()["Bill"]["Id"] != created["Id"]
    by_note = get(client, qbo, "/query?query=" + quote("select * from Bill where PrivateNote = 'item-7'")).json()
    assert len(by_note["QueryResponse"]["Bill"]) == 2


def test_bill_update_needs_the_current_sync_token(client, qbo):
    supplier = vendor(client, qbo)
    created = post(client, qbo, "bill", bill_body(supplier["Id"])).json()["Bill"]
    updated = post(client, qbo, "bill", {"Id": created["Id"], "SyncToken": "0", "DocNumber": "SUP-2"}).json()["Bill"]
    assert updated["SyncToken"] == "1" and updated["DocNumber"] == "SUP-2"
    stale = post(client, qbo, "bill", {"Id": created["Id"], "SyncToken": "0", "DocNumber": "SUP-3"})
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"


def test_bill_validation_faults(client, qbo):
    supplier = vendor(client, qbo)
    missing_vendor = post(client, qbo, "bill", {**bill_body(supplier["Id"]), "VendorRef": None}).json()
    assert missing_vendor["Fault"]["Error"][0]["code"] == "2020"
    no_lines = post(client, qbo, "bill", {**bill_body(supplier["Id"]), "Line": []}).json()
    assert no_lines["Fault"]["Error"][0]["element"] == "Line"
    bad_account = bill_body(supplier["Id"])
    bad_account["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] = "9999"
    assert post(client, qbo, "bill", bad_account).json()["Fault"]["Error"][0]["code"] == "2500"
    assert get(client, qbo, "/bill/424242").json()["Fault"]["Error"][0]["code"] == "610"
    assert not Document.objects.exists()


def test_purchase_and_invoice(client, qbo):
    purchase = {
        "PaymentType": "CreditCard",
        "AccountRef": {"value": "41"},
        "PrivateNote": "item-8",
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 9.99,
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "58"}},
            }
        ],
    }
    assert post(client, qbo, "purchase", purchase).json()["Purchase"]["TotalAmt"] == 9.99
    wrong_account = post(client, qbo, "purchase", {**purchase, "AccountRef": {"value": "35"}})
    assert wrong_account.status_code == 400
    customer = post(client, qbo, "customer", {"DisplayName": "Big Client"}).json()["Customer"]
    invoice = {
        "CustomerRef": {"value": customer["Id"]},
        "PrivateNote": "item-9",
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 100, "SalesItemLineDetail": {}}],
    }
    assert post(client, qbo, "invoice", invoice).json()["Fault"]["Error"][0]["code"] == "2020", "no default item"
    invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] = {"value": "1"}
    created = post(client, qbo, "invoice", invoice).json()["Invoice"]
    assert created["TotalAmt"] == 100.0 and created["DocNumber"] == "1001"
    assert post(client, qbo, "vendor", {"DisplayName": "Big Client"}).json()["Fault"]["Error"][0]["code"] == "6240"


def test_upload_attaches_a_file_to_a_bill(client, qbo):
    supplier = vendor(client, qbo)
    created = post(client, qbo, "bill", bill_body(supplier["Id"])).json()["Bill"]
    metadata = {
        "AttachableRef": [{"EntityRef": {"type": "Bill", "value": created["Id"]}}],
        "FileName": "bill.pdf",
        "ContentType": "application/pdf",
    }
    response = client.post(
        f"{base(qbo)}/upload",
        {
            "file_metadata_01": SimpleUploadedFile("meta.json", json.dumps(metadata).encode(), "application/json"),
            "file_content_01": SimpleUploadedFile("bill.pdf", b"%PDF-1.4 bill", "application/pdf"),
        },
        headers={"Authorization": qbo.bearer},
    )
    assert response.status_code == 200, response.content
    attachable = response.json()["AttachableResponse"][0]["Attachable"]
    assert attachable["FileName"] == "bill.pdf" and attachable["Size"] == 13
    assert Document.objects.get(provider="quickbooks_online").attachments.get().file_name == "bill.pdf"
    metadata["AttachableRef"][0]["EntityRef"]["value"] = "999999"
    refused = client.post(
        f"{base(qbo)}/upload",
        {
            "file_metadata_01": json.dumps(metadata),
            "file_content_01": SimpleUploadedFile("bill.pdf", b"%PDF", "application/pdf"),
        },
        headers={"Authorization": qbo.bearer},
    )
    assert refused.json()["Fault"]["Error"][0]["code"] == "2500"


def test_an_upload_under_a_requestid_attaches_once(client, qbo):
    supplier = vendor(client, qbo)
    created = post(client, qbo, "bill", bill_body(supplier["Id"])).json()["Bill"]
    metadata = {"AttachableRef": [{"EntityRef": {"type": "Bill", "value": created["Id"]}}], "FileName": "bill.pdf"}

    def upload():
        return client.post(
            f"{base(qbo)}/upload?requestid=upload-1",
            {
                "file_metadata_01": json.dumps(metadata),
                "file_content_01": SimpleUploadedFile("bill.pdf", b"%PDF-1.4 bill", "application/pdf"),
            },
            headers={"Authorization": qbo.bearer},
        )

    first, again = upload(), upload()
    assert first.status_code == again.status_code == 200
    assert again["X-Sandbox-Idempotent-Replay"] == "true" and again.json() == first.json()
    assert Document.objects.get(provider="quickbooks_online").attachments.count() == 1


def test_rate_limit_per_realm_answers_429(client, qbo, monkeypatch):
    monkeypatch.setattr(quickbooks_online, "MINUTE_LIMIT", 3)
    statuses = [get(client, qbo, "/query?query=" + quote("select * from Account")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = get(client, qbo, "/query?query=" + quote("select * from Account"))
    assert limited.json()["fault"]["error"][0]["code"] == "3001", "Intuit's lowercase gateway fault"
    assert "Retry-After" not in limited, "Intuit documents no Retry-After: wait for the next minute"


def test_batch_answers_each_operation_and_replays_by_requestid(client, qbo):
    vendor_id = vendor(client, qbo)["Id"]
    bad = {**bill_body(vendor_id, note="item-2"), "VendorRef": {"value": "999"}}
    request = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Bill": bill_body(vendor_id, note="item-1")},
            {"bId": "2", "operation": "create", "Bill": bad},
            {"bId": "3", "operation": "create", "Bill": bill_body(vendor_id, note="item-3")},
        ]
    }
    first = post(client, qbo, "batch", request, query="?minorversion=75&requestid=batch-1")
    assert first.status_code == 200, first.content
    answers = {a["bId"]: a for a in first.json()["BatchItemResponse"]}
    assert answers["1"]["Bill"]["PrivateNote"] == "item-1" and answers["3"]["Bill"]["Id"]
    assert answers["2"]["Fault"]["Error"][0]["code"] == "2500"
    again = post(client, qbo, "batch", request, query="?minorversion=75&requestid=batch-1")
    assert again.json() == first.json() and again["X-Sandbox-Idempotent-Replay"] == "true"
    assert sorted(Document.objects.values_list("reference", flat=True)) == ["item-1", "item-3"]


def test_batch_limits(client, qbo, monkeypatch):
    vendor_id = vendor(client, qbo)["Id"]
    eleven = {
        "BatchItemRequest": [
            {"bId": str(n), "operation": "create", "Bill": bill_body(vendor_id, note=f"item-{n}")} for n in range(11)
        ]
    }
    assert post(client, qbo, "batch", eleven).status_code == 400
    assert post(client, qbo, "batch", {"BatchItemRequest": []}).status_code == 400
    monkeypatch.setattr(quickbooks_online, "BATCH_PER_MINUTE", 1)
    one = {"BatchItemRequest": eleven["BatchItemRequest"][:1]}
    assert post(client, qbo, "batch", one).status_code == 200
    throttled = post(client, qbo, "batch", one)
    assert throttled.status_code == 429 and "Retry-After" not in throttled
    assert Document.objects.count() == 1


def test_a_batch_costs_the_same_statements_for_two_operations_or_ten(client, qbo):
    """The vendor is looked up once per request and the new bills are inserted together, with ids taken from the
    company's sequence in one statement: the sandbox keeps up with the batches our workers send."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    vendor_id = vendor(client, qbo)["Id"]

    def batch(count: int, request_id: str) -> tuple[int, list]:
        request = {
            "BatchItemRequest": [
                {"bId": str(n), "operation": "create", "Bill": bill_body(vendor_id, note=f"{request_id}-{n}")}
                for n in range(count)
            ]
        }
        with CaptureQueriesContext(connection) as statements:
            response = post(client, qbo, "batch", request, query=f"?minorversion=75&requestid={request_id}")
        assert response.status_code == 200, response.content
        return len(statements), [a["Bill"] for a in response.json()["BatchItemResponse"]]

    batch(1, "first")  # opens the rate windows
    two, _ = batch(2, "two")
    ten, bills = batch(10, "ten")
    assert ten == two
    ids = [int(b["Id"]) for b in bills]
    assert ids == list(range(ids[0], ids[0] + 10)), "ids follow the company's sequence, in order"
    stored = dict(Document.objects.filter(reference__startswith="ten-").values_list("external_id", "reference"))
    assert stored == {b["Id"]: b["PrivateNote"] for b in bills}
    assert int(vendor(client, qbo, "Next Vendor")["Id"]) == ids[-1] + 1, "the sequence moved past the batch"
