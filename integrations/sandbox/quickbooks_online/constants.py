"""The sandbox's QuickBooks Online: its limits, a US company's accounts and items, the entities it creates and
queries, and its OAuth policy (token lifetimes, rotation). Limits are read from here at call time (tests lower
them)."""

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


USD = {"value": "USD", "name": "United States Dollar"}


AP_ACCOUNT = {"value": "33", "name": "Accounts Payable (A/P)"}


AR_ACCOUNT = {"value": "84", "name": "Accounts Receivable (A/R)"}


# id, name, AccountType, AccountSubType
ACCOUNTS = [
    ("35", "Checking", "Bank", "Checking"),
    ("36", "Savings", "Bank", "Savings"),
    ("41", "Mastercard", "Credit Card", "CreditCard"),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("1", "Services", "Income", "ServiceFeeIncome"),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("7", "Advertising", "Expense", "AdvertisingPromotional"),
    ("8", "Bank Charges", "Expense", "BankCharges"),
    ("13", "Meals and Entertainment", "Expense", "EntertainmentMeals"),
    ("15", "Insurance", "Expense", "Insurance"),
    ("20", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("24", "Supplies", "Expense", "SuppliesMaterials"),
    ("58", "Travel", "Expense", "Travel"),
    ("60", "Utilities", "Expense", "Utilities"),
]


ACCOUNTS_BY_ID = {a[0]: a for a in ACCOUNTS}


ITEMS = [("1", "Services", "1"), ("2", "Hours", "1")]  # id, name, income account id


ITEMS_BY_ID = {i[0]: i for i in ITEMS}


DOCUMENT_ENTITIES = {"bill": "Bill", "purchase": "Purchase", "invoice": "Invoice"}


CONTACT_ENTITIES = {"vendor": "Vendor", "customer": "Customer"}


CREATABLE = DOCUMENT_ENTITIES | CONTACT_ENTITIES


QUERYABLE = {name.lower(): name for name in [*CREATABLE.values(), "Account", "Item"]}


PAYMENT_TYPES = {"Cash": "Bank", "Check": "Bank", "CreditCard": "Credit Card"}


BATCH_MAX = 10  # "up to 10 payloads with a single batch operation"


BATCH_PER_MINUTE = 40  # "up to 40 [batch] requests per minute" per company
