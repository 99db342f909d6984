"""The sandbox's Xero: its limits, the chart of accounts and tax rates of a UK organisation, and its OAuth policy
(token lifetimes, rotation)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    refused_scopes=frozenset({"accounting.transactions", "accounting.transactions.read"}),
    scope_descriptions={
        "openid": "Know who you are",
        "profile": "See your name",
        "email": "See your email address",
        "offline_access": "Keep access when you are not using the app",
        "accounting.invoices": "View and manage your invoices and bills",
        "accounting.banktransactions": "View and manage your bank transactions",
        "accounting.attachments": "View and manage your attachments",
        "accounting.payments": "View and manage your payments",
        "accounting.contacts": "View and manage your contacts",
        "accounting.settings": "View your organisation settings",
        "accounting.settings.read": "View your organisation settings",
    },
)


MINUTE_LIMIT, DAY_LIMIT, APP_MINUTE_LIMIT, CONCURRENT_LIMIT = 60, 5000, 10_000, 5


BODY_LIMIT = 3_500_000


# Up to 10 MB a file, 10 files a document (docs/provider-notes.md, Xero: raised from 3 MB in 2026).
ATTACHMENT_LIMIT = 10 * 1024 * 1024


ATTACHMENTS_PER_DOCUMENT = 10


PAGE_SIZE = 100


CURRENCIES = {"GBP", "EUR", "USD", "AUD", "NZD", "CAD"}


INVOICE_TYPES = {"ACCPAY", "ACCREC"}


BANK_TRANSACTION_TYPES = {"SPEND", "RECEIVE"}


INVOICE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}


LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}


# A UK organisation's chart of accounts, as Xero's UK default chart has it (abridged), with a credit card, a bank
# account without a code, and archived entries. Each row: code, name, type, default tax type, status, and for BANK
# accounts their BankAccountType; ``system`` accounts (Xero's SystemAccount) cannot be chosen on a line.
@dataclass(frozen=True)
class ChartRow:
    code: str
    name: str
    type: str
    tax_type: str
    status: str = "ACTIVE"
    bank_type: str = ""
    system: str = ""
    changed_at: datetime | None = None  # None: as old as the organisation (tests set it to make a change)


def _row(code, name, kind, tax="NONE", status="ACTIVE", bank_type="", system=""):
    return ChartRow(code, name, kind, tax, status, bank_type, system)


ACCOUNTS = [
    _row("090", "Business Bank Account", "BANK", bank_type="BANK"),
    _row("091", "Business Savings Account", "BANK", bank_type="BANK"),
    _row("", "Company Credit Card", "BANK", bank_type="CREDITCARD"),
    _row("092", "Old Current Account", "BANK", status="ARCHIVED", bank_type="BANK"),
    _row("200", "Sales", "REVENUE", "OUTPUT2"),
    _row("260", "Other Revenue", "REVENUE", "OUTPUT2"),
    _row("270", "Interest Income", "REVENUE", "EXEMPTOUTPUT"),
    _row("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2"),
    _row("320", "Direct Wages", "DIRECTCOSTS"),
    _row("325", "Direct Expenses", "DIRECTCOSTS", "INPUT2"),
    _row("400", "Advertising & Marketing", "OVERHEADS", "INPUT2"),
    _row("401", "Audit & Accountancy fees", "OVERHEADS", "INPUT2"),
    _row("404", "Bank Fees", "OVERHEADS", "EXEMPTINPUT"),
    _row("408", "Cleaning", "OVERHEADS", "INPUT2"),
    _row("412", "Consulting", "OVERHEADS", "INPUT2"),
    _row("416", "Depreciation Expense", "DEPRECIATN"),
    _row("418", "Charitable and Political Donations", "OVERHEADS", "EXEMPTINPUT"),
    _row("420", "Entertainment-100% business", "OVERHEADS", "INPUT2"),
    _row("424", "Entertainment - 0%", "OVERHEADS"),
    _row("425", "Postage, Freight & Courier", "OVERHEADS", "INPUT2"),
    _row("429", "General Expenses", "OVERHEADS", "INPUT2"),
    _row("433", "Insurance", "OVERHEADS", "EXEMPTINPUT"),
    _row("437", "Interest Paid", "OVERHEADS", "EXEMPTINPUT"),
    _row("441", "Legal Expenses", "OVERHEADS", "INPUT2"),
    _row("445", "Light, Power, Heating", "OVERHEADS", "RRINPUT"),
    _row("449", "Motor Vehicle Expenses", "OVERHEADS", "INPUT2"),
    _row("453", "Office Expenses", "OVERHEADS", "INPUT2"),
    _row("461", "Printing & Stationery", "OVERHEADS", "INPUT2"),
    _row("463", "IT Software and Consumables", "OVERHEADS", "INPUT2"),
    _row("465", "Rates", "OVERHEADS", "EXEMPTINPUT"),
    _row("469", "Rent", "OVERHEADS", "EXEMPTINPUT"),
    _row("473", "Repairs & Maintenance", "OVERHEADS", "INPUT2"),
    _row("477", "Salaries", "OVERHEADS"),
    _row("478", "Directors' Remuneration", "OVERHEADS"),
    _row("479", "Employers National Insurance", "OVERHEADS"),
    _row("480", "Staff Training", "OVERHEADS", "INPUT2"),
    _row("482", "Pensions Costs", "OVERHEADS"),
    _row("483", "Medical Insurance", "OVERHEADS", "EXEMPTINPUT"),
    _row("485", "Subscriptions", "OVERHEADS", "INPUT2"),
    _row("489", "Telephone & Internet", "OVERHEADS", "INPUT2"),
    _row("493", "Travel - National", "OVERHEADS", "INPUT2"),
    _row("494", "Travel - International", "OVERHEADS", "ZERORATEDINPUT"),
    _row("495", "Fax & Pager", "OVERHEADS", "INPUT2", status="ARCHIVED"),
    _row("497", "Bank Revaluations", "OVERHEADS", system="BANKCURRENCYGAIN"),
    _row("498", "Unrealised Currency Gains", "OVERHEADS", system="UNREALISEDCURRENCYGAIN"),
    _row("499", "Realised Currency Gains", "OVERHEADS", system="REALISEDCURRENCYGAIN"),
    _row("500", "Corporation Tax", "OVERHEADS"),
    _row("610", "Accounts Receivable", "CURRENT", system="DEBTORS"),
    _row("611", "Less Provision for Doubtful Debts", "CURRENT"),
    _row("620", "Prepayments", "PREPAYMENT"),
    _row("630", "Inventory", "INVENTORY"),
    _row("710", "Office Equipment", "FIXED", "INPUT2"),
    _row("711", "Less Accumulated Depreciation on Office Equipment", "FIXED"),
    _row("720", "Computer Equipment", "FIXED", "INPUT2"),
    _row("721", "Less Accumulated Depreciation on Computer Equipment", "FIXED"),
    _row("800", "Accounts Payable", "CURRLIAB", system="CREDITORS"),
    _row("801", "Unpaid Expense Claims", "CURRLIAB", system="UNPAIDEXPCLM"),
    _row("820", "VAT", "CURRLIAB", system="GST"),
    _row("825", "PAYE Payable", "CURRLIAB"),
    _row("835", "Directors' Loan Account", "CURRLIAB"),
    _row("840", "Historical Adjustment", "CURRLIAB", system="HISTORICAL"),
    _row("850", "Suspense", "CURRLIAB"),
    _row("860", "Rounding", "CURRLIAB", system="ROUNDING"),
    _row("900", "Loan", "TERMLIAB"),
    _row("950", "Capital - Ordinary Shares", "EQUITY"),
    _row("960", "Retained Earnings", "EQUITY", system="RETAINEDEARNINGS"),
]


ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "EQUITY": "EQUITY",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE",
}


@dataclass(frozen=True)
class TaxRow:
    tax_type: str
    name: str
    rate: Decimal
    expenses: bool
    revenue: bool
    status: str = "ACTIVE"


# A UK organisation's VAT rates (TaxType is the code lines carry); the 17.5% ones were archived in 2011.
TAX_RATES = [
    TaxRow("INPUT2", "20% (VAT on Expenses)", Decimal(20), True, False),
    TaxRow("OUTPUT2", "20% (VAT on Income)", Decimal(20), False, True),
    TaxRow("RRINPUT", "5% (VAT on Expenses)", Decimal(5), True, False),
    TaxRow("RROUTPUT", "5% (VAT on Income)", Decimal(5), False, True),
    TaxRow("ZERORATEDINPUT", "Zero Rated Expenses", Decimal(0), True, False),
    TaxRow("ZERORATEDOUTPUT", "Zero Rated Income", Decimal(0), False, True),
    TaxRow("EXEMPTINPUT", "Exempt Expenses", Decimal(0), True, False),
    TaxRow("EXEMPTOUTPUT", "Exempt Income", Decimal(0), False, True),
    TaxRow("ECZRINPUT", "EC Acquisitions (Zero Rated)", Decimal(0), True, False),
    TaxRow("ECZROUTPUT", "Zero Rated EC Goods Income", Decimal(0), False, True),
    TaxRow("CAPEXINPUT2", "20% (VAT on Capital Purchases)", Decimal(20), True, False),
    TaxRow("NONE", "No VAT", Decimal(0), True, True),
    TaxRow("INPUT", "17.5% (VAT on Expenses)", Decimal("17.5"), True, False, status="ARCHIVED"),
    TaxRow("OUTPUT", "17.5% (VAT on Income)", Decimal("17.5"), False, True, status="ARCHIVED"),
]


# Tracking categories: name, status, options (name, status). Xero allows two active categories.
TRACKING = [
    ("Region", "ACTIVE", [("North", "ACTIVE"), ("South", "ACTIVE"), ("London", "ACTIVE"), ("Wales", "ARCHIVED")]),
    ("Department", "ACTIVE", [("Sales", "ACTIVE"), ("Operations", "ACTIVE"), ("Admin", "ACTIVE")]),
    ("Project", "ARCHIVED", [("Launch 2024", "ACTIVE")]),
]


# Contacts a UK organisation already has: name, supplier, customer, status.
CONTACTS = [
    ("Thames Office Supplies", True, False, "ACTIVE"),
    ("Brightside Energy", True, False, "ACTIVE"),
    ("Northern Rail Travel", True, False, "ACTIVE"),
    ("Harbour Cafe Ltd", False, True, "ACTIVE"),
    ("Kingfisher Design", True, True, "ACTIVE"),
    ("Old Print Shop", True, False, "ARCHIVED"),
]


# The scopes each part of the Accounting API needs (any one of them): granular since March 2026, the broad
# ``accounting.transactions`` still honoured for apps created before (developer.xero.com/faq/granular-scopes).
SCOPES = {
    "invoices": ("accounting.invoices", "accounting.transactions"),
    "invoices.read": ("accounting.invoices", "accounting.invoices.read", "accounting.transactions"),
    "banktransactions": ("accounting.banktransactions", "accounting.transactions"),
    "banktransactions.read": (
        "accounting.banktransactions",
        "accounting.banktransactions.read",
        "accounting.transactions",
    ),
    "contacts": ("accounting.contacts",),
    "contacts.read": ("accounting.contacts", "accounting.contacts.read"),
    "settings.read": ("accounting.settings", "accounting.settings.read"),
    "attachments": ("accounting.attachments",),
}
