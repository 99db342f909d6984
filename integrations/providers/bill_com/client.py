"""Bill.com v3 client: session login (again when it lapses), vendors, bills, bill documents.

Bill.com has no idempotency key, so when an earlier attempt may have made a bill, it is looked up by
invoice number before one is created, and our item id travels in the bill's ``description`` to tell our
bill from a lookalike. A bill found again gets its attachment only if it has no document of that name yet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import httpx

from integrations import http
from integrations.models import Connection
from integrations.providers.base import AuthError, CredentialsRefused, ExternalRef, TransientError, ValidationError
from integrations.providers.bill_com.endpoints import API, APP, V3_PATH
from integrations.providers.bill_com.provider import login
from integrations.providers.document import PublishDocument
from integrations.providers.http_client import HttpProviderClient, Outcome


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BillComClient(HttpProviderClient):
    provider_name = "Bill.com"

    def url(self, path: str) -> str:
        return http.url(API, f"{V3_PATH}{path}")

    def validation_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return f"Bill.com refused the document ({response.status_code})."
        errors = body if isinstance(body, list) else [body]
        messages = [f"{e.get('message', '')} ({e.get('code', '')})".strip() for e in errors if isinstance(e, dict)]
        return "; ".join(m for m in messages if m) or "Bill.com refused the document."

    def _login(self) -> str:
        try:
            session = login(self.connection.credentials)
        except CredentialsRefused as exc:
            raise AuthError(f"Bill.com refused the saved sign-in: {exc.message}") from None
        creds = {**self.connection.credentials, "session_id": session["sessionId"]}
        self.connection.credentials = creds
        stored = Connection.objects.for_business(self.connection.business_id).get(pk=self.connection.pk)
        stored.credentials = creds
        stored.save(update_fields=["credentials"])
        return session["sessionId"]

    def call(self, method: str, path: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        session_id = self.connection.credentials.get("session_id") or self._login()
        headers = {
            "devKey": self.connection.credentials.get("dev_key", ""),
            "Accept": "application/json",
            **(headers or {}),
        }
        try:
            return self.send(method, self.url(path), headers={**headers, "sessionId": session_id}, **kwargs)
        except AuthError:
            # Sessions lapse after 35 idle minutes: sign in again once.
            session_id = self._login()
            return self.send(method, self.url(path), headers={**headers, "sessionId": session_id}, **kwargs)

    def vendor_id(self, name: str) -> str:
        return self.lookup("vendor", name, lambda: self._vendor_id(name))

    def _vendor_id(self, name: str) -> str:
        found = self.call("GET", "/vendors", params={"filters": f"name:eq:{_quote(name)}"}).json().get("results") or []
        if found:
            return found[0]["id"]
        return self.call("POST", "/vendors", json={"name": name, "accountType": "BUSINESS"}).json()["id"]

    def existing_bill(self, invoice_number: str, reference: str) -> dict | None:
        """Our bill for this item, if an earlier attempt made it: by invoice number, told apart by our
        reference (not by vendor id, which differs if the vendor was made twice by racing workers)."""
        filters = f"invoice.invoiceNumber:eq:{_quote(invoice_number)}"
        for bill in self.call("GET", "/bills", params={"filters": filters}).json().get("results") or []:
            if bill.get("description") == reference:
                return bill
        return None

    @staticmethod
    def invoice_number(doc: PublishDocument) -> str:
        return doc.invoice_number or f"DEXT-{doc.reference[:8]}"

    def bill_body(self, doc: PublishDocument) -> dict:
        return {
            "vendorId": self.vendor_id(doc.contact_name),
            "invoice": {"invoiceNumber": self.invoice_number(doc), "invoiceDate": doc.date.isoformat()},
            "dueDate": (doc.due_date or doc.date + timedelta(days=30)).isoformat(),
            "description": doc.reference,
            "billLineItems": [
                {
                    "amount": float(Decimal(doc.total).quantize(Decimal("0.01"))),
                    "description": doc.line_description[:4000],
                }
            ],
        }

    def has_document(self, bill_id: str, name: str) -> bool:
        """Whether the bill already carries a document of this name (an earlier attempt's upload)."""
        found = self.call("GET", f"/documents/bills/{bill_id}").json()
        rows = found.get("results", []) if isinstance(found, dict) else found
        return any(isinstance(row, dict) and row.get("name") == name for row in rows or [])

    def _published(self, doc: PublishDocument, bill: dict, *, created: bool) -> ExternalRef:
        """A bill made now, or by an earlier attempt: its attachment uploaded once (Bill.com keeps every upload,
        so a bill found again gets the file only if the earlier attempt did not get as far)."""
        attach = doc.attachment is not None and (created or not self.has_document(bill["id"], doc.attachment.filename))
        if attach:
            self.call(
                "POST",
                f"/documents/bills/{bill['id']}",
                params={"name": doc.attachment.filename},
                content=doc.attachment.content,
                headers={"Content-Type": doc.attachment.content_type},
            )
        return ExternalRef(external_id=bill["id"], url=f"{http.url(APP)}/Bill?id={quote(bill['id'])}")

    def earlier_bill(self, doc: PublishDocument) -> dict | None:
        """Only an item that an earlier attempt may have sent can have a bill already: look for it then."""
        return self.existing_bill(self.invoice_number(doc), doc.reference) if doc.maybe_sent else None

    def publish(self, doc: PublishDocument) -> ExternalRef:
        body = self.bill_body(doc)
        bill = self.earlier_bill(doc)
        if bill is not None:
            return self._published(doc, bill, created=False)
        return self._published(doc, self.call("POST", "/bills", json=body).json(), created=True)

    def publish_many(self, docs: list[PublishDocument]) -> list[Outcome]:
        """Bills that no earlier attempt can have made go in one ``POST /v3/bills/bulk`` (up to 100). Bill.com
        makes all of them or none: when it refuses the request, each goes on its own, so that each refusal
        lands on its own item and the others are made."""
        if len(docs) == 1:
            return super().publish_many(docs)
        outcomes: list[Outcome | None] = [None] * len(docs)
        fresh: list[tuple[int, PublishDocument, dict]] = []
        for index, doc in enumerate(docs):
            bill = self.earlier_bill(doc)
            if bill is not None:
                outcomes[index] = self._published(doc, bill, created=False)
                continue
            fresh.append((index, doc, self.bill_body(doc)))
        if not fresh:
            return outcomes
        try:
            bills = self.call("POST", "/bills/bulk", json=[body for _, _, body in fresh]).json()
        except ValidationError:
            # Nothing was made: publish them one by one (without a look-up: none of them exists).
            singles = super().publish_many([replace(doc, maybe_sent=False) for _, doc, _ in fresh])
            for (index, _, _), outcome in zip(fresh, singles, strict=True):
                outcomes[index] = outcome
            return outcomes
        if not isinstance(bills, list) or len(bills) != len(fresh):
            raise TransientError("Bill.com answered the bulk request without all of the bills.")
        for (index, doc, _), bill in zip(fresh, bills, strict=True):
            try:
                outcomes[index] = self._published(doc, bill, created=True)
            except ValidationError as exc:
                outcomes[index] = exc
        return outcomes
