"""The sandbox's QuickBooks Online companies and their lists: a US company (USD, sales tax) and a UK company (GBP,
VAT), each with a chart of accounts, tax codes and rates, products and services, classes, departments
("locations"), and the vendors, customers and employees it starts with.

Everything here is fixed, so ids are the same after ``/sandbox/reset/``. Names are the sandbox's own (no real
businesses). A company's country follows its organisation's currency (USD: US, GBP: GB).
"""

import dataclasses
import functools
from dataclasses import dataclass

# Account: (Id, Name, AccountType, AccountSubType, AcctNum, Active, currency or "" for the home currency)
Account = tuple[str, str, str, str, str, bool, str]
# TaxRate: (Id, Name, RateValue, Active)
TaxRate = tuple[str, str, str, bool]
# TaxCode: (Id, Name, Description, sales rate ids, purchase rate ids, Active); TaxGroup false: TAX / NON
TaxCode = tuple[str, str, str, tuple[str, ...], tuple[str, ...], bool]
# Item: (Id, Name, Type, income account id, expense account id, Sku, Active)
Item = tuple[str, str, str, str, str, str, bool]
# Class / Department: (Id, Name, Active)
Named = tuple[str, str, bool]
# Vendor / Customer / Employee: (Id, DisplayName, currency or "" for the home currency, Active)
Name = tuple[str, str, str, bool]


@dataclass(frozen=True)
class Company:
    country: str
    currency: str
    accounts: tuple[Account, ...]
    tax_rates: tuple[TaxRate, ...]
    tax_codes: tuple[TaxCode, ...]
    items: tuple[Item, ...]
    classes: tuple[Named, ...]
    departments: tuple[Named, ...]
    vendors: tuple[Name, ...]
    customers: tuple[Name, ...]
    employees: tuple[Name, ...]
    ap_account: str
    ar_account: str

    @property
    def is_us(self) -> bool:
        return self.country == "US"


