"""QuickBooks Desktop publishing, one qbXML request at a time, handed to the Web Connector when it polls.

A cost goes as a bill, a cheque (``CheckAddRq``) or a credit card charge (``CreditCardChargeAddRq``), as its
``publish_as`` says; a sale as an invoice. Every line is coded from the connection's lists: the account's full name
(``category_ref.code``, read by ``AccountQueryRq``), the bank or credit card account a cheque or charge is paid from
(``payment_account_ref``), the item of a sales line (``category_ref``, an entry of the products list), the sales
tax code (``tax_rate_ref``) where the company's edition takes one. A document without the coding it needs is
refused before anything is sent.

qbXML has no idempotency key, so a document walks a few steps: look for the document first (a repeat after a lost
answer finds it), make sure the vendor exists, then add it. The look-up asks for the vendor's transactions with the
RefNumber the add sends (cut to the transaction's limit: 20 characters on bills, 11 on cheques, charges and invoices)
or, without an invoice number, those of the document's date; and a transaction is ours when its memo carries our
``Dext <item id>``, or it has that RefNumber and the number was not cut (a supplier invoice number entered once).
The caller (publishing's Web Connector work source) keeps which step each document is at; this client builds each
step's request and reads QuickBooks' answer to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations import sandbox_hooks
from integrations.providers.base import ExternalRef, PullAnswer, ValidationError
from integrations.providers.document import PublishDocument
from integrations.providers.quickbooks_desktop import qbxml

QUERY, VENDOR, VENDOR_ADD, ADD = "query", "vendor", "vendor_add", "add"
NAME_NOT_UNIQUE = qbxml.STATUS_NAME_NOT_UNIQUE  # adding a vendor that exists already: what we wanted
PUBLISH_AS = {"": qbxml.BILL, "bill": qbxml.BILL, "check": qbxml.CHECK, "credit_card_charge": qbxml.CREDIT_CARD_CHARGE}
PAID_FROM = {"Bank": "a bank account", "CreditCard": "a credit card account"}
ITEM_TYPES = ("Service", "NonInventory", "OtherCharge")  # the products list's entries (lists.py)


@dataclass(frozen=True)
class _Plan:
    """What a document becomes in QuickBooks."""

    txn: qbxml.TxnType
    entity: str  # the vendor (payee) or customer, as QuickBooks will store it
    ref_number: str  # as sent (cut to the transaction's limit)
    ref_cut: bool  # the invoice number was longer than that
    memo: str


def _marker(doc: PublishDocument) -> str:
    return f"Dext {doc.reference}"


def _plan(doc: PublishDocument) -> _Plan:
    """The transaction ``doc`` becomes, or the document's own ValidationError when it cannot be sent as it is."""
    category = doc.category_ref
    entry_type = (category.extra or {}).get("type", "") if category is not None else ""
    if doc.kind == "sales":
        txn, entity = qbxml.INVOICE, qbxml.cut(doc.contact_name, qbxml.CUSTOMER_NAME_MAX)
        if category is None or not category.code:
            raise ValidationError("Choose a product or service from QuickBooks Desktop's list.")
        if entry_type and entry_type not in ITEM_TYPES:
            raise ValidationError(
                f"An invoice line in QuickBooks Desktop names a product or service, not an account ({category.code}): "
                "choose one from QuickBooks Desktop's list."
            )
    else:
        txn = PUBLISH_AS.get(doc.publish_as or "")
        if txn is None:
            raise ValidationError(f"QuickBooks Desktop cannot publish a cost as {doc.publish_as!r}.")
        entity = qbxml.cut(doc.contact_name, qbxml.VENDOR_NAME_MAX)
        if category is None or not category.code or entry_type in ITEM_TYPES:
            raise ValidationError("Choose an account from QuickBooks Desktop's list.")
        if txn.pays_from:
            _check_paid_from(doc, txn)
    if not entity:
        raise ValidationError("QuickBooks Desktop needs the document's supplier or customer name.")
    for ref in (doc.category_ref, doc.payment_account_ref):
        if ref is not None and len(ref.code) > qbxml.FULL_NAME_MAX:
            raise ValidationError(f"{ref.code[:40]}… is not a name QuickBooks Desktop knows (too long).")
    ref_number = qbxml.cut(doc.invoice_number, txn.ref_number_max)
    full = qbxml.cut(doc.invoice_number, len(doc.invoice_number or ""))
    return _Plan(txn=txn, entity=entity, ref_number=ref_number, ref_cut=ref_number != full, memo=_marker(doc))


def _check_paid_from(doc: PublishDocument, txn: qbxml.TxnType) -> None:
    what = PAID_FROM[txn.pays_from]
    account = doc.payment_account_ref
    if account is None or not account.code:
        raise ValidationError(f"Choose {what} from QuickBooks Desktop's list to pay this {_label(txn)} from.")
    account_type = (account.extra or {}).get("type")
    if account_type and account_type != txn.pays_from:
        raise ValidationError(f"A {_label(txn)} is paid from {what}; {account.code} is not one.")


def _label(txn: qbxml.TxnType) -> str:
    return {"Check": "cheque", "CreditCardCharge": "credit card charge"}.get(txn.name, txn.name.lower())


