"""Bill.com v3 as the sandbox plays it: sessions, vendors, bills, documents, concurrency."""

import json
from contextlib import ExitStack

import pytest

from integrations.sandbox import counters
from integrations.sandbox.models import Document

V3 = "/sandbox/bill_com/connect/v3"
CREDENTIALS = {
    "username": "sandbox",
    "password": "sandbox",
    "organizationId": "sandbox-org",
    "devKey": "sandbox-dev-key",
}


def login(client, **changes):
    return client.post(f"{V3}/login", json.dumps({**CREDENTIALS, **changes}), content_type="application/json")


@pytest.fixture
def session(client) -> dict:
    response = login(client)
    assert response.status_code == 200, response.content
    return {"devKey": "sandbox-dev-key", "sessionId": response.json()["sessionId"]}


def call(client, session, method, path, body=None):
    kwargs = {"headers": session}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(V3 + path, **kwargs)


ADDRESS = {"line1": "1 Main St", "city": "San Jose", "zipOrPostalCode": "95002", "country": "US"}


def vendor(name: str) -> dict:
    return {"name": name, "address": ADDRESS}


def new_bill(vendor_id, number="SUP-1", description="item-3"):
    return {
        "vendorId": vendor_id,
        "invoice": {"invoiceNumber": number, "invoiceDate": "2030-01-05"},
        "dueDate": "2030-02-04",
        "billLineItems": [{"amount": 60.25, "description": description}, {"amount": 39.75}],
    }


def test_login_with_the_sandbox_credentials(client):
    answer = login(client).json()
    assert answer["organizationId"] == "sandbox-org" and answer["sessionId"] and answer["userId"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"password": "wrong"}, "BDC_1101"),
        ({"username": "someone"}, "BDC_1101"),
        ({"organizationId": "x"}, "BDC_1123"),
        ({"devKey": "x"}, "BDC_1102"),
    ],
)
def test_login_refuses_anything_else_by_its_documented_code(client, changes, code):
    response = login(client, **changes)
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == code
    assert error["severity"] == "ERROR" and error["category"] == "DOWNSTREAM" and error["timestamp"]


def test_calls_need_the_session_and_dev_key(client, session):
    assert call(client, session, "GET", "/vendors").status_code == 200
    assert call(client, {"sessionId": session["sessionId"]}, "GET", "/vendors").status_code == 401
    refused = call(client, {**session, "sessionId": "!nope"}, "GET", "/vendors")
    assert refused.status_code == 401 and refused.json()[0]["code"] == "BDC_1109"


def test_session_lapses_after_35_idle_minutes(client, session, clock):
    clock.advance(minutes=34)
    assert call(client, session, "GET", "/vendors").status_code == 200  # activity keeps it alive
    clock.advance(minutes=34)
    assert call(client, session, "GET", "/vendors").status_code == 200
    clock.advance(minutes=35)
    lapsed = call(client, session, "GET", "/vendors")
    assert lapsed.status_code == 401
    assert (
        lapsed.json()[0]["code"] == "BDC_1109" and lapsed.json()[0]["message"] == "Session is invalid. Please log in."
    )


def test_vendors_are_created_and_looked_up(client, session):
    created = call(client, session, "POST", "/vendors", vendor("Acme, Inc.")).json()
    assert created["id"].startswith("009") and created["name"] == "Acme, Inc."
    call(client, session, "POST", "/vendors", vendor("Other"))
    found = call(client, session, "GET", '/vendors?filters=name:eq:"Acme, Inc."').json()
    assert [v["id"] for v in found["results"]] == [created["id"]]
    others = call(client, session, "GET", '/vendors?filters=name:sw:"Oth"').json()["results"]
    assert [v["name"] for v in others] == ["Other"]
    assert call(client, session, "GET", "/vendors?filters=name:like:x").json()[0]["code"] == "BDC_1131"
    assert call(client, session, "GET", f"/vendors/{created['id']}").json()["name"] == "Acme, Inc."


def test_bills_are_created_looked_up_and_carry_the_reference(client, session):
    acme = call(client, session, "POST", "/vendors", vendor("Acme")).json()
    created = call(client, session, "POST", "/bills", new_bill(acme["id"]))
    assert created.status_code == 200, created.content
    bill = created.json()
    assert bill["id"].startswith("00n") and bill["amount"] == 100.0
    assert Document.objects.get(provider="bill_com").reference == "item-3"
    found = call(client, session, "GET", f'/bills?filters=vendorId:eq:"{acme["id"]}"').json()["results"]
    assert [b["id"] for b in found] == [bill["id"]]
    assert call(client, session, "GET", '/bills?filters=vendorId:eq:"009other"').json()["results"] == []
    assert call(client, session, "GET", f"/bills/{bill['id']}").json()["id"] == bill["id"]


