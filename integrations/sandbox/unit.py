"""What one sandbox API request reads once and writes together.

A provider's batch request (Xero's PUT of many documents, QuickBooks Online's batch, Bill.com's bulk bills)
names the same contact again and again and creates many documents. Like the real services, the sandbox
looks each contact up once per request and inserts the request's new documents in one statement when its
work is done, inside the request's transaction, so nothing is left half made.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.sandbox.models import Document


@dataclass
class Unit:
    found: dict = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)

    def once(self, key, load: Callable):
        """``load()``, the first time ``key`` is asked for in this request; its answer after that."""
        if key not in self.found:
            self.found[key] = load()
        return self.found[key]

    def remember(self, key, value) -> None:
        self.found[key] = value

    def insert_later(self, document: Document) -> None:
        self.documents.append(document)

    def insert(self) -> None:
        """Insert the documents made so far (call it before the request's transaction ends)."""
        if self.documents:
            Document.objects.bulk_create(self.documents)
            self.documents = []
