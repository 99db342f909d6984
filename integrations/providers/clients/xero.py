"""Xero Accounting API client: contacts, bills (ACCPAY), sales (ACCREC), spend money, attachments."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import httpx

from integrations import http
from integrations.providers.base import ExternalRef, ValidationError
from integrations.providers.clients.contacts import cached_lookup
from integrations.providers.clients.oauth_client import OAuthProviderClient
from integrations.providers.document import PublishDocument

SPEND_BANK_ACCOUNT_CODE = "090"  # the demo company's business bank account


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


class XeroClient(OAuthProviderClient):
    provider_name = "Xero"

    def api(self, path: str) -> str:
        return http.endpoint("xero", "api", f"/api.xro/2.0{path}")

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
        return cached_lookup(self.connection.pk, "contact", name, lambda: self._contact_id(name))

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

    def tax_type(self, tax_rate: str) -> str:
        """Xero's TaxType for a tax rate as people write it ("20% (VAT on Expenses)") or its code ("INPUT2")."""
        rates = json.loads(
            cached_lookup(
                self.connection.pk,
                "tax-rates",
                "all",
                lambda: json.dumps(self.call("GET", self.api("/TaxRates")).json().get("TaxRates") or []),
            )
        )
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

    def publish(self, doc: PublishDocument) -> ExternalRef:
        contact_id = self.contact_id(doc.contact_name)
        spend = doc.kind != "sales" and doc.publish_as == "spend_money"
        collection = "BankTransactions" if spend else "Invoices"
        body = self.spend_body(doc, contact_id) if spend else self.invoice_body(doc, contact_id)
        # PUT creates (with an Idempotency-Key: a replay returns the first answer); POST updates.
        method = "POST" if doc.external_id else "PUT"
        headers = {} if doc.external_id else {"Idempotency-Key": doc.idempotency_key[:128]}
        answer = self.call(
            method, self.api(f"/{collection}"), params={"summarizeErrors": "true"}, json=body, headers=headers
        ).json()
        rows = answer.get(collection) or []
        if not rows:
            raise ValidationError("Xero answered without the document.")
        row = rows[0]
        errors = [e.get("Message") for e in row.get("ValidationErrors", []) if e.get("Message")]
        if errors:
            raise ValidationError("; ".join(errors))
        external_id = row["BankTransactionID" if spend else "InvoiceID"]
        if doc.attachment is not None and not doc.external_id:
            self.call(
                "PUT",
                self.api(f"/{collection}/{external_id}/Attachments/{quote(doc.attachment.filename)}"),
                content=doc.attachment.content,
                headers={"Content-Type": doc.attachment.content_type},
            )
        return ExternalRef(external_id=external_id, url=self.document_url(doc, external_id, spend))

    def document_url(self, doc: PublishDocument, external_id: str, spend: bool) -> str:
        app = http.endpoint("xero", "app")
        if spend:
            return f"{app}/Bank/ViewTransaction.aspx?bankTransactionID={external_id}"
        area = "AccountsReceivable" if doc.kind == "sales" else "AccountsPayable"
        return f"{app}/{area}/View.aspx?InvoiceID={external_id}"