def test_bill_validation(client, session):
    acme = call(client, session, "POST", "/vendors", vendor("Acme")).json()
    assert call(client, session, "POST", "/bills", new_bill("009missing")).status_code == 400
    no_lines = {**new_bill(acme["id"]), "billLineItems": []}
    assert call(client, session, "POST", "/bills", no_lines).json()[0]["code"] == "BDC_1000"
    assert not Document.objects.exists()


def test_document_upload_to_a_bill(client, session):
    acme = call(client, session, "POST", "/vendors", vendor("Acme")).json()
    bill = call(client, session, "POST", "/bills", new_bill(acme["id"])).json()
    response = client.post(
        f"{V3}/documents/bills/{bill['id']}?name=invoice.pdf",
        data=b"%PDF-1.4",
        content_type="application/octet-stream",
        headers=session,
    )
    assert response.status_code == 200 and response.json()["name"] == "invoice.pdf"
    assert Document.objects.get(provider="bill_com").attachments.get().size == 8
    listed = call(client, session, "GET", f"/documents/bills/{bill['id']}").json()
    assert [(d["name"], d["billId"]) for d in listed] == [("invoice.pdf", bill["id"])]
    assert call(client, session, "GET", "/documents/bills/00nmissing").status_code == 404
    missing = client.post(
        f"{V3}/documents/bills/00nmissing?name=a.pdf", data=b"x", content_type="application/pdf", headers=session
    )
    assert missing.status_code == 404


def test_three_concurrent_calls_per_organisation_then_bdc_1322(client, session):
    with ExitStack() as stack:
        for _ in range(3):
            stack.enter_context(counters.concurrency_slot("bill_com:sandbox-org", 3))
        limited = call(client, session, "GET", "/vendors")
    assert limited.status_code == 429 and limited.json()[0]["code"] == "BDC_1322"
    assert call(client, session, "GET", "/vendors").status_code == 200


def test_logout_ends_the_session(client, session):
    assert client.post(f"{V3}/logout", headers=session).status_code == 200
    assert call(client, session, "GET", "/vendors").status_code == 401


def test_bulk_bills_are_all_made_or_none(client, session):
    acme = call(client, session, "POST", "/vendors", vendor("Acme")).json()
    bills = [new_bill(acme["id"], f"SUP-{n}", f"item-{n}") for n in (1, 2)]
    made = call(client, session, "POST", "/bills/bulk", bills)
    assert made.status_code == 200, made.content
    assert [b["invoice"]["invoiceNumber"] for b in made.json()] == ["SUP-1", "SUP-2"]
    assert sorted(Document.objects.values_list("reference", flat=True)) == ["item-1", "item-2"]
    refused = call(
        client, session, "POST", "/bills/bulk", [new_bill(acme["id"], "SUP-3"), new_bill("009missing", "SUP-4")]
    )
    assert refused.status_code == 400 and refused.json()[0]["message"].startswith("Bill 2:")
    assert Document.objects.count() == 2, "a refused bulk request made a bill"
    too_many = [new_bill(acme["id"], f"SUP-{n}") for n in range(101)]
    assert call(client, session, "POST", "/bills/bulk", too_many).status_code == 400
    assert call(client, session, "POST", "/bills/bulk", {"not": "a list"}).status_code == 400
    assert Document.objects.count() == 2


def test_a_bulk_request_costs_the_same_statements_for_two_bills_or_ten(client, session):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    acme = call(client, session, "POST", "/vendors", vendor("Acme")).json()

    def bulk(count: int, prefix: str) -> int:
        bills = [new_bill(acme["id"], f"{prefix}-{n}", f"{prefix}-{n}") for n in range(count)]
        with CaptureQueriesContext(connection) as statements:
            assert call(client, session, "POST", "/bills/bulk", bills).status_code == 200
        return len(statements)

    bulk(1, "first")  # opens the rate window
    assert bulk(10, "ten") == bulk(2, "two")
    assert Document.objects.filter(reference__startswith="ten-").count() == 10
