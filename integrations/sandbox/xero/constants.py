"""The sandbox's Xero: its limits, the chart of accounts and tax rates of a UK organisation, and its OAuth policy
(token lifetimes, rotation)."""

from datetime import timedelta
from decimal import Decimal

from integrations.sandbox.models import Provider
from integrations.sandbox.oauth import Policy

XERO = Provider.XERO
POLICY = Policy(
    provider=XERO,
    name="Xero",
    brand="xero",
    access_ttl=1800,
    refresh_ttl=timedelta(days=60),
    rotate_after=None,
    grace=timedelta(minutes=30),
    token_type="Bearer",
    secret_required=False,
    multi_org=True,
    jwt_access=True,
    scope_descriptions={
        "openid": "Know who you are",
        "profile": "See your name",
        "email": "See your email address",
        "offline_access": "Keep access when you are not using the app",
        "accounting.transactions": "View and manage your business transactions",
        "accounting.invoices": "View and manage your invoices and bills",
        "accounting.banktransactions": "View and manage your bank transactions",
        "accounting.attachments": "View and manage your attachments",
        "accounting.contacts": "View and manage your contacts",
        "accounting.settings": "View your organisation settings",
        "accounting.settings.read": "View your organisation settings",
    },
)


MINUTE_LIMIT, DAY_LIMIT, APP_MINUTE_LIMIT, CONCURRENT_LIMIT = 60, 5000, 10_000, 5


BODY_LIMIT = 3_500_000


ATTACHMENT_LIMIT = 25 * 1024 * 1024


ATTACHMENTS_PER_DOCUMENT = 10


PAGE_SIZE = 100


CURRENCIES = {"GBP", "EUR", "USD", "AUD", "NZD", "CAD"}


INVOICE_TYPES = {"ACCPAY", "ACCREC"}


BANK_TRANSACTION_TYPES = {"SPEND", "RECEIVE"}


INVOICE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}


LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}


# code, name, type, default tax type (a UK organisation's chart, abridged)
ACCOUNTS = [
    ("090", "Business Bank Account", "BANK", "NONE"),
    ("091", "Business Savings Account", "BANK", "NONE"),
    ("200", "Sales", "REVENUE", "OUTPUT2"),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2"),
    ("400", "Advertising & Marketing", "EXPENSE", "INPUT2"),
    ("404", "Bank Fees", "EXPENSE", "EXEMPTINPUT"),
    ("408", "Cleaning", "EXPENSE", "INPUT2"),
    ("420", "Entertainment-100% business", "EXPENSE", "NONE"),
    ("429", "General Expenses", "EXPENSE", "INPUT2"),
    ("433", "Insurance", "EXPENSE", "EXEMPTINPUT"),
    ("445", "Light, Power, Heating", "EXPENSE", "INPUT2"),
    ("453", "Office Expenses", "EXPENSE", "INPUT2"),
    ("461", "Printing & Stationery", "EXPENSE", "INPUT2"),
    ("463", "IT Software and Consumables", "EXPENSE", "INPUT2"),
    ("469", "Rent", "OVERHEADS", "EXEMPTINPUT"),
    ("489", "Telephone & Internet", "EXPENSE", "INPUT2"),
    ("493", "Travel - National", "EXPENSE", "INPUT2"),
    ("494", "Travel - International", "EXPENSE", "ZERORATEDINPUT"),
]


ACCOUNT_CLASS = {"BANK": "ASSET", "REVENUE": "REVENUE", "DIRECTCOSTS": "EXPENSE", "EXPENSE": "EXPENSE"}


ACCOUNT_CLASS["OVERHEADS"] = "EXPENSE"


ACCOUNTS_BY_CODE = {code: (code, name, kind, tax) for code, name, kind, tax in ACCOUNTS}


# tax type, name, rate %
TAX_RATES = [
    ("INPUT2", "20% (VAT on Expenses)", Decimal(20)),
    ("OUTPUT2", "20% (VAT on Income)", Decimal(20)),
    ("RRINPUT", "5% (VAT on Expenses)", Decimal(5)),
    ("RROUTPUT", "5% (VAT on Income)", Decimal(5)),
    ("ZERORATEDINPUT", "Zero Rated Expenses", Decimal(0)),
    ("ZERORATEDOUTPUT", "Zero Rated Income", Decimal(0)),
    ("EXEMPTINPUT", "Exempt Expenses", Decimal(0)),
    ("EXEMPTOUTPUT", "Exempt Income", Decimal(0)),
    ("NONE", "No VAT", Decimal(0)),
]


TAX_RATE_BY_TYPE = {tax_type: rate for tax_type, _, rate in TAX_RATES}
