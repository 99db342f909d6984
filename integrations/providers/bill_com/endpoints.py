"""Where Bill.com lives: its base URLs (each overridable from the environment; the sandbox stands in for them when
``SANDBOX_ENABLED``). Bill.com has no OAuth: a business gives its organisation id, developer key and sign-in."""

from integrations.providers.base import Endpoint

API = Endpoint("BILL_COM_API_BASE", real="https://gateway.prod.bill.com", sandbox="/bill_com")
APP = Endpoint("BILL_COM_APP_BASE", real="https://app02.us.bill.com", sandbox="/bill_com/app")
ENDPOINTS = {"api": API, "app": APP}

V3_PATH = "/connect/v3"
REQUIRED_CREDENTIALS = ("organization_id", "dev_key", "username", "password")

# Every v3 list answers up to ``max`` results a page: 20 unless asked, 100 at most.
LIST_PAGE_SIZE = 100
# A vendor is created with an ``address`` (the reference marks it required). Our suppliers carry no address, so the
# vendor gets the country alone: Bill.com organisations are US businesses, and a person completes the address in
# Bill.com before paying the vendor by check (which needs line1, city, zipOrPostalCode and country).
VENDOR_COUNTRY = "US"
VENDOR_NAME_MAX = 100
# A bill's document (``POST /v3/documents/bills/{billId}``) may be up to 6 MB.
MAX_ATTACHMENT_BYTES = 6 * 1024 * 1024
