"""Validate the requests our QuickBooks Online client sends against Intuit's own schema of the API's entities.

Intuit publishes no OpenAPI document for the Accounting API; its official SDKs ship the schema of every entity
(``Finance.xsd`` and the files it includes, kept in ``tests/specs/quickbooks_online/``, see the README there).
The API's JSON is that schema's XML with references as ``{"value", "name", "type"}`` (text and attributes) and
attributes (``sparse``, ``bId``, ``operation``) as plain keys, so each JSON body is turned into the schema's form
and encoded with
validation: an element the entity does not have, a value off an enumeration (``PaymentType``,
``GlobalTaxCalculation``, ``DetailType``) or a malformed number or date fails. The check is structural: the order
of keys does not matter in JSON, and business rules (a UK line's tax code) are the sandbox's to check.

A transport wrapper hands every body bound for the sandbox's QuickBooks Online API (creates and updates, batch
requests, the upload's metadata) to the validator before the sandbox answers it.
"""

from __future__ import annotations

import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from functools import lru_cache
from pathlib import Path

import httpx
import xmlschema

SCHEMA = Path(__file__).resolve().parent / "specs" / "quickbooks_online" / "IntuitRestServiceDef.xsd"
NAMESPACES = {"": "http://schema.intuit.com/finance/v3"}
COMPANY_PATH = re.compile(r"/sandbox/quickbooks_online/v3/company/[^/]+/(?P<resource>\w+)$")
ATTRIBUTES = {"sparse", "domain", "status", "bId", "operation", "optionsData"}


@lru_cache(maxsize=1)
def qbo_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def schema_data(value):
    """A JSON value in the schema's form (xmlschema's: ``$`` for text, ``@name`` for attributes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [schema_data(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "value" in value and not isinstance(value["value"], dict | list):  # a ReferenceType
        return {"$": value["value"], **{f"@{k}": v for k, v in value.items() if k != "value"}}
    return {(f"@{k}" if k in ATTRIBUTES else k): schema_data(v) for k, v in value.items()}


def schema_errors(element: str, body: dict) -> list[str]:
    """Why ``body`` is not a valid ``element`` of Intuit's schema (empty: it is)."""
    declared = qbo_schema().elements.get(element)
    if declared is None:
        return [f"Intuit's schema declares no element {element!r}."]
    _, errors = declared.encode(schema_data(body), validation="lax", unordered=True, namespaces=NAMESPACES)
    return [f"{element}: {e.reason} (at {e.path})" for e in errors]


def _element_of(resource: str) -> str | None:
    if resource == "batch":
        return "IntuitBatchRequest"
    return next((name for name in qbo_schema().elements if name.lower() == resource.lower()), None)


def _upload_metadata(request: httpx.Request) -> list[dict]:
    request.read()
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    return [
        json.loads(part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode())
        for part in message.iter_parts()
        if (part.get_param("name", header="content-disposition") or "").startswith("file_metadata_")
    ]


class QuickBooksSchemaCheck(httpx.BaseTransport):
    """Validates every body bound for the sandbox's QuickBooks Online API, then hands the request on."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.checked: list[tuple[str, str]] = []
        self.errors: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        match = COMPANY_PATH.search(request.url.path)
        if match and request.method == "POST":
            resource = match.group("resource")
            if resource == "upload":
                bodies = [("Attachable", m) for m in _upload_metadata(request)]
            elif resource == "query":
                bodies = []
            else:
                element = _element_of(resource)
                bodies = [(element or resource, json.loads(request.content))]
            for element, body in bodies:
                self.checked.append((element, request.url.path))
                self.errors.extend(schema_errors(element, body))
        return self.inner.handle_request(request)
