"""The in-process check against Xero's OpenAPI document catches a wrong body (it is not vacuous)."""

import httpx

from tests.xero_spec import ValidatingTransport


class Answer(httpx.BaseTransport):
    def handle_request(self, request):
        return httpx.Response(200, json={})


def _put(transport, body):
    with httpx.Client(transport=transport) as client:
        client.put(
            "http://testserver/sandbox/xero/api.xro/2.0/Invoices",
            json=body,
            headers={"xero-tenant-id": "t", "Authorization": "Bearer x", "Idempotency-Key": "k"},
        )


def test_a_valid_bill_passes_and_a_wrong_type_is_caught():
    transport = ValidatingTransport(Answer())
    line = {"Description": "Paper", "Quantity": 1, "UnitAmount": 10.0, "AccountCode": "429"}
    contact = {"ContactID": "00000000-0000-0000-0000-000000000001"}
    _put(transport, {"Invoices": [{"Type": "ACCPAY", "Contact": contact, "LineItems": [line], "Date": "2026-11-01"}]})
    assert transport.problems == []
    _put(transport, {"Invoices": [{"Type": "BILL", "Contact": contact, "LineItems": [line]}]})
    assert len(transport.problems) == 1 and "BILL" in transport.problems[0]
