"""Bill.com's lists as the sandbox keeps them, and v3's list operations (filters, sort, pages) as the real API
documents them (developer.bill.com/docs/search-op-with-lists).

- Each organisation has its own chart of accounts (a US small business's, numbered and named as a Xero chart
  synced into Bill.com by Bill.com is; a few accounts archived, one a sub-account), vendors (with addresses, one
  archived), accounting classes, departments and locations: stored rows, seeded the first time the organisation is
  used, with the same ids every time. ``POST …/chart-of-accounts/{id}/archive`` archives an account.
- ``GET`` on a list: ``max`` (20 unless given, 100 at most), ``page`` (the opaque ``nextPage``/``prevPage`` token of
  an earlier answer), ``sort=<field>:asc|desc``, ``filters=<field>:<op>:<value>,…`` with the operators eq, ne, gt,
  gte, lt, lte, in, nin and sw. Only a list's documented filterable fields are accepted; any other field is refused
  (400 ``BDC_1130``), as is an unknown operator (``BDC_1131``): bills, for one, cannot be filtered by invoice
  number. The codes are v2's list, which the docs say v3 shares; that v3 answers these two is *unsure*.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from integrations.sandbox import clock
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Contact, Organisation, Provider

BILL_COM = Provider.BILL_COM
DEFAULT_MAX, LARGEST_MAX = 20, 100

CHART = "chart_of_account"
CLASSIFICATIONS = {"accounting-classes": "accounting_class", "departments": "department", "locations": "location"}

# Filterable fields of each list (developer.bill.com/docs/filterable-fields; the SDK models of akleinvm/billdotcom-
# sdk-v3 agree). Classes, departments and locations: *unsure*, taken to be those of the chart of accounts.
FILTERABLE = {
    "vendors": {
        "id",
        "archived",
        "name",
        "shortName",
        "accountNumber",
        "accountType",
        "email",
        "createdTime",
        "updatedTime",
    },
    "bills": {
        "id",
        "archived",
        "vendorId",
        "amount",
        "dueDate",
        "paymentStatus",
        "approvalStatus",
        "createdTime",
        "updatedTime",
    },
    "chart-of-accounts": {"id", "archived", "name", "parentId", "createdTime", "updatedTime"},
    "classifications": {"id", "archived", "name", "createdTime", "updatedTime"},
}
SORTABLE = {"name", "createdTime", "updatedTime", "dueDate", "amount"}
OPERATORS = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "sw"}
TIMES = {"createdTime", "updatedTime"}
NUMBERS = {"amount"}

# (number, name, type, archived, parent number)
US_CHART = [
    ("090", "Business Checking", "BANK", False, ""),
    ("091", "Business Savings", "BANK", False, ""),
    ("120", "Accounts Receivable", "ACCOUNTS_RECEIVABLE", False, ""),
    ("130", "Prepaid Expenses", "OTHER_CURRENT_ASSET", False, ""),
    ("140", "Inventory", "OTHER_CURRENT_ASSET", False, ""),
    ("150", "Office Equipment", "FIXED_ASSET", False, ""),
    ("160", "Computer Equipment", "FIXED_ASSET", False, ""),
    ("170", "Vehicles", "FIXED_ASSET", False, ""),
    ("200", "Sales", "INCOME", False, ""),
    ("260", "Other Revenue", "INCOME", False, ""),
    ("270", "Interest Income", "OTHER_INCOME", False, ""),
    ("310", "Cost of Goods Sold", "COST_OF_GOODS_SOLD", False, ""),
    ("400", "Advertising", "EXPENSE", False, ""),
    ("404", "Bank Service Charges", "EXPENSE", False, ""),
    ("408", "Cleaning", "EXPENSE", False, ""),
    ("412", "Consulting & Accounting", "EXPENSE", False, ""),
    ("416", "Depreciation", "EXPENSE", False, ""),
    ("420", "Entertainment", "EXPENSE", False, ""),
    ("425", "Freight & Courier", "EXPENSE", False, ""),
    ("426", "Postage (old)", "EXPENSE", True, ""),
    ("429", "General Expenses", "EXPENSE", False, ""),
    ("433", "Insurance", "EXPENSE", False, ""),
    ("437", "Interest Expense", "EXPENSE", False, ""),
    ("441", "Legal Fees", "EXPENSE", False, ""),
    ("445", "Light, Power, Heating", "EXPENSE", False, ""),
    ("449", "Automobile Expenses", "EXPENSE", False, ""),
    ("450", "Equipment Rental (retired)", "EXPENSE", True, ""),
    ("453", "Office Expenses", "EXPENSE", False, ""),
    ("4531", "Office Supplies", "EXPENSE", False, "453"),
    ("461", "Printing & Stationery", "EXPENSE", False, ""),
    ("469", "Rent", "EXPENSE", False, ""),
    ("473", "Repairs and Maintenance", "EXPENSE", False, ""),
    ("477", "Wages and Salaries", "EXPENSE", False, ""),
    ("478", "Payroll Tax Expense", "EXPENSE", False, ""),
    ("485", "Subscriptions", "EXPENSE", False, ""),
    ("487", "Magazines (old)", "EXPENSE", True, ""),
    ("489", "Telephone & Internet", "EXPENSE", False, ""),
    ("493", "Travel - National", "EXPENSE", False, ""),
    ("494", "Travel - International", "EXPENSE", False, ""),
    ("497", "Software", "EXPENSE", False, ""),
    ("505", "Income Tax Expense", "OTHER_EXPENSE", False, ""),
    ("800", "Accounts Payable", "ACCOUNTS_PAYABLE", False, ""),
    ("820", "Sales Tax Payable", "OTHER_CURRENT_LIABILITY", False, ""),
    ("840", "Company Credit Card", "CREDIT_CARD", False, ""),
    ("900", "Business Loan", "LONG_TERM_LIABILITY", False, ""),
    ("960", "Retained Earnings", "EQUITY", False, ""),
    ("970", "Owner's Equity", "EQUITY", False, ""),
]
VENDORS = [
    ("Staples Business Advantage", ("500 Staples Dr", "Framingham", "MA", "01702"), False),
    ("Pacific Gas & Electric", ("77 Beale St", "San Francisco", "CA", "94105"), False),
    ("Comcast Business", ("1701 JFK Blvd", "Philadelphia", "PA", "19103"), False),
    ("FedEx", ("942 S Shady Grove Rd", "Memphis", "TN", "38120"), False),
    ("Old Courier Co", ("1 Old Rd", "Austin", "TX", "78701"), True),
]
TRACKING = {
    "accounting_class": [("Retail", False), ("Wholesale", False)],
    "department": [("Operations", False), ("Sales & Marketing", False), ("Administration", False)],
    "location": [("San Jose", False), ("Austin", False), ("Denver (closed)", True)],
}
PREFIX = {CHART: "0ca", "vendor": "009", "accounting_class": "0ac", "department": "0dp", "location": "0lc"}


def error(status: int, code: str, message: str, category: str = "REQUEST") -> SandboxError:
    return SandboxError(
        status,
        [
            {
                "timestamp": clock.now().isoformat(timespec="milliseconds"),
                "code": code,
                "severity": "ERROR",
                "category": category,
                "message": message,
            }
        ],
    )


def timestamp(moment=None) -> str:
    return (moment or clock.now()).isoformat(timespec="milliseconds")


def stable_id(organisation: Organisation, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{organisation.external_id}:{kind}:{key}".encode()).hexdigest()
    return PREFIX[kind] + digest[:17]


# --- the organisation's own lists, seeded on first use ---

_seeded: set[tuple] = set()  # organisations whose lists are in (a reset makes new organisation rows)


def _row(organisation: Organisation, kind: str, key: str, name: str, body: dict) -> Contact:
    at = organisation.created_at
    external_id = stable_id(organisation, kind, key)
    return Contact(
        provider=BILL_COM,
        organisation=organisation,
        kind=kind,
        external_id=external_id,
        name=name,
        body={"id": external_id, **body, "createdTime": timestamp(at), "updatedTime": timestamp(at)},
        created_at=at,
        updated_at=at,
    )


def organisation_seed(organisation: Organisation) -> None:
    key = (organisation.pk, organisation.external_id, organisation.created_at)
    if key in _seeded:
        return
    rows = []
    for number, name, kind, archived, parent in US_CHART:
        body = {"archived": archived, "name": name, "description": "", "account": {"type": kind, "number": number}}
        if parent:
            body["parentId"] = stable_id(organisation, CHART, parent)
        rows.append(_row(organisation, CHART, number, name, body))
    for name, (line1, city, state, zip_code), archived in VENDORS:
        address = {"line1": line1, "city": city, "stateOrProvince": state, "zipOrPostalCode": zip_code, "country": "US"}
        body = {
            "archived": archived,
            "name": name,
            "accountType": "BUSINESS",
            "address": address,
            "billCurrency": "USD",
        }
        rows.append(_row(organisation, "vendor", name, name, body))
    for kind, entries in TRACKING.items():
        rows.extend(
            _row(organisation, kind, name, name, {"archived": archived, "name": name}) for name, archived in entries
        )
    Contact.objects.bulk_create(rows, ignore_conflicts=True)
    _seeded.add(key)


def rows_of(organisation: Organisation, kind: str):
    organisation_seed(organisation)
    return Contact.objects.filter(provider=BILL_COM, organisation=organisation, kind=kind)


def chart_account(organisation: Organisation, account_id: str) -> Contact | None:
    return rows_of(organisation, CHART).filter(external_id=account_id).first()


def chart_account_archive(organisation: Organisation, account_id: str) -> dict:
    row = chart_account(organisation, account_id)
    if row is None:
        raise error(404, "BDC_1120", "No data found.")
    now = clock.now()
    row.body = {**row.body, "archived": True, "updatedTime": timestamp(now)}
    row.updated_at = now
    row.save(update_fields=["body", "updated_at"])
    return row.body


# --- list operations ---

_FILTER = re.compile(r'\s*(?P<field>[\w.]+):(?P<op>\w+):(?P<value>"(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)')


def parse_filters(text: str | None, listed: str) -> list[tuple[str, str, str]]:
    conditions, position, text = [], 0, text or ""
    allowed = FILTERABLE[listed]
    while position < len(text):
        match = _FILTER.match(text, position)
        if not match or match.end() == position:
            raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: filters, {text}")
        field, op, value = match.group("field"), match.group("op"), match.group("value").strip()
        if field not in allowed:
            raise error(400, "BDC_1130", f"Invalid list filter field: {field}")
        if op not in OPERATORS:
            raise error(400, "BDC_1131", f"Invalid list filter operator: {op}")
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        conditions.append((field, op, value))
        position = match.end()
    return conditions


def _comparable(field: str, value):
    if value is None:
        return None
    if field in TIMES:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: {field}, {value}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=clock.now().tzinfo)
    if field in NUMBERS:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: {field}, {value}") from None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _holds(op: str, value, target) -> bool:
    if op == "sw":
        return str(value or "").startswith(str(target))
    if op == "eq":
        return value == target
    if op == "ne":
        return value != target
    if value is None:
        return False
    return {"gt": value > target, "gte": value >= target, "lt": value < target, "lte": value <= target}[op]


def _keeps(row: dict, conditions: list[tuple[str, str, str]]) -> bool:
    for field, op, wanted in conditions:
        value = _comparable(field, row.get(field))
        if op in ("in", "nin"):
            inside = str(value) in {w.strip() for w in wanted.split(",")}
            if inside != (op == "in"):
                return False
        elif not _holds(op, value, _comparable(field, wanted)):
            return False
    return True


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["o"]
    except (ValueError, KeyError, TypeError):
        raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: page, {token}") from None
    return max(int(offset), 0)


def listing(rows: list[dict], *, listed: str, params) -> dict:
    """One page of ``rows`` (the bodies of a list, oldest first) as a v3 list answers it, for the query ``params``."""
    conditions = parse_filters(params.get("filters"), listed)
    try:
        size = int(params.get("max") or DEFAULT_MAX)
    except ValueError:
        raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: max, {params.get('max')}") from None
    if not 1 <= size <= LARGEST_MAX:
        raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: max, {size}")
    kept = [row for row in rows if _keeps(row, conditions)]
    if params.get("sort"):
        field, _, order = str(params["sort"]).partition(":")
        if field not in SORTABLE or order not in ("", "asc", "desc"):
            raise error(400, "BDC_1129", f"Invalid parameter value for parameter,value: sort, {params['sort']}")
        present = [row for row in kept if row.get(field) is not None]
        present.sort(key=lambda row: _comparable(field, row.get(field)), reverse=order == "desc")
        kept = present + [row for row in kept if row.get(field) is None]
    start = _offset(params.get("page"))
    answer: dict = {"results": kept[start : start + size]}
    if start + size < len(kept):
        answer["nextPage"] = _token(start + size)
    if start > 0:
        answer["prevPage"] = _token(max(start - size, 0))
    return answer