def _sales_tax(doc: PublishDocument) -> tuple[str, str]:
    """``(sales tax code, sales tax item)`` of a sales document: a code goes on the lines, an item (a rate of the
    US edition) on the invoice."""
    ref = doc.tax_rate_ref
    if ref is None or not ref.code:
        return "", ""
    if (ref.extra or {}).get("type") == "ItemSalesTax":
        return "", ref.code
    return ref.code, ""


def _purchase_tax_code(doc: PublishDocument) -> str:
    """The sales tax code of an expense line: only a code that applies a purchase tax item (editions other than the
    US one; the US edition has no tax code on expense lines and refuses one)."""
    ref = doc.tax_rate_ref
    if ref is None or not ref.code or not (ref.extra or {}).get("purchase_tax_item"):
        return ""
    return ref.code


class QuickBooksDesktopClient:
    """A pull client (:class:`~integrations.providers.base.PullClient`) bound to one connection."""

    def __init__(self, connection):
        self.connection = connection

    def publish(self, doc: PublishDocument):
        raise ValidationError("QuickBooks Desktop documents are sent when its Web Connector next polls.")

    def first_step(self, doc: PublishDocument) -> str:
        return QUERY

    def next_request(self, doc: PublishDocument, step: str) -> str:
        """The request of ``step``; raises the document's ValidationError when it cannot be sent as it is."""
        plan = _plan(doc)
        request_id = step
        if step == QUERY:
            return qbxml.txn_query_rq(
                plan.txn,
                entity_name=plan.entity,
                ref_number=plan.ref_number,
                txn_date=None if plan.ref_number else doc.date,
                request_id=request_id,
            )
        if step == VENDOR:
            return qbxml.vendor_query_rq(plan.entity, request_id=request_id)
        if step == VENDOR_ADD:
            return qbxml.vendor_add_rq(plan.entity, request_id=request_id)
        if plan.txn is qbxml.INVOICE:
            code, item = _sales_tax(doc)
            return qbxml.invoice_add_rq(
                customer_name=plan.entity,
                txn_date=doc.date,
                due_date=doc.due_date,
                ref_number=plan.ref_number,
                memo=plan.memo,
                lines=[(doc.category_ref.code, doc.total, doc.description or doc.contact_name)],
                sales_tax_code=code,
                sales_tax_item=item,
                request_id=request_id,
            )
        tax_code = _purchase_tax_code(doc)
        line = qbxml.ExpenseLine(doc.category_ref.code, doc.total, doc.line_description, sales_tax_code=tax_code)
        return qbxml.expense_txn_add_rq(
            plan.txn,
            entity_name=plan.entity,
            account=doc.payment_account_ref.code if plan.txn.pays_from else "",
            txn_date=doc.date,
            due_date=doc.due_date if plan.txn is qbxml.BILL else None,
            ref_number=plan.ref_number,
            memo=plan.memo,
            lines=[line],
            tax_included=bool(tax_code),  # the total is what was paid, tax included
            request_id=request_id,
        )

    def read_response(self, doc: PublishDocument, step: str, response: str) -> PullAnswer:
        try:
            plan = _plan(doc)
        except ValidationError as refused:
            return PullAnswer(outcome=refused)
        try:
            responses = qbxml.parse_response(response)
        except qbxml.QBXMLError as exc:
            return PullAnswer(outcome=ValidationError(f"QuickBooks Desktop's answer could not be read: {exc}"))
        answer = responses[0] if responses else {"statusCode": -1, "statusMessage": "QuickBooks sent no answer."}
        code, message = answer.get("statusCode"), answer.get("statusMessage") or ""
        if step == QUERY:
            ours = [r for r in answer.get("rets", []) if self._is_ours(doc, plan, r)] if code == 0 else []
            if ours:
                return self._landed(doc, plan, ours[0].get("TxnID", ""))
            return PullAnswer(next_step=ADD if plan.txn is qbxml.INVOICE else VENDOR)
        if step == VENDOR:
            return PullAnswer(next_step=ADD if code == qbxml.STATUS_OK else VENDOR_ADD)
        if step == VENDOR_ADD:
            if qbxml.succeeded(code) or code == NAME_NOT_UNIQUE:
                return PullAnswer(next_step=ADD)
            refused = message or f"QuickBooks Desktop could not add the vendor ({code})."
            return PullAnswer(outcome=ValidationError(refused))
        if qbxml.succeeded(code) and answer.get("TxnID"):
            return self._landed(doc, plan, answer["TxnID"])
        return PullAnswer(outcome=ValidationError(message or f"QuickBooks Desktop refused the document ({code})."))

    def request_failed(self, doc: PublishDocument, step: str, error: str) -> ValidationError:
        return ValidationError(f"QuickBooks Desktop could not process the request: {error}")

    @staticmethod
    def _is_ours(doc: PublishDocument, plan: _Plan, ret: dict) -> bool:
        if _marker(doc) in ret.get("Memo", ""):
            return True
        same_number = bool(plan.ref_number) and ret.get("RefNumber", "").lower() == plan.ref_number.lower()
        return same_number and not plan.ref_cut

    def _landed(self, doc: PublishDocument, plan: _Plan, txn_id: str) -> PullAnswer:
        """The document is in QuickBooks; the provider sandbox (when on) lists it with what its other providers got."""
        sandbox_hooks.record_pulled_document(
            self.connection.provider,
            external_id=txn_id,
            reference=doc.reference,
            type=plan.txn.add[:-2],
            total=str(doc.total),
        )
        return PullAnswer(outcome=ExternalRef(external_id=txn_id))
