"""QuickBooks Online Accounting API client: vendors/customers, Bill, Purchase, Invoice, attachments."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from functools import cached_property

import httpx

from integrations import http
from integrations.providers.base import ExternalRef, ValidationError
from integrations.providers.document import PublishDocument, request_key
from integrations.providers.http_client import OAuthProviderClient, Outcome
from integrations.providers.quickbooks_online.endpoints import (
    API,
    APP,
    BATCH_REQUEST_SIZE,
    DEFAULT_PAYMENT_ACCOUNT,
    DEFAULT_SALES_ITEM,
    MINOR_VERSION,
)


def fault_errors(body) -> list[dict]:
    """Intuit's errors come as ``{"Fault": {"Error": [...]}}`` or, on 401, ``{"fault": {"error": [...]}}``."""
    if not isinstance(body, dict):
        return []
    fault = body.get("Fault") or body.get("fault") or {}
    errors = fault.get("Error") or fault.get("error") or []
    return [{k.lower(): v for k, v in e.items()} for e in errors if isinstance(e, dict)]


def _money(value: Decimal) -> float:
    return float(Decimal(value).quantize(Decimal("0.01")))


class QuickBooksOnlineClient(OAuthProviderClient):
    provider_name = "QuickBooks Online"

    def company(self, path: str) -> str:
        return http.url(API, f"/v3/company/{self.connection.external_tenant_id}{path}")

    def validation_message(self, response: httpx.Response) -> str:
        try:
            errors = fault_errors(response.json())
        except ValueError:
            errors = []
        parts = [" — ".join(p for p in (e.get("message"), e.get("detail")) if p) for e in errors]
        return "; ".join(p for p in parts if p) or f"QuickBooks Online refused the document ({response.status_code})."

    def query(self, statement: str) -> dict:
        response = self.call("GET", self.company("/query"), params={"query": statement, "minorversion": MINOR_VERSION})
        return response.json().get("QueryResponse", {})

    def entity_id(self, entity: str, name: str) -> str:
        return self.lookup(entity, name, lambda: self._entity_id(entity, name))

    def _entity_id(self, entity: str, name: str) -> str:
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        statement = f"select * from {entity} where DisplayName = '{escaped}'"  # noqa: S608 - Intuit's query language, escaped
        found = self.query(statement).get(entity) or []
        if found:
            return found[0]["Id"]
        try:
            created = self.call(
                "POST",
                self.company(f"/{entity.lower()}"),
                params={"minorversion": MINOR_VERSION},
                json={"DisplayName": name},
            )
        except ValidationError:
            # 6240: created meanwhile (or a name clash): look it up once more before giving up.
            found = self.query(statement).get(entity) or []
            if found:
                return found[0]["Id"]
            raise
        return created.json()[entity]["Id"]

    @cached_property
    def accounts(self) -> list[dict]:
        """The company's chart of accounts (read once a batch from the shared cache)."""
        found = self.lookup(
            "accounts",
            "all",
            lambda: json.dumps(self.query("select * from Account MAXRESULTS 1000").get("Account") or []),
        )
        return json.loads(found)

    def account_id(self, category: str) -> str:
        """The ledger account of a category: by account number, by id, or by name ("429 General Expenses")."""
        code, _, name = category.partition(" ")
        for account in self.accounts:
            number = str(account.get("AcctNum") or "")
            names = {str(account.get("Name", "")).lower(), str(account.get("FullyQualifiedName", "")).lower()}
            if (
                (number and number == code)
                or account.get("Id") == code
                or category.lower() in names
                or (name and name.lower() in names)
            ):
                return account["Id"]
        raise ValidationError(f"No QuickBooks Online account matches the category {category!r}.")

    def expense_line(self, doc: PublishDocument) -> dict:
        return {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": _money(doc.total),
            "Description": doc.line_description[:4000],
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": self.account_id(doc.category)}},
        }

    @staticmethod
    def entity(doc: PublishDocument) -> str:
        if doc.kind == "sales":
            return "Invoice"
        return "Purchase" if doc.publish_as == "purchase" else "Bill"

    def earlier_document(self, doc: PublishDocument) -> ExternalRef | None:
        """By its number (or, without one, its date), told apart by our reference in ``PrivateNote`` (which the
        query language cannot filter on). Its attachment goes up again under the upload's own requestid, which
        replays the earlier upload if there was one."""
        entity = self.entity(doc)
        column, value = ("DocNumber", doc.invoice_number[:21]) if doc.invoice_number else ("TxnDate", str(doc.date))
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        statement = f"select * from {entity} where {column} = '{escaped}' MAXRESULTS 1000"  # noqa: S608 - Intuit's query language, escaped
        row = next((r for r in self.query(statement).get(entity) or [] if r.get("PrivateNote") == doc.reference), None)
        if row is None:
            return None
        if doc.attachment is not None:
            self.upload(entity, row["Id"], doc)
        return ExternalRef(external_id=row["Id"], url=self.document_url(entity, row["Id"]))

    def body_for(self, doc: PublishDocument) -> tuple[str, dict]:
        if doc.kind == "sales":
            customer = self.entity_id("Customer", doc.contact_name)
            return "Invoice", {
                "CustomerRef": {"value": customer},
                "TxnDate": doc.date.isoformat(),
                "DocNumber": doc.invoice_number[:21],
                "PrivateNote": doc.reference,
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": _money(doc.total),
                        "Description": doc.line_description[:4000],
                        "SalesItemLineDetail": {"ItemRef": {"value": DEFAULT_SALES_ITEM}},
                    }
                ],
            }
        vendor = self.entity_id("Vendor", doc.contact_name)
        if doc.publish_as == "purchase":
            return "Purchase", {
                "PaymentType": "Cash",
                "AccountRef": {"value": DEFAULT_PAYMENT_ACCOUNT},
                "EntityRef": {"value": vendor, "type": "Vendor"},
                "TxnDate": doc.date.isoformat(),
                "DocNumber": doc.invoice_number[:21],
                "PrivateNote": doc.reference,
                "Line": [self.expense_line(doc)],
            }
        body = {
            "VendorRef": {"value": vendor},
            "TxnDate": doc.date.isoformat(),
            "DocNumber": doc.invoice_number[:21],
            "PrivateNote": doc.reference,
            "Line": [self.expense_line(doc)],
        }
        if doc.due_date:
            body["DueDate"] = doc.due_date.isoformat()
        return "Bill", body

    def publish(self, doc: PublishDocument) -> ExternalRef:
        if doc.sent_before and not doc.external_id and (found := self.earlier_document(doc)) is not None:
            return found
        entity, body = self.body_for(doc)
        params = {"minorversion": MINOR_VERSION, "requestid": request_key([doc])[:50]}
        if doc.external_id:
            current = self.call(
                "GET", self.company(f"/{entity.lower()}/{doc.external_id}"), params={"minorversion": MINOR_VERSION}
            )
            body.update({"Id": doc.external_id, "SyncToken": current.json()[entity]["SyncToken"], "sparse": True})
        answer = self.call("POST", self.company(f"/{entity.lower()}"), params=params, json=body).json()
        external_id = answer[entity]["Id"]
        if doc.attachment is not None and not doc.external_id:
            self.upload(entity, external_id, doc)
        return ExternalRef(external_id=external_id, url=self.document_url(entity, external_id))

    def publish_many(self, docs: list[PublishDocument]) -> list[Outcome]:
        """Creates go in batch requests (``POST …/batch``, up to 10 operations each), each under a ``requestid``
        made of its jobs; each operation gets its own answer or Fault. Updates go one by one. A failure
        of a whole request (authorisation, limits, the network) is raised, so the whole batch is sent again, as
        it was, under the same key."""
        if len(docs) == 1:
            return super().publish_many(docs)
        outcomes, built = self._split_creates(docs, self.body_for)
        creates = [(index, doc, entity, body) for index, doc, (entity, body) in built]
        size = BATCH_REQUEST_SIZE
        for start in range(0, len(creates), size):
            chunk = creates[start : start + size]
            request = {
                "BatchItemRequest": [
                    {"bId": str(n), "operation": "create", entity: body}
                    for n, (_, _, entity, body) in enumerate(chunk, start=1)
                ]
            }
            params = {"minorversion": MINOR_VERSION, "requestid": request_key([doc for _, doc, _, _ in chunk])[:50]}
            try:
                answer = self.call("POST", self.company("/batch"), params=params, json=request).json()
            except ValidationError as exc:
                for index, *_ in chunk:
                    outcomes[index] = exc
                continue
            answers = {str(a.get("bId")): a for a in answer.get("BatchItemResponse") or [] if isinstance(a, dict)}
            for n, (index, doc, entity, _) in enumerate(chunk, start=1):
                found = answers.get(str(n)) or {}
                if entity not in found:
                    errors = fault_errors(found)
                    parts = [" — ".join(p for p in (e.get("message"), e.get("detail")) if p) for e in errors]
                    message = "; ".join(p for p in parts if p) or "QuickBooks Online answered without the document."
                    outcomes[index] = ValidationError(message)
                    continue
                external_id = found[entity]["Id"]
                try:
                    if doc.attachment is not None:
                        self.upload(entity, external_id, doc)
                    outcomes[index] = ExternalRef(external_id=external_id, url=self.document_url(entity, external_id))
                except ValidationError as exc:
                    outcomes[index] = exc
        return outcomes

    def upload(self, entity: str, external_id: str, doc: PublishDocument) -> None:
        metadata = {
            "AttachableRef": [{"EntityRef": {"type": entity, "value": external_id}}],
            "FileName": doc.attachment.filename,
            "ContentType": doc.attachment.content_type,
        }
        files = {
            "file_metadata_01": (None, json.dumps(metadata), "application/json"),
            "file_content_01": (doc.attachment.filename, doc.attachment.content, doc.attachment.content_type),
        }
        # Under a requestid of its own (the item's key, the document): sent again after a lost answer or with
        # its batch's retry, the upload is a replay, not a second attachment.
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"upload:{doc.idempotency_key}:{entity}:{external_id}").hex
        params = {"minorversion": MINOR_VERSION, "requestid": key}
        self.call("POST", self.company("/upload"), params=params, files=files)

    def document_url(self, entity: str, external_id: str) -> str:
        return f"{http.url(APP)}/app/{entity.lower()}?txnId={external_id}"
