"""Xero Accounting API client: contacts, bills (ACCPAY), sales (ACCREC), spend money, attachments, and the lists.

A document is published without its attachment: once the worker has saved the document's id, the attachment phase
(publishing.attaching) uploads the file with ``attach``, so a refused upload never costs the document's id.

Coding comes from the connection's lists (DESIGN.md §9), never from text or fixed codes: a line's ``AccountCode`` is
the category's code (``AccountID`` for an account without one), its ``TaxType`` the tax rate's code, a spend money's
``BankAccount`` the payment account's ``AccountID``; a line without a tax rate takes its account's default one, as
in Xero's screens. What a document lacks that Xero needs is the document's own
ValidationError, naming the list to choose from (the readiness check stops such items first).

``Reference`` goes on sales invoices and spend money only (Xero ignores it on bills); every document carries ``Url``,
the link back to its item, by which a bill made by an earlier attempt is found again.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import httpx

from integrations import http
from integrations.providers.base import AccessLost, ExternalRef, ValidationError
from integrations.providers.document import PublishDocument, request_key
from integrations.providers.http_client import OAuthProviderClient, Outcome
from integrations.providers.xero.endpoints import ACCOUNTING_PATH, API, APP
from integrations.providers.xero.lists import ListFetcher

LIVE_INVOICE_STATUSES = "DRAFT,SUBMITTED,AUTHORISED,PAID"


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


class XeroClient(ListFetcher, OAuthProviderClient):
    provider_name = "Xero"
    # The status a bill is created in: approved (ApprovalMax's route publishes them SUBMITTED, awaiting approval).
    bill_status = "AUTHORISED"

    def api(self, path: str) -> str:
        return http.url(API, f"{ACCOUNTING_PATH}{path}")

    def extra_headers(self) -> dict:
        return {"xero-tenant-id": self.connection.external_tenant_id}

    def lost_access(self, response: httpx.Response) -> AccessLost | None:
        """403 (``AuthenticationUnsuccessful``): the organisation disconnected the app, or the tenant is not
        reachable with this grant. A new token will not help: the connection needs a reconnect."""
        if response.status_code == 403:
            return AccessLost("Xero no longer lets us reach this organisation: reconnect it.")
        return None

    def validation_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return f"Xero refused the document ({response.status_code})."
        messages = [
            error.get("Message")
            for element in body.get("Elements", [])
            for error in element.get("ValidationErrors", [])
            if error.get("Message")
        ]
        return "; ".join(messages) or body.get("Message") or body.get("Detail") or "Xero refused the document."

    # ------------------------------------------------------------------ contacts

    def contact_id(self, name: str) -> str:
        return self.lookup("contact", name, lambda: self._contact_id(name))

    def _contact_id(self, name: str) -> str:
        escaped = name.replace('"', '\\"')
        found = self.call("GET", self.api("/Contacts"), params={"where": f'Name=="{escaped}"'}).json()
        contacts = found.get("Contacts") or []
        if contacts:
            return contacts[0]["ContactID"]
        try:
            created = self.call(
                "PUT", self.api("/Contacts"), params={"summarizeErrors": "true"}, json={"Contacts": [{"Name": name}]}
            ).json()
        except ValidationError:
            # Another worker created it meanwhile (Xero refuses a second contact of one name): look it up again.
            found = self.call("GET", self.api("/Contacts"), params={"where": f'Name=="{escaped}"'}).json()
            if found.get("Contacts"):
                return found["Contacts"][0]["ContactID"]
            raise
        return created["Contacts"][0]["ContactID"]

    # ------------------------------------------------------------------ documents

    def line_items(self, doc: PublishDocument) -> list[dict]:
        line = {
            "Description": doc.line_description[:4000],
            "Quantity": 1,
            "UnitAmount": float(_money(doc.net if doc.tax else doc.total)),
        }
        account = doc.category_ref
        if account is None:
            raise ValidationError(
                "Choose a category from Xero's chart of accounts: Xero needs an account on each line."
            )
        if account.code:
            line["AccountCode"] = account.code
        else:
            line["AccountID"] = account.external_id
        if doc.tax_rate_ref is not None:
            line["TaxType"] = doc.tax_rate_ref.code or doc.tax_rate_ref.external_id
        # Without one, Xero applies the account's own default tax rate (its TaxType), as it does in its screens.
        return [line]

    @staticmethod
    def _amount_types(doc: PublishDocument) -> str:
        return "Exclusive" if doc.tax else "NoTax"

    def invoice_body(self, doc: PublishDocument, contact_id: str) -> dict:
        sales = doc.kind == "sales"
        invoice = {
            "Type": "ACCREC" if sales else "ACCPAY",
            "Contact": {"ContactID": contact_id},
            "Date": doc.date.isoformat(),
            "InvoiceNumber": doc.invoice_number or "",
            "CurrencyCode": doc.currency,
            "LineAmountTypes": self._amount_types(doc),
            "LineItems": self.line_items(doc),
            "Status": "AUTHORISED" if sales else self.bill_status,
        }
        if sales:
            invoice["Reference"] = doc.reference  # ACCREC only: Xero ignores it on a bill
        if doc.source_url:
            invoice["Url"] = doc.source_url
        if doc.due_date:
            invoice["DueDate"] = doc.due_date.isoformat()
        if doc.external_id:
            invoice["InvoiceID"] = doc.external_id
        return {"Invoices": [invoice]}

    def spend_body(self, doc: PublishDocument, contact_id: str) -> dict:
        if doc.payment_account_ref is None:
            raise ValidationError(
                "Choose the bank account or credit card it was paid from, from Xero's list of payment accounts."
            )
        transaction = {
            "Type": "SPEND",
            "Contact": {"ContactID": contact_id},
            "BankAccount": {"AccountID": doc.payment_account_ref.external_id},
            "Date": doc.date.isoformat(),
            "Reference": doc.reference,
            "CurrencyCode": doc.currency,
            "LineAmountTypes": self._amount_types(doc),
            "LineItems": self.line_items(doc),
        }
        if doc.source_url:
            transaction["Url"] = doc.source_url
        if doc.external_id:
            transaction["BankTransactionID"] = doc.external_id
        return {"BankTransactions": [transaction]}

    @staticmethod
    def collection(doc: PublishDocument) -> str:
        return "BankTransactions" if doc.kind != "sales" and doc.publish_as == "spend_money" else "Invoices"

    def _element(self, doc: PublishDocument) -> tuple[str, dict]:
        """The collection a document goes to (Invoices or BankTransactions) and its element there. The coding is
        checked before the contact is looked up: a document Xero would refuse costs no call."""
        spend = self.collection(doc) == "BankTransactions"
        self.line_items(doc)
        if spend and doc.payment_account_ref is None:
            self.spend_body(doc, "")  # raises the sentence naming the list
        contact_id = self.contact_id(doc.contact_name)
        if spend:
            return "BankTransactions", self.spend_body(doc, contact_id)["BankTransactions"][0]
        return "Invoices", self.invoice_body(doc, contact_id)["Invoices"][0]

    def earlier_document(self, doc: PublishDocument) -> ExternalRef | None:
        """The document an earlier publish job of this item made; a voided or deleted one does not count. Its
        attachment goes up afterwards (``attach``) under the same file name, which Xero replaces, not adds.

        Sales invoices and spend money keep our reference (the item id) in ``Reference``. Bills do not (Xero ignores
        ``Reference`` on ACCPAY): they are looked up among the supplier's bills (``ContactIDs``, with
        ``InvoiceNumbers`` when the bill has a number, both documented filters of ``GET /Invoices``) and recognised
        by their ``Url``, the link to our item."""
        collection = self.collection(doc)
        if collection == "BankTransactions" or doc.kind == "sales":
            found = self.call("GET", self.api(f"/{collection}"), params={"where": f'Reference=="{doc.reference}"'})
            rows = [r for r in found.json().get(collection) or [] if r.get("Status") not in ("DELETED", "VOIDED")]
            return self._published(doc, collection, rows[0]) if rows else None
        params = {"ContactIDs": self.contact_id(doc.contact_name), "Statuses": LIVE_INVOICE_STATUSES, "page": 1}
        if doc.invoice_number:
            params["InvoiceNumbers"] = doc.invoice_number
        while True:
            rows = self.call("GET", self.api("/Invoices"), params=params).json().get("Invoices") or []
            for row in rows:
                if row.get("Type") == "ACCPAY" and self._ours(doc, row):
                    return self._published(doc, collection, row)
            if len(rows) < 100:
                return None
            params["page"] += 1

    @staticmethod
    def _ours(doc: PublishDocument, row: dict) -> bool:
        url = str(row.get("Url") or "").rstrip("/")
        return bool(url) and url.rsplit("/", 1)[-1] == doc.reference

    def _published(self, doc: PublishDocument, collection: str, row: dict) -> ExternalRef:
        """Where a created, updated or found-again document lives."""
        spend = collection == "BankTransactions"
        external_id = row["BankTransactionID" if spend else "InvoiceID"]
        return ExternalRef(external_id=external_id, url=self.document_url(doc, external_id, spend))

    def attach(self, doc: PublishDocument, ref: ExternalRef) -> None:
        """Upload ``doc.attachment`` to the document Xero knows as ``ref`` (``PUT /{Invoices|BankTransactions}/{id}
        /Attachments/{name}``, the raw bytes). Xero keeps one file of a name per document, so an upload sent again
        after a lost answer replaces the first one: never a second file."""
        if doc.attachment is None:
            return
        self.call(
            "PUT",
            self.api(f"/{self.collection(doc)}/{ref.external_id}/Attachments/{quote(doc.attachment.filename)}"),
            content=doc.attachment.content,
            headers={"Content-Type": doc.attachment.content_type},
        )

    @staticmethod
    def _row_errors(row: dict) -> list[str]:
        return [e.get("Message") for e in row.get("ValidationErrors", []) if e.get("Message")]

    def publish(self, doc: PublishDocument) -> ExternalRef:
        if doc.sent_before and not doc.external_id and (found := self.earlier_document(doc)) is not None:
            return found
        collection, element = self._element(doc)
        # PUT creates (with an Idempotency-Key: a replay returns the first answer); POST updates.
        method = "POST" if doc.external_id else "PUT"
        headers = {} if doc.external_id else {"Idempotency-Key": request_key([doc])[:128]}
        answer = self.call(
            method,
            self.api(f"/{collection}"),
            params={"summarizeErrors": "true"},
            json={collection: [element]},
            headers=headers,
        ).json()
        rows = answer.get(collection) or []
        if not rows:
            raise ValidationError("Xero answered without the document.")
        errors = self._row_errors(rows[0])
        if errors:
            raise ValidationError("; ".join(errors))
        return self._published(doc, collection, rows[0])

    def publish_many(self, docs: list[PublishDocument]) -> list[Outcome]:
        """Creates go in one ``PUT`` per collection (Xero takes up to about 50 documents a request), with
        ``summarizeErrors=false`` so that each document gets its own answer, under one Idempotency-Key made of
        the batch's jobs. Updates go one by one. A failure of a whole request (authorisation, limits, the
        network) is raised, so the whole batch is sent again, as it was, under the same keys."""
        if len(docs) == 1:
            return super().publish_many(docs)
        outcomes, creates = self._split_creates(docs, self._element)
        requests: dict[str, list[tuple[int, PublishDocument, dict]]] = {}
        for index, doc, (collection, element) in creates:
            requests.setdefault(collection, []).append((index, doc, element))
        for collection, members in requests.items():
            try:
                answer = self.call(
                    "PUT",
                    self.api(f"/{collection}"),
                    params={"summarizeErrors": "false"},
                    json={collection: [element for _, _, element in members]},
                    headers={"Idempotency-Key": request_key([doc for _, doc, _ in members])[:128]},
                ).json()
            except ValidationError as exc:
                for index, _, _ in members:
                    outcomes[index] = exc
                continue
            rows = answer.get(collection) or []
            if len(rows) != len(members):
                for index, _, _ in members:
                    outcomes[index] = ValidationError("Xero answered without all of the documents.")
                continue
            for (index, doc, _), row in zip(members, rows, strict=True):
                errors = self._row_errors(row)
                if errors or row.get("StatusAttributeString") == "ERROR":
                    outcomes[index] = ValidationError("; ".join(errors) or "Xero refused the document.")
                    continue
                outcomes[index] = self._published(doc, collection, row)
        return outcomes

    def document_url(self, doc: PublishDocument, external_id: str, spend: bool) -> str:
        app = http.url(APP)
        if spend:
            return f"{app}/Bank/ViewTransaction.aspx?bankTransactionID={external_id}"
        area = "AccountsReceivable" if doc.kind == "sales" else "AccountsPayable"
        return f"{app}/{area}/View.aspx?InvoiceID={external_id}"
