"""Bill.com v3 client: session login (again when it lapses), vendors, bills, bill documents, and the lists
(``lists.ListFetcher``).

Bill.com has no idempotency key, so when an earlier attempt may have made a bill, it is looked for before one is
created. Bills cannot be filtered by invoice number (the documented bill filters are id, archived, vendorId, amount,
dueDate, paymentStatus, approvalStatus, createdTime and updatedTime): the look-up asks for the bills of the
supplier's vendors (``vendorId``), newest first, and tells ours by invoice number and by our item id, which travels
in the bill's ``description``.

A bill is published without its document: once the worker has saved the bill's id, the attachment phase
(publishing.attaching) uploads the file with ``attach``. Bill.com keeps every upload, so an upload that may have
been sent before (a retry, a bill found again) goes only if the bill has no document of that name yet.

Each line is coded with the organisation's own chart of accounts: ``classifications.chartOfAccountId`` is the id of
the item's category in the connection's lists, never words. Errors are read by ``BDC_`` code (``errors``).
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
from integrations.providers.bill_com.endpoints import API, APP, LIST_PAGE_SIZE, V3_PATH, VENDOR_COUNTRY, VENDOR_NAME_MAX
from integrations.providers.bill_com.errors import SessionLapsed, error_for
from integrations.providers.bill_com.lists import ListFetcher
from integrations.providers.bill_com.provider import login
from integrations.providers.document import PublishDocument
from integrations.providers.http_client import HttpProviderClient, Outcome, shared_http_client


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BillComClient(ListFetcher, HttpProviderClient):
    provider_name = "Bill.com"

    def url(self, path: str) -> str:
        return http.url(API, f"{V3_PATH}{path}")

    def send(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        """One HTTP call; an error answer becomes the taxonomy's error by its ``BDC_`` code (bill_com.errors)."""
        try:
            response = shared_http_client().request(method, url, headers=headers or {}, **kwargs)
        except httpx.TimeoutException:
            raise TransientError("Bill.com did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach Bill.com ({exc.__class__.__name__}).") from None
        if response.status_code >= 400:
            raise error_for(response)
        return response

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
        except SessionLapsed:
            # Sessions lapse after 35 idle minutes (BDC_1109): sign in again once.
            session_id = self._login()
            return self.send(method, self.url(path), headers={**headers, "sessionId": session_id}, **kwargs)

    def vendor_id(self, name: str) -> str:
        return self.lookup("vendor", name, lambda: self._vendor_id(name))

    def vendors_named(self, name: str) -> list[str]:
        """The ids of the organisation's vendors of this name (``filters=name:eq:…``, a documented vendor filter)."""
        params = {"filters": f"name:eq:{_quote(name)}", "max": LIST_PAGE_SIZE}
        return [row["id"] for row in self.call("GET", "/vendors", params=params).json().get("results") or []]

    def _vendor_id(self, name: str) -> str:
        found = self.vendors_named(name)
        if found:
            return found[0]
        if not name.strip():
            raise ValidationError("Add the supplier: Bill.com needs a vendor for the bill.")
        body = {
            "name": name.strip()[:VENDOR_NAME_MAX],
            "accountType": "BUSINESS",
            "address": {"country": VENDOR_COUNTRY},
        }
        return self.call("POST", "/vendors", json=body).json()["id"]

    def existing_bill(self, doc: PublishDocument) -> dict | None:
        """Our bill for this item, if an earlier attempt made it: among the bills of the vendors of the supplier's
        name (several when racing workers made it twice), newest first, the one with our invoice number and our
        reference. Pages on until the list ends (an earlier attempt's bill is among the newest)."""
        vendors = self.vendors_named(doc.contact_name)
        if not vendors:
            return None
        wanted = (
            f"vendorId:eq:{_quote(vendors[0])}" if len(vendors) == 1 else f"vendorId:in:{_quote(','.join(vendors))}"
        )
        params: dict = {"filters": wanted, "sort": "createdTime:desc", "max": LIST_PAGE_SIZE}
        number = self.invoice_number(doc)
        while True:
            answer = self.call("GET", "/bills", params=params).json()
            for bill in answer.get("results") or []:
                invoice = bill.get("invoice") or {}
                if bill.get("description") == doc.reference and invoice.get("invoiceNumber") == number:
                    return bill
            if not answer.get("nextPage"):
                return None
            params["page"] = answer["nextPage"]

    @staticmethod
    def invoice_number(doc: PublishDocument) -> str:
        return doc.invoice_number or f"DEXT-{doc.reference[:8]}"

    @staticmethod
    def account_id(doc: PublishDocument) -> str:
        """The line's ``chartOfAccountId``: the category chosen from the organisation's chart (never words)."""
        if doc.category_ref is None:
            raise ValidationError("Choose a category from Bill.com's chart of accounts.")
        return doc.category_ref.external_id

    def bill_body(self, doc: PublishDocument) -> dict:
        account = self.account_id(doc)
        return {
            "vendorId": self.vendor_id(doc.contact_name),
            "invoice": {"invoiceNumber": self.invoice_number(doc), "invoiceDate": doc.date.isoformat()},
            "dueDate": (doc.due_date or doc.date + timedelta(days=30)).isoformat(),
            "description": doc.reference,
            "billLineItems": [
                {
                    "amount": float(Decimal(doc.total).quantize(Decimal("0.01"))),
                    "description": doc.line_description[:4000],
                    "classifications": {"chartOfAccountId": account},
                }
            ],
        }

    def has_document(self, bill_id: str, name: str) -> bool:
        """Whether the bill already carries a document of this name (an earlier attempt's upload)."""
        found = self.call("GET", f"/documents/bills/{bill_id}").json()
        rows = found.get("results", []) if isinstance(found, dict) else found
        return any(isinstance(row, dict) and row.get("name") == name for row in rows or [])

    @staticmethod
    def _published(bill: dict) -> ExternalRef:
        """Where a bill made now, or by an earlier attempt, lives."""
        return ExternalRef(external_id=bill["id"], url=f"{http.url(APP)}/Bill?id={quote(bill['id'])}")

    def attach(self, doc: PublishDocument, ref: ExternalRef) -> None:
        """Upload ``doc.attachment`` as a document of the bill ``ref`` (``POST /v3/documents/bills/{billId}?name=``,
        the raw bytes). Bill.com keeps every upload: when this one may have gone before (``doc.maybe_sent``: a retry
        after a lost answer, a bill found again), the bill's documents are read first and a file of that name is
        not sent again."""
        if doc.attachment is None:
            return
        name = doc.attachment.filename
        if doc.maybe_sent and self.has_document(ref.external_id, name):
            return
        self.call(
            "POST",
            f"/documents/bills/{ref.external_id}",
            params={"name": name},
            content=doc.attachment.content,
            headers={"Content-Type": doc.attachment.content_type},
        )

    def earlier_bill(self, doc: PublishDocument) -> dict | None:
        """Only an item that an earlier attempt may have sent can have a bill already: look for it then."""
        return self.existing_bill(doc) if doc.maybe_sent else None

    def publish(self, doc: PublishDocument) -> ExternalRef:
        body = self.bill_body(doc)
        bill = self.earlier_bill(doc)
        if bill is not None:
            return self._published(bill)
        return self._published(self.call("POST", "/bills", json=body).json())

    def publish_many(self, docs: list[PublishDocument]) -> list[Outcome]:
        """Bills that no earlier attempt can have made go in one ``POST /v3/bills/bulk`` (up to 100). Bill.com
        makes all of them or none: when it refuses the request, each goes on its own, so that each refusal
        lands on its own item and the others are made."""
        if len(docs) == 1:
            return super().publish_many(docs)
        outcomes: list[Outcome | None] = [None] * len(docs)
        fresh: list[tuple[int, PublishDocument, dict]] = []
        for index, doc in enumerate(docs):
            try:
                bill = self.earlier_bill(doc)
                if bill is not None:
                    outcomes[index] = self._published(bill)
                    continue
                fresh.append((index, doc, self.bill_body(doc)))
            except ValidationError as exc:  # this document's own refusal (not coded, say): the others go on
                outcomes[index] = exc
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
        for (index, _, _), bill in zip(fresh, bills, strict=True):
            outcomes[index] = self._published(bill)
        return outcomes