US = Company(
    country="US",
    currency="USD",
    accounts=(
        ("35", "Checking", "Bank", "Checking", "", True, ""),
        ("36", "Savings", "Bank", "Savings", "", True, ""),
        ("44", "Euro Account", "Bank", "Checking", "", True, "EUR"),
        ("41", "Mastercard", "Credit Card", "CreditCard", "", True, ""),
        ("42", "Visa", "Credit Card", "CreditCard", "", True, ""),
        ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "", True, ""),
        ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "", True, ""),
        ("81", "Inventory Asset", "Other Current Asset", "Inventory", "", True, ""),
        ("37", "Truck", "Fixed Asset", "Vehicles", "", True, ""),
        ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "", True, ""),
        ("43", "Loan Payable", "Other Current Liability", "LoanPayable", "", True, ""),
        ("2", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", "", True, ""),
        ("3", "Retained Earnings", "Equity", "RetainedEarnings", "", True, ""),
        ("1", "Services", "Income", "ServiceFeeIncome", "", True, ""),
        ("79", "Sales of Product Income", "Income", "SalesOfProductIncome", "", True, ""),
        ("82", "Design income", "Income", "ServiceFeeIncome", "", True, ""),
        ("83", "Consulting Income", "Income", "ServiceFeeIncome", "", True, ""),
        ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "", True, ""),
        ("7", "Advertising", "Expense", "AdvertisingPromotional", "", True, ""),
        ("8", "Bank Charges", "Expense", "BankCharges", "", True, ""),
        ("9", "Dues & Subscriptions", "Expense", "DuesSubscriptions", "", True, ""),
        ("11", "Equipment Rental", "Expense", "EquipmentRental", "", True, ""),
        ("15", "Insurance", "Expense", "Insurance", "", True, ""),
        ("12", "Legal & Professional Fees", "Expense", "LegalProfessionalFees", "", True, ""),
        ("13", "Meals and Entertainment", "Expense", "EntertainmentMeals", "", True, ""),
        ("20", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "", True, ""),
        ("17", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", "", True, ""),
        ("18", "Repair & Maintenance", "Expense", "RepairMaintenance", "", True, ""),
        ("24", "Supplies", "Expense", "SuppliesMaterials", "", True, ""),
        ("19", "Taxes & Licenses", "Expense", "TaxesPaid", "", True, ""),
        ("58", "Travel", "Expense", "Travel", "", True, ""),
        ("60", "Utilities", "Expense", "Utilities", "", True, ""),
        ("29", "Old Office Supplies", "Expense", "SuppliesMaterials", "", False, ""),
    ),
    tax_rates=(
        ("3", "California", "7.25", True),
        ("4", "NY State", "4", True),
        ("5", "NYC", "4.5", True),
    ),
    tax_codes=(
        ("TAX", "TAX", "TAX", (), (), True),
        ("NON", "NON", "NON", (), (), True),
        ("2", "California", "California", ("3",), (), True),
        ("3", "New York City", "New York City", ("4", "5"), (), True),
    ),
    items=(
        ("1", "Services", "Service", "1", "", "", True),
        ("2", "Hours", "Service", "1", "", "", True),
        ("3", "Design", "Service", "82", "", "DES-01", True),
        ("4", "Consulting", "Service", "83", "", "CON-01", True),
        ("5", "Garden Fountain", "Inventory", "79", "80", "FTN-10", True),
        ("6", "Sprinkler Heads", "NonInventory", "79", "80", "SPR-20", True),
        ("7", "Shop Supplies", "NonInventory", "", "24", "", True),
        ("8", "Landscaping", "Category", "", "", "", True),
        ("9", "Old Service Plan", "Service", "1", "", "", False),
    ),
    classes=(
        ("5000000000000012001", "Retail", True),
        ("5000000000000012002", "Wholesale", True),
        ("5000000000000012003", "Online", True),
    ),
    departments=(("1", "Head Office", True), ("2", "Warehouse", True), ("3", "Old Depot", False)),
    vendors=(
        ("30", "Bayside Office Furniture", "", True),
        ("31", "Blue Ridge Utilities", "", True),
        ("32", "Brightline Telecom", "", True),
        ("33", "Cascade Insurance Group", "", True),
        ("34", "Cedar & Pine Legal LLP", "", True),
        ("35", "Coastal Courier Services", "", True),
        ("36", "Delta Cleaning Co", "", True),
        ("37", "Evergreen Landscaping", "", True),
        ("38", "Fairway Print Works", "", True),
        ("39", "Harbor Freight Lines", "", True),
        ("40", "Lakeside Catering", "", True),
        ("41", "Maple Leaf Software", "", True),
        ("42", "Metro Parking Authority", "", True),
        ("43", "Northgate Hardware", "", True),
        ("44", "Pacific Gas Supply", "", True),
        ("45", "Pioneer Travel", "", True),
        ("46", "Redwood Consulting", "", True),
        ("47", "Summit Accounting Partners", "", True),
        ("48", "Sunrise Coffee Roasters", "", True),
        ("49", "Tri-County Waste", "", True),
        ("50", "Union Street Rentals", "", True),
        ("51", "Valley Auto Repair", "", True),
        ("52", "Westside Stationers", "", True),
        ("53", "Munich Parts GmbH", "EUR", True),
        ("54", "London Design Studio Ltd", "GBP", True),
        ("55", "Old Print Shop", "", False),
    ),
    customers=(
        ("1", "Alder Creek Dental", "", True),
        ("2", "Brookfield Bakery", "", True),
        ("3", "Canyon Fitness", "", True),
        ("4", "Crestview Realty", "", True),
        ("5", "Elm Street Clinic", "", True),
        ("6", "Foxglove Florists", "", True),
        ("7", "Highland Brewing", "", True),
        ("8", "Ironwood Builders", "", True),
        ("9", "Juniper Yoga Studio", "", True),
        ("10", "Kestrel Aviation", "", True),
        ("11", "Larkspur Hotel", "", True),
        ("12", "Meadowlark School", "", True),
        ("13", "Toronto Maple Imports", "CAD", True),
        ("14", "Closed Account Customer", "", False),
    ),
    employees=(("60", "Emma Lindqvist", "", True), ("61", "Raj Patel", "", True)),
    ap_account="33",
    ar_account="84",
)


