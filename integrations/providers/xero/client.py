"""Xero Accounting API client: contacts, bills (ACCPAY), sales (ACCREC), spend money, attachments."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cached_property
from urllib.parse import quote

import httpx

from integrations import http
from integrations.providers.base import ExternalRef, ValidationError
from integrations.providers.document import PublishDocument, request_key
from integrations.providers.http_client import OAuthProviderClient, Outcome
from integrations.providers.xero.endpoints import ACCOUNTING_PATH, API, APP, SPEND_BANK_ACCOUNT_CODE


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


class XeroClient(OAuthProviderClient):
    provider_name = "Xero"

    def api(self, path: str) -> str:
        return http.url(API, f"{ACCOUNTING_PATH}{path}")

    def extra_headers(self) -> dict:
        return {"xero-tenant-id": self.connection.external_tenant_id}

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
            "AccountCode": doc.account_code,
        }
        if doc.tax_rate:
            line["TaxType"] = self.tax_type(doc.tax_rate)
        return [line]

    @cached_property
    def tax_rates(self) -> list[dict]:
        """The organisation's tax rates (read once a batch from the shared cache)."""
        found = self.lookup(
            "tax-rates", "all", lambda: json.dumps(self.call("GET", self.api("/TaxRates")).json().get("TaxRates") or [])
        )
        return json.loads(found)

    def tax_type(self, tax_rate: str) -> str:
        """Xero's TaxType for a tax rate as people write it ("20% (VAT on Expenses)") or its code ("INPUT2")."""
        rates = self.tax_rates
        wanted = " ".join(tax_rate.split()).lower()
        for rate in rates:
            if wanted in (str(rate.get("TaxType", "")).lower(), " ".join(str(rate.get("Name", "")).split()).lower()):
                return rate["TaxType"]
        raise ValidationError(f"No Xero tax rate matches {tax_rate!r}; choose one of this organisation's tax rates.")

    def invoice_body(self, doc: PublishDocument, contact_id: str) -> dict:
        invoice = {
            "Type": "ACCREC" if doc.kind == "sales" else "ACCPAY",
            "Contact": {"ContactID": contact_id},
            "Date": doc.date.isoformat(),
            "InvoiceNumber": doc.invoice_number or "",
            "Reference": doc.reference,
            "CurrencyCode": doc.currency,
            "LineAmountTypes": "Exclusive" if doc.tax else "NoTax",
            "LineItems": self.line_items(doc),
            "Status": "AUTHORISED",
        }
        if doc.due_date:
            invoice["DueDate"] = doc.due_date.isoformat()
        if doc.external_id:
            invoice["InvoiceID"] = doc.external_id
        return {"Invoices": [invoice]}

    def spend_body(self, doc: PublishDocument, contact_id: str) -> dict:
        transaction = {
            "Type": "SPEND",
            "Contact": {"ContactID": contact_id},
            "BankAccount": {"Code": SPEND_BANK_ACCOUNT_CODE},
            "Date": doc.date.isoformat(),
            "Reference": doc.reference,
            "CurrencyCode": doc.currency,
            "LineAmountTypes": "Exclusive" if doc.tax else "NoTax",
            "LineItems": self.line_items(doc),
        }
        if doc.external_id:
            transaction["BankTransactionID"] = doc.external_id
        return {"BankTransactions": [transaction]}

    @staticmethod
    def collection(doc: PublishDocument) -> str:
        return "BankTransactions" if doc.kind != "sales" and doc.publish_as == "spend_money" else "Invoices"

    def _element(self, doc: PublishDocument) -> tuple[str, dict]:
        """The collection a document goes to (Invoices or BankTransactions) and its element there."""
        contact_id = self.contact_id(doc.contact_name)
        if self.collection(doc) == "BankTransactions":
            return "BankTransactions", self.spend_body(doc, contact_id)["BankTransactions"][0]
        return "Invoices", self.invoice_body(doc, contact_id)["Invoices"][0]

    def earlier_document(self, doc: PublishDocument) -> ExternalRef | None:
        """By our reference (the item id, which Xero keeps in ``Reference``); a voided or deleted one does not
        count. Its attachment goes up again under the same file name, which Xero replaces, not adds."""
        collection = self.collection(doc)
        found = self.call("GET", self.api(f"/{collection}"), params={"where": f'Reference=="{doc.reference}"'})
        rows = [row for row in found.json().get(collection) or [] if row.get("Status") not in ("DELETED", "VOIDED")]
        return self._published(doc, collection, rows[0]) if rows else None

    def _published(self, doc: PublishDocument, collection: str, row: dict) -> ExternalRef:
        """A created or updated document: its attachment uploaded (on create), and where it lives."""
        spend = collection == "BankTransactions"
        external_id = row["BankTransactionID" if spend else "InvoiceID"]
        if doc.attachment is not None and not doc.external_id:
            self.call(
                "PUT",
                self.api(f"/{collection}/{external_id}/Attachments/{quote(doc.attachment.filename)}"),
                content=doc.attachment.content,
                headers={"Content-Type": doc.attachment.content_type},
            )
        return ExternalRef(external_id=external_id, url=self.document_url(doc, external_id, spend))

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
                try:
                    outcomes[index] = self._published(doc, collection, row)
                except ValidationError as exc:
                    outcomes[index] = exc
        return outcomes

    def document_url(self, doc: PublishDocument, external_id: str, spend: bool) -> str:
        app = http.url(APP)
        if spend:
            return f"{app}/Bank/ViewTransaction.aspx?bankTransactionID={external_id}"
        area = "AccountsReceivable" if doc.kind == "sales" else "AccountsPayable"
        return f"{app}/{area}/View.aspx?InvoiceID={external_id}"
