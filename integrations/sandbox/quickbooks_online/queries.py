"""QuickBooks Online's query language, the subset the product uses: ``select * | count(*) from <entity>``, ``=``,
``like`` and ``in`` joined by ``and``, ``orderby``, ``STARTPOSITION``, ``MAXRESULTS``. Name lists answer their
active entries only unless the condition names ``Active``. And change data capture (``GET …/cdc``)."""

import re
from datetime import datetime, timedelta

from integrations.sandbox import clock
from integrations.sandbox.quickbooks_online.api import Call, intuit_fault, qbo_time, query_error, required_missing
from integrations.sandbox.quickbooks_online.constants import (
    ACTIVE_BY_DEFAULT,
    CDC_DAYS,
    CDC_MAX,
    CONTACT_ENTITIES,
    NOT_IN_CDC,
    QUERYABLE,
)
from integrations.sandbox.quickbooks_online.reference import contacts_of, entity_changes, entity_rows

_QUERY = re.compile(
    r"^\s*select\s+(?P<columns>\*|count\(\*\))\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>[\w.]+)(?:\s+(?P<direction>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?"
    r"(?:\s+maxresults\s+(?P<max>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


_QUOTED = r"'(?:[^'\\]|\\.)*'"


_LISTED = rf"(?:{_QUOTED}|true|false)"


_CONDITION = re.compile(
    rf"\s*(?P<field>[\w.]+)\s*(?P<op>=|\blike\b|\bin\b)\s*(?P<value>{_QUOTED}|\(\s*{_LISTED}(?:\s*,\s*{_LISTED})*\s*\)|[\w.-]+)\s*",
    re.IGNORECASE,
)


_AND = re.compile(r"\s*\band\b\s*", re.IGNORECASE)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1]) if text.startswith("'") else text


def _conditions(where: str) -> list[tuple[str, str, object]]:
    conditions, position = [], 0
    while True:
        match = _CONDITION.match(where, position)
        if not match:
            raise query_error(f"cannot read the condition at “{where[position:]}”")
        op, value = match.group("op").lower(), match.group("value")
        value = [_unquote(v) for v in re.findall(_LISTED, value, re.IGNORECASE)] if op == "in" else _unquote(value)
        conditions.append((match.group("field"), op, value))
        position = match.end()
        if position >= len(where):
            return conditions
        joined = _AND.match(where, position)
        if not joined:
            raise query_error(f"expected AND at “{where[position:]}”")
        position = joined.end()


def _value(row: dict, path: str):
    value = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _matches(row: dict, conditions) -> bool:
    for path, op, wanted in conditions:
        value = _value(row, path)
        if value is None:
            return False
        if op == "=" and value.casefold() != wanted.casefold():
            return False
        if op == "in" and value.casefold() not in {w.casefold() for w in wanted}:
            return False
        if op == "like":
            pattern = "".join(".*" if c == "%" else re.escape(c) for c in wanted)
            if not re.fullmatch(pattern, value, re.IGNORECASE | re.DOTALL):
                return False
    return True


def _whole_list(entity: str, conditions) -> bool:
    """A stored list (vendors, customers, employees) asked for whole: active and inactive, nothing else."""
    return entity in CONTACT_ENTITIES.values() and all(
        path.lower() == "active" and op == "in" and {str(v).lower() for v in wanted} == {"true", "false"}
        for path, op, wanted in conditions
    )


def query(*, call: Call, statement: str) -> dict:
    match = _QUERY.match(statement or "")
    if not match:
        raise query_error(f"cannot read “{statement}”")
    entity = QUERYABLE.get(match.group("entity").lower())
    if entity is None:
        raise query_error(f"invalid entity {match.group('entity')}")
    conditions = _conditions(match.group("where")) if match.group("where") else []
    if entity in ACTIVE_BY_DEFAULT and not any(path.lower() == "active" for path, _, _ in conditions):
        conditions.append(("Active", "=", "true"))
    start = max(int(match.group("start") or 1), 1)
    size = min(int(match.group("max") or 100), 1000)
    if _whole_list(entity, conditions) and not match.group("order") and match.group("columns") == "*":
        # A sync's walk of a stored list (thousands of names): the page is read from the database alone.
        rows = [c.body for c in contacts_of(call.organisation, entity)[start - 1 : start - 1 + size]]
        if not rows:
            return {"QueryResponse": {}, "time": qbo_time()}
        return {"QueryResponse": {entity: rows, "startPosition": start, "maxResults": len(rows)}, "time": qbo_time()}
    rows = entity_rows(call.organisation, entity)
    rows = [row for row in rows if _matches(row, conditions)]
    if match.group("columns").lower() == "count(*)":
        return {"QueryResponse": {"totalCount": len(rows)}, "time": qbo_time()}
    if match.group("order"):
        rows.sort(
            key=lambda r: _value(r, match.group("order")) or "",
            reverse=(match.group("direction") or "").lower() == "desc",
        )
    rows = rows[start - 1 : start - 1 + size]
    if not rows:
        return {"QueryResponse": {}, "time": qbo_time()}
    return {"QueryResponse": {entity: rows, "startPosition": start, "maxResults": len(rows)}, "time": qbo_time()}


def cdc(*, call: Call, entities: str, changed_since: str) -> dict:
    """``GET …/cdc?entities=Vendor,Customer&changedSince=<time>``: every object of those entities changed since then
    (inactive ones too), grouped by entity, at most 1,000 in all; 30 days back at most."""
    if not entities:
        raise required_missing("entities")
    if not changed_since:
        raise required_missing("changedSince")
    try:
        since = datetime.fromisoformat(changed_since.replace("Z", "+00:00"))
    except ValueError:
        raise intuit_fault("Invalid Date", f"changedSince is not a valid date: {changed_since}", "2070") from None
    if since.tzinfo is None:
        raise intuit_fault("Invalid Date", "changedSince needs a time zone offset", "2070")
    if since < clock.now() - timedelta(days=CDC_DAYS):
        raise intuit_fault(
            "Invalid changedSince",
            f"changedSince may look back {CDC_DAYS} days at most",
            "2080",
            element="changedSince",
        )
    groups, left = [], CDC_MAX
    for given in entities.split(","):
        entity = QUERYABLE.get(given.strip().lower())
        if entity is None or entity in NOT_IN_CDC:
            raise intuit_fault(
                "Unsupported Operation", f"Change data capture is not supported for {given.strip()}", "500"
            )
        changed = sorted(
            (item for item in entity_changes(call.organisation, entity) if item[1] >= since), key=lambda i: i[1]
        )
        rows = [row for row, _ in changed][:left]
        left -= len(rows)
        groups.append({entity: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {})
    return {"CDCResponse": [{"QueryResponse": groups}], "time": qbo_time()}
