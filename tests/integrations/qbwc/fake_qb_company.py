"""The sample company file the fake QuickBooks opens: a small US consulting firm's lists, as QuickBooks Desktop would
hold them (a chart of accounts with numbers and sub-accounts, the US sales tax codes and items, vendors, customers
with jobs, service and non-inventory items, classes), and the UK edition's VAT codes. Its ids are stable: the same
lists get the same ListIDs in every test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

# When the sample file's entries were last modified; what a test adds or changes is modified "now".
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EPOCH = 1767603600  # CREATED as a Unix time: QuickBooks' ListIDs and TxnIDs end with the creation time


@dataclass
class ListRow:
    """One entry of a QuickBooks list: what every kind has, and the kind's own fields."""

    list_id: str
    name: str  # the full name (Parent:Child) where the list nests
    active: bool = True
    modified: datetime = CREATED
    fields: dict = field(default_factory=dict)


# (number, full name, AccountType, active)
US_CHART = (
    ("1000", "Checking", "Bank", True),
    ("1010", "Savings", "Bank", True),
    ("1200", "Accounts Receivable", "AccountsReceivable", True),
    ("1499", "Undeposited Funds", "OtherCurrentAsset", True),
    ("1500", "Furniture and Equipment", "FixedAsset", True),
    ("2000", "Accounts Payable", "AccountsPayable", True),
    ("2100", "Visa", "CreditCard", True),
    ("2110", "American Express", "CreditCard", True),
    ("2200", "Sales Tax Payable", "OtherCurrentLiability", True),
    ("3000", "Opening Balance Equity", "Equity", True),
    ("4000", "Consulting Income", "Income", True),
    ("4100", "Product Sales", "Income", True),
    ("4900", "Reimbursed Expenses", "OtherIncome", True),
    ("5000", "Cost of Goods Sold", "CostOfGoodsSold", True),
    ("6000", "Advertising and Promotion", "Expense", True),
    ("6100", "Automobile Expense", "Expense", True),
    ("6200", "Bank Service Charges", "Expense", True),
    ("6300", "Computer and Internet Expenses", "Expense", True),
    ("6400", "Insurance Expense", "Expense", True),
    ("6500", "Meals and Entertainment", "Expense", True),
    ("6600", "Office Supplies", "Expense", True),
    ("6700", "Professional Fees", "Expense", True),
    ("6710", "Professional Fees:Accounting", "Expense", True),
    ("6720", "Professional Fees:Legal Fees", "Expense", True),
    ("6800", "Rent Expense", "Expense", True),
    ("6900", "Telephone Expense", "Expense", True),
    ("7000", "Travel Expense", "Expense", True),
    ("7100", "Utilities", "Expense", True),
    ("7110", "Utilities:Electricity", "Expense", True),
    ("7120", "Utilities:Water", "Expense", True),
    ("7500", "Equipment Rental", "Expense", False),
    ("9000", "Ask My Accountant", "OtherExpense", True),
    ("", "Estimates", "NonPosting", True),
)

# Name, description, taxable; the UK edition's codes also name their purchase and sales tax items.
US_TAX_CODES = (("Tax", "Taxable Sales", True, "", ""), ("Non", "Non-Taxable Sales", False, "", ""))
UK_TAX_CODES = (
    ("S", "Standard", True, "20.0% VAT (Purchases)", "20.0% VAT (Sales)"),
    ("Z", "Zero-rated", True, "0.0% Z (Purchases)", "0.0% Z (Sales)"),
    ("E", "Exempt", False, "", ""),
)
# Name, rate (percent), tax agency
US_TAX_ITEMS = (
    ("State Sales Tax", Decimal("6.25"), "State Board of Equalization"),
    ("County Sales Tax", Decimal("1.00"), "County Tax Office"),
    ("Out of State", Decimal("0.00"), "State Board of Equalization"),
)
UK_TAX_ITEMS = (
    ("20.0% VAT (Purchases)", Decimal("20.0"), "HM Revenue & Customs"),
    ("20.0% VAT (Sales)", Decimal("20.0"), "HM Revenue & Customs"),
    ("0.0% Z (Purchases)", Decimal("0.0"), "HM Revenue & Customs"),
    ("0.0% Z (Sales)", Decimal("0.0"), "HM Revenue & Customs"),
)

VENDORS = (
    "Paper Co",
    "Acme Supplies",
    "Cal Gas & Electric",
    "City Water Department",
    "Dell Financial Services",
    "Office Depot",
    "Pacific Bell",
    "Stacy Kendall CPA",
)
CUSTOMERS = (
    "Abercrombie, Kristy",
    "Abercrombie, Kristy:Family Room",
    "Baker's Professional Lighting",
    "Cook, Brian",
    "Ecker Designs",
    "Jacobsen, Doug",
    "Jones & Co",
    "Lew Plumbing - C",
    "Melton, Johnny",
    "Natiello, Ernesto",
)
# Full name, item type, price, income account
ITEMS = (
    ("Consulting", "Service", "150.00", "Consulting Income"),
    ("Consulting:Hourly", "Service", "125.00", "Consulting Income"),
    ("Services", "Service", "95.00", "Consulting Income"),
    ("Training", "Service", "600.00", "Consulting Income"),
    ("Software License", "NonInventory", "299.00", "Product Sales"),
    ("Travel Reimbursement", "OtherCharge", "0.00", "Reimbursed Expenses"),
)
CLASSES = (("Consulting", True), ("Retail", True), ("Retail:Online", True), ("Admin", False))


def list_id(number: int) -> str:
    return f"{number:X}-{EPOCH}"
