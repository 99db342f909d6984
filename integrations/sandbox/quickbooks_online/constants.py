"""The sandbox's QuickBooks Online: its limits, the entities it creates and queries, and its OAuth policy (token
lifetimes, rotation). The companies and their lists are in ``companies``. Limits are read from here at call time
(tests lower them)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from integrations.sandbox.models import Provider
from integrations.sandbox.oauth import Policy

QBO = Provider.QUICKBOOKS_ONLINE
POLICY = Policy(
    provider=QBO,
    name="QuickBooks Online",
    brand="quickbooks_online",
    refresh_expiry_in_answer=True,
    access_ttl=3600,
    refresh_ttl=timedelta(days=100),
    rotate_after=timedelta(hours=24),
    grace=timedelta(minutes=30),
    token_type="bearer",
    secret_required=True,
    multi_org=False,
    jwt_access=False,
    scope_in_answer=False,
    refresh_needs_offline_access=False,
    realm_in_redirect=True,
    scope_descriptions={
        "com.intuit.quickbooks.accounting": "Read and write your QuickBooks company data",
        "openid": "Know who you are",
    },
)


MINUTE_LIMIT, CONCURRENT_LIMIT = 500, 10


REQUEST_ID_MAX = 50


PACIFIC = ZoneInfo("America/Los_Angeles")


DOCUMENT_ENTITIES = {"bill": "Bill", "purchase": "Purchase", "invoice": "Invoice"}


CONTACT_ENTITIES = {"vendor": "Vendor", "customer": "Customer", "employee": "Employee"}


CREATABLE = DOCUMENT_ENTITIES | CONTACT_ENTITIES


LISTS = ("Account", "TaxCode", "TaxRate", "Item", "Class", "Department")


QUERYABLE = {name.lower(): name for name in [*CREATABLE.values(), *LISTS]}


# Name lists: a query answers only the active ones unless its WHERE says otherwise (``Active in (true, false)``).
ACTIVE_BY_DEFAULT = {"Account", "TaxCode", "Item", "Class", "Department", "Vendor", "Customer", "Employee"}


# Change data capture takes every entity but these; it looks back 30 days at most and answers 1,000 objects at most.
NOT_IN_CDC = {"TaxCode", "TaxRate"}
CDC_DAYS, CDC_MAX = 30, 1000


PAYMENT_TYPES = {"Cash": "Bank", "Check": "Bank", "CreditCard": "Credit Card"}


BATCH_MAX = 10  # Intuit's pages say 10 or 30 operations a batch request: the sandbox holds the lower


BATCH_PER_MINUTE = 40  # "up to 40 [batch] requests per minute" per company


# Files the upload endpoint takes (Intuit's list of approved types), and the size of one request.
UPLOAD_TYPES = {
    "ai": "application/postscript",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "eps": "application/postscript",
    "gif": "image/gif",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "pdf": "application/pdf",
    "png": "image/png",
    "rtf": "application/rtf",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "txt": "text/plain",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "text/xml",
}
UPLOAD_MAX_BYTES = 100 * 1024 * 1024