UK = Company(
    country="GB",
    currency="GBP",
    accounts=(
        ("1", "Current Account", "Bank", "Checking", "1200", True, ""),
        ("2", "Deposit Account", "Bank", "Savings", "1210", True, ""),
        ("3", "Business Credit Card", "Credit Card", "CreditCard", "1240", True, ""),
        ("4", "Trade Debtors", "Accounts Receivable", "AccountsReceivable", "1100", True, ""),
        ("5", "Trade Creditors", "Accounts Payable", "AccountsPayable", "2100", True, ""),
        ("6", "VAT Control", "Other Current Liability", "GlobalTaxPayable", "2200", True, ""),
        ("7", "Share Capital", "Equity", "OwnersEquity", "3000", True, ""),
        ("8", "Sales", "Income", "SalesOfProductIncome", "4000", True, ""),
        ("9", "Consulting Income", "Income", "ServiceFeeIncome", "4010", True, ""),
        ("10", "Cost of Sales", "Cost of Goods Sold", "SuppliesMaterialsCogs", "5000", True, ""),
        ("11", "Advertising and Marketing", "Expense", "AdvertisingPromotional", "6100", True, ""),
        ("12", "Rent and Rates", "Expense", "RentOrLeaseOfBuildings", "7100", True, ""),
        ("13", "Light, Power and Heating", "Expense", "Utilities", "7200", True, ""),
        ("14", "Insurance", "Expense", "Insurance", "7300", True, ""),
        ("15", "Travel and Subsistence", "Expense", "Travel", "7400", True, ""),
        ("16", "Entertaining", "Expense", "EntertainmentMeals", "7450", True, ""),
        ("17", "Office Costs", "Expense", "OfficeGeneralAdministrativeExpenses", "7500", True, ""),
        ("18", "Printing and Stationery", "Expense", "OfficeGeneralAdministrativeExpenses", "7504", True, ""),
        ("19", "Telephone and Internet", "Expense", "Utilities", "7550", True, ""),
        ("20", "Legal and Professional Fees", "Expense", "LegalProfessionalFees", "7600", True, ""),
        ("21", "Subscriptions", "Expense", "DuesSubscriptions", "7700", True, ""),
        ("22", "Bank Charges", "Expense", "BankCharges", "7900", True, ""),
        ("23", "General Expenses", "Expense", "OtherMiscellaneousServiceCost", "8200", True, ""),
        ("24", "Old Stationery", "Expense", "SuppliesMaterials", "7505", False, ""),
    ),
    tax_rates=(
        ("1", "20.0% S (Sales)", "20", True),
        ("2", "20.0% S (Purchases)", "20", True),
        ("3", "5.0% R (Sales)", "5", True),
        ("4", "5.0% R (Purchases)", "5", True),
        ("5", "0.0% Z (Sales)", "0", True),
        ("6", "0.0% Z (Purchases)", "0", True),
        ("7", "Exempt (Sales)", "0", True),
        ("8", "Exempt (Purchases)", "0", True),
        ("9", "No VAT", "0", True),
        ("10", "20.0% ECG (Purchases)", "20", True),
        ("11", "0.0% EC Services (Sales)", "0", True),
        ("12", "17.5% S (Sales)", "17.5", False),
        ("13", "17.5% S (Purchases)", "17.5", False),
    ),
    tax_codes=(
        ("2", "20.0% S", "Standard rate", ("1",), ("2",), True),
        ("3", "5.0% R", "Reduced rate", ("3",), ("4",), True),
        ("4", "0.0% Z", "Zero rated", ("5",), ("6",), True),
        ("5", "Exempt", "Exempt from VAT", ("7",), ("8",), True),
        ("6", "No VAT", "Outside the scope of VAT", ("9",), ("9",), True),
        ("7", "20.0% ECG", "EC goods purchases", (), ("10",), True),
        ("8", "0.0% EC Services", "EC services sales", ("11",), (), True),
        ("9", "17.5% S", "Old standard rate", ("12",), ("13",), False),
    ),
    items=(
        ("1", "Consulting", "Service", "9", "", "CONS", True),
        ("2", "Training Day", "Service", "9", "", "TRN-1", True),
        ("3", "Widgets", "Inventory", "8", "10", "WDG-100", True),
        ("4", "Support Plan", "Service", "8", "", "SUP-12", True),
        ("5", "Stationery", "NonInventory", "", "18", "", True),
    ),
    classes=(
        ("5000000000000022001", "Consulting", True),
        ("5000000000000022002", "Training", True),
        ("5000000000000022003", "Legacy", False),
    ),
    departments=(("1", "London", True), ("2", "Manchester", True)),
    vendors=(
        ("30", "Thames Office Supplies", "", True),
        ("31", "Pennine Power Ltd", "", True),
        ("32", "Kestrel Telecom Ltd", "", True),
        ("33", "Harrow Print & Copy", "", True),
        ("34", "Mersey Couriers", "", True),
        ("35", "Oakwood Legal LLP", "", True),
        ("36", "Severn Insurance Brokers", "", True),
        ("37", "Cotswold Catering", "", True),
        ("38", "Lyon Fournitures SARL", "EUR", True),
        ("39", "Boston Analytics Inc", "USD", True),
        ("40", "Old Stationers Ltd", "", False),
    ),
    customers=(
        ("1", "Brighton Yoga Studio", "", True),
        ("2", "Cambridge Robotics Ltd", "", True),
        ("3", "Dorset Dairy Co", "", True),
        ("4", "Edinburgh Events Ltd", "", True),
        ("5", "Leeds Learning Trust", "", True),
    ),
    employees=(("60", "Oliver Hughes", "", True),),
    ap_account="5",
    ar_account="4",
)


