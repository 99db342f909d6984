"""Parsing and formatting helpers for amounts and dates in the providers' wire formats."""

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def to_decimal(value) -> Decimal | None:
    """A JSON number or numeric string as a Decimal; None when absent; ValueError when not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not result.is_finite():
        raise ValueError("not a number")
    return result


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal | None) -> float | None:
    """A Decimal as a JSON number (amounts are numbers on these APIs, not strings)."""
    return None if value is None else float(value)


def parse_date(value) -> date | None:
    """``YYYY-MM-DD``, an ISO date-time, or Xero's ``/Date(ms+0000)/``; None when absent; ValueError when bad."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    match = _MS_DATE.match(value)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
    try:
        return date.fromisoformat(value[:10]) if len(value) > 10 else date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date") from None


def ms_date(moment: datetime | date) -> str:
    """Xero's JSON date: ``/Date(1518685950940+0000)/``."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"
