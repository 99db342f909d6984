"""The sandbox's refusal type.

The sandbox imitates other companies' APIs, so its errors are *their* envelopes (Xero's
``ValidationException``, Intuit's ``Fault``, Bill.com's ``BDC_…`` list), not this product's
``ApplicationError``. Provider modules build the body; views turn the exception into a response.
"""

from typing import Any


class SandboxError(Exception):
    def __init__(
        self,
        status: int,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ):
        super().__init__(f"{status}: {body!r}"[:200])
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type