_BY_CURRENCY = {"USD": US, "GBP": UK}


def company_of(organisation) -> Company:
    """The company an organisation of the sandbox's QuickBooks Online is (its country follows its currency), with
    the generated entries ``settings.SANDBOX_GENERATED_LISTS`` asks for it (benchmarks: a large company)."""
    from django.conf import settings

    company = _BY_CURRENCY.get(organisation.currency, US)
    sizes = (getattr(settings, "SANDBOX_GENERATED_LISTS", None) or {}).get(str(organisation.external_id))
    if not sizes:
        return company
    return _generated(
        company,
        int(sizes.get("accounts", 0)),
        int(sizes.get("tax_codes", 0)),
        int(sizes.get("vendors", 0)),
        int(sizes.get("customers", 0)),
    )


# Words the generated entries are named from, so that a search finds some of them and not others.
_WORDS = (
    "Travel",
    "Office",
    "Software",
    "Freight",
    "Repairs",
    "Fuel",
    "Catering",
    "Printing",
    "Legal",
    "Training",
    "Cleaning",
    "Postage",
    "Hosting",
    "Marketing",
    "Insurance",
    "Utilities",
)
_PLACES = ("North", "South", "East", "West", "Central", "Harbour", "Airport", "Depot")


@functools.lru_cache(maxsize=8)
def _generated(company: Company, accounts: int, tax_codes: int, vendors: int, customers: int) -> Company:
    """``company`` with ``accounts`` more expense accounts (numbered from 60000), ``tax_codes`` more tax codes (one
    rate each) and ``vendors`` / ``customers`` more names. Ids start at 100000: clear of the fixed ones."""
    extra_accounts = tuple(
        (
            str(100_000 + n),
            f"{_WORDS[n % len(_WORDS)]} {_PLACES[n // len(_WORDS) % len(_PLACES)]} {n:05d}",
            "Expense",
            "OtherMiscellaneousServiceCost",
            str(60_000 + n),
            n % 50 != 49,
            "",
        )
        for n in range(accounts)
    )
    extra_rates = tuple(
        (str(100_000 + n), f"Rate {n:03d}", f"{n % 25}.{n % 4 * 25:02d}", True) for n in range(tax_codes)
    )
    extra_codes = tuple(
        (str(100_000 + n), f"TC{n:03d}", f"Generated tax code {n:03d}", (str(100_000 + n),), (str(100_000 + n),), True)
        for n in range(tax_codes)
    )
    extra_vendors = tuple(
        (str(200_000 + n), f"Supplier {_PLACES[n % len(_PLACES)]} {n:05d}", "", True) for n in range(vendors)
    )
    extra_customers = tuple(
        (str(300_000 + n), f"Customer {_PLACES[n % len(_PLACES)]} {n:05d}", "", True) for n in range(customers)
    )
    return dataclasses.replace(
        company,
        accounts=company.accounts + extra_accounts,
        tax_rates=company.tax_rates + extra_rates,
        tax_codes=company.tax_codes + extra_codes,
        vendors=company.vendors + extra_vendors,
        customers=company.customers + extra_customers,
    )


CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "CAD": "Canadian Dollar",
}


# Home units per one foreign unit, as QuickBooks' own exchange rates would give them on any day.
RATES = {
    ("EUR", "USD"): "1.0850",
    ("GBP", "USD"): "1.2700",
    ("CAD", "USD"): "0.7300",
    ("USD", "GBP"): "0.7874",
    ("EUR", "GBP"): "0.8543",
    ("CAD", "GBP"): "0.5748",
}
