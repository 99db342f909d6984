"""QuickBooks Online Accounting API client: bills, purchases and invoices (in batch requests), their attachments,
and the company's lists.

Requests and their keys: every create or update goes under a ``requestid`` made of the job, the document and the
body sent, so a retry of the same request replays QuickBooks' first answer, while an update (or a changed
document) is a new request and is applied; QuickBooks would answer a reused id with the first request's answer
without doing the second. Uploads go under a key of the document and the file's bytes.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx

from integrations import http, tokens
from integrations.providers.base import (
    AuthError,
    ExternalRef,
    ProviderError,
    ProviderRateLimited,
    TransientError,
    ValidationError,
)
from integrations.providers.document import PublishDocument
from integrations.providers.http_client import OAuthProviderClient, Outcome, shared_http_client
from integrations.providers.quickbooks_online.coding import Coder, money
from integrations.providers.quickbooks_online.contacts import FaultRefused, Names, quoted
from integrations.providers.quickbooks_online.endpoints import API, APP, APP_PAGES, BATCH_REQUEST_SIZE, MINOR_VERSION
from integrations.providers.quickbooks_online.faults import (
    fault_codes,
    fault_errors,
    fault_message,
    is_lost_authorisation,
    is_throttled,
    seconds_to_next_minute,
)
from integrations.providers.quickbooks_online.lists import ListFetcher

__all__ = ["LostAuthorisation", "QuickBooksOnlineClient", "fault_errors"]


class LostAuthorisation(AuthError):
    """403 with code 3100: the company took our access away; refreshing the token will not bring it back."""


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _key(*parts: str) -> str:
    """A ``requestid``: 32 characters (a batch's may have 36, any other 50)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, ":".join(parts)).hex


def _job(doc: PublishDocument) -> str:
    return f"{doc.idempotency_key}/{doc.job_key}"


class QuickBooksOnlineClient(ListFetcher, Coder, Names, OAuthProviderClient):
    provider_name = "QuickBooks Online"

    def company_url(self, path: str) -> str:
        return http.url(API, f"/v3/company/{self.connection.external_tenant_id}{path}")

    # --- HTTP: Intuit's faults in both casings, inside 200s too ---

    @staticmethod
    def _body(response: httpx.Response):
        try:
            return response.json()
        except ValueError:
            return None

    def throttled(self) -> ProviderRateLimited:
        return ProviderRateLimited(
            "QuickBooks Online's limit of calls a minute for this company is reached.",
            retry_after=seconds_to_next_minute(),
        )

    def refuse(self, body) -> None:
        """Raise the error of a fault found in an answer (a batch operation's, an upload's file)."""
        if is_throttled(body):
            raise self.throttled()
        raise FaultRefused(fault_message(body, "QuickBooks Online refused the request."), fault_codes(body))

    def send(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        try:
            response = shared_http_client().request(method, url, headers=headers or {}, **kwargs)
        except httpx.TimeoutException:
            raise TransientError("QuickBooks Online did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach QuickBooks Online ({exc.__class__.__name__}).") from None
        body = self._body(response) if response.status_code >= 400 else None
        if response.status_code == 429 or is_throttled(body):
            raise self.throttled()
        if response.status_code == 401:
            raise AuthError("QuickBooks Online refused our authorisation.")
        if response.status_code == 403 and is_lost_authorisation(body):
            raise LostAuthorisation("QuickBooks Online no longer lets us reach this company: reconnect it.")
        if response.status_code >= 500:
            raise TransientError(f"QuickBooks Online had a problem ({response.status_code}).")
        if response.status_code >= 400:
            default = f"QuickBooks Online refused the document ({response.status_code})."
            raise FaultRefused(fault_message(body, default), fault_codes(body))
        return response

    def call(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        token = tokens.access_token(self.connection)
        try:
            return self.send(method, url, headers={**self._headers(token), **(headers or {})}, **kwargs)
        except LostAuthorisation:
            raise
        except AuthError:  # an access token can die before its expiry: refresh once
            token = tokens.refresh(self.connection, stale_access_token=token)
            return self.send(method, url, headers={**self._headers(token), **(headers or {})}, **kwargs)

    def query(self, statement: str) -> dict:
        params = {"query": statement, "minorversion": MINOR_VERSION}
        return self.call("GET", self.company_url("/query"), params=params).json().get("QueryResponse", {})

    # --- documents ---

    @staticmethod
    def entity(doc: PublishDocument) -> str:
        if doc.kind == "sales":
            return "Invoice"
        return "Purchase" if doc.publish_as == "purchase" else "Bill"

    def body_for(self, doc: PublishDocument) -> tuple[str, dict]:
        """The document's entity and body. Its coding is checked before its vendor or customer is looked up or
        made, so a refused document makes nothing."""
        entity = self.entity(doc)
        currency = self.currency_of(doc)
        account = self.account_id(doc)
        tax = self.taxation(doc, sales=entity == "Invoice")
        body: dict = {"TxnDate": doc.date.isoformat(), "PrivateNote": doc.reference}
        if doc.invoice_number:
            body["DocNumber"] = doc.invoice_number[:21]
        if entity == "Invoice":
            detail = {"ItemRef": {"value": self.product_id(doc, account)}}
            kind, contact_entity = "SalesItemLineDetail", "Customer"
        else:
            detail = {"AccountRef": {"value": account}}
            kind, contact_entity = "AccountBasedExpenseLineDetail", "Vendor"
        if tax.line_code:
            detail["TaxCodeRef"] = {"value": tax.line_code}
        line = {
            "DetailType": kind,
            "Amount": money(tax.amount),
            "Description": doc.line_description[:4000],
            kind: detail,
        }
        payment = self.payment(doc) if entity == "Purchase" else None
        contact = self.contact(contact_entity, doc.contact_name, currency)
        if entity == "Invoice":
            body["CustomerRef"] = {"value": contact.id}
        elif entity == "Purchase":
            body |= {"PaymentType": payment[0], "AccountRef": {"value": payment[1]}}
            body["EntityRef"] = {"value": contact.id, "type": "Vendor"}
        else:
            body["VendorRef"] = {"value": contact.id}
            if doc.due_date:
                body["DueDate"] = doc.due_date.isoformat()
        body["Line"] = [line]
        body |= self.currency_fields(doc, currency, contact.currency, doc.contact_name)
        if tax.detail:
            body["TxnTaxDetail"] = tax.detail
        if tax.calculation:
            body["GlobalTaxCalculation"] = tax.calculation
        return entity, body

    def earlier_document(self, doc: PublishDocument) -> ExternalRef | None:
        """By its number (or, without one, its date), told apart by our reference in ``PrivateNote`` (which the
        query language cannot filter on)."""
        entity = self.entity(doc)
        column, value = ("DocNumber", doc.invoice_number[:21]) if doc.invoice_number else ("TxnDate", str(doc.date))
        statement = f"select * from {entity} where {column} = {quoted(value)} MAXRESULTS 1000"  # noqa: S608 - Intuit's query language, quoted
        row = next((r for r in self.query(statement).get(entity) or [] if r.get("PrivateNote") == doc.reference), None)
        if row is None:
            return None
        return ExternalRef(external_id=row["Id"], url=self.document_url(entity, row["Id"]))

    def publish(self, doc: PublishDocument) -> ExternalRef:
        """Create (or, with ``doc.external_id``, update) the document; its attachment goes up with :meth:`attach`."""
        if doc.sent_before and not doc.external_id and (found := self.earlier_document(doc)) is not None:
            return found
        entity, body = self.body_for(doc)
        if doc.external_id:
            path = f"/{entity.lower()}/{doc.external_id}"
            current = self.call("GET", self.company_url(path), params={"minorversion": MINOR_VERSION}).json()
            key = _key("update", _job(doc), entity, doc.external_id, _digest(body))
            body |= {"Id": doc.external_id, "SyncToken": current[entity]["SyncToken"], "sparse": True}
        else:
            key = _key("create", _job(doc), entity, _digest(body))
        params = {"minorversion": MINOR_VERSION, "requestid": key}
        answer = self.call("POST", self.company_url(f"/{entity.lower()}"), params=params, json=body).json()
        external_id = answer[entity]["Id"]
        return ExternalRef(external_id=external_id, url=self.document_url(entity, external_id))

    def publish_many(self, docs: list[PublishDocument]) -> list[Outcome]:
        """Creates go in batch requests of up to 10 operations, in the order of their jobs (so the same jobs make
        the same requests again), each under a ``requestid`` made of its jobs and bodies; each operation gets its
        own answer or Fault. Updates go one by one. A failure of a whole request (authorisation, limits, the
        network) is raised, so the whole batch is sent again, as it was, under the same key."""
        if len(docs) == 1:
            return super().publish_many(docs)
        outcomes, built = self._split_creates(docs, self.body_for)
        creates = sorted(
            ((index, doc, entity, body) for index, doc, (entity, body) in built), key=lambda c: (_job(c[1]), c[0])
        )
        for start in range(0, len(creates), BATCH_REQUEST_SIZE):
            chunk = creates[start : start + BATCH_REQUEST_SIZE]
            request = {
                "BatchItemRequest": [
                    {"bId": str(n), "operation": "create", entity: body}
                    for n, (_, _, entity, body) in enumerate(chunk, start=1)
                ]
            }
            key = _key("batch", *(f"{_job(doc)}={_digest(body)}" for _, doc, _, body in chunk))
            params = {"minorversion": MINOR_VERSION, "requestid": key}
            try:
                answer = self.call("POST", self.company_url("/batch"), params=params, json=request).json()
            except ValidationError as exc:
                for index, *_ in chunk:
                    outcomes[index] = exc
                continue
            answers = {str(a.get("bId")): a for a in answer.get("BatchItemResponse") or [] if isinstance(a, dict)}
            for n, (index, _, entity, _) in enumerate(chunk, start=1):
                found = answers.get(str(n)) or {}
                if isinstance(found.get(entity), dict):
                    external_id = found[entity]["Id"]
                    outcomes[index] = ExternalRef(external_id=external_id, url=self.document_url(entity, external_id))
                    continue
                if not fault_errors(found):
                    outcomes[index] = ValidationError("QuickBooks Online answered without the document.")
                    continue
                try:
                    self.refuse(found)
                except ProviderError as exc:
                    outcomes[index] = exc
        return outcomes

    def attach(self, doc: PublishDocument, ref: ExternalRef) -> None:
        """Upload ``doc.attachment`` to the document QuickBooks knows as ``ref``. QuickBooks answers 200 even when it
        refuses the file: each file's answer is read for its ``Fault``. The upload goes under a key of the document
        and the file, so a retry after a lost answer replays it instead of attaching the file twice."""
        if doc.attachment is None:
            return
        entity, attachment = self.entity(doc), doc.attachment
        metadata = {
            "AttachableRef": [{"EntityRef": {"type": entity, "value": ref.external_id}}],
            "FileName": attachment.filename,
            "ContentType": attachment.content_type,
        }
        files = {
            "file_metadata_01": (None, json.dumps(metadata), "application/json"),
            "file_content_01": (attachment.filename, attachment.content, attachment.content_type),
        }
        content = hashlib.sha256(attachment.content).hexdigest()
        key = _key("upload", self.connection.external_tenant_id, entity, ref.external_id, attachment.filename, content)
        params = {"minorversion": MINOR_VERSION, "requestid": key}
        answer = self.call("POST", self.company_url("/upload"), params=params, files=files).json()
        results = [r for r in answer.get("AttachableResponse") or [] if isinstance(r, dict)]
        for result in results:
            if fault_errors(result):
                self.refuse(result)
        if not any(isinstance(r.get("Attachable"), dict) for r in results):
            raise ValidationError(f"QuickBooks Online did not keep the attachment {attachment.filename}.")

    def document_url(self, entity: str, external_id: str) -> str:
        return f"{http.url(APP)}/app/{APP_PAGES[entity]}?txnId={external_id}"
